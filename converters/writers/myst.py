"""The MyST writer: article model → one MyST Markdown page.

The only module that knows MyST syntax.  Source text is data: every character
MyST could read as syntax is escaped here, and nowhere else.  Rendering is a
dispatch table from node type to a small function, as mdformat does it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote

import yaml

from ..escaping import bibtex, bibtex_url
from ..images import IMAGE_FOLDER
from ..urls import IMAGE_SCHEMES, LINK_SCHEMES, scheme_of
from ..readers.mdit_cjk import delimiter_run
# Whatever a reader hands over, inline output stays on one line (`one_line` at every inline sink).
from ..textutil import one_line

from ..model import (walk, Article, Block, Citation, Code, CodeBlock, DocRef, Emph, EqRef, Figure,
                     Heading, Inline, LineBreak, Link, ListBlock, Math, MathBlock, Paragraph,
                     Quote, Rule, SourcePos, Strong, Table, Text, blocks_text, plain_text)

GENERATOR = "kexue-book"

# ASCII punctuation that is syntax anywhere in a MyST paragraph (CommonMark,
# dollarmath, roles `{x}`, substitutions, entities, tables).
MYST_SYNTAX = re.compile(r"([\\`*_\[\]<>$&{}|~#])")
# Syntax only where a line starts: list items, quotes, comments, setext
# underlines, thematic breaks, targets `(name)=`, colon fences, ordered items `1.`.
# `:` also because a directive body starting with `:key:` or `---` is read as options.
_LINE_START_CHAR = re.compile(r"^[-+=>%:]|^\(.*\)=\s*$")
_ORDERED_MARKER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
# A code block's language is a plain word (Pygments' names: c++, objective-c, f#, …) or nothing:
# a fence's info string `{name}` would make it a directive.
_LANGUAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+#.-]{0,40}")


def code_language(info: str) -> str:
    """The language of a code block as the writer emits it: a plain word, or ''."""
    return info if _LANGUAGE.fullmatch(info or "") else ""


def safe_url(url: str, schemes: tuple[str, ...] = LINK_SCHEMES) -> str | None:
    """`url` percent-encoded so that it is one token of a MyST link or directive line, or None
    when its scheme is not one the book follows (MyST resolves other schemes on this machine)."""
    if scheme_of(url) not in schemes:
        return None
    url = re.sub(r"[\x00-\x20\x7f<>()\\`{}|\"]", lambda m: "%%%02X" % ord(m.group(0)), url.strip())
    url = re.sub(r"[\x85\u2028\u2029]", lambda m: quote(m.group(0)), url)  # line ends to MyST
    # `&amp;` in a link destination is an entity to CommonMark: keep the characters themselves.
    return re.sub(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)", "%26", url)


def escape(text: str, line_start: bool = False) -> str:
    """Make `text` read as itself in MyST, whatever it contains, on one line."""
    text = MYST_SYNTAX.sub(r"\\\1", one_line(text))
    if line_start:
        text = text.lstrip()  # leading blanks could make an indented code block
        if _LINE_START_CHAR.match(text):
            text = "\\" + text
        else:
            text = _ORDERED_MARKER.sub(r"\1\\\2", text)
    return text


def _fence(text: str, char: str = "`") -> str:
    longest = max((len(run) for run in re.findall(rf"{re.escape(char)}+", text)), default=0)
    return char * max(3, longest + 1)


@dataclass
class PageContext:
    docname: str  # the page being written, e.g. "vae/a8404"

    def link_to(self, docname: str) -> str:
        """A relative link to another page's source, which Sphinx resolves to the page."""
        here = posixpath.dirname(self.docname)
        return posixpath.relpath(docname, here or ".") + ".md"


# --- inlines -------------------------------------------------------------------


def _parses_as_emphasis(before: str, marker: str, inner: str, after: str) -> bool:
    """Whether CommonMark (as MyST parses it) opens and closes `marker` around `inner`."""
    src = f"{before}{marker}{inner}{marker}{after}"
    close_at = len(before) + len(marker) + len(inner)
    _, can_open, _ = delimiter_run(src, len(before), len(src), cjk_friendly=False)
    _, _, can_close = delimiter_run(src, close_at, len(src), cjk_friendly=False)
    return can_open and can_close


