"""Equation numbers and labels, per article, exactly as the blog shows them.

Every formula the blog numbers gets a Sphinx label (its own `\\label`, or a
generated one), namespaced by the page so that labels never collide across
the book.  The numbers themselves are given when Sphinx reads the page
(sphinx_ext/equations.py): the page's count from (1), or the formula's
`\\tag`.  `\\eqref`s are resolved against the article's own labels, and
`$(8)$` in the prose becomes a link when (8) is a hand-written tag.
"""

from __future__ import annotations

import re

from ..diagnostics import Code, Reporter
from ..model import Article, Emph, EqRef, Math, MathBlock, SourcePos, Strong, rewrite_inlines, walk, walk_blocks


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
    for node in walk_blocks(article.body):  # formulas are blocks: no need to look into the text
        if not isinstance(node, MathBlock):
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
            key = label_key(node.label)
            if key in labels:
                node.label, node.resolved = labels[key], True
            else:
                reporter.warn(Code.UNKNOWN_LABEL,
                              f"\\eqref{{{node.label}}} names no numbered formula of this article", pos)


_CITED_NUMBER = re.compile(r"^\s*\(\s*([^()]+?)\s*\)\s*$")


def link_tag_citations(article: Article) -> None:
    """The prose cites a hand-numbered formula as `$(8)$式`: that becomes a link to formula (8)."""
    by_tag = {node.tag.strip(): node.label for node in walk_blocks(article.body)
              if isinstance(node, MathBlock) and node.tag and node.label}
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
