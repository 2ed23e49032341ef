"""Chinese full-text search that works in the browser.

Two gaps in Sphinx's Chinese search, both closed here:

* Sphinx 9.0 names the JS stemmer after `language_name` (`ChineseStemmer`) but
  ships the English stemmer for Chinese, so the search page dies with
  "ChineseStemmer is not defined" (sphinx-doc/sphinx#14229).  Registering the
  language under the name of the stemmer it really uses fixes the page.
* The index is segmented by jieba, but the browser splits a query only at
  spaces and punctuation, so a phrase such as 生成对抗式网络 matched nothing.
  zh_splitter.js segments the query against the index's own words.

The index itself (jieba word segmentation) is Sphinx's own, with one cut: formulas are not
indexed (`no-search`, Sphinx's own mark).  Their TeX (`\\boldsymbol`, `frac`…) is not what a
reader types into a search box, and segmenting it was a large share of the indexing, which
Sphinx does in one process while the pages are written.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese


class SearchChineseFixed(SearchChinese):
    language_name = "English"  # the JS class actually shipped in english-stemmer.js
    js_splitter_code = (Path(__file__).parent / "zh_splitter.js").read_text(encoding="utf-8")

    def stem(self, word: str) -> str:
        # The English stemmer leaves Chinese words as they are (lower-cased); skipping it for
        # them gives the same index at a fraction of the cost (it ran on every word).
        return super().stem(word) if word.isascii() else word.lower()


def check_jieba(app: Sphinx) -> None:
    if app.builder.format == "html" and app.config.html_search_language in (None, "zh") \
            and str(app.config.language).startswith("zh"):
        try:
            import jieba  # noqa: F401
        except ImportError:
            from sphinx.util import logging
            logging.getLogger(__name__).warning(
                "jieba is not installed: the search index will contain no Chinese words")


def skip_formulas(app: Sphinx, doctree: nodes.document) -> None:
    if app.builder.format != "html" or app.builder.name.startswith("epub"):
        return
    for node in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
        if "no-search" not in node["classes"]:
            node["classes"].append("no-search")


def _quiet_jieba() -> None:
    # jieba announces loading its dictionary on stderr at every build.
    try:
        import jieba
    except ImportError:
        return
    import logging
    jieba.setLogLevel(logging.WARNING)


def setup(app: Sphinx) -> dict:
    _quiet_jieba()
    app.add_search_language(SearchChineseFixed)
    app.connect("builder-inited", check_jieba)
    app.connect("doctree-read", skip_formulas)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
