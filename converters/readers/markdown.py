"""Reader for full articles: Markdown with YAML front matter, in the blog's dialect.

markdown-it-py parses CommonMark plus the blog's additions, each a rule:
`$…$` / `$$…$$` math (dollarmath), bare `\\begin{equation}` blocks (amsmath),
emphasis next to Chinese text (mdit_cjk), pipe tables.  The token tree is then
turned into the article model; nothing here writes Markdown.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from types import MethodType

from markdown_it import MarkdownIt
from markdown_it.parser_block import ParserBlock
from markdown_it.token import Token
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from ..diagnostics import Code, Reporter
from ..model import (Article, Block, CodeBlock, Emph, Heading, Inline, LineBreak, Link, ListBlock,
                     MathBlock, Meta, Paragraph, Quote, Rule, SourcePos, Strong, Table, Text,
                     plain_text)
from ..model import Code as InlineCode
from ..model import Math
from . import front_matter
from .macros import MacroTable, expand_article_macros
from .mdit_cjk import cjk_emphasis_plugin, is_cjk
from .plain_inlines import math_or_refs, text_with_eqrefs
from .figures import image_inline, join_figures
from .texmath import DisplayTeX, display_block, split_environments
from ..textutil import one_line
from .textio import read_text

# An escaped dollar `\$` is a dollar sign, not a math delimiter.  markdown-it turns it into a
# plain `$` when it joins text, after which it cannot be told from an unbalanced one; until the
# text is read it travels as this private-use character.
_ESCAPED_DOLLAR = "\ue000"


def _mark_escaped_dollars(state) -> None:
    for token in state.tokens:
        for child in token.children or []:
            if child.type == "text_special" and child.info == "escape" and child.content == "$":
                child.content = _ESCAPED_DOLLAR


def _tokenize_keeping_deep_text(self, state, start_line: int, end_line: int) -> None:
    """markdown-it's block tokenizer, except that what is nested deeper than `maxNesting`
    (blockquotes, lists) — which markdown-it skips, text and all — becomes one paragraph of
    its text, marked for the reader to warn about."""
    if state.level < state.md.options.maxNesting:
        _BLOCK_TOKENIZE(self, state, start_line, end_line)
        return
    line = state.skipEmptyLines(start_line)
    if line >= end_line or state.sCount[line] < state.blkIndent:
        return
    lines = state.getLines(line, end_line, state.blkIndent, False).split("\n")
    text = "\n".join(" ".join(l.lstrip(" \t>").split()) for l in lines).strip()
    state.line = end_line
    if not text:
        return
    opening = state.push("paragraph_open", "p", 1)
    opening.map = [line, end_line]
    opening.meta = {"flattened": True}
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = text, [line, end_line], []
    state.push("paragraph_close", "p", -1)


_BLOCK_TOKENIZE = ParserBlock.tokenize


def make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})  # HTML is tokenised so that it can be shown as text
    md.block.tokenize = MethodType(_tokenize_keeping_deep_text, md.block)
    md.enable("table")
    md.use(dollarmath_plugin, double_inline=True, allow_labels=False, allow_space=True, allow_digits=True)
    md.use(amsmath_plugin)
    md.use(cjk_emphasis_plugin)
    md.core.ruler.before("text_join", "escaped_dollar", _mark_escaped_dollars)
    return md


_PARSER = make_parser()


class _Node:
    """A token with the tokens nested in it (a paragraph's inline token, a link's text).

    markdown-it's SyntaxTreeNode without what this reader does not use: no parent links,
    which made every parsed page a web of reference cycles for the garbage collector, and
    none of its bookkeeping (together 11 % of the time to read a page, measured on 300 corpus
    articles).
    """

    __slots__ = ("token", "type", "children")

    def __init__(self, token: Token, children: list[_Node]):
        self.token = token
        kind = token.type
        self.type = kind[:-5] if token.nesting == 1 and kind.endswith("_open") else kind  # strong_open → strong
        self.children = children

    # What the reader asks of a node is its (opening) token's.
    content = property(lambda self: self.token.content)
    attrs = property(lambda self: self.token.attrs)
    map = property(lambda self: self.token.map)
    tag = property(lambda self: self.token.tag)
    info = property(lambda self: self.token.info)
    hidden = property(lambda self: self.token.hidden)


def _nest(tokens: list[Token]) -> list[_Node]:
    """The flat token stream as a tree: what an `_open` token opens, until its `_close`."""
    top: list[_Node] = []
    levels = [top]
    for token in tokens:
        if token.nesting == 1:
            node = _Node(token, [])
            levels[-1].append(node)
            levels.append(node.children)
        elif token.nesting == -1:
            levels.pop()
        else:
            levels[-1].append(_Node(token, _nest(token.children) if token.children else []))
    return top


def looks_like_python(code: str) -> bool:
    """The blog's code blocks carry no language; Python is the usual one."""
    if not re.search(r"^\s*(import |from \S+ import |def |class |print\(|\w+\s*=)", code, re.M):
        return False
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        # Python 2 prints and such still read as Python to a person.
        return bool(re.search(r"^\s*(import |from \S+ import |def )", code, re.M))
    return True


