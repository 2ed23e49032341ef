"""The rows of a multi-row display environment, numbered as the blog's MathJax numbers them.

The blog's MathJax uses AMS numbering (`tags: 'ams'`): every row of `align`, `gather`,
`eqnarray`, `alignat` and `flalign` gets its own number unless it carries `\\nonumber`,
`\\notag` or `\\tag{…}` (which shows itself and does not advance the count); `multline` gets one
number, on its last row; starred forms number nothing but their `\\tag`s.  A `\\label` names
the row it sits in.  MathJax drops a last row that holds nothing (a trailing `\\\\`).  These rules
were checked against MathJax 3 itself (the copy the book serves), with `tags: 'ams'`.

Used by the converter (numbering, labels, `\\eqref`s) and by the Sphinx extensions (the numbers
shown and the text each format receives), so that both count the same rows.  Everything here
is about TeX text; nothing reads files or the model.

The numbers reach every format as TeX both MathJax and LaTeX read: an explicit `\\tag{n}` on
each numbered row and `\\notag` on the others (`tagged`).  The EPUB gets an `array` whose last
column holds the numbers (`numbered_array`): MathML readers do not lay out `mlabeledtr`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Environments MathJax numbers row by row (unstarred); `multline` gets one number.
ROW_NUMBERED = ("align", "gather", "eqnarray", "alignat", "flalign")
ONE_NUMBER = ("multline",)
_NAMES = ROW_NUMBERED + ONE_NUMBER
_BEGIN = re.compile(r"\s*\\begin\s*\{(" + "|".join(_NAMES) + r")(\*?)\}")
_ALIGNAT_ARG = re.compile(r"\s*\{\s*\d+\s*\}")
_ENV_MARK = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
_CONTROL = re.compile(r"\\(?:[A-Za-z]+|.)", re.S)
# `\\`, `\\*`, and the vertical space it may take (`\\[4pt]`).
_ROW_END = re.compile(r"\*?(?:\s*\[\s*[-+]?\s*[\d.]+\s*[A-Za-z]{2}\s*\])?")

LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
TAG = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
NONUMBER = re.compile(r"\\(?:nonumber|notag)(?![A-Za-z])")


@dataclass
class RowEnv:
    """One multi-row environment: its head (`\\begin{alignat}{2}`), rows and the separators
    between them, exactly as written (`source()` gives the text back)."""

    name: str  # without the star
    starred: bool
    head: str
    rows: list[str]
    seps: list[str]  # seps[i] follows rows[i]; one fewer than rows

    @property
    def env(self) -> str:
        return self.name + ("*" if self.starred else "")

    def source(self) -> str:
        body = "".join(row + sep for row, sep in zip(self.rows, self.seps + [""]))
        return f"{self.head}{body}\\end{{{self.env}}}"

    def kept(self) -> list[int]:
        """Indexes of the rows MathJax shows: a last row holding nothing is dropped."""
        indexes = list(range(len(self.rows)))
        if len(indexes) > 1 and not self.rows[-1].strip():
            indexes.pop()
        return indexes


def _top_level(body: str) -> list[tuple[str, int, int]] | None:
    """Row (`\\\\`) and cell (`&`) separators outside braces and nested environments;
    None when an `\\end` closes more than was opened (not one environment)."""
    marks: list[tuple[str, int, int]] = []
    depth = envs = 0
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "\\":
            if body.startswith("\\\\", i):
                end = _ROW_END.match(body, i + 2).end()
                if depth == 0 and envs == 0:
                    marks.append(("row", i, end))
                i = end
                continue
            env = _ENV_MARK.match(body, i)
            if env:
                envs += 1 if env.group(1) == "begin" else -1
                if envs < 0:
                    return None
                i = env.end()
                continue
            control = _CONTROL.match(body, i)
            i = control.end() if control else i + 1
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "&" and depth == 0 and envs == 0:
            marks.append(("cell", i, i + 1))
        i += 1
    return marks


def parse(tex: str) -> RowEnv | None:
    """The environment when the whole formula is one `align`, `gather`, `eqnarray`, `alignat`,
    `flalign` or `multline` (starred or not), else None."""
    m = _BEGIN.match(tex)
    if not m:
        return None
    name, star = m.group(1), m.group(2)
    start = m.end()
    if name == "alignat":
        arg = _ALIGNAT_ARG.match(tex, start)
        if arg:
            start = arg.end()
    text = tex.rstrip()
    end = re.search(r"\\end\s*\{" + re.escape(name + star) + r"\}$", text)
    if not end or end.start() < start:
        return None
    body = text[start:end.start()]
    marks = _top_level(body)
    if marks is None:
        return None
    rows, seps, pos = [], [], 0
    for kind, a, b in marks:
        if kind == "row":
            rows.append(body[pos:a])
            seps.append(body[a:b])
            pos = b
    rows.append(body[pos:])
    return RowEnv(name, bool(star), tex[:start].lstrip(), rows, seps)


def cells(row: str) -> list[str]:
    """The cells of one row (split at its own `&`s, not those of nested arrays)."""
    out, pos = [], 0
    for kind, a, b in _top_level(row) or []:
        if kind == "cell":
            out.append(row[pos:a])
            pos = b
    out.append(row[pos:])
    return out


@dataclass
class RowMarks:
    label: str | None
    labels: list[str]  # every \label of the row (more than one is a problem to report)
    tag: str | None
    nonumber: bool


def marks(row: str) -> RowMarks:
    labels = [label.strip() for label in LABEL.findall(row)]
    tag = TAG.search(row)
    return RowMarks(labels[0] if labels else None, labels, tag.group(1).strip() if tag else None,
                    bool(NONUMBER.search(row)))


def bare(row: str) -> str:
    """A row without its `\\label`, `\\tag` and `\\nonumber`."""
    return NONUMBER.sub("", TAG.sub("", LABEL.sub("", row)))


Number = int | str | None  # a count, a `\tag`'s text, or no number


def numbers(env: RowEnv, count: int) -> tuple[list[Number], int]:
    """Each row's number (None for a row without one, or one MathJax drops) and the count after
    the environment, the count before it being `count`."""
    found: list[Number] = [None] * len(env.rows)
    kept = env.kept()
    row_marks = [marks(env.rows[i]) for i in kept]
    if env.name in ONE_NUMBER:  # one number for the whole formula, shown on its last row
        tags = [m.tag for m in row_marks if m.tag is not None]
        if tags:
            found[kept[-1]] = tags[0]
        elif not env.starred and not any(m.nonumber for m in row_marks):
            count += 1
            found[kept[-1]] = count
        return found, count
    for i, m in zip(kept, row_marks):
        if m.tag is not None:
            found[i] = m.tag
        elif not env.starred and not m.nonumber:
            count += 1
            found[i] = count
    return found, count


def with_labels(env: RowEnv, labels: list[str | None]) -> str:
    """The environment's text with each row's `\\label`s replaced by `labels[i]` (None: none)."""
    rows = [LABEL.sub("", row) for row in env.rows]
    for i, label in enumerate(labels):
        if label:
            rows[i] = _append(rows[i], f"\\label{{{label}}}")
    return RowEnv(env.name, env.starred, env.head, rows, env.seps).source()


def _append(row: str, marks: str) -> str:
    """Marks go at the end of the row's text, before the blank that precedes the `\\\\`."""
    stripped = row.rstrip()
    rest = row[len(stripped):]
    return stripped + marks + (rest.lstrip(" \t") if "\n" in rest else rest)


