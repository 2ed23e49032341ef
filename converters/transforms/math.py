"""Equation numbers and labels, per article, exactly as the blog shows them.

Every formula the blog numbers gets a Sphinx label (its own `\\label`, or a
generated one), namespaced by the page so that labels never collide across
the book.  The numbers themselves are given when Sphinx reads the page
(sphinx_ext/equations.py): the page's count from (1), or the formula's
`\\tag`.  `\\eqref`s are resolved against the article's own labels, and
`$(8)$` in the prose becomes a link when (8) is a hand-written tag.

The rows of an `align`, `gather`, `eqnarray`, … are numbered one by one, as the
blog's MathJax numbers them (texrows.py); each numbered row gets a label of its
own, written as the row's `\\label` (Sphinx's math blocks carry one label; the
extension reads the rows' labels from the TeX).
"""

from __future__ import annotations

import re

from .. import texrows
from ..diagnostics import Code, Reporter
from ..model import Article, Emph, EqRef, Math, MathBlock, SourcePos, Strong, rewrite_inlines, walk, walk_blocks
from ..readers.texmath import rows_of


def label_key(label: str) -> str:
    """Labels compare without blanks: `eq: ori-loss-ali` is the label `eq:ori-loss-ali`."""
    return re.sub(r"\s+", "", label)


def _sanitize(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-") or "x"


def number_equations(article: Article, reporter: Reporter) -> dict[str, str]:
    """Number and label the article's formulas; return source label → Sphinx label."""
    labels: dict[str, str] = {}
    used: set[str] = set()
    number = 0

    def name(source_label: str | None, local: str, shown: int | str, pos: SourcePos | None) -> str:
        """The Sphinx label of a numbered formula or row, unique in the book."""
        if source_label and source_label in labels:
            reporter.warn(Code.DUPLICATE_LABEL, f"label '{source_label}' is defined twice in this article; "
                          f"references go to the first", pos)
            local = "eq" + _sanitize(str(shown))
        sphinx_label = f"{article.slug}-{local}"
        while sphinx_label in used:
            sphinx_label += "x"
        used.add(sphinx_label)
        if source_label and source_label not in labels:
            labels[source_label] = sphinx_label
        return sphinx_label

    for node in walk_blocks(article.body):  # formulas are blocks: no need to look into the text
        if not isinstance(node, MathBlock):
            continue
        if node.rows is not None:
            number = _number_rows(node, number, name, reporter)
            continue
        source_label = label_key(node.label) if node.label else None
        if not node.numbered:
            if source_label:
                reporter.warn(Code.UNKNOWN_LABEL,
                              f"label '{source_label}' sits on an unnumbered formula; it cannot be referenced",
                              node.pos)
            node.label = None
            continue
        if node.tag is None:  # a \tag shows its own number and does not advance the count
            number += 1
            node.number = number
        local = _sanitize(source_label) if source_label else (f"eq{number}" if node.tag is None
                                                              else f"tag-{_sanitize(node.tag)}")
        node.label = name(source_label, local, number, node.pos)
    return labels


def _number_rows(node: MathBlock, number: int, name, reporter: Reporter) -> int:
    """Number the rows of a multi-row environment from `number` on; label each numbered row
    (its own label, namespaced, or a generated one) in the TeX; return the count after it."""
    env = texrows.parse(node.tex)
    rows = rows_of(node.tex)  # read again: a macro expanded since the reader may have added rows
    if env is None or rows is None:  # no longer one environment that numbers its rows
        node.rows = None
        node.numbered = False
        node.tex = texrows.LABEL.sub("", node.tex)
        return number
    found, after = texrows.numbers(env, number)
    written: list[str | None] = []
    for row, shown in zip(rows, found):
        source_label = label_key(row.label) if row.label else None
        if shown is None:
            if source_label:
                reporter.warn(Code.UNKNOWN_LABEL, f"label '{source_label}' sits on an unnumbered row of a "
                              f"formula; it cannot be referenced", node.pos)
            row.label = None
            written.append(None)
            continue
        row.number = shown if isinstance(shown, int) else None
        local = _sanitize(source_label) if source_label else (f"eq{shown}" if row.tag is None
                                                              else f"tag-{_sanitize(row.tag)}")
        row.label = name(source_label, local, shown, node.pos)
        written.append(row.label)
    node.tex = texrows.with_labels(env, written)
    node.rows = rows
    return after


def resolve_eqrefs(article: Article, labels: dict[str, str], reporter: Reporter) -> None:
    pos: SourcePos | None = article.pos
    for node in walk(article.body):
        block_pos = getattr(node, "pos", None)
        if isinstance(block_pos, SourcePos):
            pos = block_pos
        if isinstance(node, EqRef) and not node.resolved:
            key = label_key(node.label)
            if key in labels:
                node.label, node.resolved = labels[key], True
            else:
                reporter.warn(Code.UNKNOWN_LABEL,
                              f"\\eqref{{{node.label}}} names no numbered formula of this article", pos)


_CITED_NUMBER = re.compile(r"^\s*\(\s*([^()]+?)\s*\)\s*$")


def link_tag_citations(article: Article) -> None:
    """The prose cites a hand-numbered formula as `$(8)$式`: that becomes a link to formula (8)."""
    by_tag = {}
    for node in walk_blocks(article.body):
        if isinstance(node, MathBlock):
            for row in node.rows or [node]:
                if row.tag and row.label:
                    by_tag[row.tag.strip()] = row.label
    if not by_tag:
        return

    def rewrite(inlines: list) -> list:
        out = []
        for node in inlines:
            m = _CITED_NUMBER.match(node.tex) if isinstance(node, Math) else None
            if m and m.group(1) in by_tag:
                out.append(EqRef(by_tag[m.group(1)], resolved=True))
            else:
                if isinstance(node, (Strong, Emph)):
                    node.children = rewrite(node.children)
                out.append(node)
        return out

    rewrite_inlines(article.body, rewrite)


def apply_math(articles: list[Article], reporter: Reporter) -> None:
    for article in articles:
        resolve_eqrefs(article, number_equations(article, reporter), reporter)
        link_tag_citations(article)
