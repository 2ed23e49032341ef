"""Only characters a page of the book can hold.

XML 1.0 (and so every XHTML page of the EPUB, its table of contents and its package file)
forbids the C0 control characters other than tab, line feed and carriage return, and the
non-characters U+FFFE and U+FFFF; TeX reads most C0 controls as invalid input.  A source can hold
them anyway: raw in a scraped file, as a YAML escape (`title: "a\\x01b"`), as an HTML or feed
character reference (`&#1;`).  An EPUB page holding one is not well-formed: an e-reader refuses
it (the build itself does not notice).  So every text of an article, whatever its reader, has
them replaced: a vertical tab, form feed or U+001C–U+001E (line ends to str.splitlines, which
the writer makes spaces) by a space, the others by U+FFFD, which shows the reader where something stood; one warning per
article says how many and which.
"""

from __future__ import annotations

import dataclasses
import re

from ..diagnostics import Code, Reporter
from ..model import Article, PartialDate, SourcePos

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_BLANKS = "\x0b\x0c\x1c\x1d\x1e"  # line ends to str.splitlines (and so to the writer)


def _replace(text: str, found: list[str]) -> str:
    def one(m: re.Match) -> str:
        found.append(m.group(0))
        return " " if m.group(0) in _BLANKS else "\ufffd"

    return FORBIDDEN.sub(one, text)


def _clean(root: object, found: list[str]) -> None:
    """Every string below `root` (dataclass fields, lists, dicts), in place; no recursion, so
    that any depth of nesting is walked."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (SourcePos, PartialDate)):
            continue  # where it came from, and numbers: not text of the article
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            for f in dataclasses.fields(node):
                value = getattr(node, f.name)
                if isinstance(value, str):
                    if FORBIDDEN.search(value):
                        setattr(node, f.name, _replace(value, found))
                else:
                    stack.append(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    if FORBIDDEN.search(value):
                        node[i] = _replace(value, found)
                else:
                    stack.append(value)
        elif isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str):
                    if FORBIDDEN.search(value):
                        node[key] = _replace(value, found)
                else:
                    stack.append(value)


def replace_forbidden_characters(articles: list[Article], reporter: Reporter) -> list[Article]:
    for article in articles:
        found: list[str] = []
        _clean(article, found)
        if found:
            names = ", ".join(f"U+{ord(c):04X}" for c in sorted(set(found))[:5])
            reporter.warn(Code.ENCODING, f"《{article.meta.title}》 holds {len(found)} control character(s) "
                          f"no page can hold ({names}): replaced by '\ufffd' (a line end by a space)",
                          article.pos)
    return articles
