"""Figures as the blog writes them, shared by the readers of Markdown and of HTML.

The blog shows an image as a link to the full-size file (`title="点击查看原图"`) around the
image, alone in its paragraph, and the caption as the next paragraph repeating the image's
alt text.  Readers first turn an image into an inline placeholder link (`image_inline`);
`join_figures` then makes each image paragraph, with its caption, one Figure — so that the
same figure read from Markdown or from a web page is the same node.
"""

from __future__ import annotations

import re

from ..model import Block, Figure, Link, Paragraph, Text, plain_text

_IMAGE_MARK = "［图："
_IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp)(\?|$)", re.I)


def image_inline(src: str, alt: str) -> Link:
    """An image met among inlines: a link to it whose text names it (the text a reader keeps
    when the image is not a figure of its own)."""
    return Link(src, [Text(f"{_IMAGE_MARK}{alt or '图'}］")])


def join_figures(blocks: list[Block]) -> list[Block]:
    """`[![alt](src)](href "点击查看原图")` + a caption paragraph repeating alt → one figure."""
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        figure = as_figure(blocks[i])
        if figure is None:
            out.append(blocks[i])
            i += 1
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(nxt, Paragraph) and as_figure(nxt) is None and \
                same_caption(plain_text(nxt.inlines), figure.alt):
            figure.caption = nxt.inlines
            i += 1
        out.append(figure)
        i += 1
    return out


def _visible(nodes: list) -> list:
    return [n for n in nodes if not (isinstance(n, Text) and not n.text.strip())]


def as_figure(block: Block) -> Figure | None:
    """The figure a paragraph holding only an image (perhaps inside a link) is, else None."""
    if not isinstance(block, Paragraph):
        return None
    nodes = _visible(block.inlines)
    if len(nodes) != 1 or not isinstance(nodes[0], Link):
        return None
    link = nodes[0]
    inner = _visible(link.children)
    if len(inner) == 1 and isinstance(inner[0], Link) and inner[0].children and \
            isinstance(inner[0].children[0], Text) and inner[0].children[0].text.startswith(_IMAGE_MARK):
        image, href = inner[0], link.url
    elif len(inner) == 1 and isinstance(inner[0], Text) and inner[0].text.startswith(_IMAGE_MARK) and \
            _IMAGE_FILE.search(link.url):
        image, href = link, None
    else:
        return None
    alt = image.children[0].text[len(_IMAGE_MARK):-1] if isinstance(image.children[0], Text) else ""
    return Figure([Text(alt)] if alt and alt != "图" else [], image.url, href, alt, block.pos)


def same_caption(text: str, alt: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\s+", "", s)
    return bool(alt) and norm(text) == norm(alt)
