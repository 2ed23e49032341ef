"""Sources → book: the readers, then the transforms in their fixed order."""

from __future__ import annotations

from pathlib import Path

from .config import BookConfig
from .diagnostics import Reporter
from pybtex.database import BibliographyData

from .bibliography import HAND_KEPT, known_entries, read_hand_kept
from .images import localize_images
from .model import Article, Book
from .readers import read_sources
from .transforms.citations import Registry, cite_works
from .transforms.math import apply_math
from .transforms.merge import merge_duplicates, report_empty
from .transforms.naming import assign_docnames
from .transforms.safety import guard_tex, resolve_links
from .transforms.nesting import flatten_deep_nesting
from .transforms.normalize import normalize_titles
from .transforms.series import build_chapters
from .transforms.xrefs import learn_article_urls, link_articles


def assemble(articles: list[Article], config: BookConfig, reporter: Reporter,
             book_dir: Path | None = None) -> Book:
    articles = normalize_titles(articles)   # titles on one line
    articles = flatten_deep_nesting(articles, reporter)  # no deeper than MyST reads, text kept
    articles = merge_duplicates(articles)   # one article per title, the fullest body
    report_empty(articles, reporter)
    for article in articles:  # the book's reading date where a source does not give its own
        article.meta.accessed = article.meta.accessed or config.book.accessed or None
    articles = resolve_links(articles, reporter)  # relative → absolute; unsafe schemes → text
    articles = guard_tex(articles, reporter)      # formulas that could touch files → their source as code
    learn_article_urls(articles)            # `[《title》](…/archives/N)` gives that article's url
    book = Book(build_chapters(articles, config))  # series → chapters, parts ordered
    assign_docnames(book)                   # stable page names
    apply_math(book.articles, reporter)     # numbers, namespaced labels, \eqref
    link_articles(book.articles)            # 《title》 and blog urls → page links
    hand_kept = read_hand_kept(book_dir / HAND_KEPT, reporter) if book_dir else BibliographyData()
    book.works = cite_works(book.articles, Registry(known_entries(hand_kept), hand_kept))  # papers → citations
    localize_images(book.articles, book_dir, reporter)  # local copies, placeholders
    return book


def load_book(sources: list[Path], config: BookConfig, reporter: Reporter, book_dir: Path | None = None,
              cache_dir: Path | None = None) -> Book:
    return assemble(read_sources(sources, reporter, cache_dir), config, reporter, book_dir)
