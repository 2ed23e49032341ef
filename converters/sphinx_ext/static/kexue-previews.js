/* Hover previews for kexue-book (converters/sphinx_ext/hover_previews.py).
 * Equation links, citations and links to headings show a copy of their target on this page;
 * links to other articles show the title, by-line and opening lines written into the page.
 * Shown on hover and on keyboard focus, hidden on leave, blur or Escape. No request is made. */
(function () {
  "use strict";
  var data = {};
  var tip = null;
  var current = null;
  var hideTimer = null;

  function loadData() {
    var el = document.getElementById("kexue-previews");
    if (!el) return;
    try { data = JSON.parse(el.textContent); } catch (e) { data = {}; }
  }

  function targetOnPage(href) {
    if (!href || href.charAt(0) !== "#" || href.length < 2) return null;
    try { return document.getElementById(decodeURIComponent(href.slice(1))); } catch (e) { return null; }
  }

  function cleanCopy(node) {
    var copy = node.cloneNode(true);
    copy.removeAttribute("id");
    copy.querySelectorAll("[id]").forEach(function (n) { n.removeAttribute("id"); });
    copy.querySelectorAll("a.headerlink, .fn-bracket, .backrefs, span.label").forEach(function (n) { n.remove(); });
    // A tooltip holds nothing to tab to: its target (the formula, the entry) is on the page.
    copy.querySelectorAll("a[href], [tabindex]").forEach(function (n) { n.setAttribute("tabindex", "-1"); });
    if (copy.matches("[tabindex]")) copy.setAttribute("tabindex", "-1");
    return copy;
  }

  function contentFor(link) {
    var href = link.getAttribute("href") || "";
    var box = document.createElement("div");
    var target = targetOnPage(href);
    if (target) {
      // An equation, with its number; a row of an `align` & co. is an anchor inside its formula.
      var equation = target.matches("div.math, .math") ? target : target.closest("div.math");
      if (equation) {
        box.className = "kexue-preview-equation";
        box.appendChild(cleanCopy(equation));
      } else if (target.matches("aside.footnote, .footnote, .citation")) {   // a cited work
        box.className = "kexue-preview-citation";
        target.querySelectorAll("p, div.line-block").forEach(function (p) { box.appendChild(cleanCopy(p)); });
        if (!box.childNodes.length) box.appendChild(cleanCopy(target));
      } else if (target.matches("section")) {                // a heading and its first lines
        box.className = "kexue-preview-section";
        var heading = target.querySelector("h1, h2, h3, h4, h5, h6");
        var para = target.querySelector(":scope > p");
        if (heading) box.appendChild(cleanCopy(heading));
        if (para) box.appendChild(cleanCopy(para));
      } else {
        return null;
      }
      return box;
    }
    var page = href.split("#")[0];
    var info = data[page];
    if (!info) return null;                                  // another article of the book
    box.className = "kexue-preview-article";
    var title = document.createElement("strong");
    title.textContent = info.title;
    box.appendChild(title);
    if (info.meta) {
      var meta = document.createElement("div");
      meta.className = "kexue-preview-meta";
      meta.textContent = info.meta;
      box.appendChild(meta);
    }
    if (info.text) {
      var text = document.createElement("p");
      text.textContent = info.text;
      box.appendChild(text);
    }
    return box;
  }

  // The preview stands in the page's main landmark (a screen reader's page outline holds no
  // text outside landmarks), fixed to the window beside its link, and follows it on scroll.
  function place(link) {
    var r = link.getBoundingClientRect();
    var viewport = document.documentElement.clientWidth;
    var width = Math.min(480, viewport - 16);
    tip.style.maxWidth = width + "px";
    tip.style.left = Math.max(8, Math.min(r.left, viewport - width - 8)) + "px";
    tip.style.top = (r.bottom + 6) + "px";
    var h = tip.offsetHeight;
    if (r.bottom + h + 6 > window.innerHeight && r.top - h - 6 > 0) {
      tip.style.top = (r.top - h - 6) + "px";                // no room below: above the link
    }
  }

  function show(link) {
    clearTimeout(hideTimer);
    if (current === link) return;
    var content = contentFor(link);
    if (!content) return;
    hide();
    tip = document.createElement("div");
    tip.className = "kexue-preview";
    tip.id = "kexue-preview";
    tip.setAttribute("role", "tooltip");
    tip.appendChild(content);
    tip.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    tip.addEventListener("mouseleave", later);
    (document.querySelector("main") || document.body).appendChild(tip);
    link.setAttribute("aria-describedby", "kexue-preview");
    current = link;
    place(link);
  }

  function hide() {
    if (tip) tip.remove();
    if (current) current.removeAttribute("aria-describedby");
    tip = null;
    current = null;
  }

  function later() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 200);
  }

  function candidate(el) {
    var link = el && el.closest ? el.closest("article a.reference.internal, article a.footnote-reference") : null;
    if (!link || link.matches(".headerlink, .nav-link, .toc-entry a")) return null;
    return link;
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadData();
    document.addEventListener("mouseover", function (e) { var l = candidate(e.target); if (l) show(l); });
    document.addEventListener("mouseout", function (e) { if (candidate(e.target)) later(); });
    document.addEventListener("focusin", function (e) { var l = candidate(e.target); if (l) show(l); });
    document.addEventListener("focusout", function (e) { if (candidate(e.target)) later(); });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") hide(); });
    window.addEventListener("scroll", function () { if (tip && current) place(current); }, {passive: true});
  });
})();
