"""Roles in the HTML that assistive technology understands (checked by axe-core in
tests/test_accessibility.py).

docutils writes the bibliography as `<div role="list">` holding `<div role="doc-biblioentry">`
entries.  ARIA 1.3 deprecated `doc-biblioentry`, so a browser's accessibility tree and axe see a
list whose children are not list items but the entries' links (axe's critical
`aria-required-children`, and `aria-deprecated-role` on every entry).  The entries are written
as list items; everything else docutils writes stays as it is.
"""

from __future__ import annotations

from docutils import nodes
from docutils.writers.html5_polyglot import HTMLTranslator
from sphinx.application import Sphinx


def visit_citation(self, node: nodes.citation) -> None:
    if not isinstance(node.previous_sibling(), nodes.citation):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def setup(app: Sphinx) -> dict:
    app.add_node(nodes.citation, override=True, html=(visit_citation, HTMLTranslator.depart_citation))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