def tagged(env: RowEnv, found: list[Number], labels: list[str | None] | None = None,
           eqnarray_as_align: bool = False) -> str:
    """The environment with its numbers written out: `\\tag{n}` on every numbered row, `\\notag`
    on the others, `labels[i]` (if given) as the row's `\\label`; read alike by MathJax and by
    LaTeX (amsmath), whatever their own counters.  LaTeX has no `\\tag` in `eqnarray`: with
    `eqnarray_as_align` its rows become `align` rows (`a &=& b` → `a &= b`)."""
    name = env.name
    kept = env.kept()  # once: asked per row, it made a long `multline` quadratic
    rows_out = []
    for i in kept:
        row = bare(env.rows[i])
        if name == "eqnarray" and eqnarray_as_align:
            parts = cells(row)
            row = parts[0] + ("&" + " ".join(p.strip() for p in parts[1:]) if len(parts) > 1 else "")
        number = found[i]
        if number is not None:
            mark = f"\\tag{{{number}}}"
        elif name in ONE_NUMBER and i != kept[-1]:
            mark = ""  # multline: its one mark sits on the last row
        else:
            mark = "\\notag"
        if labels and labels[i] and number is not None:
            mark += f"\\label{{{labels[i]}}}"
        rows_out.append(_append(row, mark))
    if name == "eqnarray" and eqnarray_as_align:
        name = "align"
    env_name = name + ("*" if env.starred else "")
    head = env.head if name == env.name else f"\\begin{{{env_name}}}"
    body = "".join(row + (env.seps[i] if k < len(kept) - 1 else "") for k, (i, row) in enumerate(zip(kept, rows_out)))
    return f"{head}{body}\\end{{{env_name}}}"


_COLUMNS = {"eqnarray": "rcl", "gather": "c", "multline": "c"}


def numbered_array(env: RowEnv, found: list[Number]) -> str:
    """The environment as an `array` whose last column holds the numbers (none when no row has
    one): what MathML shows without `mlabeledtr` (which MathML Core, and so EPUB readers built
    on browsers, do not lay out).  Cells keep display style; the left cells of `align` pairs
    start with `{}` so that a relation there keeps its spacing, as in `align`.  An empty cell is
    `{}`: latex2mathml drops a last row that ends in an empty cell."""
    kept = env.kept()
    rows = [cells(bare(env.rows[i])) for i in kept]
    width = max(len(r) for r in rows)
    pattern = _COLUMNS.get(env.name, "rl")
    spec = (pattern * width)[:width] if len(pattern) == 2 else (pattern + "c" * width)[:width]
    numbered = any(found[i] is not None for i in kept)
    lines = []
    for i, row in zip(kept, rows):
        out = []
        for k in range(width):
            cell = row[k].strip() if k < len(row) else ""
            if len(pattern) == 2 and k % 2 == 1:
                cell = "{}" + cell
            elif len(pattern) == 2 and k > 0 and cell:
                cell = "\\qquad " + cell
            out.append("{\\displaystyle " + cell + "}" if cell else "{}")
        if numbered:
            out.append(f"\\qquad\\text{{({found[i]})}}" if found[i] is not None else "{}")
        lines.append(" & ".join(out))
    return f"\\begin{{array}}{{{spec}{'r' if numbered else ''}}}" + " \\\\ ".join(lines) + "\\end{array}"
