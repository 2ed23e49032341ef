"""Article bodies written in HTML (the blog's pages, its feed) → the article model.

The blog sends its formulas to the browser as TeX text: `$…$`, `$$…$$` and
`\\begin{equation}…\\end{equation}` stand in the paragraphs and MathJax typesets them there.
So text is read as the Markdown reader reads it (same math, same `\\eqref`s, same paragraph
splits around display math, same figures), and the two give the same article.  A page saved
after MathJax ran keeps the TeX in `<script type="math/tex">` (MathJax 2) or in an
`<annotation encoding="application/x-tex">` (MathJax 3, KaTeX): the TeX is read from there and
the rendered glyphs around it are never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from ..diagnostics import Code, Reporter
from ..model import (Block, CodeBlock, Emph, Figure, Heading, Inline, LineBreak, Link, ListBlock, Math,
                     MathBlock, Paragraph, Quote, Rule, SourcePos, Strong, Table, Text)
from ..model import Code as InlineCode
from .html_depth import parse_html
from .figures import as_figure, image_inline, join_figures
from .markdown import looks_like_python
from .mdit_cjk import is_cjk
from .plain_inlines import math_or_refs, text_with_eqrefs
from .texmath import DisplayTeX, display_block, split_environments
from ..textutil import LINE_END, one_line

# Elements that hold blocks; any other element inside a paragraph is read as inline content.
# An element named nowhere here is read for its text (a form's labels, a custom element's words).
_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "aside", "center", "address", "details",
           "summary", "form", "fieldset", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
           "blockquote", "ul", "ol", "dl", "dt", "dd", "table", "hr", "li"}
# The page's machinery, never text: left out without a word (their text is code or settings).
_MACHINERY = {"style", "head", "title", "meta", "link", "base", "colgroup", "col", "input", "param", "source",
              "track"}
# What a browser does not show (or shows instead of text): left out, with a warning when they
# hold text, so that nothing goes in silence.
_NOT_SHOWN = {"noscript", "template", "nav", "canvas"}
# MathJax's rendering of a formula (its glyphs, previews, assistive copies, frames): never text;
# the formula is read from the TeX MathJax keeps beside it.
MATHJAX_OUTPUT_CLASS_PREFIXES = ("MathJax", "MJX", "mjx")
_MATHJAX_OUTPUT_ID = re.compile(r"^MathJax-(?:Element-\d+-Frame|Span-\d+)$")
_EMBEDS = {"iframe", "video", "audio", "embed", "object"}
_CODE = {"code", "tt", "kbd", "samp"}
_TEX_ENCODINGS = ("application/x-tex", "text/x-tex", "tex")
_LANGUAGE = re.compile(r"^(?:language|lang)-([A-Za-z0-9_+#.-]+)$")
_SPACE_RUN = re.compile(r"[ \t\r\n\f\v\x1c-\x1e\x85\u2028\u2029]+")


def parse_fragment(markup: str) -> etree._Element:
    """An HTML fragment (a feed item's body) as one `<div>` element (flattened when nested
    deeper than the readers hold: `parse_html` says where)."""
    return parse_html(markup, fragment=True)[0]


def _classes(el: etree._Element) -> list[str]:
    return (el.get("class") or "").split()


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _is_mathjax_output(el: etree._Element) -> bool:
    """MathJax's rendering of a formula (its glyphs, previews, assistive copies)."""
    return _tag(el).startswith("mjx-") or any(c.startswith(MATHJAX_OUTPUT_CLASS_PREFIXES) for c in _classes(el)) \
        or bool(_MATHJAX_OUTPUT_ID.match(el.get("id") or ""))


def _annotated_tex(el: etree._Element) -> str | None:
    for node in el.iter():
        if _tag(node) == "annotation" and (node.get("encoding") or "").lower() in _TEX_ENCODINGS:
            return node.text_content() if hasattr(node, "text_content") else "".join(node.itertext())
    return None


@dataclass
class BodyContext:
    """Where a body comes from: the file shown in messages, the line its markup starts on,
    and the address relative links and images are read against."""

    shown: str
    line_offset: int = 0
    base_url: str | None = None


