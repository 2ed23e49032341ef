"""Reader for the blog's feed (`.xml`, `.rss`, `.atom`): every item an article.

feedparser reads RSS 2.0 and Atom alike.  An item's body is its full text (`content:encoded`,
Atom `content`), read by `html_body` exactly as an article page's body is; an item that carries
only a summary is an excerpt of the article at its link.  An RSS item's `<category>`s are the
category and the tags: a `domain` naming tags or categories decides, else the first is the
category and the rest are tags (as the blog lists them).
"""

from __future__ import annotations

import calendar
import re
import time
from pathlib import Path

import feedparser

from ..diagnostics import Code, Reporter
from ..model import Article, Meta, PartialDate, SourcePos
from .html_body import BodyContext, HtmlBody
from .html_depth import MAX_DEPTH, parse_html
from .macros import MacroTable, expand_article_macros
from .textio import read_text

_ITEM_START = re.compile(r"<(?:item|entry)[\s>]")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_BODY_START = re.compile(r"<(?:content:encoded|content|description|summary)[\s>]")


def read_feed(path: Path, reporter: Reporter, display_path: str | None = None) -> list[Article]:
    shown = display_path or str(path)
    return parse_feed(read_text(path, shown, reporter), shown, reporter)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_feed(text: str, shown: str, reporter: Reporter) -> list[Article]:
    # The bodies are read by our own HTML reader, which keeps nothing from the markup but text,
    # math, links and images: feedparser's sanitiser would only drop MathJax's saved TeX.
    parsed = feedparser.parse(text, sanitize_html=False, resolve_relative_uris=True)
    if not parsed.version and not parsed.entries:
        problem = getattr(parsed, "bozo_exception", None)
        reporter.warn(Code.UNREADABLE, f"not an RSS or Atom feed{f' ({problem})' if problem else ''}; skipped",
                      SourcePos(shown, 1))
        return []
    starts = [m.start() for m in _ITEM_START.finditer(text)]
    articles: list[Article] = []
    for k, entry in enumerate(parsed.entries):
        start = starts[k] if k < len(starts) else 0
        body_at = _BODY_START.search(text, start)
        articles.append(_article(entry, shown, _line(text, start),
                                 _line(text, body_at.start()) - 1 if body_at else _line(text, start) - 1, reporter))
    if parsed.bozo and not articles:
        reporter.warn(Code.UNREADABLE, f"the feed is malformed ({parsed.bozo_exception}); no item read",
                      SourcePos(shown, 1))
    return articles


def _date(entry) -> tuple[PartialDate | None, str | None]:
    """The item's date, and the text of a date given but not understood (for a warning)."""
    # dict.get: the item's own fields, not feedparser's deprecated updated → published fallback.
    for key in ("published", "updated", "created"):
        value = dict.get(entry, f"{key}_parsed")
        # feedparser rolls an impossible ISO date over (`2019-13-01` → 2020-01-01): not a date.
        iso = _ISO_DATE.search(str(dict.get(entry, key) or ""))
        if iso and PartialDate.checked(*(int(g) for g in iso.groups())) is None:
            continue
        if value:
            # feedparser gives UTC; the blog's date is its own (Beijing) day, as the page shows it.
            try:
                day = time.gmtime(calendar.timegm(value) + 8 * 3600)
            except (OverflowError, ValueError, OSError, TypeError):
                continue
            date = PartialDate.checked(day.tm_year, day.tm_mon, day.tm_mday)
            if date is not None:
                return date, None
    given = next((str(dict.get(entry, k)) for k in ("published", "updated", "created") if dict.get(entry, k)), None)
    return None, given


def _taxonomy(entry) -> tuple[str | None, list[str]]:
    category: str | None = None
    tags: list[str] = []
    plain: list[str] = []
    for tag in entry.get("tags") or []:
        term = " ".join(str(tag.get("term") or tag.get("label") or "").split())
        if not term:
            continue
        scheme = (tag.get("scheme") or "").lower()
        if "tag" in scheme:
            tags.append(term)
        elif "categor" in scheme and category is None:
            category = term
        else:
            plain.append(term)
    if category is None and plain:
        category, plain = plain[0], plain[1:]
    return category, tags + [t for t in plain if t not in tags]


def _article(entry, shown: str, line: int, body_line: int, reporter: Reporter) -> Article:
    url = (entry.get("link") or "").strip() or None
    contents = [c for c in entry.get("content") or [] if (c.get("value") or "").strip()]
    excerpt = not contents
    markup = contents[0]["value"] if contents else (entry.get("summary") or "")
    category, tags = _taxonomy(entry)
    title = " ".join(str(entry.get("title") or "").split())
    date, unread_date = _date(entry)
    if unread_date is not None and unread_date.strip():
        reporter.warn(Code.FRONT_MATTER, f"the item's date '{' '.join(unread_date.split())[:40]}' is not a valid date; "
                      "the article has no date", SourcePos(shown, line))
    meta = Meta(title=title or (url or f"item {line}"), date=date, url=url, category=category, tags=tags)
    if entry.get("author"):
        meta.author = " ".join(str(entry.get("author")).split())
    root, flattened_at = parse_html(markup, fragment=True)
    if flattened_at is not None:
        reporter.warn(Code.NESTING_FLATTENED, f"the item's body nests elements more than {MAX_DEPTH} deep: the "
                      "deeper ones are read as plain text inside the last kept one (their text is kept)",
                      SourcePos(shown, body_line + flattened_at))
    body = HtmlBody(BodyContext(shown, body_line, url), reporter).convert(root)
    if not title:
        reporter.warn(Code.UNTITLED, "a feed item without a title; named after its address", SourcePos(shown, line))
    article = Article(meta, body, [SourcePos(shown, line)], excerpt=excerpt, untitled=not title)
    expand_article_macros(article, MacroTable(), reporter)  # one item is one page for MathJax
    return article
