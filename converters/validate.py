"""What a written page means, read back with MyST's own parser (mdformat's `--validate`, for us).

`page_markup(page)` lists every piece of markup MyST finds on a page: directives, roles,
targets, comments, raw HTML, links, and inside each directive whose body MyST reads as Markdown
(a figure's caption, a container, an admonition) its options and, recursively, its body's markup.  `foreign_markup` keeps the pieces the writer never makes,
so that "text is data" is a property that can be checked for any input (tests/test_properties.py,
bench/fuzz.py).  `paragraph_text` renders a paragraph and returns the text a reader sees.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it.renderer import RendererHTML

from .urls import LINK_SCHEMES, scheme_of

# What the writer emits, and nothing else (writers/myst.py and book.py).
WRITER_DIRECTIVES = {"container", "note", "warning", "admonition", "only", "rubric", "footbibliography",
                     "code-block", "figure", "toctree", "kexue-downloads", "bibliography"}
WRITER_ROLES = {"eq", "footcite", "strong", "emphasis", "math"}
# The options the writer gives each directive; any other option came from a source.
WRITER_OPTIONS = {"figure": {"alt", "target"}, "admonition": {"class"}, "toctree": {"hidden", "maxdepth"}}


@dataclass(frozen=True)
class Markup:
    kind: str  # directive, role, target, comment, html, link, block-break
    value: str


@lru_cache(maxsize=1)
def _parser():
    # Imported here: myst-parser is a dependency of the book, not of every caller of this module.
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser
    return create_md_parser(MdParserConfig(enable_extensions={"dollarmath"}, dmath_double_inline=True),
                            RendererHTML)


@lru_cache(maxsize=1)
def _directive_classes() -> dict:
    """The classes MyST runs for the writer's directives whose body is Markdown (or options)."""
    from docutils.parsers.rst.directives import admonitions, body, images
    from sphinx.directives.code import CodeBlock
    from sphinx.directives.other import Only
    return {"figure": images.Figure, "container": body.Container, "note": admonitions.Note,
            "warning": admonitions.Warning, "admonition": admonitions.Admonition, "only": Only,
            "rubric": body.Rubric, "code-block": CodeBlock}


# Directives whose body is Markdown that MyST parses again (code-block's is literal text).
_MARKDOWN_BODIES = {"figure", "container", "note", "warning", "admonition", "only"}


def _directive_markup(name: str, argument: str, content: str) -> list[Markup]:
    """A directive's options, and the markup of its body and title as MyST reads them: the body
    split with `str.splitlines()` (U+2028 and NEL end lines there), options taken off its top."""
    from docutils.parsers.rst import DirectiveError
    from myst_parser.parsers.directives import MarkupError, parse_directive_text
    cls = _directive_classes().get(name)
    if cls is None:
        return []
    try:
        parsed = parse_directive_text(cls, argument, content)
    except (MarkupError, DirectiveError) as error:
        return [Markup("directive-error", f"{name}: {error}")]
    found = [Markup("directive-warning", f"{name}: {w.msg}") for w in parsed.warnings]
    found += [Markup("option", f"{name}:{key}") for key in parsed.options]
    if name in _MARKDOWN_BODIES:
        found += page_markup("\n".join(parsed.body))
    if name == "admonition":  # its title is inline Markdown
        found += page_markup(argument)
    return found


def page_markup(page: str) -> list[Markup]:
    found: list[Markup] = []
    for token in _parser().parse(page):
        if token.type == "fence" and token.info.strip().startswith("{"):
            info = token.info.strip()
            found.append(Markup("directive", info))
            m = re.match(r"\{([^}]*)\}\s*(.*)", info)
            if m:
                found += _directive_markup(m.group(1), m.group(2), token.content)
        elif token.type == "fence" and token.info.strip():
            found.append(Markup("language", token.info.strip()))
        elif token.type in ("html_block",):
            found.append(Markup("html", token.content))
        elif token.type == "myst_target":
            found.append(Markup("target", token.content))
        elif token.type == "myst_line_comment":
            found.append(Markup("comment", token.content))
        elif token.type == "myst_block_break":
            found.append(Markup("block-break", token.content))
        for child in token.children or []:
            if child.type == "myst_role":
                found.append(Markup("role", child.meta.get("name", "")))
            elif child.type == "html_inline":
                found.append(Markup("html", child.content))
            elif child.type == "link_open":
                found.append(Markup("link", str(child.attrs.get("href", ""))))
            elif child.type == "image":
                found.append(Markup("image", str(child.attrs.get("src", ""))))
    return found


def foreign_markup(page: str, own_links: set[str] = frozenset()) -> list[Markup]:
    """Markup on `page` the writer does not make: any of it means source text became markup.
    Links are the writer's when they go to a web or mail address or are in `own_links` (pages
    of the book); a code block's language must be a plain word."""
    out = []
    for m in page_markup(page):
        if m.kind == "directive" and re.match(r"\{([^}]*)\}", m.value).group(1) in WRITER_DIRECTIVES:
            continue
        if m.kind == "option" and m.value.split(":", 1)[1] in WRITER_OPTIONS.get(m.value.split(":", 1)[0], ()):
            continue
        if m.kind == "role" and m.value in WRITER_ROLES:
            continue
        if m.kind == "language" and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_+#.-]*", m.value):
            continue
        if m.kind == "link" and (scheme_of(m.value) in LINK_SCHEMES or m.value in own_links):
            continue
        out.append(m)
    return out


def render(markdown: str) -> str:
    """The HTML MyST's Markdown parser makes of `markdown` (no Sphinx)."""
    return _parser().render(markdown)


def normalize_link(url: str) -> str:
    """A link address as the parser stores it (host in punycode, other characters %-escaped)."""
    return _parser().normalizeLink(url)


def paragraph_text(markdown: str) -> str:
    """The text a reader sees of rendered Markdown: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", render(markdown)))


def same_text(a: str, b: str) -> bool:
    """Equal up to runs of white space (Markdown joins lines and trims paragraph ends)."""
    return " ".join(a.split()) == " ".join(b.split())