class _Converter:
    def __init__(self, path: str, line_offset: int, reporter: Reporter):
        self.path = path
        self.offset = line_offset
        self.reporter = reporter
        self.heading_shift = 0
        self.last_level = 1  # the title
        self.current = SourcePos(path, 1 + line_offset)  # the block being converted, for warnings

    def pos(self, node: _Node) -> SourcePos:
        line = node.map[0] + 1 if node.map else 1
        self.current = SourcePos(self.path, line + self.offset)
        return self.current

    # --- inlines ---------------------------------------------------------------

    def inlines(self, node: _Node) -> list[Inline | DisplayTeX]:
        out: list[Inline | DisplayTeX] = []
        children = node.children
        for i, child in enumerate(children):
            t = child.type
            if t == "text":
                out.extend(self.text(child.content))
            elif t == "softbreak":
                # A line break inside a paragraph: nothing between Chinese characters, a space otherwise.
                before = children[i - 1].content[-1:] if i > 0 and children[i - 1].type == "text" else ""
                after = children[i + 1].content[:1] if i + 1 < len(children) and children[i + 1].type == "text" else ""
                out.append(Text("" if (is_cjk(before) or is_cjk(after)) else " "))
            elif t == "hardbreak":
                out.append(LineBreak())
            elif t == "code_inline":
                out.append(InlineCode(one_line(child.content)))
            elif t == "strong":
                out.append(Strong(self._only_inlines(child)))
            elif t == "em":
                out.append(Emph(self._only_inlines(child)))
            elif t == "link":
                out.append(Link(child.attrs.get("href", ""), self._only_inlines(child),
                                " ".join(str(child.attrs.get("title") or "").split()) or None))
            elif t == "image":
                out.append(image_inline(child.attrs.get("src", ""), plain_text(self._only_inlines(child))))
            elif t == "math_inline":
                out.extend(math_or_refs(child.content))
            elif t == "math_inline_double":
                out.append(DisplayTeX(child.content))
            elif t == "html_inline":
                out.append(Text(child.content))
            elif child.children:  # an inline kind the model has no place for: its content, read
                out.extend(self.inlines(child))
            else:  # …or its text
                out.append(Text(child.content))
        return out

    def _only_inlines(self, node: _Node) -> list[Inline]:
        """Inlines of a link or emphasis; display math there is kept as inline math."""
        return [Math(n.tex) if isinstance(n, DisplayTeX) else n for n in self.inlines(node)]  # type: ignore[name-defined]

    def text(self, text: str) -> list[Inline | DisplayTeX]:
        """Plain text as MathJax sees it: environments and \\eqref outside `$` still count."""
        out: list[Inline | DisplayTeX] = split_environments(text, self._text_refs)
        for node in out:
            if isinstance(node, Text):
                node.text = node.text.replace(_ESCAPED_DOLLAR, "$")
            elif isinstance(node, DisplayTeX):
                node.tex = node.tex.replace(_ESCAPED_DOLLAR, "\\$")
        return out

    def _text_refs(self, text: str) -> list[Inline]:
        if re.search(r"(?<!\\)\$", text):
            self.reporter.warn(Code.UNBALANCED_DOLLAR,
                               "unbalanced '$' in text; the unmatched part is kept as literal text", self.current)
        return text_with_eqrefs(text)

    # --- blocks ------------------------------------------------------------------

    def blocks(self, nodes: list[_Node]) -> list[Block]:
        out: list[Block] = []
        for node in nodes:
            out.extend(self.block(node))
        return join_figures(out)

    def math_block(self, tex: str, pos: SourcePos) -> MathBlock:
        return display_block(tex, pos, self.reporter)

    def block(self, node: _Node) -> list[Block]:
        t, pos = node.type, self.pos(node)
        if t == "paragraph":
            if node.token.meta.get("flattened"):
                self.reporter.warn(Code.NESTING_FLATTENED, "quotes or lists nested deeper than Markdown reads "
                                   f"({_PARSER.options.maxNesting} levels): the deeper ones are one paragraph "
                                   "of their text", pos)
            return self.paragraph(node.children[0] if node.children else node, pos)
        if t == "heading":
            # One level deeper than the heading before at most: a page that jumps from the title
            # to `####` has no outline a reader (or Sphinx's table of contents) can follow.
            level = min(max(2, int(node.tag[1]) + self.heading_shift), self.last_level + 1, 6)
            self.last_level = level
            return [Heading(level, self._only_inlines(node.children[0]), pos)]
        if t in ("math_block", "amsmath"):
            return [self.math_block(node.content, pos)]
        if t in ("fence", "code_block"):
            language = (node.info or "").strip().split(" ")[0]
            if not language and looks_like_python(node.content):
                language = "python"
            return [CodeBlock(node.content.rstrip("\n"), language, pos)]
        if t == "blockquote":
            return [Quote(self.blocks(node.children), pos)]
        if t in ("bullet_list", "ordered_list"):
            items = [self.blocks(item.children) for item in node.children]
            start = int(node.attrs.get("start", 1)) if t == "ordered_list" else 1
            # markdown-it hides the paragraphs of tight lists
            tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
            return [ListBlock(items, ordered=t == "ordered_list", start=start, pos=pos, tight=tight)]
        if t == "table":
            return [self.table(node, pos)]
        if t == "hr":
            return [Rule(pos)]
        if t == "html_block":
            return [Paragraph([Text(line)], pos) for line in node.content.strip().split("\n") if line.strip()]
        self.reporter.warn(Code.UNREADABLE, f"unexpected Markdown block '{t}' kept as text", pos)
        return [Paragraph([Text(node.content)], pos)]

    def paragraph(self, inline: _Node, pos: SourcePos) -> list[Block]:
        """A paragraph, split where display math stands in it (MathJax breaks the line there)."""
        out: list[Block] = []
        run: list[Inline] = []
        for item in self.inlines(inline):
            if isinstance(item, DisplayTeX):
                if any(not (isinstance(n, Text) and not n.text.strip()) for n in run):
                    out.append(Paragraph(run, pos))
                run = []
                out.append(self.math_block(item.tex, pos))
            else:
                run.append(item)
        if any(not (isinstance(n, Text) and not n.text.strip()) for n in run):
            out.append(Paragraph(run, pos))
        return out

    def table(self, node: _Node, pos: SourcePos) -> Table:
        header: list[list[Inline]] = []
        rows: list[list[list[Inline]]] = []
        for section in node.children:
            for tr in section.children:
                cells = [self._only_inlines(cell.children[0]) if cell.children else [] for cell in tr.children]
                if section.type == "thead":
                    header = cells
                else:
                    rows.append(cells)
        return Table(header, rows, pos)


