"""markdown-it rule: emphasis as the blog renders it next to Chinese text.

CommonMark decides whether `**` opens or closes from the characters around it:
a closing `**` after punctuation must be followed by whitespace or punctuation.
Chinese has no spaces, so `**摘要：**本文` never closes in CommonMark, while
the blog's renderer shows it bold.  Here a CJK character on the outer side of
a `*` run counts like whitespace, which is what a Chinese writer means.
`_` keeps the CommonMark rule (it is common inside identifiers).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Delimiter, StateInline

_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                  r"\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


def _flanking(last: str, nxt: str, cjk_friendly: bool) -> tuple[bool, bool, bool, bool]:
    last_ws, next_ws = isWhiteSpace(ord(last)), isWhiteSpace(ord(nxt))
    last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
    next_punct = isMdAsciiPunct(ord(nxt)) or isPunctChar(nxt)
    last_open = last_ws or last_punct or (cjk_friendly and is_cjk(last))
    next_open = next_ws or next_punct or (cjk_friendly and is_cjk(nxt))
    left = not next_ws and (not next_punct or last_open)
    right = not last_ws and (not last_punct or next_open)
    return left, right, last_punct, next_punct


def delimiter_run(src: str, start: int, end: int, cjk_friendly: bool = True) -> tuple[int, bool, bool]:
    """(length, can_open, can_close) of the run of `src[start]` markers."""
    marker = src[start]
    pos = start
    while pos < end and src[pos] == marker:
        pos += 1
    last = src[start - 1] if start > 0 else " "
    nxt = src[pos] if pos < end else " "
    if marker == "*":
        left, right, _, _ = _flanking(last, nxt, cjk_friendly)
        return pos - start, left, right
    left, right, last_punct, next_punct = _flanking(last, nxt, False)
    return pos - start, left and (not right or last_punct), right and (not left or next_punct)


def _tokenize(state: StateInline, silent: bool) -> bool:
    marker = state.src[state.pos]
    if silent or marker not in ("_", "*"):
        return False
    length, can_open, can_close = delimiter_run(state.src, state.pos, state.posMax)
    for _ in range(length):
        token = state.push("text", "", 0)
        token.content = marker
        state.delimiters.append(Delimiter(marker=ord(marker), length=length, token=len(state.tokens) - 1,
                                          end=-1, open=can_open, close=can_close))
    state.pos += length
    return True


def cjk_emphasis_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.at("emphasis", _tokenize)
