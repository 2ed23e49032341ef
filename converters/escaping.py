"""Text from a source or the book's config, made into LaTeX, HTML or BibTeX that says only that text.

One function per target, used wherever this project builds such a string itself (the PDF's title
page and running heads in conf.py, a `\\tag` number in sphinx_ext/print_book.py, the web footer and
theme titles, the EPUB cover, the 「引用本文」 entry of writers/myst.py).  MyST has its own escaping,
in writers/myst.py.  Each function takes any string and returns markup that, read by its target,
prints the string back: no command, no tag, no unbalanced brace can come from the input.
"""

from __future__ import annotations

import html as _html
import re

_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
          "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}
# Characters TeX reads as markup or drops: controls (a ^^@ is read as ^^ notation by nothing, but
# a form feed or NUL is not text), and line breaks, which would end a paragraph or a heading.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_LATEX_SPECIAL = re.compile(r"[\\{}$&#^_%~]")


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def latex(text: str) -> str:
    """Text as LaTeX that typesets it (on one line)."""
    return _LATEX_SPECIAL.sub(lambda m: _LATEX[m.group(0)], _one_line(text))


def latex_url(url: str) -> str:
    """An address as the argument of `\\url{…}`: braces, backslashes and blanks percent-encoded,
    `%` and `#` escaped (url.sty prints them)."""
    out = []
    for ch in _one_line(url):
        if ch in "{}\\^~ " or ord(ch) < 0x20:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        elif ch in "%#":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def html(text: str) -> str:
    """Text as HTML element content or a quoted attribute value."""
    return _html.escape(str(text), quote=True)


_BIBTEX = dict(_LATEX, **{"{": r"\textbraceleft{}", "}": r"\textbraceright{}", "@": r"\symbol{64}"})
_BIBTEX_SPECIAL = re.compile(r"[\\{}$&#^_%~@]")


def bibtex(text: str) -> str:
    """Text as the value of a braced BibTeX field (`title={…}`).  BibTeX counts every brace, even
    after a backslash, so braces in the text become `\\textbraceleft{}`; `@` (which some tools
    take for a new entry) becomes `\\symbol{64}`; the rest is LaTeX-escaped, as biblatex typesets
    the field.  Every brace of the result is balanced."""
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX[m.group(0)], _one_line(text))


def bibtex_url(url: str) -> str:
    """An address as a biblatex `url` field, which is read verbatim: only braces, backslashes and
    blanks (which would end or unbalance the field) are percent-encoded."""
    out = []
    for ch in _one_line(url):
        if ch in "{}\\ \"@" or ord(ch) < 0x20:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)
