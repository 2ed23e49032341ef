"""What TeX from a source may do: typeset, never touch files or the shell.

Used by the converter (formulas that could reach files become code) and by the PDF build (the
formula check skips such formulas again, and every xelatex run is sandboxed by kpathsea's own
settings), so that a page written by hand is held to the same rule.
"""

from __future__ import annotations

import os
import re

# Primitives and commands that reach files, the shell, or build commands from characters.
UNSAFE_TEX = re.compile(
    r"\\(?:input|include|includeonly|InputIfFileExists|IfFileExists|openin|openout|read|readline|"
    r"write|immediate|newwrite|newread|closein|closeout|special|catcode|csname|scantokens|endinput|"
    r"usepackage|RequirePackage|documentclass|includegraphics|verbatiminput|lstinputlisting|"
    r"directlua|latelua|ShellEscape|pdfshellescape|write18|detokenize|jobname|font|loop|"
    r"makeatletter|makeatother|ExplSyntaxOn|lowercase|uppercase)(?![A-Za-z@])"
    r"|\^\^"  # TeX's ^^5c notation turns hex digits into any character, `\` included
    r"|\\begin\s*\{\s*filecontents")


def unsafe_tex(tex: str) -> str | None:
    """The first construct of `tex` that may touch files or the shell, or None."""
    m = UNSAFE_TEX.search(tex)
    return m.group(0) if m else None


def tex_sandbox_env() -> dict[str, str]:
    """The environment for xelatex/latexmk: no shell escape at all, and reading or writing only
    files below the working folder (kpathsea's `paranoid` mode; environment beats texmf.cnf)."""
    env = dict(os.environ)
    env.update({"shell_escape": "f", "openin_any": "p", "openout_any": "p"})
    return env
