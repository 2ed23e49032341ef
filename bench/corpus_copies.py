"""N-article books made from the corpus (`../shared/corpus`, optionally mixed with the real
articles of `../shared/corpus-real`), for the scale benchmark.

Copy k of an article gets a distinct title (「…（副本k）」 appended, so a series title keeps
its series), a distinct url (`/archives/<id><k>`), a year moved back by k mod 12 (so that
a large chapter spans many years, as the blog does), links to the other articles of the
corpora rewritten to the same copy's urls (so the copies link to each other as the originals
do), and distinct formulas: every formula of copy k ends with the constant
`\\mkern{k}mu\\mkern-{k}mu` (k mu of space and back again: text of its own, no width, so that a
copy typesets exactly as its original, with no Overfull box the original has not; a visible
`\\,{}^{(k)}` made one in a 24-article PDF).  Copy 0 is the article itself.

Why distinct formulas: the blog never repeats a page's formulas a thousand times, and the
book caches work per formula (the PDF's xelatex verdicts, converters/sphinx_ext/formula_check.py;
the EPUB's MathML).  Twelve articles copied unchanged would let every copy after the first hit
those caches, and the benchmark would measure a book the author never writes.

Where the constant goes, so that every formula still typesets (MathJax and LaTeX) and means
what it meant:

* at the end of the formula, after its last row break (`\\\\`) and blanks, so that no new row
  (no new equation number) appears;
* in a formula that ends with `\\end{env}`, inside its last row (before that `\\end`), so that
  an `align` or `eqnarray` stays one environment (a `$$` holding an environment *followed* by
  more TeX is read and numbered differently, converters/readers/texmath.py);
* on a line of its own in a display whose last line holds a `%` comment (an inline formula
  like that is left as it is: a line break could end a table row);
* never in a formula that is only `\\eqref`s (the reader makes those references, not
  formulas), nor in `$(8)$` where the article has a `\\tag{8}` (transforms/math.py links it to
  that formula), nor in one that is only `\\newcommand`s (the reader drops it once the macros
  are taken), never in code; `\\label`, `\\tag`, `\\eqref` names and array column specs are
  not touched, since nothing before the end of a formula is.

How formulas are found: the way the project's reader finds them.  The body is parsed by the
reader's own markdown-it parser (converters/readers/markdown.py: dollarmath, amsmath, the
blog's additions), which gives each formula (`math_inline`, `math_inline_double`,
`math_block`, `amsmath`) and code span in document order, and each block's source lines
(`token.map`).  markdown-it keeps no column of an inline token, so within a block's lines a
small scanner walks the source — skipping backslash escapes and code spans — and matches the
tokens' formulas in order, each with its delimiters (between lines, a blockquote's `>` and a
list's indent, which markdown-it strips, may stand).  A regex over the raw text would find
`$` in code, escaped dollars and the `$$` of a display as inline formulas; the tokens say
what the reader will see.  A formula the scanner cannot place (none in either corpus) is left
unchanged and counted (`CopyStats.unplaced`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from converters.readers import front_matter
from converters.readers.macros import MacroTable, extract_definitions
from converters.readers.markdown import make_parser
from converters.readers.plain_inlines import math_or_refs
from converters.model import Math
from converters.transforms.math import _CITED_NUMBER  # `$(8)$式`: a reference to \tag{8}, not a formula

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_REAL = ROOT.parent / "shared" / "corpus-real"
_ARCHIVE = re.compile(r"(kexue\.fm/archives/)(\d+)")
_FIELD = re.compile(r"^(\w+): (.*)$", re.MULTILINE)
_PARSER = make_parser()

# Token types that hold one formula, and the delimiters it has in the source.
_INLINE_FORMULAS = {"math_inline": "$", "math_inline_double": "$$"}
_BLOCK_FORMULAS = {"math_block": "$$", "amsmath": ""}
_END_ENV = re.compile(r"\\end\{[^{}]+\}\s*\Z")
_COMMENT = re.compile(r"(?<!\\)(?:\\\\)*%")


def marker(k: int) -> str:
    """The constant that makes copy k's formulas its own: valid in any math mode (TeX and
    MathJax), of no width, and free of what Markdown would read (no escapable punctuation)."""
    return f"\\mkern{k}mu\\mkern-{k}mu"


@dataclass
class CopyStats:
    """What `_copy` did to the formulas of one article."""

    changed: int = 0
    kept: int = 0  # references-only or definitions-only formulas, and inline ones ending in a comment
    unplaced: list[str] = field(default_factory=list)  # formulas the scanner could not find in the source


@dataclass
class _Formula:
    start: int  # the formula's TeX (without delimiters) in the body
    end: int
    display: bool


def _line_starts(body: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(body):
        if ch == "\n":
            starts.append(i + 1)
    starts.append(len(body))
    return starts


def _loose(content: str) -> str:
    """A pattern for a token's content as it stands in the source: markdown-it drops a
    blockquote's `>` and a list item's indent at the start of each line."""
    return r"\n[ \t>]*".join(re.escape(line) for line in content.split("\n"))


def _code_span_end(body: str, i: int, end: int) -> int:
    """Where the code span opening at `i` (a run of backticks) ends; CommonMark: at the next run
    of the same length.  A run with no closing run is literal backticks."""
    run = len(body[i:end]) - len(body[i:end].lstrip("`"))
    closing = re.compile(rf"(?<!`)`{{{run}}}(?!`)")
    m = closing.search(body, i + run, end)
    return m.end() if m else i + run


def _place(body: str, start: int, end: int, items: list[tuple[str, str]]) -> tuple[list[_Formula | None], int]:
    """Find `items` ((delimiter, content) in source order) in body[start:end]; returns one span
    per item (None when not found) and where the scan stopped."""
    found: list[_Formula | None] = []
    i = start
    for delimiter, content in items:
        blank = r"\s*" if delimiter != "$" else ""  # a display's content is given without its outer blank lines
        pattern = re.compile(re.escape(delimiter) + blank + f"({_loose(content)})" + blank + re.escape(delimiter), re.S)
        hit = None
        j = i
        while j < end:
            ch = body[j]
            if ch == "\\" and delimiter:
                j += 2
            elif ch == "`":
                j = _code_span_end(body, j, end)
            elif (ch == "$" or not delimiter) and (m := pattern.match(body, j, end)):
                hit = m
                break
            else:
                j += 1
        if hit is None:
            found.append(None)
            continue
        found.append(_Formula(hit.start(1), hit.end(1), delimiter != "$"))
        i = hit.end()
    return found, i


def _tag_citation(content: str, body: str) -> bool:
    """`$(8)$` where the article has a `\\tag{8}`: transforms/math.py links it to that formula."""
    m = _CITED_NUMBER.match(content)
    return bool(m and re.search(r"\\tag\*?\{\s*" + re.escape(m.group(1)) + r"\s*\}", body))


def _formulas(body: str, stats: CopyStats) -> list[_Formula]:
    """The formulas of a Markdown body as the project's reader reads them, with their places."""
    lines = _line_starts(body)
    out: list[_Formula] = []
    cursor = 0
    block_map: list[int] | None = None
    for token in _PARSER.parse(body):
        if token.map:
            block_map = token.map
        if block_map is None:
            continue
        start = max(cursor, lines[min(block_map[0], len(lines) - 1)])
        # mdit_py_plugins' amsmath gives a block's map as [first line, last line], not one past it.
        end = lines[min(block_map[1] + (token.type == "amsmath"), len(lines) - 1)]
        if token.type in _BLOCK_FORMULAS:
            items = [(token.type, _BLOCK_FORMULAS[token.type], token.content)]
        elif token.type == "inline":
            items = [(c.type, _INLINE_FORMULAS[c.type], c.content) for c in token.children or []
                     if c.type in _INLINE_FORMULAS]
        else:
            continue
        wanted = []
        for kind, delimiter, content in items:
            content = content.strip("\n") if kind in _BLOCK_FORMULAS else content
            wanted.append((delimiter, content))
        places, stop = _place(body, start, end, wanted)
        for (kind, _, content), place in zip(items, places):
            if place is None:
                stats.unplaced.append(content)
            elif _kept(kind, content) or (kind == "math_inline" and _tag_citation(content, body)):
                stats.kept += 1
            elif kind == "math_inline" and _COMMENT.search(content.rsplit("\n", 1)[-1]):
                stats.kept += 1
            else:
                out.append(place)
        cursor = max(cursor, stop)
    return out


