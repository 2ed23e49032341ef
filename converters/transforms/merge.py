"""One article per title: copies from several sources become one page.

The fullest body wins; metadata is taken field by field from the copy that
knows it best (a full date beats a year-less one, a known readers count is kept).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from ..diagnostics import Code, Reporter
from ..model import Article, Paragraph, body_size, plain_text
from ..textutil import title_key


def _best_body(copies: list[Article]) -> Article:
    # Largest body first; on a tie a full article beats an excerpt, then source order.
    return max(enumerate(copies), key=lambda ic: (body_size(ic[1].body), not ic[1].excerpt, -ic[0]))[1]


def merge_group(copies: list[Article]) -> Article:
    if len(copies) == 1:
        return copies[0]
    body_from = _best_body(copies)
    # Front matter (a url) is the most authoritative source of a title.
    titled = [c for c in copies if not c.untitled]
    meta_from = next((c for c in titled if c.meta.url), titled[0] if titled else copies[0])
    merged = Article(
        meta=meta_from.meta,
        body=body_from.body,
        sources=[pos for c in copies for pos in c.sources],
        excerpt=body_from.excerpt,
        untitled=all(c.untitled for c in copies),
    )
    meta = merged.meta
    dates = [c.meta.date for c in copies if c.meta.date is not None]
    complete = [d for d in dates if d.complete]
    meta.date = complete[0] if complete else (dates[0] if dates else None)
    readers = [c.meta.readers for c in copies if c.meta.readers is not None]
    meta.readers = max(readers) if readers else None
    meta.url = meta.url or next((c.meta.url for c in copies if c.meta.url), None)
    meta.category = meta.category or next((c.meta.category for c in copies if c.meta.category), None)
    meta.tags = meta.tags or next((c.meta.tags for c in copies if c.meta.tags), [])
    meta.accessed = max((c.meta.accessed for c in copies if c.meta.accessed), default=None)
    return merged


def opening(article: Article, length: int) -> str:
    """The first `length` letters of the article's text, punctuation and markup folded away."""
    text = ""
    for block in article.body:
        if isinstance(block, Paragraph):
            text += re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", plain_text(block.inlines)))
            if len(text) >= length:
                break
    return text[:length].casefold()


# How far into a full article the opening words of an untitled excerpt are looked for.
# incremental.py records this much of every article's opening: a change in it may merge an
# excerpt into another article.
OPENING_LETTERS = 160


def _find_full_article(excerpt: Article, candidates: list[Article]) -> Article | None:
    """An untitled excerpt is the opening of a full article when its first words stand
    near the start of that article (a scrape may drop a word or a link's text)."""
    probe = opening(excerpt, 24)
    if len(probe) < 12:
        return None
    for candidate in candidates:
        if probe in opening(candidate, OPENING_LETTERS):
            return candidate
    return None


def url_key(url: str | None) -> str | None:
    """The comparison form of an article's address: scheme, `www.`, case of the host, a
    trailing `/` and the fragment do not matter (`http://kexue.fm/archives/8404/`)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    if not host:
        return None
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def merge_duplicates(articles: list[Article]) -> list[Article]:
    """Group the copies of each article, keeping first-seen order: by url first (the same
    address is the same article, whatever its title says), then by normalised title
    (`（七）：` equals `(七):`) for copies without a url or joining a group without one; two
    articles of one title at different addresses stay two.  Then fold untitled excerpts into
    the full article they are the opening of."""
    groups: list[list[Article]] = []
    by_url: dict[str, int] = {}
    by_title: dict[str, list[int]] = {}
    group_urls: list[set[str]] = []
    for article in articles:
        ukey, tkey = url_key(article.meta.url), title_key(article.meta.title)
        if ukey is not None and ukey in by_url:
            index = by_url[ukey]
        else:
            same_title = by_title.get(tkey, [])
            # A copy with a url joins a same-titled group that has no url yet; one without joins the first.
            index = next((g for g in same_title if ukey is None or not group_urls[g]), None)
            if index is None:
                index = len(groups)
                groups.append([])
                group_urls.append(set())
                by_title.setdefault(tkey, []).append(index)
        groups[index].append(article)
        if index not in by_title.setdefault(tkey, []):
            by_title[tkey].append(index)  # a later copy without url may carry this title
        if ukey is not None:
            by_url.setdefault(ukey, index)
            group_urls[index].add(ukey)
    merged = [merge_group(copies) for copies in groups]
    titled = [a for a in merged if not a.untitled]
    out: list[Article] = []
    absorbed: dict[int, list[Article]] = {}
    for article in merged:
        target = _find_full_article(article, titled) if article.untitled else None
        if target is None:
            out.append(article)
        else:
            absorbed.setdefault(id(target), []).append(article)
    return [merge_group([a, *absorbed[id(a)]]) if id(a) in absorbed else a for a in out]


def report_empty(articles: list[Article], reporter: Reporter) -> list[Article]:
    """An article no source gave any text for still gets its page, and a warning."""
    for article in articles:
        if not article.body:
            reporter.warn(Code.EMPTY_ARTICLE,
                          f"'{article.meta.title}' has no text in any source (title and by-line only)",
                          article.pos)
    return articles
