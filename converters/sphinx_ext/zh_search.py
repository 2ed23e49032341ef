"""Chinese full-text search that works in the browser.

Sphinx 9.0 names the JS stemmer after `language_name` (`ChineseStemmer`) but
ships the English stemmer for Chinese, so the search page dies with
"ChineseStemmer is not defined" (sphinx-doc/sphinx#14229).  Registering the
same language with the name of the stemmer it really uses fixes the page;
the index itself (jieba word segmentation) is Sphinx's own.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese


class SearchChineseFixed(SearchChinese):
    language_name = "English"  # the JS class actually shipped in english-stemmer.js


def check_jieba(app: Sphinx) -> None:
    if app.builder.format == "html" and app.config.html_search_language in (None, "zh") \
            and str(app.config.language).startswith("zh"):
        try:
            import jieba  # noqa: F401
        except ImportError:
            from sphinx.util import logging
            logging.getLogger(__name__).warning(
                "jieba is not installed: the search index will contain no Chinese words")


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
    return {"parallel_read_safe": True, "parallel_write_safe": True}