class HtmlBody:
    def __init__(self, ctx: BodyContext, reporter: Reporter):
        self.ctx = ctx
        self.reporter = reporter
        self.current = SourcePos(ctx.shown, 1 + ctx.line_offset)
        self.heading_shift = 0
        self.last_level = 1  # the title

    def convert(self, root: etree._Element) -> list[Block]:
        # `#` sections become `##`: the title is the page's only H1 (as in the Markdown reader).
        self.heading_shift = 1 if any(_tag(h) == "h1" for h in root.iter()) else 0
        return join_figures(self.blocks_of(root))

    def pos(self, el: etree._Element) -> SourcePos:
        if el.sourceline:
            self.current = SourcePos(self.ctx.shown, el.sourceline + self.ctx.line_offset)
        return self.current

    def url(self, value: str | None) -> str:
        value = (value or "").strip()
        if self.ctx.base_url and value and not value.startswith("#"):
            try:
                return urljoin(self.ctx.base_url, value)
            except ValueError:  # an address that does not parse stays as written; safety decides
                return value
        return value

    # --- blocks ------------------------------------------------------------------

    def blocks_of(self, el: etree._Element) -> list[Block]:
        """The blocks inside `el`: block children as blocks, runs of inline content between
        them as paragraphs."""
        out: list[Block] = []
        run: list = []
        pos = self.pos(el)

        def flush() -> None:
            nonlocal run
            out.extend(self.paragraphs(run, pos))
            run = []

        if el.text:
            run.append(el.text)
        for child in el:
            tag = _tag(child)
            if tag and tag in _BLOCKS and not self._is_math(child) and not _is_mathjax_output(child):
                flush()
                out.extend(self.block(child))
                pos = self.current
            else:
                run.extend(self.inline_items(child))
            if child.tail:
                run.append(child.tail)
        flush()
        return out

    def block(self, el: etree._Element) -> list[Block]:
        tag, pos = _tag(el), self.pos(el)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = min(max(2, int(tag[1]) + self.heading_shift), self.last_level + 1, 6)
            self.last_level = level
            return [Heading(level, self.inlines_only(self.content_items(el)), pos)]
        if tag == "pre":
            return [self.code_block(el, pos)]
        if tag == "blockquote":
            return [Quote(join_figures(self.blocks_of(el)), pos)]
        if tag in ("ul", "ol"):
            return [self.list_block(el, pos)]
        if tag == "table":
            return self.table(el, pos)
        if tag == "hr":
            return [Rule(pos)]
        if tag == "figure":
            figure = self.figure(el, pos)
            if figure is not None:
                return [figure]
        return self.blocks_of(el)

    def code_block(self, el: etree._Element, pos: SourcePos) -> CodeBlock:
        text = el.text_content().rstrip("\n")
        language = ""
        for node in (el, *el.iter("code")):
            for cls in _classes(node):
                m = _LANGUAGE.match(cls)
                if m:
                    language = m.group(1)
        if not language and looks_like_python(text):
            language = "python"
        return CodeBlock(text, language, pos)

    def list_block(self, el: etree._Element, pos: SourcePos) -> ListBlock:
        items = []
        for part in _list_parts(el):
            blocks = join_figures(self.blocks_of(part))
            if blocks or _tag(part) == "li":  # text or elements outside an <li> are an item of their own
                items.append(blocks)
        ordered = _tag(el) == "ol"
        try:
            start = int(el.get("start", "1")) if ordered else 1
        except ValueError:
            start = 1
        # A loose list (blank lines between items in Markdown) wraps its items in <p>.
        tight = not any(_tag(child) == "p" for li in el if _tag(li) == "li" for child in li)
        return ListBlock(items, ordered=ordered, start=start, pos=pos, tight=tight)

    def table(self, el: etree._Element, pos: SourcePos) -> list[Block]:
        """The table, its caption and anything else written in it outside the cells (as
        paragraphs after it: a browser shows that text too)."""
        header: list[list[Inline]] = []
        rows: list[list[list[Inline]]] = []
        around: list[Block] = []
        for caption in el.iter("caption"):
            around.extend(self.paragraphs(self.content_items(caption), pos))
        stray = _stray_text(el)
        if stray.strip():
            around.extend(self.paragraphs([stray], pos))
        for tr in el.iter("tr"):
            cells = [self.inlines_only(self.content_items(cell)) for cell in tr if _tag(cell) in ("td", "th")]
            in_head = _tag(tr.getparent()) == "thead"
            if not header and not rows and (in_head or all(_tag(c) == "th" for c in tr if _tag(c) in ("td", "th"))):
                header = cells
            else:
                rows.append(cells)
        return [Table(header, rows, pos), *around]

    def figure(self, el: etree._Element, pos: SourcePos) -> Figure | None:
        """`<figure><img><figcaption>…</figcaption></figure>` (an `<a>` around the image or not)."""
        images = list(el.iter("img"))
        if len(images) != 1:
            return None
        captions_text = "".join("".join(c.itertext()) for c in el if _tag(c) == "figcaption")
        if " ".join("".join(el.itertext()).split()) != " ".join(captions_text.split()):
            return None  # more than an image and its caption: read as blocks, nothing left out
        img = images[0]
        link = img.getparent() if _tag(img.getparent()) == "a" else None
        captions = [c for c in el if _tag(c) == "figcaption"]
        caption = self.inlines_only(self.content_items(captions[0])) if captions else []
        alt = " ".join((img.get("alt") or "").split())
        return Figure(caption or ([Text(alt)] if alt else []), self.url(img.get("src")),
                      self.url(link.get("href")) if link is not None and link.get("href") else None, alt, pos)

    def _left_out(self, el: etree._Element, why: str) -> None:
        """A warning for an element left out that holds text (one without text is no loss)."""
        if " ".join("".join(el.itertext()).split()):
            self.reporter.warn(Code.CONTENT_LEFT_OUT, f"{why}; its text is left out{_quoted(el)}", self.pos(el))

    # --- inlines -----------------------------------------------------------------

    def _is_math(self, el: etree._Element) -> bool:
        tag = _tag(el)
        return (tag == "script" and (el.get("type") or "").lower().startswith("math/tex")) or \
            tag in ("math", "mjx-container") or "katex" in _classes(el) or "katex-display" in _classes(el)

    def math(self, el: etree._Element) -> list:
        tag = _tag(el)
        if tag == "script":
            tex = el.text or ""
            display = "mode=display" in (el.get("type") or "").replace(" ", "").lower()
        else:
            found = _annotated_tex(el)
            display = el.get("display") in ("true", "block") or "katex-display" in _classes(el) or \
                any(m.get("display") == "block" for m in el.iter("math"))
            if found is None:
                self.reporter.warn(Code.UNREADABLE, "a formula saved as MathJax/MathML output without its TeX; "
                                   "kept as its text", self.current)
                text = "".join(el.itertext()).strip()
                return [Text(text)] if text else []
            tex = found
        if display:
            return [DisplayTeX(tex)]
        return math_or_refs(tex.strip())

    def content_items(self, el: etree._Element) -> list:
        """The inline items inside an element: its text, its children, their tails."""
        items: list = [el.text] if el.text else []
        for child in el:
            items.extend(self.inline_items(child))
            if child.tail:
                items.append(child.tail)
        return items

    def inline_items(self, el: etree._Element) -> list:
        """One element met inside a paragraph: strings stay raw (their TeX is read later,
        across neighbouring text), everything else becomes model nodes."""
        tag = _tag(el)
        if not tag:  # a comment or processing instruction
            return []
        if self._is_math(el):
            self.pos(el)
            return self.math(el)
        if tag == "script" or tag in _MACHINERY or _is_mathjax_output(el):
            return []
        if tag in _NOT_SHOWN:
            self._left_out(el, f"<{tag}> is not shown by a browser")
            return []
        if tag == "br":
            return [LineBreak()]
        if tag == "img":
            return [image_inline(self.url(el.get("src")), " ".join((el.get("alt") or "").split()))]
        if tag in _EMBEDS:
            src = el.get("src") or el.get("data") or next((s.get("src") for s in el.iter("source") if s.get("src")), "")
            self.reporter.warn(Code.UNREADABLE, f"an embedded <{tag}> is kept as a link to it", self.pos(el))
            return [Link(self.url(src), [Text(f"［嵌入内容：{tag}］")])] if src else []
        if tag in _CODE:
            # A browser shows the line breaks of inline code as spaces; the model holds none.
            return [InlineCode(one_line(_code_text(el)))]
        if tag in ("strong", "b"):
            return [Strong(self.inlines_only(self.content_items(el)))]
        if tag in ("em", "i"):
            return [Emph(self.inlines_only(self.content_items(el)))]
        if tag == "a" and el.get("href"):
            return [Link(self.url(el.get("href")), self.inlines_only(self.content_items(el)),
                         " ".join((el.get("title") or "").split()) or None)]
        if tag == "svg":
            self.reporter.warn(Code.CONTENT_LEFT_OUT, "an inline <svg> drawing is not kept"
                               + _quoted(el), self.pos(el))
            return []
        return self.content_items(el)  # span, sup, font, a without href…: their content

    def inlines(self, items: list) -> list:
        """Raw items → inlines and DisplayTeX: adjacent strings are joined, then read as text."""
        out: list = []
        buffer: list[str] = []
        for item in items:
            if isinstance(item, str):
                buffer.append(item)
                continue
            if buffer:
                out.extend(self.text("".join(buffer)))
                buffer = []
            out.append(item)
        if buffer:
            out.extend(self.text("".join(buffer)))
        return out

    def inlines_only(self, items: list) -> list[Inline]:
        """Inlines of a heading, link, emphasis or cell: display math there is inline math."""
        return [Math(n.tex) if isinstance(n, DisplayTeX) else n for n in self.inlines(items)]

    # --- text as MathJax reads it --------------------------------------------------

    def text(self, raw: str) -> list:
        """Text with its TeX: `$$…$$` and environments are display math, `$…$` inline math,
        `\\$` a dollar sign, `\\eqref{…}` outside math a reference."""
        out: list = []
        i, start, n = 0, 0, len(raw)
        while i < n:
            ch = raw[i]
            if ch == "\\":
                i += 2
                continue
            if ch == "$":
                double = raw.startswith("$$", i)
                close = self._closing_dollar(raw, i + (2 if double else 1), double)
                if close is not None and close > i + (2 if double else 1):
                    out.extend(self._plain(raw[start:i]))
                    inner = raw[i + (2 if double else 1):close]
                    out.extend([DisplayTeX(inner)] if double else math_or_refs(inner))
                    i = start = close + (2 if double else 1)
                    continue
            i += 1
        out.extend(self._plain(raw[start:]))
        return out

    @staticmethod
    def _closing_dollar(raw: str, i: int, double: bool) -> int | None:
        while i < len(raw):
            if raw[i] == "\\":
                i += 2
                continue
            if raw[i] == "$" and (not double or raw.startswith("$$", i)):
                return i
            i += 1
        return None

    def _plain(self, text: str) -> list:
        """Text outside `$`: environments, `\\eqref`s, and whitespace as a browser shows it."""
        return split_environments(text, self._refs)

    def _refs(self, text: str) -> list[Inline]:
        if re.search(r"(?<!\\)\$", text):
            self.reporter.warn(Code.UNBALANCED_DOLLAR,
                               "unbalanced '$' in text; the unmatched part is kept as literal text", self.current)
        return text_with_eqrefs(_collapse_space(text.replace("\\$", "$")))

    # --- paragraphs ----------------------------------------------------------------

    def paragraphs(self, items: list, pos: SourcePos) -> list[Block]:
        """A run of inline content: paragraphs, split where display math stands in it."""
        out: list[Block] = []
        run: list[Inline] = []
        for item in self.inlines(items):
            if isinstance(item, DisplayTeX):
                _emit(out, run, pos)
                run = []
                out.append(self.math_block(item.tex, pos))
            else:
                run.append(item)
        _emit(out, run, pos)
        return out

    def math_block(self, tex: str, pos: SourcePos) -> MathBlock:
        return display_block(tex, pos, self.reporter)