def _kept(kind: str, content: str) -> bool:
    """Formulas the reader does not keep as formulas: `$\\eqref{a}$` (a reference) and one that
    only defines macros (dropped once they are taken)."""
    if kind == "math_inline" and not (len(parts := math_or_refs(content)) == 1 and isinstance(parts[0], Math)):
        return True
    return not extract_definitions(content, MacroTable())[0].strip()


def _insertion(tex: str) -> int:
    """Where the copy's constant goes in a formula's TeX (see the module's docstring)."""
    end = len(tex.rstrip())
    if m := _END_ENV.search(tex):
        end = m.start()
    while True:
        before = tex[:end].rstrip()
        last_line = before.rsplit("\n", 1)[-1]
        if before.endswith("\\\\") and not before.endswith("\\\\\\"):
            end = len(before) - 2  # a row break: the constant goes into the row it ends
        elif "\n" in before and not last_line.strip(" \t>"):
            end = len(before) - len(last_line)  # a blockquote's empty `>` line
        else:
            return len(before)


def _distinct_formulas(body: str, k: int, stats: CopyStats) -> str:
    out, pos = [], 0
    for formula in _formulas(body, stats):
        tex = body[formula.start:formula.end]
        at = formula.start + _insertion(tex)
        constant = marker(k)
        if formula.display and _COMMENT.search(body[:at].rsplit("\n", 1)[-1]):
            constant = "\n" + constant
        out += [body[pos:at], constant]
        pos = at
        stats.changed += 1
    out.append(body[pos:])
    return "".join(out)


