"""Links between articles: `《title》` and blog urls that name an article of the book.

Titles compare in their normalised form, so `《变分自编码器(一):原来是这么一回事》`
finds `变分自编码器（一）：原来是这么一回事`.
"""

from __future__ import annotations

import re

from ..model import Article, DocRef, Emph, Inline, Link, Strong, Text, plain_text, rewrite_inlines, walk
from ..textutil import title_key
from .naming import archive_id

_BOOK_TITLE = re.compile(r"《([^《》]{2,120})》")


class ArticleIndex:
    """The book's pages by normalised title and by archive id.  It holds page names, not
    articles, so that a convert that reads only a changed article can link it with the
    index of the last convert (incremental.py)."""

    def __init__(self, by_title: dict[str, str], by_id: dict[str, str]):
        self.by_title, self.by_id = by_title, by_id

    @classmethod
    def of(cls, articles: list[Article]) -> "ArticleIndex":
        return cls({title_key(a.meta.title): a.docname for a in articles if not a.untitled},
                   {aid: a.docname for a in articles if (aid := archive_id(a.meta.url))})

    def find_title(self, title: str) -> str | None:
        return self.by_title.get(title_key(title))

    def find_url(self, url: str) -> str | None:
        aid = archive_id(url)
        return self.by_id.get(aid) if aid else None


def learn_article_urls(articles: list[Article]) -> list[Article]:
    """A link `[《title》](https://kexue.fm/archives/N)` tells the url of the article with that
    title; an article known only from a listing (no url) learns it here, before pages are named,
    so that the link becomes internal and the page gets its original url."""
    by_title = {title_key(a.meta.title): a for a in articles if not a.untitled}
    for article in articles:
        for node in walk(article.body):
            if isinstance(node, Link) and archive_id(node.url):
                m = re.fullmatch(r"\s*《([^《》]+)》\s*", plain_text(node.children))
                target = by_title.get(title_key(m.group(1))) if m else None
                if target is not None and target.meta.url is None:
                    target.meta.url = f"https://kexue.fm/archives/{archive_id(node.url)}"
    return articles


def _link_titles(text: str, index: ArticleIndex, current: Article) -> list[Inline] | None:
    out: list[Inline] = []
    pos = 0
    for m in _BOOK_TITLE.finditer(text):
        target = index.find_title(m.group(1))
        if target is None or target == current.docname:
            continue
        if m.start() > pos:
            out.append(Text(text[pos:m.start()]))
        out.append(DocRef(target, [Text(m.group(0))]))
        pos = m.end()
    if not out:
        return None
    if pos < len(text):
        out.append(Text(text[pos:]))
    return out


def _rewrite(inlines: list[Inline], index: ArticleIndex, current: Article) -> list[Inline]:
    out: list[Inline] = []
    for node in inlines:
        if isinstance(node, Text):
            out.extend(_link_titles(node.text, index, current) or [node])
        elif isinstance(node, (Strong, Emph)):
            node.children = _rewrite(node.children, index, current)
            out.append(node)
        elif isinstance(node, Link):
            target = index.find_url(node.url)
            if target is not None and target != current.docname:
                out.append(DocRef(target, node.children))
            else:
                out.append(node)
        else:
            out.append(node)
    return out


def link_articles(articles: list[Article], index: ArticleIndex | None = None) -> None:
    """Links to the book's pages; `index` of the whole book when `articles` are only some of it."""
    index = index or ArticleIndex.of(articles)
    for article in articles:
        # _rewrite recurses into emphasis itself and never into links: no link inside another.
        rewrite_inlines(article.body, lambda inlines, a=article: _rewrite(inlines, index, a))
