"""Nesting the book's pages can hold: deeper quotes, lists and emphasis flattened, text kept.

MyST reads a page with markdown-it, which stops at 20 levels of nesting and drops whatever lies
deeper without a word (a quote is one level, a list two: the list and its item; emphasis inside
emphasis one each).  A source may nest deeper (an HTML page up to the readers' own limit), so an
article's quotes and lists deeper than `MAX_BLOCK_LEVELS` are replaced by the blocks they hold,
and emphasis deeper than `MAX_INLINE_LEVELS` by its text: every word stays, with one warning
per article naming where the nesting went too deep.
"""

from __future__ import annotations

from ..diagnostics import Code, Reporter
from ..model import Article, Block, Emph, Figure, Heading, Link, ListBlock, Paragraph, Quote, SourcePos, Strong, Table

MAX_BLOCK_LEVELS = 16  # below markdown-it's 20, leaving room for a paragraph and its emphasis
MAX_INLINE_LEVELS = 8  # emphasis in emphasis in … (markdown-it's inline limit is 20 too)


def flatten_deep_nesting(articles: list[Article], reporter: Reporter) -> list[Article]:
    for article in articles:
        found: list[SourcePos | None] = []
        article.body = _blocks(article.body, 0, found)
        if found:
            where = next((p for p in found if p is not None), article.pos)
            reporter.warn(Code.NESTING_FLATTENED, f"《{article.meta.title}》 nests quotes, lists or emphasis deeper "
                          "than a page of the book holds: the deeper ones are flattened, their text kept", where)
    return articles


def _blocks(blocks: list[Block], level: int, found: list) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Quote):
            if level + 1 > MAX_BLOCK_LEVELS:
                found.append(block.pos)
                out.extend(_blocks(block.blocks, level, found))
                continue
            block.blocks = _blocks(block.blocks, level + 1, found)
        elif isinstance(block, ListBlock):
            if level + 2 > MAX_BLOCK_LEVELS:
                found.append(block.pos)
                out.extend(b for item in block.items for b in _blocks(item, level, found))
                continue
            block.items = [_blocks(item, level + 2, found) for item in block.items]
        elif isinstance(block, (Paragraph, Heading)):
            block.inlines = _inlines(block.inlines, 0, found, getattr(block, "pos", None))
        elif isinstance(block, Figure):
            block.caption = _inlines(block.caption, 0, found, block.pos)
        elif isinstance(block, Table):
            block.header = [_inlines(cell, 0, found, block.pos) for cell in block.header]
            block.rows = [[_inlines(cell, 0, found, block.pos) for cell in row] for row in block.rows]
        out.append(block)
    return out


def _inlines(inlines: list, level: int, found: list, pos: SourcePos | None) -> list:
    out: list = []
    for node in inlines:
        if isinstance(node, (Strong, Emph, Link)):
            if level + 1 > MAX_INLINE_LEVELS and not isinstance(node, Link):
                found.append(pos)
                out.extend(_inlines(node.children, level, found, pos))
                continue
            node.children = _inlines(node.children, level + 1, found, pos)
        out.append(node)
    return out
