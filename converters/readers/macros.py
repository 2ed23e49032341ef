"""Page-level TeX macros (`$\\newcommand{\\sign}{…}$`), expanded where they are used.

On the blog MathJax keeps a `\\newcommand` for the rest of the page; LaTeX would
keep it only inside the formula that defines it.  Expanding the macros in every
formula of the article gives the same formulas to HTML, LaTeX and EPUB alike.

Two limits keep a hostile page from taking the book down with it:

* a definition whose body TeX could use to reach files (texsafety.py) is not taken: it stays in
  its formula, where transforms/safety.py shows it as code with a warning, and its uses stay
  unexpanded;
* expansion is capped by size, not only in rounds: a formula may grow to
  max(`MIN_BUDGET`, `GROWTH` × its own length) characters and an article's formulas together to
  max(`ARTICLE_MIN_BUDGET`, `GROWTH` × theirs).  `\\newcommand{\\x}{\\x\\x\\x}` then `$\\x$`
  would otherwise double the memory a round; MathJax itself stops such a page with an error.
  A formula over its budget (or still changing after `MAX_ROUNDS`) keeps its source, shown as
  code since its macros are not defined anywhere else, with a `KB116` warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..diagnostics import Code, Reporter
from ..model import Article, Code as InlineCode, CodeBlock, Math, MathBlock, SourcePos, walk
from ..texsafety import unsafe_tex
from .texmath import display_source

MIN_BUDGET = 8_000  # characters a formula may always grow to
GROWTH = 20  # … or this many times its own length
ARTICLE_MIN_BUDGET = 1_000_000  # characters an article's formulas may always grow to
MAX_ROUNDS = 20  # expansion rounds before a formula that still changes is given up (a recursion)

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
        if unsafe_tex(body[0]) or unsafe_tex(name):
            continue  # left in its formula, which transforms/safety.py then shows as code
        out.append(tex[pos:m.start()])
        table.macros[name.strip().lstrip("\\")] = Macro(name.strip().lstrip("\\"), nargs, body[0])
        pos = body[1]
    out.append(tex[pos:])
    return "".join(out), bad


_PARAM = re.compile(r"#(\d)")


class MacroBomb(Exception):
    """An expansion that would outgrow its budget or never ends."""


def expand(tex: str, table: MacroTable, budget: int | None = None) -> str:
    """`tex` with the table's macros expanded until nothing changes; raises MacroBomb when the
    result would exceed `budget` characters (default: `formula_budget(tex)`) or keeps changing
    after MAX_ROUNDS rounds.  Sizes are computed before any text is built."""
    if not table.macros:
        return tex
    budget = formula_budget(tex) if budget is None else budget
    names = "|".join(re.escape(n) for n in sorted(table.macros, key=len, reverse=True))
    pattern = re.compile(rf"\\({names})(?![A-Za-z])")
    for _ in range(MAX_ROUNDS):
        out, pos, changed, size = [], 0, False, 0
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
            size += m.start() - pos + 2 + len(macro.body) + sum(
                (len(args[int(k) - 1]) - 2) for k in _PARAM.findall(macro.body) if 0 < int(k) <= len(args))
            if size > budget:
                raise MacroBomb(f"\\{macro.name} expands beyond {budget:,} characters")
            # All parameters at once, as TeX does: an argument holding `#2` stays as it is.
            body = _PARAM.sub(lambda p: args[int(p.group(1)) - 1] if 0 < int(p.group(1)) <= len(args)
                              else p.group(0), macro.body)
            # Braces keep the expansion one unit, as TeX's own expansion would.
            out.append(tex[pos:m.start()] + "{" + body + "}")
            pos, changed = i, True
        if not changed:
            return tex
        if size + len(tex) - pos > budget:
            raise MacroBomb(f"the formula's macros expand beyond {budget:,} characters")
        out.append(tex[pos:])
        tex = "".join(out)
    raise MacroBomb(f"the formula's macros still expand after {MAX_ROUNDS} rounds (a recursion)")


def formula_budget(tex: str) -> int:
    return max(MIN_BUDGET, GROWTH * len(tex))


def expand_article_macros(article: Article, table: MacroTable, reporter: Reporter) -> None:
    nodes = []  # (formula, the position of the block that holds it)
    pos: SourcePos | None = article.pos
    for node in walk(article.body):
        if isinstance(getattr(node, "pos", None), SourcePos):
            pos = node.pos
        if isinstance(node, (Math, MathBlock)):
            nodes.append((node, pos))
    for node, where in nodes:
        node.tex, bad = extract_definitions(node.tex, table)
        if bad:
            reporter.warn(Code.UNREADABLE, "a \\newcommand could not be read; left in the formula", where)
    if not table.macros:
        return
    remaining = max(ARTICLE_MIN_BUDGET, GROWTH * sum(len(node.tex) for node, _ in nodes))
    kept: dict[int, object] = {}
    for node, where in nodes:
        try:
            expanded = expand(node.tex, table, min(formula_budget(node.tex), remaining))
        except MacroBomb as bomb:
            reporter.warn(Code.MACRO_BOMB, f"{bomb}; the formula is shown as its source: "
                          f"{_shorten(node.tex)}", where)
            kept[id(node)] = _as_source(node)
            continue
        remaining -= max(0, len(expanded) - len(node.tex))
        node.tex = expanded
    if kept:
        _replace(article, kept)
    _drop_empty_math(article)


def _shorten(tex: str, limit: int = 80) -> str:
    tex = " ".join(tex.split())
    return tex if len(tex) <= limit else tex[:limit] + "…"


def _as_source(node: Math | MathBlock):
    """The formula as written, as code: its macros are defined nowhere it could be typeset."""
    if isinstance(node, Math):
        return InlineCode(f"${node.tex}$")
    return CodeBlock(display_source(node), "latex", node.pos)


def _replace(article: Article, by_id: dict[int, object]) -> None:
    """Put `by_id[id(node)]` in the place of each such node, wherever it sits."""
    def in_list(items: list) -> list:
        return [by_id.get(id(item), item) if not isinstance(item, list) else in_list(item) for item in items]

    for node in walk(article.body):
        for attr in ("inlines", "children", "caption", "blocks", "items", "header", "rows"):
            value = getattr(node, attr, None)
            if isinstance(value, list):
                setattr(node, attr, in_list(value))
    article.body = in_list(article.body)


def _drop_empty_math(article: Article) -> None:
    """A formula that only defined macros shows nothing on the blog: it goes."""
    for node in walk(article.body):
        for attr in ("inlines", "children", "caption", "blocks"):
            value = getattr(node, attr, None)
            if isinstance(value, list):
                setattr(node, attr, [n for n in value
                                     if not (isinstance(n, (Math, MathBlock)) and not n.tex.strip())])
    article.body = [n for n in article.body if not (isinstance(n, MathBlock) and not n.tex.strip())]