def _quoted(el: etree._Element) -> str:
    text = " ".join("".join(el.itertext()).split())
    return f": '{text[:40]}{'…' if len(text) > 40 else ''}'" if text else ""


def _stray_text(table: etree._Element) -> str:
    """The text of a table outside its cells and caption (a browser shows it above the table)."""
    inside = {id(n) for c in table.iter("td", "th", "caption") for n in c.iter()}
    parts = [table.text or ""]
    for n in table.iterdescendants():
        if id(n) not in inside and isinstance(n.tag, str) and _tag(n) not in _MACHINERY and _tag(n) != "script":
            parts.append(n.text or "")
        if id(n.getparent()) not in inside:
            parts.append(n.tail or "")
    return "".join(parts)


def _list_parts(el: etree._Element) -> list[etree._Element]:
    """A list's items: its `<li>`s, and the runs of anything else in it (text, other elements)
    each wrapped in an element of its own, so that no word outside an `<li>` is lost."""
    parts: list[etree._Element] = []
    loose: etree._Element | None = None

    def add_loose(node=None, text: str | None = None) -> None:
        nonlocal loose
        if loose is None:
            loose = el.makeelement("div", {})  # an element of the page's own kind (lxml.html)
            parts.append(loose)
        if node is not None:
            loose.append(node)  # moves it (its tail with it)
        elif text:
            if len(loose):
                loose[-1].tail = (loose[-1].tail or "") + text
            else:
                loose.text = (loose.text or "") + text

    if el.text and el.text.strip():
        add_loose(text=el.text)
    for child in list(el):
        if _tag(child) == "li":
            tail = child.tail
            parts.append(child)
            loose = None
            if tail and tail.strip():
                add_loose(text=tail)
        elif isinstance(child.tag, str):
            add_loose(child)
    return parts