class InlineRenderer:
    """Renders a run of inlines; tracks whether output is at the start of a line.

    Every handler writes its node on one line, whatever string it holds.  In a heading or a
    table cell (`in_one_line`) a line break is a space, and in a cell (`in_cell`) a `|` in
    code, math or a role is written `\\|`: the table splits its row there before anything else.
    """

    def __init__(self, ctx: PageContext):
        self.ctx = ctx
        self.in_one_line = False
        self.in_cell = False
        self.handlers: dict[type, Callable[[Inline], str]] = {
            Text: self.text, Math: self.math, Code: self.code, Strong: self.strong,
            Emph: self.emph, Link: self.link, DocRef: self.docref, EqRef: self.eqref,
            Citation: self.citation, LineBreak: self.linebreak,
        }

    def render(self, nodes: list[Inline], line_start: bool = True) -> str:
        out: list[str] = []
        nodes = _join_codes(nodes)
        for i, node in enumerate(nodes):
            if isinstance(node, Text) and line_start:
                piece = escape(one_line(node.text).lstrip(), line_start=True)
            elif isinstance(node, (Strong, Emph)):
                before = "".join(out)[-1:] or " "
                after = self.render(nodes[i + 1:i + 2], line_start=False)[:1] or " "
                piece = self.emphasis(node, before, after)
            else:
                piece = self.handlers[type(node)](node)
            if piece.startswith("[") and out and re.search(r"(?<!\\)(\\\\)*!$", out[-1]):
                out[-1] = out[-1][:-1] + "\\!"  # text `!` before a link would make it an image
            out.append(piece)
            if isinstance(node, LineBreak) and not self.in_one_line:
                line_start = True
            elif piece.strip():
                line_start = False
        return "".join(out)

    def text(self, node: Text) -> str:
        return escape(node.text)

    def _cell_pipes(self, text: str) -> str:
        # In a cell the table takes `\|` as a `|` of the cell's text and drops the backslash.
        return text.replace("|", "\\|") if self.in_cell else text

    def math(self, node: Math) -> str:
        tex = one_line(node.tex).strip()
        if not tex or re.search(r"(?<!\\)(\\\\)*\\$", tex):
            # Nothing to typeset, or a final lone `\` that would escape the closing `\)` of the
            # HTML and the LaTeX: shown as its source.
            return self.code(Code(f"${node.tex}$"))
        if "$" in tex or tex.endswith("\\"):
            # `$…$` cannot hold it (dollarmath ends the formula at a `$` after `\\`, or at the
            # `$` after a final `\\`): the math role holds any TeX as it is.
            return self._role("math", tex, literal=True)
        return f"${self._cell_pipes(tex)}$"

    def code(self, node: Code) -> str:
        text = self._cell_pipes(one_line(node.text))
        longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
        ticks = "`" * (longest + 1)
        # CommonMark drops one space at each end when both ends have one: pad to keep them.
        pad = " " if text.startswith("`") or text.endswith("`") or \
            (text.startswith(" ") and text.endswith(" ") and text.strip()) else ""
        return f"{ticks}{pad}{text}{pad}{ticks}"

    def emphasis(self, node: Strong | Emph, before: str, after: str) -> str:
        """`**…**` when CommonMark reads it as emphasis between `before` and `after`;
        otherwise the `{strong}` / `{emphasis}` role, which needs no flanking."""
        marker, role = ("**", "strong") if isinstance(node, Strong) else ("*", "emphasis")
        inner = self.render(node.children, line_start=False)
        if inner.strip() and _parses_as_emphasis(before, marker, inner, after):
            return f"{marker}{inner}{marker}"
        if any(not isinstance(c, (Text, Code)) for c in node.children):
            # A role holds plain text only: formulas, links and citations inside stay what they
            # are (unemphasised), the text around them is emphasised piece by piece.
            return "".join(self._role(role, plain_text([c])) if isinstance(c, (Text, Code))
                           else self.render([c], line_start=False) for c in node.children)
        return self._role(role, plain_text(node.children))

    def _role(self, role: str, text: str, literal: bool = False) -> str:
        text = one_line(text)
        if not text:
            return ""
        if not literal:
            text = text.replace("\\", "\\\\")  # docutils unescapes role text
        text = self._cell_pipes(text)
        ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{{{role}}}{ticks}{pad}{text}{pad}{ticks}"

    def strong(self, node: Strong) -> str:
        return self.emphasis(node, " ", " ")

    def emph(self, node: Emph) -> str:
        return self.emphasis(node, " ", " ")

    def _target(self, url: str) -> str:
        return safe_url(url) or "#"

    def link(self, node: Link) -> str:
        target = safe_url(node.url)
        children = self.render(node.children, line_start=False)
        if target is None:  # not a web or mail address: the text and the address, both as text
            return children + escape(f"（{node.url}）")
        title = ' "' + escape(node.title).replace('"', '\\"') + '"' if node.title and node.title.strip() else ""
        return f"[{children}]({target}{title})"

    def docref(self, node: DocRef) -> str:
        return f"[{self.render(node.children, line_start=False)}]({self.ctx.link_to(node.docname)})"

    def eqref(self, node: EqRef) -> str:
        if node.resolved:
            return f"{{eq}}`{node.label}`"
        return escape(f"({node.label})")

    def citation(self, node: Citation) -> str:
        # A footnote citation: numbered per article, its entry at the end of the same page.
        return f"{{footcite}}`{node.key}`"

    def linebreak(self, node: LineBreak) -> str:
        return " " if self.in_one_line else "\\\n"

    def one_line_of(self, nodes: list[Inline], cell: bool = False) -> str:
        """`nodes` as the text of a heading (or a table cell): one line, breaks as spaces."""
        self.in_one_line, self.in_cell = True, cell
        try:
            return self.render(nodes, line_start=False)
        finally:
            self.in_one_line = self.in_cell = False


