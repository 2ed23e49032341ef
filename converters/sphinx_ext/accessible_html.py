"""Roles in the HTML that assistive technology understands (checked by axe-core in
tests/test_accessibility.py).

docutils writes the bibliography as `<div role="list">` holding `<div role="doc-biblioentry">`
entries.  ARIA 1.3 deprecated `doc-biblioentry`, so a browser's accessibility tree and axe see a
list whose children are not list items but the entries' links (axe's critical
`aria-required-children`, and `aria-deprecated-role` on every entry).  The entries are written
as list items; everything else docutils writes stays as it is.

Printing a page gives formulas whole: `static/kexue-print.js` notes each display formula's
natural width, which the print stylesheet (`_static/kexue-book.css`) uses to fit a wide formula
to the paper instead of cutting it at the edge of its scroll box.
"""

from __future__ import annotations

from docutils import nodes
from docutils.writers.html5_polyglot import HTMLTranslator
from sphinx.application import Sphinx

from . import serve_static

PRINT_SCRIPT = "kexue-print.js"


def visit_citation(self, node: nodes.citation) -> None:
    if not isinstance(node.previous_sibling(), nodes.citation):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def add_print_script(app: Sphinx) -> None:
    if serve_static(app):
        app.add_js_file(PRINT_SCRIPT, loading_method="defer")


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", add_print_script)
    app.add_node(nodes.citation, override=True, html=(visit_citation, HTMLTranslator.depart_citation))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
