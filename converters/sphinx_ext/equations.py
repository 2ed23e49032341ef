"""Equation numbers as the blog shows them: per page, from (1), `\\tag`s included, row by row.

MathJax with AMS numbering counts the numbered formulas of a page and shows a
`\\tag{…}` instead of the count where one is given (without advancing it).
Sphinx counts every labelled formula of a page; this extension re-numbers
them the MathJax way when a page is read, so the numbers shown and the
numbers `{eq}` references print agree.  The `\\tag` stays in the MyST source
(an author reading the page sees it); it is removed from the formula for
HTML output, where Sphinx prints the number itself, and kept for LaTeX,
where amsmath prints it.

An `align`, `gather`, `eqnarray`, `alignat`, `flalign` or `multline` numbers its
rows one by one (texrows.py has the rules; starred forms only their `\\tag`s).
A Sphinx math block has one label and one number, so such a block gets neither:
each numbered row's `\\label` (written in the TeX by the converter) is
registered with the math domain with the row's number, so `{eq}` links to it
print that number, and becomes an id of the block (an anchor in HTML and EPUB).
Each format then receives the rows with their numbers written out (`row_text`):
MathJax and LaTeX an explicit `\\tag{n}` per row, the EPUB an array with a
column of numbers.  Unnumbered ones (`align*`, …) take the same path, so that no
format wraps an environment in `split`.

A `\\tag`'s text is text, not markup: Sphinx's HTML writers put `node["number"]` into the page as it
is, so the node carries it HTML-escaped, the raw text in `node["tag"]` (sphinx_ext/print_book.py
writes that LaTeX-escaped); the math domain keeps the raw text, which references show as text.
"""

from __future__ import annotations

import hashlib
import re

from docutils import nodes
from sphinx.application import Sphinx

from .. import texrows
from ..escaping import html

TAG = re.compile(r"\\tag\*?\{([^{}]*)\}")
ROWS = "kexue_rows"  # the numbers of a multi-row block's rows (None for a row without one)
ROW_LABELS = "kexue_row_labels"  # their labels (None for a row without one)


def _math_domain(app: Sphinx):
    return app.env.get_domain("math")


def number_equations(app: Sphinx, doctree: nodes.document) -> None:
    domain = _math_domain(app)
    docname = app.env.docname
    counter = 0
    for node in doctree.findall(nodes.math_block):
        env = texrows.parse(node.astext())
        if env is not None:  # numbered or not, its rows are written out for each format
            found, counter = texrows.numbers(env, counter)
            _number_rows(node, env, found, domain, docname)
            continue
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


def shown_tex(text: str) -> str:
    """A one-row display formula as the HTML and EPUB writers get it (Sphinx prints its number)."""
    return TAG.sub("", text)


def _number_rows(node: nodes.math_block, env: texrows.RowEnv, found: list, domain, docname: str) -> None:
    labels = [texrows.marks(row).label if n is not None else None for row, n in zip(env.rows, found)]
    if node.get("label"):  # a block label written by hand (`$$…$$ (label)`): the first numbered row's
        first = next((i for i, n in enumerate(found) if n is not None), None)
        if first is None:  # nothing to number: the label names no number
            domain.equations.pop(node["label"], None)
        else:
            labels[first] = labels[first] or node["label"]
        node["label"] = None
    node["number"] = None
    node["docname"] = docname  # LaTeX names labels by page, in the one document of the whole book
    node[ROWS] = found
    node[ROW_LABELS] = labels
    known = set(node["ids"])  # asked of the list, 100,000 rows took minutes (time square in the rows)
    for label, number in zip(labels, found):
        if label and number is not None:
            domain.equations[label] = (docname, number)
            node_id = nodes.make_id(f"equation-{label}")
            if node_id not in known:
                known.add(node_id)
                node["ids"].append(node_id)


def row_text(node: nodes.math_block, flavour: str, labelled: bool = False) -> str | None:
    """A multi-row block's TeX for one output, its numbers written out; None for other blocks.
    `mathjax`: `\\tag{n}`/`\\notag` per row; `latex`: the same, `eqnarray` as `align` (amsmath
    has no `\\tag` there), and if `labelled` each row's `\\label` as Sphinx's LaTeX writer
    names it; `array`: the rows as an array whose last column holds the numbers (MathML)."""
    if node.get(ROWS) is None:
        return None
    env = texrows.parse(node.astext())
    if env is None:
        return None
    found = node[ROWS]
    if flavour == "array":
        return texrows.numbered_array(env, found)
    if flavour == "latex":
        labels = [latex_label(node, label) if label and labelled else None for label in node[ROW_LABELS]]
        return texrows.tagged(env, found, labels, eqnarray_as_align=True)
    return texrows.tagged(env, found)


def latex_label(node: nodes.math_block, label: str) -> str:
    """The name Sphinx's LaTeX writer gives a formula's label (`{eq}` links print its `\\ref`)."""
    return f"equation:{node['docname']}:{tex_label(label)}"


_SAFE_LABEL = re.compile(r"[A-Za-z0-9_.:/-]+")


def tex_label(label: str) -> str:
    """A formula's label as LaTeX may read it inside `\\label{…}`/`\\ref{…}`: our pages' labels are
    slugs and stay; a hand-written page's label (MyST takes anything up to `)`) is replaced by a hash
    of it, the same for the formula and every reference to it (print_book.latex_formulas)."""
    if _SAFE_LABEL.fullmatch(label):
        return label
    return "x" + hashlib.sha1(label.encode("utf-8")).hexdigest()[:16]


def epub_tex(node: nodes.math_block) -> str:
    """The TeX the EPUB writer turns into MathML (sphinx_ext/epub_book.py collects exactly this
    while pages are read): a multi-row block as an array with its numbers, else `shown_tex`."""
    rows = row_text(node, "array")
    return rows if rows is not None else shown_tex(node.astext())


def formulas_for_output(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """HTML (MathJax) and EPUB: a `\\tag` Sphinx prints itself is taken out of the formula;
    multi-row blocks get their rows' numbers written out.  LaTeX: see print_book.py."""
    if app.builder.format == "latex":
        return
    flavour = "array" if app.builder.name.startswith("epub") else "mathjax"
    for node in doctree.findall(nodes.math_block):
        rows = row_text(node, flavour)
        if rows is not None:
            node.children = [nodes.Text(rows)]
            node["nowrap"] = flavour == "mathjax"  # Sphinx would wrap it in `split`
            continue
        text = node.astext()
        if TAG.search(text):
            stripped = shown_tex(text)
            node.children = []
            node += nodes.Text(stripped)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", number_equations)
    app.connect("doctree-resolved", formulas_for_output)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
