// The search page shows a few lines of each page it found.  Sphinx takes them from the page's
// whole main area, which in this theme begins with the header's buttons ("System Settings 亮色
// 暗色"), the title and the "目录" heading: a word of the title drew every summary there.  Here
// the lines come from the article's own text (its title is the result's link already).
// Formulas are TeX in the page's source (MathJax draws them later): a summary quoting
// `\[\begin{split}\left\{…` is no prose, so each formula reads `…` there.
(() => {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const sphinxText = Search.htmlToText;
  const FORMULAS = "span.math, div.math, .MathJax, mjx-container, script[type^='math/']";
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    for (const formula of doc.querySelectorAll(FORMULAS)) {
      const block = formula.matches("div");
      formula.replaceWith(doc.createTextNode(block ? "\n…\n" : "…"));
    }
    const article = doc.querySelector("article.bd-article");
    if (anchor || !article) return sphinxText(doc.documentElement.outerHTML, anchor);
    for (const junk of article.querySelectorAll(".headerlink, script, style, h1, .article-meta")) {
      junk.remove();
    }
    return article.textContent;
  };
})();
