"""Equation numbers and labels, per article, exactly as the blog shows them.

Every formula the blog numbers gets a Sphinx label (its own `\\label`, or a
generated one), namespaced by the page so that labels never collide across
the book; Sphinx then numbers the labelled formulas of each page from (1) in
order, which is the blog's numbering.  `\\eqref`s are resolved against the
article's own labels.
"""

from __future__ import annotations

import re

from ..diagnostics import Code, Reporter
from ..model import Article, EqRef, MathBlock, SourcePos, walk


def _sanitize(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-") or "x"


def number_equations(article: Article, reporter: Reporter) -> dict[str, str]:
    """Number and label the article's formulas; return source label → Sphinx label."""
    labels: dict[str, str] = {}
    used: set[str] = set()
    number = 0
    for node in walk(article.body):
        if not isinstance(node, MathBlock):
            continue
        source_label = node.label
        if not node.numbered:
            if source_label:
                reporter.warn(Code.UNKNOWN_LABEL,
                              f"label '{source_label}' sits on an unnumbered formula; it cannot be referenced",
                              node.pos)
            node.label = None
            continue
        number += 1
        node.number = number
        local = _sanitize(source_label) if source_label else f"eq{number}"
        if source_label and source_label in labels:
            reporter.warn(Code.DUPLICATE_LABEL, f"label '{source_label}' is defined twice in this article; "
                          f"references go to the first", node.pos)
            local = f"eq{number}"
        sphinx_label = f"{article.slug}-{local}"
        while sphinx_label in used:
            sphinx_label += "x"
        used.add(sphinx_label)
        node.label = sphinx_label
        if source_label and source_label not in labels:
            labels[source_label] = sphinx_label
    return labels


def resolve_eqrefs(article: Article, labels: dict[str, str], reporter: Reporter) -> None:
    pos: SourcePos | None = article.pos
    for node in walk(article.body):
        block_pos = getattr(node, "pos", None)
        if isinstance(block_pos, SourcePos):
            pos = block_pos
        if isinstance(node, EqRef) and not node.resolved:
            if node.label in labels:
                node.label, node.resolved = labels[node.label], True
            else:
                reporter.warn(Code.UNKNOWN_LABEL,
                              f"\\eqref{{{node.label}}} names no numbered formula of this article", pos)


def apply_math(articles: list[Article], reporter: Reporter) -> None:
    for article in articles:
        resolve_eqrefs(article, number_equations(article, reporter), reporter)
