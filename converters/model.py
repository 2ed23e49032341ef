"""The article model every reader produces and the writer consumes.

One typed tree in the middle, as pandoc does it: readers never emit Markdown,
the writer never sees a source format.  Inlines and blocks are small frozen-ish
dataclasses; transforms build new values or mutate articles they own.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass(frozen=True)
class SourcePos:
    """Where something came from: a file and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date whose year may be unknown (archive listings print `9 Dec`)."""

    year: int | None
    month: int
    day: int

    def __post_init__(self) -> None:
        # A date no calendar has (month 13, 30 February) would reach the writers (the month's
        # name in 「引用本文」, the by-line): readers build dates through `checked`.
        if not self.is_valid(self.year, self.month, self.day):
            raise ValueError(f"not a date: {self.year}-{self.month}-{self.day}")

    @staticmethod
    def is_valid(year: int | None, month: int, day: int) -> bool:
        if year is not None and not 1 <= year <= 9999:
            return False
        if not 1 <= month <= 12:
            return False
        # Without a year, 29 February may still be a day of it.
        return 1 <= day <= calendar.monthrange(2000 if year is None else year, month)[1]

    @classmethod
    def checked(cls, year: int | None, month: int, day: int) -> PartialDate | None:
        """The date, or None when it is not one (a reader warns; the article keeps no date)."""
        return cls(year, month, day) if cls.is_valid(year, month, day) else None

    @property
    def complete(self) -> bool:
        return self.year is not None

    def iso(self) -> str:
        """ISO 8601; without a year its truncated form `--12-09`."""
        year = f"{self.year:04d}" if self.year is not None else "-"
        return f"{year}-{self.month:02d}-{self.day:02d}"

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year or 0, self.month, self.day)


# --- inlines -----------------------------------------------------------------


@dataclass
class Text:
    text: str


@dataclass
class Math:
    """Inline TeX, without the surrounding `$`."""

    tex: str


@dataclass
class Code:
    text: str


@dataclass
class Strong:
    children: list[Inline]


@dataclass
class Emph:
    children: list[Inline]


@dataclass
class Link:
    url: str
    children: list[Inline]
    title: str | None = None


@dataclass
class DocRef:
    """A link to another article of the book, by its docname."""

    docname: str
    children: list[Inline]


@dataclass
class EqRef:
    """`\\eqref{label}`: `label` is the source's label until the math transform
    namespaces it; `resolved` tells the writer whether Sphinx will find it."""

    label: str
    resolved: bool = False


@dataclass
class Citation:
    key: str


@dataclass
class LineBreak:
    pass


Inline = Union[Text, Math, Code, Strong, Emph, Link, DocRef, EqRef, Citation, LineBreak]


# --- blocks ------------------------------------------------------------------


@dataclass
class Paragraph:
    inlines: list[Inline]
    pos: SourcePos | None = None


@dataclass
class Heading:
    level: int  # 2.. ; the article title is the page's only level-1 heading
    inlines: list[Inline]
    pos: SourcePos | None = None


@dataclass
class MathRow:
    """One row of a multi-row environment (texrows.py): what the blog numbers it with."""

    label: str | None = None  # the source label, later the namespaced Sphinx label
    tag: str | None = None  # a hand-written `\tag{…}` number
    numbered: bool = False  # the blog shows a number (its count, or its tag)
    number: int | None = None  # filled by the math transform


@dataclass
class MathBlock:
    """Display math.  `numbered` says whether the blog shows a number for it
    (an `equation` environment); `label` is the source label, later the
    namespaced Sphinx label; `number` is filled by the math transform.

    An `align`, `gather`, `eqnarray`, … numbers its rows one by one: then `rows`
    holds them, `tex` keeps each row's `\\label` (and `\\tag`, `\\nonumber`) where
    it was written, and `label`, `tag` and `number` stay empty."""

    tex: str
    numbered: bool = False
    label: str | None = None
    number: int | None = None
    tag: str | None = None  # a hand-written `\tag{…}` number
    pos: SourcePos | None = None
    rows: list[MathRow] | None = None


@dataclass
class CodeBlock:
    text: str
    language: str = ""
    pos: SourcePos | None = None


@dataclass
class Figure:
    """An image; `src` is None when only the caption survived (a placeholder)."""

    caption: list[Inline]
    src: str | None = None
    href: str | None = None
    alt: str = ""
    pos: SourcePos | None = None


@dataclass
class Quote:
    blocks: list[Block]
    pos: SourcePos | None = None


@dataclass
class ListBlock:
    items: list[list[Block]]
    ordered: bool = False
    start: int = 1
    pos: SourcePos | None = None
    tight: bool = True  # no blank lines between items (CommonMark's tight list)


@dataclass
class Table:
    header: list[list[Inline]]
    rows: list[list[list[Inline]]]
    pos: SourcePos | None = None


@dataclass
class Rule:
    pos: SourcePos | None = None


Block = Union[Paragraph, Heading, MathBlock, CodeBlock, Figure, Quote, ListBlock, Table, Rule]


# --- article -----------------------------------------------------------------


@dataclass
class Meta:
    title: str
    author: str = "苏剑林"
    date: PartialDate | None = None
    readers: int | None = None
    url: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    accessed: str | None = None  # ISO date the url was read (biblatex's urldate)
    series: str | None = None  # the chapter key, set by the series transform
    part: int | None = None


@dataclass
class Article:
    meta: Meta
    body: list[Block]
    sources: list[SourcePos]
    excerpt: bool = False  # only the opening of the article is known
    untitled: bool = False  # the title was made from the opening words
    docname: str = ""  # e.g. "vae/8404"; set when the book is laid out
    slug: str = ""  # the page's stable ASCII name, without the chapter folder

    @property
    def pos(self) -> SourcePos:
        return self.sources[0]


# --- traversal ---------------------------------------------------------------


# Where each node type keeps its children: a table, not dataclass reflection, because the
# transforms walk every article several times (reflection was half of the converter's time).
_CHILDREN: dict[type, tuple[str, ...]] = {
    Strong: ("children",), Emph: ("children",), Link: ("children",), DocRef: ("children",),
    Paragraph: ("inlines",), Heading: ("inlines",), Figure: ("caption",), Quote: ("blocks",),
    ListBlock: ("items",), Table: ("header", "rows"), Article: ("body",),
}


def walk(node: object) -> Iterator[object]:
    """Yield `node` and every model node below it, depth first, in order (lists are looked
    into, not yielded).  A node's children are read after it is yielded, so a caller may
    replace them (`rewrite_inlines` does)."""
    stack = [node]
    pop, push, children = stack.pop, stack.append, _CHILDREN.get
    while stack:
        node = pop()
        if type(node) is list:
            stack.extend(reversed(node))
            continue
        yield node
        attrs = children(type(node))
        if attrs is not None:
            for attr in reversed(attrs):
                push(getattr(node, attr))


def rewrite_inlines(blocks: list[Block], rewrite, visit=None) -> None:
    """Replace every inline list of the blocks (paragraphs, headings, captions, table cells)
    by `rewrite(list)`; `rewrite` handles nesting inside inlines (emphasis) itself.  `visit(node)`,
    when given, sees each node first (to follow source positions, say)."""
    for node in walk_blocks(blocks):
        if visit is not None:
            visit(node)
        kind = type(node)
        if kind is Paragraph or kind is Heading:
            node.inlines = rewrite(node.inlines)
        elif kind is Figure:
            node.caption = rewrite(node.caption)
        elif kind is Table:
            node.header = [rewrite(cell) for cell in node.header]
            node.rows = [[rewrite(cell) for cell in row] for row in node.rows]


def walk_blocks(blocks: list[Block]) -> Iterator[Block]:
    """Every block, nested ones (quotes, list items) after their container, in order."""
    for block in blocks:
        yield block
        if type(block) is Quote:
            yield from walk_blocks(block.blocks)
        elif type(block) is ListBlock:
            for item in block.items:
                yield from walk_blocks(item)


def plain_text(inlines: list[Inline]) -> str:
    """The text a reader sees, without markup (math keeps its TeX)."""
    out: list[str] = []
    for node in inlines:
        if isinstance(node, (Text, Code)):
            out.append(node.text)
        elif isinstance(node, Math):
            out.append(f"${node.tex}$")
        elif isinstance(node, (Strong, Emph, Link, DocRef)):
            out.append(plain_text(node.children))
        elif isinstance(node, LineBreak):
            out.append("\n")
    return "".join(out)


def blocks_text(blocks: list[Block]) -> str:
    """The text of blocks as a reader of the source sees it, one block a paragraph: what a page
    shows when its markup cannot be typeset (math keeps its TeX, figures their address)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, (Paragraph, Heading)):
            prefix = "#" * block.level + " " if isinstance(block, Heading) else ""
            out.append(prefix + plain_text(block.inlines))
        elif isinstance(block, MathBlock):
            out.append(f"$${block.tex}$$")
        elif isinstance(block, CodeBlock):
            out.append(block.text)
        elif isinstance(block, Figure):
            out.append(" ".join(t for t in ("［图］", block.src or "", plain_text(block.caption)) if t))
        elif isinstance(block, Quote):
            out.append("\n".join("> " + line for line in blocks_text(block.blocks).split("\n")))
        elif isinstance(block, ListBlock):
            out.extend(("- " if not block.ordered else f"{block.start + k}. ") + blocks_text(item)
                       for k, item in enumerate(block.items))
        elif isinstance(block, Table):
            out.extend(" | ".join(plain_text(cell) for cell in row) for row in [block.header, *block.rows])
        elif isinstance(block, Rule):
            out.append("----")
    return "\n\n".join(out)


def body_size(blocks: list[Block]) -> int:
    """A rough measure of how much an article says, used to pick the fuller copy."""
    size = 0
    for node in walk(blocks):
        if isinstance(node, (Text, Code, CodeBlock)):
            size += len(node.text)
        elif isinstance(node, (Math, MathBlock)):
            size += len(node.tex)
        elif isinstance(node, Figure):
            size += 1
    return size


@dataclass
class Chapter:
    key: str  # the series name (or the misc chapter's key)
    title: str
    slug: str  # the chapter's folder under book/
    intro: str = ""
    articles: list[Article] = field(default_factory=list)
    auto: bool = False  # found from titles rather than configured
    patterns: tuple[str, ...] = ()  # what made it a series: the title patterns that matched, or "configured"
    part: str | None = None  # the part of the book (a blog category) in a book of many series


@dataclass
class Book:
    chapters: list[Chapter]
    # The cited works (transforms.citations.Registry); the model does not depend on that module.
    works: object = None

    @property
    def articles(self) -> list[Article]:
        return [a for chapter in self.chapters for a in chapter.articles]
