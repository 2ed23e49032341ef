"""Source text stays data: links the book may follow, formulas TeX may run.

Two passes, both before any other transform looks at links or formulas:

* `resolve_links`: a link or image whose address starts with `/` (or `#`) is on the article's
  site, so it is made absolute against the article's url (`/usr/uploads/a.png` in an article of
  kexue.fm is `https://kexue.fm/usr/uploads/a.png`); an address like `a.png` or `../x` names a
  file beside the source, which the book does not read (images.py makes it a placeholder).  Only `http(s):` and `mailto:` stay links; any other
  scheme (`javascript:`, `data:`, `file:`, MyST's own `path:` / `project:` / `inv:`, which would
  reach files of this machine) becomes the link's text followed by the address, as text.  A
  relative link without a page to resolve it against is text too: MyST would resolve it
  against this machine's files.
* `guard_tex`: a formula using a TeX primitive that reads or writes files or builds control
  sequences from text (`\\input`, `\\openin`, `\\write18`, `\\csname`, `^^5c`…) is shown as its
  TeX source in a code block or inline code, never typeset (xelatex would run it in the formula
  check and in the PDF).  Every part of a display formula is judged, not only its body: its
  `\\tag{…}` (which the PDF prints) and its `\\label{…}`, split off by the readers.  Page macros
  are expanded before this pass, so a macro's body is judged where it is used; a definition whose
  body is unsafe is left in its formula by the reader (readers/macros.py) and judged there.

The writer enforces the same rules again (`writers/myst.py`), so a later transform that makes a
link cannot get round them; here the problems are reported with their source position.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from ..diagnostics import Code, Reporter
from ..readers.texmath import display_source
from ..texsafety import unsafe_tex
from ..urls import IMAGE_SCHEMES, LINK_SCHEMES, scheme_of
from ..model import (Article, Code as InlineCode, CodeBlock, Emph, Figure, Inline, Link, ListBlock, Math,
                     MathBlock, Quote, SourcePos, Strong, Text, plain_text, rewrite_inlines)


def is_web_address(url: str) -> bool:
    """An http(s) address that parses, with a host (`http://[` does not: found by bench/fuzz.py)."""
    if scheme_of(url) not in IMAGE_SCHEMES:
        return False
    try:
        return bool(urlsplit(url.strip()).netloc)
    except ValueError:
        return False


def _join(base: str, url: str) -> str | None:
    try:
        return urljoin(base, url)
    except ValueError:
        return None


def _absolute(url: str, base: str | None) -> str | None:
    """`url` made absolute against the article's page, or None when it cannot be a safe link."""
    url = url.strip()
    scheme = scheme_of(url)
    if scheme is not None:
        if scheme == "mailto":
            return url
        return url if scheme in LINK_SCHEMES and is_web_address(url) else None
    if base is None or not url or not url.startswith(("/", "#", "?")):
        return None  # `a.md`, `../x`: a file beside the source, which the book does not read
    joined = _join(base, url)
    return joined if joined is not None and is_web_address(joined) else None


def resolve_links(articles: list[Article], reporter: Reporter) -> list[Article]:
    for article in articles:
        if article.meta.url and not is_web_address(article.meta.url):
            reporter.warn(Code.UNSAFE_LINK, f"the article's url '{article.meta.url}' is not a web address; "
                          "dropped", article.pos)
            article.meta.url = None
        base = article.meta.url
        current = [article.pos]  # the block being rewritten, for warnings

        def rewrite(inlines: list[Inline]) -> list[Inline]:
            out: list[Inline] = []
            for node in inlines:
                if isinstance(node, (Strong, Emph)):
                    node.children = rewrite(node.children)
                if not isinstance(node, Link):
                    out.append(node)
                    continue
                node.children = rewrite(node.children)
                target = _absolute(node.url, base)
                if target is not None:
                    node.url = target
                    out.append(node)
                    continue
                reporter.warn(Code.UNSAFE_LINK, f"link target '{node.url}' is not a web or mail address; "
                              "kept as text", current[0])
                shown = plain_text(node.children)
                out.extend(node.children)
                if node.url.strip() and node.url.strip() != shown.strip():
                    out.append(Text(f"（{node.url}）"))
            return out

        def visit(block) -> None:
            if isinstance(getattr(block, "pos", None), SourcePos):
                current[0] = block.pos
            if isinstance(block, Figure):
                _resolve_figure(block, base, reporter, article)

        rewrite_inlines(article.body, rewrite, visit)
    return articles


def _resolve_figure(figure: Figure, base: str | None, reporter: Reporter, article: Article) -> None:
    if figure.src is not None and scheme_of(figure.src) is None and base is not None \
            and figure.src.strip().startswith("/"):
        absolute = _join(base, figure.src.strip())
        if absolute is not None and is_web_address(absolute):
            figure.src = absolute
    if figure.src is not None and scheme_of(figure.src) is not None and not is_web_address(figure.src):
        reporter.warn(Code.UNSAFE_LINK, f"image '{figure.src[:80]}' is not a web address; "
                      "shown as a placeholder", figure.pos or article.pos)
        figure.src = None
    if figure.href is not None:
        target = _absolute(figure.href, base)
        if target is None:
            reporter.warn(Code.UNSAFE_LINK, f"image link '{figure.href[:80]}' is not a web address; dropped",
                          figure.pos or article.pos)
        figure.href = target


def guard_tex(articles: list[Article], reporter: Reporter) -> list[Article]:
    for article in articles:
        article.body = _guard_blocks(article.body, article, reporter)
        pos = [article.pos]

        def inline(inlines: list[Inline]) -> list[Inline]:
            result: list[Inline] = []
            for node in inlines:
                if isinstance(node, (Strong, Emph, Link)):
                    node.children = inline(node.children)
                if isinstance(node, Math) and (bad := unsafe_tex(node.tex)):
                    reporter.warn(Code.UNSAFE_TEX, f"formula uses '{bad}', which could reach files or the rest of "
                                  "the book; shown as its TeX source", pos[0])
                    node = InlineCode(f"${node.tex}$")
                result.append(node)
            return result

        def visit(node, pos=pos) -> None:
            if isinstance(getattr(node, "pos", None), SourcePos):
                pos[0] = node.pos

        rewrite_inlines(article.body, inline, visit)
    return articles


def _unsafe_display(block: MathBlock) -> str | None:
    """What makes a display formula unsafe: its body and tag as TeX reads them (the PDF prints the
    tag), or anything in its label (which becomes our slug, but was TeX on the blog)."""
    body = block.tex + (f"\\tag{{{block.tag}}}" if block.tag is not None else "")
    return unsafe_tex(body) or (unsafe_tex(block.label) if block.label else None)


def _guard_blocks(blocks: list, article: Article, reporter: Reporter) -> list:
    """Display formulas that may touch files become code blocks, at any depth.  Runs before
    transforms/math.py, so `label` is still the source's own."""
    out = []
    for block in blocks:
        if isinstance(block, MathBlock) and (bad := _unsafe_display(block)):
            reporter.warn(Code.UNSAFE_TEX, f"formula uses '{bad}', which could reach files or the rest of the book; "
                          "shown as its TeX source", block.pos or article.pos)
            block = CodeBlock(display_source(block), "latex", block.pos)
        elif isinstance(block, Quote):
            block.blocks = _guard_blocks(block.blocks, article, reporter)
        elif isinstance(block, ListBlock):
            block.items = [_guard_blocks(item, article, reporter) for item in block.items]
        out.append(block)
    return out