def _as_code(node: Inline) -> Inline:
    # An empty formula is shown as its source, in code.
    return Code(f"${node.tex}$") if isinstance(node, Math) and not one_line(node.tex).strip() else node


def _join_codes(nodes: list[Inline]) -> list[Inline]:
    """Adjacent code spans as one: their backtick runs would run together into one."""
    nodes = [_as_code(n) for n in nodes if not (isinstance(n, Code) and not n.text)]
    if not any(isinstance(a, Code) and isinstance(b, Code) for a, b in zip(nodes, nodes[1:])):
        return nodes
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Code) and out and isinstance(out[-1], Code):
            out[-1] = Code(out[-1].text + node.text)
        else:
            out.append(node)
    return out


# --- blocks --------------------------------------------------------------------


def _indent(text: str, prefix: str, first: str | None = None) -> str:
    lines = text.split("\n")
    first = prefix if first is None else first
    return "\n".join((first if i == 0 else prefix) + line if line else line.rstrip()
                     for i, line in enumerate(lines))


def _tag_text(tag: str) -> str:
    """A `\\tag`'s text inside the page's `$$` block: one line (a blank line would end the block),
    no `$$` (which would close it), no brace (sphinx_ext/equations.py reads the tag up to the first
    `}`; the readers never make one, this holds whatever a reader hands over)."""
    return " ".join(tag.replace("{", "(").replace("}", ")").split()).replace("$$", "$ $")


class BlockRenderer:
    def __init__(self, ctx: PageContext):
        self.inlines = InlineRenderer(ctx)
        self.handlers: dict[type, Callable[[Block], str]] = {
            Paragraph: self.paragraph, Heading: self.heading, MathBlock: self.math,
            CodeBlock: self.code, Figure: self.figure, Quote: self.quote,
            ListBlock: self.list, Table: self.table, Rule: self.rule,
        }

    def render(self, blocks: list[Block]) -> str:
        return "\n\n".join(self.handlers[type(b)](b) for b in blocks)

    def paragraph(self, node: Paragraph) -> str:
        return self.inlines.render(node.inlines)

    def heading(self, node: Heading) -> str:
        return "#" * node.level + " " + self.inlines.one_line_of(node.inlines)

    def math(self, node: MathBlock) -> str:
        # Blank lines would end the block; `$$` inside would close it.
        tex = "\n".join(line for line in node.tex.split("\n") if line.strip()).replace("$$", "$ $")
        if node.tag is not None:  # the blog's hand-written number (see sphinx_ext/equations.py)
            tex += f"\\tag{{{_tag_text(node.tag)}}}"
        label = f" ({node.label})" if node.label else ""
        return f"$$\n{tex}\n$${label}"

    def code(self, node: CodeBlock) -> str:
        text = re.sub(r"\r\n?", "\n", node.text)  # as markdown-it reads them
        fence = _fence(text)
        return f"{fence}{code_language(node.language)}\n{text.rstrip()}\n{fence}"

    def figure(self, node: Figure) -> str:
        caption = self.inlines.render(node.caption) if node.caption else ""
        src = node.src if node.src is None or node.src.startswith(f"/{IMAGE_FOLDER}/") \
            else safe_url(node.src, IMAGE_SCHEMES)
        if src is None:
            body = f"**［图］** {caption}\n\n（原图未随文本保存）"
            fence = _fence(body)
            return f"{fence}{{container}} figure-placeholder\n{body}\n{fence}"
        fence = _fence(caption)
        alt = " ".join(node.alt.split())
        href = safe_url(node.href) if node.href else None
        if src.startswith(f"/{IMAGE_FOLDER}/"):  # our own copy: the path is made by images.local_name
            src = re.sub(r"[\x00-\x20\x85\u2028\u2029<>`{}|\\]", "_", src)
        lines = [f"{fence}{{figure}} {src}", f":alt: {alt}" if alt else None,
                 f":target: {href}" if href else None, "", caption, fence]
        return "\n".join(line for line in lines if line is not None)

    def quote(self, node: Quote) -> str:
        return _indent(self.render(node.blocks), "> ").replace("\n\n", "\n>\n")

    def list(self, node: ListBlock) -> str:
        sep = "\n" if node.tight else "\n\n"
        items = []
        for k, item in enumerate(node.items):
            marker = f"{node.start + k}. " if node.ordered else "- "
            body = sep.join(self.handlers[type(b)](b) for b in item)
            items.append(_indent(body, " " * len(marker), marker))
        return sep.join(items)

    def table(self, node: Table) -> str:
        def row(cells) -> str:
            return "| " + " | ".join(self.inlines.one_line_of(c, cell=True) for c in cells) + " |"
        lines = [row(node.header), "|" + "|".join(" --- " for _ in node.header) + "|"]
        lines += [row(r) for r in node.rows]
        return "\n".join(lines)

    def rule(self, node: Rule) -> str:
        return "----"


# --- the page ----------------------------------------------------------------------


# libyaml's emitter when PyYAML was built with it: the pure-Python one was a tenth of convert's time.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def front_matter(data: dict) -> str:
    return "---\n" + yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=1000) + "---\n"


def write_literal_myst(article: Article, reason: str) -> str:
    """The page of an article Sphinx rejected: its text in one literal block, nothing to typeset,
    so that one bad article never stops the book and no text of it is lost."""
    ctx = PageContext(article.docname)
    inlines = InlineRenderer(ctx)
    text = blocks_text(article.body)
    fence = _fence(text)
    note = ("本书无法排版这篇文章的原文格式（" + escape(reason) + "），下面按原文文本收录全文。")
    out = [front_matter(_page_data(article, literal=True)), f"# {escape(article.meta.title)}", "",
           directive("container", "article-meta", _byline(article, inlines)), "",
           directive("warning", "", note), "", f"{fence}text\n{text}\n{fence}"]
    return "\n".join(out).rstrip() + "\n"


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def cite_this_article(article: Article) -> str:
    """The `@online` entry the blog offers under each article."""
    meta = article.meta
    key = f"kexuefm-{article.slug.lstrip('a')}" if article.slug.startswith("a") else f"kexuefm-{article.slug}"
    # Titles and names are text: escaped for BibTeX and the LaTeX biblatex makes of them.
    lines = [f"@online{{{key},", f"        title={{{bibtex(meta.title)}}},", f"        author={{{bibtex(meta.author)}}},"]
    if meta.date and meta.date.complete:
        lines += [f"        year={{{meta.date.year}}},", f"        month={{{_MONTHS[meta.date.month - 1]}}},"]
    lines.append(f"        url={{{bibtex_url(meta.url or '')}}},")  # biblatex wants the bare address (no \\url)
    if meta.accessed:
        lines.append(f"        urldate={{{bibtex(meta.accessed)}}},")
    lines.append("}")
    return "\n".join(lines)


