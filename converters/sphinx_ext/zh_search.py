"""Chinese full-text search that works in the browser.

Three gaps in Sphinx's Chinese search, all closed here:

* Sphinx 9.0 names the JS stemmer after `language_name` (`ChineseStemmer`) but
  ships the English stemmer for Chinese, so the search page dies with
  "ChineseStemmer is not defined" (sphinx-doc/sphinx#14229).  Registering the
  language under the name of the stemmer it really uses fixes the page.
* The index is segmented by jieba, but the browser splits a query only at
  spaces and punctuation, so a phrase such as 生成对抗式网络 matched nothing.
  zh_splitter.js segments the query against the index's own words.
* The lines shown under each result began with the theme's buttons ("System Settings 亮色
  暗色"): static/kexue-search.js takes them from the article's text.

The index has Sphinx's words (jieba's segmentation "for search", Latin words as they are),
with two cuts in its cost, which Sphinx pays in one process while the pages are written:

* Formulas are not indexed (`no-search`, Sphinx's own mark).  Their TeX (`\\boldsymbol`,
  `frac`…) is not what a reader types into a search box.
* The segmentation is jieba-rs's (the `rjieba` binding): jieba's Chinese words (on the
  corpus the same as jieba's own; Sphinx's jieba, which reads its dictionary twice, differs
  in 7 of 2,552) 30 times faster, without the 1.4 s Sphinx spends loading jieba's
  dictionary at every build.  A book that names its own dictionary
  (`html_search_options = {"dict": …}`) is segmented by jieba itself, which reads it.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese

from . import HTML_BUILDERS, serve_static


try:
    import rjieba
except ImportError:  # Sphinx's own jieba then
    rjieba = None

_LATIN_PIECES = re.compile(r"[a-zA-Z0-9]+")


class SearchChineseFixed(SearchChinese):
    language_name = "English"  # the JS class actually shipped in english-stemmer.js
    js_splitter_code = (Path(__file__).parent / "zh_splitter.js").read_text(encoding="utf-8")

    def __init__(self, options: dict[str, str]) -> None:
        self.fast = rjieba is not None and not options.get("dict")
        # An empty `dict` keeps SearchChinese from loading jieba's dictionary, unused then.
        super().__init__({**options, "dict": ""} if self.fast else options)

    def split(self, input: str) -> list[str]:
        if not self.fast:
            return super().split(input)
        words: list[str] = []
        for word in rjieba.cut_for_search(input, True):
            if word.isascii():
                # jieba cuts `l2_normalize` into `l2`, `_`, `normalize`; jieba-rs keeps it whole
                words.extend(_LATIN_PIECES.findall(word))
            else:
                words.append(word)
        latin1 = [term.strip() for term in self.latin1_letters.findall(input)]
        self.latin_terms.update(latin1)
        return words + latin1

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
            if rjieba is None or app.config.html_search_options.get("dict"):
                from sphinx.util import logging
                logging.getLogger(__name__).warning(
                    "jieba is not installed (it segments when rjieba is not, or when html_search_options "
                    "names a 'dict'): the search index will contain no Chinese words")


def skip_formulas(app: Sphinx, doctree: nodes.document) -> None:
    if app.builder.format != "html" or app.builder.name.startswith("epub"):
        return
    for node in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
        if "no-search" not in node["classes"]:
            node["classes"].append("no-search")


def summaries_from_articles(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if pagename == "search" and app.builder.name in HTML_BUILDERS:
        # After searchtools.js, which it changes: deferred scripts run once the page is parsed.
        app.add_js_file("kexue-search.js", loading_method="defer")


def drop_vanished_words(app: Sphinx) -> list:
    """A build that reads some pages again takes them out of the index it loads from the last
    build, but keeps a word none of the other pages has as an empty list: the index of a build
    after an edit that takes words away would differ from a full build's and grow with every
    edit.  Before the index is written (the pages' words are in by then): those words dropped."""
    indexer = getattr(app.builder, "indexer", None)
    for mapping in (getattr(indexer, "_mapping", {}), getattr(indexer, "_title_mapping", {})):
        for word in [word for word, pages in mapping.items() if not pages]:
            del mapping[word]
    return []


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
    app.connect("builder-inited", serve_static)
    app.connect("html-page-context", summaries_from_articles)
    app.connect("doctree-read", skip_formulas)
    app.connect("html-collect-pages", drop_vanished_words)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