def _front_matter(text: str, shown: str, reporter: Reporter) -> tuple[front_matter.FrontMatter, str, int]:
    source, body, offset = front_matter.split(text)
    if source is None:
        reporter.warn(Code.FRONT_MATTER, "no YAML front matter: no date, url or tags; "
                      "the title is the first '#' heading, else the file name", SourcePos(shown, 1))
        return front_matter.FrontMatter(shown, reporter), text, 0
    return front_matter.read(source, shown, reporter), body, offset


def read_markdown(path: Path, reporter: Reporter, display_path: str | None = None) -> list[Article]:
    shown = display_path or str(path)
    return parse_markdown(read_text(path, shown, reporter), shown, reporter, path.stem)


def parse_markdown(text: str, shown: str, reporter: Reporter, stem: str = "untitled") -> list[Article]:
    """One article from the text of a Markdown source (`stem` titles it when nothing else does)."""
    data, body, offset = _front_matter(text, shown, reporter)
    converter = _Converter(shown, offset, reporter)
    children = _nest(_PARSER.parse(body))
    h1 = [n for n in children if n.type == "heading" and n.tag == "h1"]
    title = data.text("title") or ""
    if not title and h1:  # no title in front matter: the first H1 is the title
        title = plain_text(converter._only_inlines(h1[0].children[0]))
        children = [n for n in children if n is not h1[0]]
        h1 = h1[1:]
    converter.heading_shift = 1 if h1 else 0  # `#` sections become `##`: the title is the page's only H1
    accessed = data.date("accessed") if "accessed" in data.fields else data.date("urldate")
    meta = Meta(
        title=title or stem,
        author=data.text("author") or "苏剑林",
        date=data.date("date"),
        url=data.text("url"),
        category=data.first_text("category"),
        tags=data.texts("tags"),
        accessed=accessed.iso() if accessed else None,
    )
    article = Article(meta, converter.blocks(children), [SourcePos(shown, 1)])
    expand_article_macros(article, MacroTable(), reporter)
    return [article]
