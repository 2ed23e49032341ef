"""Reader for plain-text scrapes of kexue.fm listing pages (`sources/*.txt`).

Two page shapes occur, sometimes in one file:

* by-line listings — a title line, then `By 苏剑林 | 2021-05-17 | 147338位读者 | 引用`
  glued to the first paragraph, then more paragraphs, one per line;
* archive listings — `9 Dec`, the title, paragraphs, `点击阅读全文...`.

Both show only the opening of each article, so every entry is an excerpt.
Each line of the scrape is one paragraph of the page; this module recovers
headings, display math, lists, figure captions and literal snippets from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Code, Reporter
from ..model import (Article, Block, CodeBlock, Figure, Heading, ListBlock, Meta,
                     Paragraph, PartialDate, SourcePos, plain_text)
from .plain_inlines import find_inline_math, parse_plain_inlines
from .texmath import DISPLAY_ENVS, display_block
from .textio import read_text
from ..textutil import display_title

BYLINE = re.compile(r"^By (?P<author>[^|]+?) \| (?P<date>\d{4}-\d{2}-\d{2}) \| (?P<readers>\d+)位读者 \| 引用(?P<rest>.*)$")
ARCHIVE_DATE = re.compile(r"^(?P<day>\d{1,2}) (?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$")
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
READ_MORE = "点击阅读全文..."
# Where the page's own chrome (comment widgets, sidebars) begins: nothing after it is article text.
CHROME_MARKERS = ("最近评论",)

_HTML_OPEN = re.compile(r"^<([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?>$")
_LIST_ITEM = re.compile(r"^(?P<n>\d{1,2})(?:\.\s+|、)(?P<rest>\S.*)$")
_SENTENCE_PUNCT = set("。，,；;！!？?：:、…")
_DISPLAY_START = re.compile(r"\$\$|\\begin\{(" + "|".join(re.escape(e) for e in DISPLAY_ENVS) + r")\}")


@dataclass
class Line:
    number: int
    text: str


# --- page structure ------------------------------------------------------------


def _strip_chrome(lines: list[Line]) -> list[Line]:
    for i, line in enumerate(lines):
        if line.text.strip() in CHROME_MARKERS:
            return lines[:i]
        for marker in CHROME_MARKERS:
            if line.text.rstrip().endswith(marker) and line.text.strip() != marker:
                # glued to the last paragraph by the scrape
                return lines[:i] + [Line(line.number, line.text.rstrip()[: -len(marker)])]
    return lines


def _looks_like_title(text: str) -> bool:
    text = text.strip()
    return bool(text) and len(text) <= 64 and "。" not in text and not text.endswith(("，", ",")) \
        and "$$" not in text and "\\begin" not in text


@dataclass
class _Entry:
    title: str | None
    title_line: int
    meta: dict
    body: list[Line]
    read_more: bool


def _split_entries(lines: list[Line]) -> list[_Entry]:
    """Cut a page into entries; body lines keep their line numbers."""
    starts: list[tuple[int, str]] = []  # (index, kind)
    for i, line in enumerate(lines):
        text = line.text.strip()
        if BYLINE.match(text):
            starts.append((i, "byline"))
        elif ARCHIVE_DATE.match(text):
            starts.append((i, "archive"))

    entries: list[_Entry] = []
    for k, (i, kind) in enumerate(starts):
        nxt = starts[k + 1] if k + 1 < len(starts) else None
        if kind == "byline":
            m = BYLINE.match(lines[i].text.strip())
            title_line = lines[i - 1] if i > 0 else None
            end = nxt[0] - (1 if nxt and nxt[1] == "byline" else 0) if nxt else len(lines)
            rest = m.group("rest").strip()
            body: list[Line] = []
            if rest and not (nxt and nxt[1] == "byline" and nxt[0] == i + 1):
                body.append(Line(lines[i].number, rest))
            # else: the glued text is the next entry's title (the listing showed no excerpt)
            body.extend(lines[i + 1:end])
            meta = {"author": m.group("author").strip(), "date": m.group("date"),
                    # a count of more digits than any blog has is no count (int() refuses 4,300 digits)
                    "readers": int(m.group("readers")) if len(m.group("readers")) <= 15 else None}
            title = title_line.text.strip() if title_line else None
            prev = BYLINE.match(title) if title else None
            if prev:  # the previous entry showed no excerpt: its glued text is our title
                title = prev.group("rest").strip() or None
            entries.append(_Entry(title, title_line.number if title_line else lines[i].number,
                                  meta, body, read_more=False))
        else:
            m = ARCHIVE_DATE.match(lines[i].text.strip())
            end = nxt[0] if nxt else len(lines)
            chunk = lines[i + 1:end]
            read_more = any(line.text.strip() == READ_MORE for line in chunk)
            chunk = [line for line in chunk if line.text.strip() != READ_MORE]
            nonblank = [j for j, line in enumerate(chunk) if line.text.strip()]
            title, title_line = None, lines[i].number
            if nonblank:
                first = chunk[nonblank[0]]
                has_more = len(nonblank) > 1
                if has_more and _looks_like_title(first.text):
                    title, title_line = first.text.strip(), first.number
                    chunk = chunk[nonblank[0] + 1:]
            meta = {"month": MONTHS[m.group("month")], "day": int(m.group("day"))}
            entries.append(_Entry(title, title_line, meta, chunk, read_more))
    return entries


# --- blocks ------------------------------------------------------------------


def _split_literal_html(lines: list[Line]) -> list[list[Line] | CodeBlock]:
    """Runs of text lines, with HTML snippets the page displayed literally cut out as code."""
    out: list[list[Line] | CodeBlock] = []
    current: list[Line] = []
    i = 0
    while i < len(lines):
        m = _HTML_OPEN.match(lines[i].text.strip())
        close = None
        if m:
            closing = f"</{m.group(1)}>"
            close = next((j for j in range(i + 1, min(len(lines), i + 40))
                          if lines[j].text.strip() == closing), None)
        if close is None:
            current.append(lines[i])
            i += 1
            continue
        if current:
            out.append(current)
            current = []
        snippet = "\n".join(line.text.rstrip() for line in lines[i:close + 1])
        out.append(CodeBlock(snippet, "html", SourcePos("", lines[i].number)))
        i = close + 1
    if current:
        out.append(current)
    return out


def _segments(lines: list[Line], path: str, reporter: Reporter):
    """Split text lines into ('text', Line) and ('math', tex, line number) segments.

    Display math may span lines and may start or end in the middle of a line.
    """
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _display_start_outside_inline(line.text)
        if m is None:
            yield ("text", line)
            i += 1
            continue
        if line.text[:m.start()].strip():
            yield ("text", Line(line.number, line.text[:m.start()]))
        dollars = m.group(0) == "$$"
        closer = "$$" if dollars else f"\\end{{{m.group(1)}}}"
        found = _find_from(lines, closer, i, m.end())
        if found is None:
            reporter.warn(Code.UNCLOSED_ENVIRONMENT,
                          f"display math opened with '{m.group(0)}' is never closed; kept as text",
                          SourcePos(path, line.number))
            yield ("text", Line(line.number, line.text[m.start():]))
            i += 1
            continue
        j, k = found
        # `$$` delimiters are dropped; an environment keeps its \\begin…\\end.
        first_col = m.end() if dollars else m.start()
        last_col = k if dollars else k + len(closer)
        yield ("math", _span(lines, i, first_col, j, last_col), line.number)
        after = lines[j].text[k + len(closer):]
        if after.strip():
            yield ("text", Line(lines[j].number, after))
        i = j + 1


def _find_from(lines: list[Line], needle: str, i: int, col: int) -> tuple[int, int] | None:
    for j in range(i, len(lines)):
        k = lines[j].text.find(needle, col if j == i else 0)
        if k >= 0:
            return j, k
    return None


def _span(lines: list[Line], i: int, c0: int, j: int, c1: int) -> str:
    if i == j:
        return lines[i].text[c0:c1]
    parts = [lines[i].text[c0:]] + [line.text for line in lines[i + 1:j]] + [lines[j].text[:c1]]
    return "\n".join(parts)


def _display_start_outside_inline(text: str):
    spans = find_inline_math(text.replace("$$", "\0\0"))
    for m in _DISPLAY_START.finditer(text):
        if not any(s <= m.start() <= e for s, e in spans):
            return m
    return None


# A heading line: short, no sentence punctuation, starts with a letter or CJK,
# and made only of letters, digits, CJK and a few joiners (`输入-输出设计`, `KL散度消失`).
_HEADING = re.compile(r"^[^\W\d_][\w \-·/&+]{0,19}$")


def _is_heading(text: str) -> bool:
    text = text.strip()
    return bool(_HEADING.match(text)) and not text.startswith(("http", "www"))


def _blocks_from_text(lines: list[Line], path: str, reporter: Reporter) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    lines = [line for line in lines if line.text.strip()]
    while i < len(lines):
        text = lines[i].text.strip()
        pos = SourcePos(path, lines[i].number)
        # An image the scrape left behind as its caption printed twice.
        if i + 1 < len(lines) and lines[i + 1].text.strip() == text and len(text) <= 80:
            blocks.append(Figure(parse_plain_inlines(text, pos, reporter), None, pos=pos))
            i += 2
            continue
        # A run of numbered lines `1. …`, `2、…` is an ordered list.
        m = _LIST_ITEM.match(text)
        if m:
            run = [m]
            while i + len(run) < len(lines):
                m2 = _LIST_ITEM.match(lines[i + len(run)].text.strip())
                if not m2 or int(m2.group("n")) != int(run[-1].group("n")) + 1:
                    break
                run.append(m2)
            if len(run) >= 2:
                items = []
                for k, item in enumerate(run):
                    item_pos = SourcePos(path, lines[i + k].number)
                    items.append([Paragraph(parse_plain_inlines(item.group("rest"), item_pos, reporter), item_pos)])
                blocks.append(ListBlock(items, ordered=True, start=int(run[0].group("n")), pos=pos))
                i += len(run)
                continue
        if _is_heading(text) and i + 1 < len(lines):
            blocks.append(Heading(2, parse_plain_inlines(text, pos, reporter), pos))
        else:
            blocks.append(Paragraph(parse_plain_inlines(text, pos, reporter), pos))
        i += 1
    return blocks


def parse_body(lines: list[Line], path: str, reporter: Reporter) -> list[Block]:
    blocks: list[Block] = []
    for chunk in _split_literal_html(lines):
        if isinstance(chunk, CodeBlock):
            chunk.pos = SourcePos(path, chunk.pos.line)
            blocks.append(chunk)
            continue
        pending: list[Line] = []
        for segment in _segments(chunk, path, reporter):
            if segment[0] == "text":
                pending.append(segment[1])
                continue
            blocks.extend(_blocks_from_text(pending, path, reporter))
            pending = []
            _, tex, number = segment
            blocks.append(display_block(tex, SourcePos(path, number), reporter))
        blocks.extend(_blocks_from_text(pending, path, reporter))
    return blocks


# --- articles ------------------------------------------------------------------


def _title_from_opening(blocks: list[Block]) -> str:
    for block in blocks:
        if isinstance(block, Paragraph):
            text = plain_text(block.inlines).strip()
            clause = re.split(r"[，,。：:；;！!？?]", text, maxsplit=1)[0].strip()
            if len(clause) > 24:
                clause = clause[:24]
            return clause + "…"
    return "无题"


def read_seed(path: Path, reporter: Reporter, display_path: str | None = None) -> list[Article]:
    shown = display_path or str(path)
    return parse_seed(read_text(path, shown, reporter), shown, reporter)


def parse_seed(text: str, shown: str, reporter: Reporter) -> list[Article]:
    """The articles of the text of a listing-page scrape."""
    lines = [Line(n, t) for n, t in enumerate(text.splitlines(), 1)]
    lines = _strip_chrome(lines)
    articles: list[Article] = []
    for entry in _split_entries(lines):
        body = parse_body(entry.body, shown, reporter)
        title_pos = SourcePos(shown, entry.title_line)
        untitled = entry.title is None
        title = entry.title or _title_from_opening(body)
        if untitled:
            reporter.warn(Code.UNTITLED, f"entry has no title line; titled '{title}' from its opening words",
                          title_pos)
        if "date" in entry.meta:
            y, mo, d = (int(x) for x in entry.meta["date"].split("-"))
            date = PartialDate.checked(y, mo, d)
        else:
            date = PartialDate.checked(None, entry.meta["month"], entry.meta["day"])
        if date is None:
            shown_date = entry.meta.get("date") or f"{entry.meta['day']} {entry.meta['month']}月"
            reporter.warn(Code.FRONT_MATTER, f"the entry's date '{shown_date}' is not a valid date; "
                          "the article has no date", title_pos)
        # The scrape lost the blog's full-width marks in titles too: `(七):` is `（七）：` there.
        meta = Meta(title=display_title(title), author=entry.meta.get("author", "苏剑林"), date=date,
                    readers=entry.meta.get("readers"))
        articles.append(Article(meta, body, [title_pos], excerpt=True, untitled=untitled))
    return articles
