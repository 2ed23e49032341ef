"""Titles reach the page as text, not HTML, in the parts of the theme that forget it.

sphinx-book-theme puts `pagetitle` (the print header) and `root_title` (the sidebar) into its
templates as raw `title.astext()`: an article titled `<script>…</script>` would run a script
in the book.  This handler runs after the theme's and escapes both.
"""

from __future__ import annotations

import html

from sphinx.application import Sphinx

# After sphinx-book-theme's own html-page-context handler (default priority 500).
PRIORITY = 900


def escape_titles(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    titles = app.env.titles
    if pagename in titles:
        context["pagetitle"] = html.escape(titles[pagename].astext())
    root = context.get("root_doc") or app.config.root_doc
    if root in titles:
        context["root_title"] = html.escape(titles[root].astext())


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", escape_titles, priority=PRIORITY)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
