"""Titles as the blog prints them, whatever width the scrape used."""

from __future__ import annotations

from ..model import Article
from ..textutil import display_title


def normalize_titles(articles: list[Article]) -> list[Article]:
    for article in articles:
        article.meta.title = display_title(article.meta.title)
    return articles
