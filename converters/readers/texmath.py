"""What a display formula means on the blog (MathJax with `tags: 'ams'`).

The blog numbers `equation`-style environments and `\\tag`s; `$$…$$` alone is
unnumbered.  This module strips the wrappers Sphinx adds itself and reports
the label, so that every reader builds MathBlock the same way.  An `align`,
`gather`, `eqnarray`, … is numbered row by row (texrows.py): its labels stay in
its rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import texrows
from ..diagnostics import Code, Reporter
from ..model import MathBlock, MathRow, SourcePos

# Environments that make a display formula by themselves (outside `$$`).
DISPLAY_ENVS = ("equation", "equation*", "align", "align*", "gather", "gather*",
                "eqnarray", "eqnarray*", "multline", "multline*", "alignat", "alignat*", "flalign", "flalign*")
_NUMBERED_WRAPPERS = ("equation",)
_UNNUMBERED_WRAPPERS = ("equation*",)

# An environment written in the text, outside `$`: MathJax typesets it as display math.
TEXT_ENV = re.compile(r"\\begin\{(" + "|".join(re.escape(e) for e in DISPLAY_ENVS) + r")\}.*?\\end\{\1\}", re.S)
_LABEL = re.compile(r"\\label\{([^{}]*)\}")
_TAG = re.compile(r"\\tag\*?\{([^{}]*)\}")
_BEGIN_ENV = re.compile(r"^\s*\\begin\{(" + "|".join(re.escape(e) for e in DISPLAY_ENVS) + r")\}")


@dataclass
class DisplayMath:
    tex: str  # the formula without `$$`, without an equation wrapper, without \label
    numbered: bool
    label: str | None
    tag: str | None
    labels: list[str]  # every \label found (more than one is a problem to report)


def _strip_wrapper(tex: str) -> tuple[str, str | None]:
    """Remove an outer `\\begin{equation}…\\end{equation}`; return the inner text and the env."""
    m = _BEGIN_ENV.match(tex)
    if not m:
        return tex, None
    env = m.group(1)
    end = f"\\end{{{env}}}"
    stripped = tex.rstrip()
    if not stripped.endswith(end):
        return tex, None
    inner = stripped[m.end(): len(stripped) - len(end)]
    if env in _NUMBERED_WRAPPERS + _UNNUMBERED_WRAPPERS:
        return inner, env
    return tex, env  # align & co. stay: their rows are the content


def analyse_display(tex: str) -> DisplayMath:
    inner, env = _strip_wrapper(tex.strip())
    labels = [label.strip() for label in _LABEL.findall(inner)]
    inner = _LABEL.sub("", inner)
    tags = _TAG.findall(inner)
    tag = tags[0].strip() if tags else None
    if tag is not None:
        inner = _TAG.sub("", inner)
    numbered = tag is not None or (env is not None and not env.endswith("*"))
    body = "\n".join(line.rstrip() for line in inner.strip().splitlines() if line.strip())
    return DisplayMath(body, numbered, labels[0] if labels else None, tag, labels)


def display_source(block: MathBlock) -> str:
    """A display formula as its source wrote it (the inverse of `analyse_display`, without the
    wrapper): the body, its `\\tag` and its `\\label` (the source's own, before transforms/math.py
    replaces it with the page's).  What is shown when the formula cannot be typeset."""
    tex = block.tex
    if block.tag is not None:
        tex += f"\\tag{{{block.tag}}}"
    if block.label:
        tex += f"\\label{{{block.label}}}"
    return tex


class DisplayTeX:
    """Display math met among inlines (`$$…$$`, or an environment written in the text): the
    reader splits the paragraph around it."""

    def __init__(self, tex: str):
        self.tex = tex


def split_environments(text: str, read_text) -> list:
    """Text outside `$` as MathJax sees it: each environment written there is a DisplayTeX, the
    text between them goes through `read_text` (which returns a list of inlines)."""
    out: list = []
    pos = 0
    for m in TEXT_ENV.finditer(text):
        out.extend(read_text(text[pos:m.start()]))
        out.append(DisplayTeX(m.group(0)))
        pos = m.end()
    out.extend(read_text(text[pos:]))
    return out


def begins_display_env(text: str) -> str | None:
    """The environment name when `text` starts a display environment, else None."""
    m = _BEGIN_ENV.match(text)
    return m.group(1) if m else None


def _tidy(tex: str) -> str:
    return "\n".join(line.rstrip() for line in tex.strip().splitlines() if line.strip())


def rows_of(tex: str) -> list[MathRow] | None:
    """The rows of a formula that is one multi-row environment numbering at least one row
    (unstarred, or with a `\\tag`), each with its label, tag and whether the blog numbers it;
    None for any other formula.  `multline`'s one label belongs to its one number."""
    env = texrows.parse(tex)
    if env is None:
        return None
    found, _ = texrows.numbers(env, 0)
    if all(n is None for n in found):
        return None
    marks = [texrows.marks(row) for row in env.rows]
    rows = [MathRow(m.label, m.tag, n is not None) for m, n in zip(marks, found)]
    if env.name in texrows.ONE_NUMBER:
        label = next((m.label for m in marks if m.label), None)
        tag = next((m.tag for m in marks if m.tag is not None), None)
        for row in rows:
            row.label, row.tag = (label, tag) if row.numbered else (None, None)
    return rows


def display_block(tex: str, pos: SourcePos, reporter: Reporter) -> MathBlock:
    """The MathBlock of a display formula as any reader met it; several labels are reported."""
    tidy = _tidy(tex)
    rows = rows_of(tidy)
    if rows is not None:
        for row in texrows.parse(tidy).rows:
            labels = texrows.marks(row).labels
            if len(labels) > 1:
                reporter.warn(Code.DUPLICATE_LABEL, f"one row of a formula carries several labels "
                              f"({', '.join(labels)}); the first is used", pos)
        return MathBlock(tidy, True, pos=pos, rows=rows)
    display = analyse_display(tex)
    if texrows.parse(tidy) is not None:  # an environment whose rows all go unnumbered
        display.numbered = False
    if len(display.labels) > 1:
        reporter.warn(Code.DUPLICATE_LABEL, f"one formula carries several labels "
                      f"({', '.join(display.labels)}); the first is used", pos)
    return MathBlock(display.tex, display.numbered, display.label, tag=display.tag, pos=pos)
