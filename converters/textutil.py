"""Small text helpers shared by readers and transforms: title keys, numerals, slugs."""

from __future__ import annotations

import hashlib
import re
import unicodedata


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_QUOTES = "\"'“”‘’「」『』"
# Characters NFKC leaves alone but that vary between copies of the same title.
_FOLD = str.maketrans({"—": "-", "–": "-", "～": "~", "…": "...", "·": "", "・": ""})


# What ends a line for markdown-it (`\r\n`, `\r`, `\n`) and for MyST, which splits a directive's
# body with `str.splitlines()` (also `\v`, `\f`, `\x1c`-`\x1e`, NEL, U+2028, U+2029).  An inline
# node (text, code, a link's title) holds none of them: in a page, the next line could open a
# fence (a directive), a list or a heading.
LINE_END = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with every line end a space, as a browser shows a line break inside a line."""
    return LINE_END.sub(" ", text)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def title_key(title: str) -> str:
    """The comparison form of a title: `（七）：` equals `(七):`, quotes and spaces drop out."""
    text = unicodedata.normalize("NFKC", title).translate(_FOLD)
    text = "".join(ch for ch in text if ch not in _QUOTES and not ch.isspace())
    return text.casefold()


# Half-width punctuation the blog writes full-width in Chinese titles.
_FULL_WIDTH = str.maketrans({"(": "（", ")": "）", ":": "：", "?": "？", "!": "！", ",": "，", ";": "；"})
_INLINE_MATH = re.compile(r"(\$[^$]+\$)")


def display_title(title: str) -> str:
    """A Chinese title as the blog prints it: full-width `（）：？！，；`, single spaces.

    Titles without CJK (and formulas inside titles) are left as they are.
    """
    title = " ".join(title.split())
    if not has_cjk(title):
        return title
    parts = _INLINE_MATH.split(title)
    return "".join(p if p.startswith("$") else p.translate(_FULL_WIDTH) for p in parts)


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100}


def parse_numeral(text: str) -> int | None:
    """`七` → 7, `十三` → 13, `二十` → 20, `9` → 9; None when it is not a numeral."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            total += (current or 1) * _UNITS[ch]
            current = 0
    return total + current


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def slugify(text: str, max_length: int = 40) -> str:
    """An ASCII slug from any title: pinyin for Chinese, words for Latin script.

    Stable: it depends on the text alone, never on what else is in the book.
    """
    # Imported here: pypinyin's dictionaries are half of the command's start-up time, and a book
    # whose articles all have blog urls (names `a<id>`) never needs them.
    from pypinyin import lazy_pinyin

    words: list[str] = []
    for chunk in lazy_pinyin(unicodedata.normalize("NFKC", text)):
        words.extend(re.findall(r"[a-z0-9]+", chunk.casefold()))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug
