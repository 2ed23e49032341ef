"""Sources → book: the readers, then the transforms in their fixed order.

The transforms fall in three groups.  `per_source` and `per_article` read one article at a
time; the book-wide steps between them and `per_page` (merging copies, url learning,
chapters, page names, the link index, the citation registry) read every article; `per_page`
gives each page what the book-wide steps decided.  incremental.py runs the per-article groups
for a changed source alone and replays what the book-wide steps decided the last time, when
what they read from that source (its interface) did not change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

from pybtex.database import BibliographyData

from .bibliography import HAND_KEPT, known_entries, read_hand_kept
from .config import BookConfig
from .diagnostics import Reporter
from .images import localize_images
from .model import Article, Book
from .readers import read_sources
from .transforms.citations import Registry, RegistryLog, cite_works
from .transforms.math import apply_math
from .transforms.merge import merge_duplicates, report_empty
from .transforms.naming import assign_docnames
from .transforms.nesting import flatten_deep_nesting
from .transforms.normalize import normalize_titles
from .transforms.safety import guard_tex, resolve_links
from .transforms.series import build_chapters
from .transforms.xrefs import ArticleIndex, learn_article_urls, link_articles


class Trace(Protocol):
    """What incremental.py records of a whole-book run (see there)."""

    def before_book_steps(self, read: list[Article], kept: list[Article]) -> None: ...

    def after_book_steps(self, book: Book, index: ArticleIndex, linked: dict, logs: dict[str, RegistryLog]) -> None: ...


def per_source(articles: list[Article], reporter: Reporter) -> list[Article]:
    articles = normalize_titles(articles)   # titles on one line
    return flatten_deep_nesting(articles, reporter)  # no deeper than MyST reads, text kept


def per_article(articles: list[Article], config: BookConfig, reporter: Reporter) -> list[Article]:
    report_empty(articles, reporter)
    for article in articles:  # the book's reading date where a source does not give its own
        article.meta.accessed = article.meta.accessed or config.book.accessed or None
    articles = resolve_links(articles, reporter)  # relative → absolute; unsafe schemes → text
    return guard_tex(articles, reporter)      # formulas that could touch files → their source as code


def per_page(articles: list[Article], reporter: Reporter, index: ArticleIndex,
             cite: Callable[[list[Article]], None], book_dir: Path | None) -> None:
    """The steps that need the book's decisions (page names, the index, citation keys)."""
    apply_math(articles, reporter)          # numbers, namespaced labels, \eqref
    link_articles(articles, index)          # 《title》 and blog urls → page links
    cite(articles)                          # papers → citations
    localize_images(articles, book_dir, reporter)  # local copies, placeholders


def assemble(articles: list[Article], config: BookConfig, reporter: Reporter,
             book_dir: Path | None = None, trace: Trace | None = None) -> Book:
    read = per_source(articles, reporter)
    articles = merge_duplicates(read)       # one article per title, the fullest body
    articles = per_article(articles, config, reporter)
    if trace is not None:
        trace.before_book_steps(read, articles)
    learn_article_urls(articles)            # `[《title》](…/archives/N)` gives that article's url
    book = Book(build_chapters(articles, config))  # series → chapters, parts ordered
    assign_docnames(book)                   # stable page names
    index = ArticleIndex.of(book.articles)
    hand_kept = read_hand_kept(book_dir / HAND_KEPT, reporter) if book_dir else BibliographyData()
    registry = Registry(known_entries(hand_kept), hand_kept)
    logs: dict[str, RegistryLog] = {}
    linked: dict = {}

    def cite(pages: list[Article]) -> None:
        cite_works(pages, registry, logs, linked)

    per_page(book.articles, reporter, index, cite, book_dir)
    book.works = registry
    if trace is not None:
        trace.after_book_steps(book, index, linked, logs)
    return book


def load_book(sources: list[Path], config: BookConfig, reporter: Reporter, book_dir: Path | None = None,
              cache_dir: Path | None = None) -> Book:
    return assemble(read_sources(sources, reporter, cache_dir), config, reporter, book_dir)
