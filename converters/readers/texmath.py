"""What a display formula means on the blog (MathJax with `tags: 'ams'`).

The blog numbers `equation`-style environments and `\\tag`s; `$$…$$` alone is
unnumbered.  This module strips the wrappers Sphinx adds itself and reports
the label, so that every reader builds MathBlock the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..diagnostics import Code, Reporter
from ..model import MathBlock, SourcePos

# Environments that make a display formula by themselves (outside `$$`).
DISPLAY_ENVS = ("equation", "equation*", "align", "align*", "gather", "gather*",
                "eqnarray", "eqnarray*", "multline", "multline*")
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


def display_block(tex: str, pos: SourcePos, reporter: Reporter) -> MathBlock:
    """The MathBlock of a display formula as any reader met it; several labels are reported."""
    display = analyse_display(tex)
    if len(display.labels) > 1:
        reporter.warn(Code.DUPLICATE_LABEL, f"one formula carries several labels "
                      f"({', '.join(display.labels)}); the first is used", pos)
    return MathBlock(display.tex, display.numbered, display.label, tag=display.tag, pos=pos)
