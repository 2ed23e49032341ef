"""Inlines from plain scraped text: `$…$` math, `\\eqref`, bare URLs, the rest text.

Scraped text has no Markdown, so everything that is not math or a URL is
literal text; the writer escapes it.
"""

from __future__ import annotations

import re

from ..diagnostics import Code, Reporter
from ..model import EqRef, Inline, Link, Math, SourcePos, Text
from .cjk_punctuation import restore_fullwidth

# A bare URL ends at whitespace, CJK text or closing punctuation of either width.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")
_URL_TRAILING = ".,;:!?'\")]"
_EQREF = re.compile(r"\\(?:eq)?ref\{([^{}]+)\}")


def _text_with_urls(text: str) -> list[Inline]:
    out: list[Inline] = []
    pos = 0
    for m in _URL.finditer(text):
        url = m.group(0)
        # An unmatched `)` or trailing full stop belongs to the sentence, not the URL.
        while url and (url[-1] in _URL_TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")"))):
            url = url[:-1]
        if m.start() > pos:
            out.append(Text(text[pos:m.start()]))
        out.append(Link(url, [Text(url)]))
        pos = m.start() + len(url)
    if pos < len(text):
        out.append(Text(text[pos:]))
    return out


def math_or_refs(tex: str) -> list[Inline]:
    """`$\\eqref{a}$` is a reference, not a formula; `$\\eqref{a},\\eqref{b}$` is two."""
    if not _EQREF.search(tex):
        return [Math(tex)]
    rest = _EQREF.sub("", tex)
    if rest.strip(" ,~\\;和与、()（）") and not re.fullmatch(r"[\s,~、和与()（）]*", rest):
        return [Math(tex)]  # a formula that happens to contain a reference
    out: list[Inline] = []
    pos = 0
    for m in _EQREF.finditer(tex):
        between = tex[pos:m.start()].replace("~", " ")
        if between:
            out.append(Text(between))
        out.append(EqRef(m.group(1).strip()))
        pos = m.end()
    if tex[pos:]:
        out.append(Text(tex[pos:]))
    return out


_TEXT_EQREF = re.compile(r"\\eqref\{([^{}]+)\}")


def text_with_eqrefs(text: str) -> list[Inline]:
    """Text outside `$` as MathJax reads it: an `\\eqref{…}` there is a reference too."""
    out: list[Inline] = []
    pos = 0
    for m in _TEXT_EQREF.finditer(text):
        if m.start() > pos:
            out.append(Text(text[pos:m.start()]))
        out.extend(math_or_refs(m.group(0)))
        pos = m.end()
    if pos < len(text):
        out.append(Text(text[pos:]))
    return out


def find_inline_math(text: str) -> list[tuple[int, int]]:
    """Spans of `$…$` (dollar to dollar, inclusive) on one line; `\\$` is a literal dollar."""
    spans: list[tuple[int, int]] = []
    i, opened = 0, None
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "$":
            if opened is None:
                opened = i
            else:
                if i > opened + 1:
                    spans.append((opened, i))
                opened = None
        i += 1
    return spans


def parse_plain_inlines(text: str, pos: SourcePos | None, reporter: Reporter) -> list[Inline]:
    spans = find_inline_math(text)
    dollars_in_spans = 2 * len(spans)
    total = len(re.findall(r"(?<!\\)\$", text))
    if total != dollars_in_spans:
        reporter.warn(Code.UNBALANCED_DOLLAR,
                      "unbalanced '$' in text; the unmatched part is kept as literal text", pos)
    out: list[Inline] = []
    cursor = 0
    for start, end in spans:
        out.extend(_text_with_urls(text[cursor:start]))
        out.extend(math_or_refs(text[start + 1:end]))
        cursor = end + 1
    out.extend(_text_with_urls(text[cursor:]))
    return restore_fullwidth([node for node in out if not (isinstance(node, Text) and not node.text)])
