"""Page-level TeX macros (`$\\newcommand{\\sign}{…}$`), expanded where they are used.

On the blog MathJax keeps a `\\newcommand` for the rest of the page; LaTeX would
keep it only inside the formula that defines it.  Expanding the macros in every
formula of the article gives the same formulas to HTML, LaTeX and EPUB alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..diagnostics import Code, Reporter
from ..model import Article, Math, MathBlock, SourcePos, walk

_DEFINE = re.compile(r"\\(?:re)?newcommand\*?\s*|\\def\s*(?=\\)")


@dataclass
class Macro:
    name: str  # without the backslash
    nargs: int
    body: str


@dataclass
class MacroTable:
    macros: dict[str, Macro] = field(default_factory=dict)


def _group(tex: str, i: int) -> tuple[str, int] | None:
    """The balanced `{…}` group starting at `i` (after blanks): (content, index after it)."""
    while i < len(tex) and tex[i].isspace():
        i += 1
    if i >= len(tex) or tex[i] != "{":
        return None
    depth = 0
    for j in range(i, len(tex)):
        if tex[j] == "\\":
            continue
        if tex[j] == "{" and (j == 0 or tex[j - 1] != "\\"):
            depth += 1
        elif tex[j] == "}" and tex[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return tex[i + 1:j], j + 1
    return None


def _argument(tex: str, i: int) -> tuple[str, int] | None:
    group = _group(tex, i)
    if group:
        return group
    while i < len(tex) and tex[i].isspace():
        i += 1
    if i >= len(tex):
        return None
    m = re.match(r"\\[A-Za-z]+|\\.|.", tex[i:])
    return (m.group(0), i + m.end()) if m else None


def extract_definitions(tex: str, table: MacroTable) -> tuple[str, bool]:
    """Record the definitions in `tex`; return `tex` without them and whether any was malformed."""
    out, pos, bad = [], 0, False
    for m in _DEFINE.finditer(tex):
        if m.start() < pos:
            continue
        i = m.end()
        name_group = _group(tex, i)
        if name_group:
            name, i = name_group
        else:
            nm = re.match(r"\\([A-Za-z]+)", tex[i:])
            if not nm:
                bad = True
                continue
            name, i = nm.group(0), i + nm.end()
        nargs = 0
        na = re.match(r"\s*\[(\d)\]", tex[i:])
        if na:
            nargs, i = int(na.group(1)), i + na.end()
        body = _group(tex, i)
        if body is None:
            bad = True
            continue
        out.append(tex[pos:m.start()])
        table.macros[name.strip().lstrip("\\")] = Macro(name.strip().lstrip("\\"), nargs, body[0])
        pos = body[1]
    out.append(tex[pos:])
    return "".join(out), bad


def expand(tex: str, table: MacroTable, depth: int = 0) -> str:
    if not table.macros or depth > 8:
        return tex
    names = "|".join(re.escape(n) for n in sorted(table.macros, key=len, reverse=True))
    pattern = re.compile(rf"\\({names})(?![A-Za-z])")
    out, pos, changed = [], 0, False
    for m in pattern.finditer(tex):
        if m.start() < pos:
            continue
        macro = table.macros[m.group(1)]
        i, args = m.end(), []
        for _ in range(macro.nargs):
            arg = _argument(tex, i)
            if arg is None:
                break
            args.append(arg[0])
            i = arg[1]
        if len(args) != macro.nargs:
            continue
        body = macro.body
        for k, arg in enumerate(args, 1):
            body = body.replace(f"#{k}", arg)
        # Braces keep the expansion one unit, as TeX's own expansion would.
        out.append(tex[pos:m.start()] + "{" + body + "}")
        pos, changed = i, True
    out.append(tex[pos:])
    result = "".join(out)
    return expand(result, table, depth + 1) if changed else result


def expand_article_macros(article: Article, table: MacroTable, reporter: Reporter) -> None:
    nodes = [n for n in walk(article.body) if isinstance(n, (Math, MathBlock))]
    pos: SourcePos | None = article.pos
    for node in nodes:
        node.tex, bad = extract_definitions(node.tex, table)
        if bad:
            reporter.warn(Code.UNREADABLE, "a \\newcommand could not be read; left in the formula",
                          getattr(node, "pos", None) or pos)
    if not table.macros:
        return
    for node in nodes:
        node.tex = expand(node.tex, table)
    _drop_empty_math(article)


def _drop_empty_math(article: Article) -> None:
    """A formula that only defined macros shows nothing on the blog: it goes."""
    for node in walk(article.body):
        for attr in ("inlines", "children", "caption", "blocks"):
            value = getattr(node, attr, None)
            if isinstance(value, list):
                setattr(node, attr, [n for n in value
                                     if not (isinstance(n, (Math, MathBlock)) and not n.tex.strip())])
    article.body = [n for n in article.body if not (isinstance(n, MathBlock) and not n.tex.strip())]