def _code_text(el: etree._Element) -> str:
    """The text of inline code, a `<br>` in it a line break (comments left out)."""
    parts = [el.text or ""]
    for child in el:
        tag = _tag(child)
        parts.append("\n" if tag == "br" else _code_text(child) if tag else "")
        parts.append(child.tail or "")
    return "".join(parts)


def _collapse_space(text: str) -> str:
    """A run of white space with a line break in it is what a line break in the source was:
    nothing between Chinese characters, a space otherwise (the Markdown reader's rule)."""
    def one(m: re.Match) -> str:
        run = m.group(0)
        if not LINE_END.search(run):
            return run
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        return "" if is_cjk(before) or is_cjk(after) else " "
    return _SPACE_RUN.sub(one, text)


def _emit(out: list[Block], run: list[Inline], pos: SourcePos) -> None:
    """A paragraph of the run, without the line breaks and blanks at its ends (a `<br>` next
    to display math only separated it from the text)."""
    while run and (isinstance(run[0], LineBreak) or (isinstance(run[0], Text) and not run[0].text.strip())):
        run = run[1:]
    while run and (isinstance(run[-1], LineBreak) or (isinstance(run[-1], Text) and not run[-1].text.strip())):
        run = run[:-1]
    if not run:
        return
    if isinstance(run[0], Text):
        run[0] = Text(run[0].text.lstrip())
    if isinstance(run[-1], Text):
        run[-1] = Text(run[-1].text.rstrip())
    # The blog's figure: the image, a line break, its caption, all in one paragraph.
    breaks = [k for k, node in enumerate(run) if isinstance(node, LineBreak)]
    figure = as_figure(Paragraph(run[:breaks[0]], pos)) if breaks else None
    if figure is not None:
        caption: list[Inline] = []
        _emit(caption, run[breaks[0] + 1:], pos)  # type: ignore[arg-type]
        if len(caption) == 1 and isinstance(caption[0], Paragraph):
            figure.caption = caption[0].inlines
            out.append(figure)
            return
    out.append(Paragraph(run, pos))
