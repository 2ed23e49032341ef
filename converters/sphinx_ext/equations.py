"""Equation numbers as the blog shows them: per page, from (1), `\\tag`s included.

MathJax with AMS numbering counts the numbered formulas of a page and shows a
`\\tag{…}` instead of the count where one is given (without advancing it).
Sphinx counts every labelled formula of a page; this extension re-numbers
them the MathJax way when a page is read, so the numbers shown and the
numbers `{eq}` references print agree.  The `\\tag` stays in the MyST source
(an author reading the page sees it); it is removed from the formula for
HTML output, where Sphinx prints the number itself, and kept for LaTeX,
where amsmath prints it.

A `\\tag`'s text is text, not markup: Sphinx's HTML writers put `node["number"]` into the page as it
is, so the node carries it HTML-escaped, the raw text in `node["tag"]` (sphinx_ext/print_book.py
writes that LaTeX-escaped); the math domain keeps the raw text, which references show as text.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

from ..escaping import html

TAG = re.compile(r"\\tag\*?\{([^{}]*)\}")


def _math_domain(app: Sphinx):
    return app.env.get_domain("math")


def number_equations(app: Sphinx, doctree: nodes.document) -> None:
    domain = _math_domain(app)
    docname = app.env.docname
    counter = 0
    for node in doctree.findall(nodes.math_block):
        label = node.get("label")
        if not label:
            continue
        tag = TAG.search(node.astext())
        if tag:
            number: int | str = tag.group(1).strip()
            node["tag"] = number
            node["number"] = html(number)
        else:
            counter += 1
            number = node["number"] = counter
        domain.equations[label] = (docname, number)


def strip_tags(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format == "latex":
        return
    for node in doctree.findall(nodes.math_block):
        text = node.astext()
        if TAG.search(text):
            stripped = TAG.sub("", text)
            node.children = []
            node += nodes.Text(stripped)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", number_equations)
    app.connect("doctree-resolved", strip_tags)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