def full_article_url(article: Article) -> str:
    """Where the whole article can be read: its url, else the blog's search for its title."""
    if article.meta.url:
        return article.meta.url
    return f"https://kexue.fm/search/{quote(article.meta.title, safe='')}/"


def _byline(article: Article, inlines: InlineRenderer) -> str:
    meta = article.meta
    parts = [escape(meta.author, line_start=True)]  # the first line of a directive's body
    if meta.date:
        if meta.date.complete:
            parts.append(f"{meta.date.year}年{meta.date.month}月{meta.date.day}日")
        else:
            parts.append(f"{meta.date.month}月{meta.date.day}日（年份不详）")
    if meta.readers is not None:
        parts.append(f"{meta.readers}位读者")
    if meta.category:
        parts.append(f"分类：{escape(meta.category)}")
    if meta.tags:
        parts.append("标签：" + "、".join(escape(t) for t in meta.tags))
    if meta.url:
        parts.append(f"[原文]({inlines._target(meta.url)})")
    return " · ".join(parts)


def directive(name: str, argument: str, body: str, options: dict[str, str] | None = None) -> str:
    fence = _fence(body)
    opts = "".join(f":{k}: {v}\n" for k, v in (options or {}).items())
    head = f"{fence}{{{name}}} {argument}".rstrip()
    return f"{head}\n{opts}{body}\n{fence}"


def _page_data(article: Article, **extra) -> dict:
    meta = article.meta
    data = {
        "generator": GENERATOR,
        "title": meta.title,
        "author": meta.author,
        "date": meta.date.iso() if meta.date else None,
        "readers": meta.readers,
        "url": meta.url,
        "series": meta.series,
        "part": meta.part,
        "excerpt": article.excerpt,
        "untitled": article.untitled,
        "sources": [str(pos) for pos in article.sources],
        **extra,
    }
    return {k: v for k, v in data.items() if v is not None}


def _lines(parts: list[str]) -> int:
    return "\n".join(parts).count("\n") + 1


def write_myst(article: Article, line_map: list[tuple[int, SourcePos]] | None = None) -> str:
    """The article's page.  `line_map`, when given, receives (first line on the page, source
    position) for each block of the body, so that Sphinx's messages can name the source."""
    ctx = PageContext(article.docname)
    blocks = BlockRenderer(ctx)
    meta = article.meta
    out = [front_matter(_page_data(article)), f"# {escape(meta.title)}", "",
           directive("container", "article-meta", _byline(article, blocks.inlines))]
    if article.untitled:
        out += ["", directive("note", "", "这段摘录在来源中没有标题，本书用它开头的文字作为标题。")]
    if article.body:
        rendered = [blocks.handlers[type(b)](b) for b in article.body]
        line = _lines(out) + 2  # after the blank line that follows
        for block, text in zip(article.body, rendered):
            if line_map is not None:
                line_map.append((line, block.pos or article.pos))
            line += text.count("\n") + 2
        out += ["", "\n\n".join(rendered)]
    if article.excerpt:
        link = f"[在科学空间阅读全文]({blocks.inlines._target(full_article_url(article))})"
        out += ["", directive("admonition", "摘录", f"本页只收录了这篇文章的开头部分。{link}",
                               {"class": "excerpt-note"})]
    if any(isinstance(n, Citation) for n in walk(article.body)):
        # In the PDF the entries are footnotes where they are cited: the heading is for HTML and EPUB.
        out += ["", directive("only", "not latex", directive("rubric", "参考文献", "")), "",
                directive("footbibliography", "", "")]
    if meta.url:
        out += ["", "## 引用本文", "", "转载或引用本文时，请注明原文作者与出处：", "",
                directive("code-block", "bibtex", cite_this_article(article))]
    return "\n".join(out).rstrip() + "\n"
