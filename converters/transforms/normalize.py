"""Titles on one line.

Titles keep their punctuation as their source wrote it (`alert('x')` in a page or a feed stays
so); only the plain-text scrapes, which lost the blog's full-width marks, get them back, in
their reader (readers/seed_text.py).
"""

from __future__ import annotations

from ..model import Article


def normalize_titles(articles: list[Article]) -> list[Article]:
    for article in articles:
        article.meta.title = " ".join(article.meta.title.split())
    return articles
