"""Stable page names: the blog's archive id when the url is known, else a slug of the title.

A name depends only on the article itself, so adding articles never renames others.
"""

from __future__ import annotations

import re

from ..model import Book
from ..textutil import short_hash, slugify, title_key

_ARCHIVE = re.compile(r"(?:kexue\.fm|spaces\.ac\.cn)/archives/(\d+)")


def archive_id(url: str | None) -> str | None:
    m = _ARCHIVE.search(url or "")
    return m.group(1) if m else None


def assign_docnames(book: Book) -> Book:
    for chapter in book.chapters:
        for article in chapter.articles:
            aid = archive_id(article.meta.url)
            if aid:
                article.slug = f"a{aid}"
            else:
                base = slugify(article.meta.title, max_length=32) or "article"
                article.slug = f"{base}-{short_hash(title_key(article.meta.title))}"
            article.docname = f"{chapter.slug}/{article.slug}"
    return book