def copy_article(text: str, article_id: str, k: int, ids: set[str], stats: CopyStats | None = None) -> str:
    """Copy k of an article's Markdown source (copy 0: the article as it is)."""
    if k == 0:
        return text
    stats = stats if stats is not None else CopyStats()
    yaml, body, _ = front_matter.split(text)
    if yaml is None:
        raise ValueError(f"article {article_id} has no front matter")
    head = text[:len(text) - len(body)]

    def field(m: re.Match) -> str:
        key, value = m.group(1), m.group(2)
        if key == "title":
            return f'title: "{value[1:-1]}（副本{k}）"'
        if key == "date":
            year = max(2009, int(value[1:5]) - k % 12)
            return f'date: "{year}{value[5:]}'
        if key == "url":
            return f'url: "https://kexue.fm/archives/{article_id}{k:03d}"'
        return m.group(0)

    head = _FIELD.sub(field, head)
    body = _distinct_formulas(body, k, stats)
    body = _ARCHIVE.sub(lambda m: m.group(1) + (f"{m.group(2)}{k:03d}" if m.group(2) in ids else m.group(2)),
                        body)
    return head + body


def write_copies(n: int, dest: Path, corpus: Path = CORPUS, corpora: list[Path] | None = None,
                 stats: dict[str, CopyStats] | None = None) -> list[Path]:
    """Write `n` Markdown sources into `dest`, cycling over the articles of `corpora` (default:
    `[corpus]`; e.g. `[CORPUS, CORPUS_REAL]` mixes in the real articles); returns their paths.
    `stats`, when given, receives what was done to each copy's formulas (by file name)."""
    originals = [p for folder in (corpora or [corpus]) for p in sorted(folder.glob("*.md"))]
    if not originals:
        raise SystemExit(f"no corpus at {', '.join(map(str, corpora or [corpus]))} (it lives in shared/)")
    ids = {p.stem for p in originals}
    if len(ids) != len(originals):
        raise SystemExit("two corpora hold an article of the same name; their copies would collide")
    texts = {p.stem: p.read_text(encoding="utf-8") for p in originals}
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        k, original = divmod(i, len(originals))
        stem = originals[original].stem
        path = dest / f"{stem}-{k:03d}.md"
        copy_stats = CopyStats()
        path.write_text(copy_article(texts[stem], stem, k, ids, copy_stats), encoding="utf-8")
        if stats is not None:
            stats[path.name] = copy_stats
        written.append(path)
    return written
