"""Convert after an edit: only the changed sources are read, transformed and written.

What a page depends on, explicitly:

* its own source (read, then the per-source and per-article steps of pipeline.py);
* the book-wide decisions about it: its metadata after url learning and chapters, its page
  name, its place in the book (`Decisions`);
* the link index of the book (normalised title → page, archive id → page);
* the answers the citation registry gave it (`RegistryLog`: the keys of the works it cites and
  the addresses of works it names without a link) and the titles some link identifies.

The book-wide steps read from a source only its *interface* (`interface`): the metadata, the
flags, the opening words (an untitled excerpt is merged into the article it opens) and its
links with their text (they teach urls and identify works).  When a changed source's interface
is the one the last convert recorded, and it was merged with no other source, every book-wide
decision is the same as last time: the landing page, the chapter pages, the bibliography and
every other article's page are unchanged, and only the changed source's pages are written.
Its citations are replayed against the registry's recorded answers; an article that asks the
registry anything new (a new work, a work cited in another order) takes the whole-book path,
as does anything else that changed: a source added or removed, kexue-book.yaml, the hand-kept
bibliography, the local images, the code.  tests/test_incremental.py proves the result equal
to a whole-book convert, page for page and warning for warning.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from .book import warn_kept_pages, write_book
from .config import BookConfig
from .diagnostics import Diagnostic, Reporter
from .model import Article, Book, Link, Meta, plain_text, walk
from .pipeline import per_article, per_page, per_source
from .readers import parse_source, shown_path
from .readers.cache import read_all
from .transforms.citations import RegistryLog, ReplayMismatch, WorkRef, cite_article
from .transforms.merge import OPENING_LETTERS, merge_duplicates, opening
from .transforms.xrefs import ArticleIndex
from .writers.myst import write_myst

STATE = ("cache", "convert-state.pickle")  # under _build/


def interface(article: Article, openings: bool) -> str:
    """The digest of what the book-wide steps read from an article.  Its opening words count
    only in a book that has untitled excerpts (`openings`): nothing else reads them."""
    links = [(node.url, plain_text(node.children)) for node in walk(article.body) if isinstance(node, Link)]
    facts = (repr(article.meta), article.untitled, article.excerpt,
             opening(article, OPENING_LETTERS) if openings else None, links)
    return hashlib.sha256(repr(facts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class SourceState:
    content: str | None  # the file's content hash (readers/cache.py)
    interfaces: list[str]  # one per article it gave, in file order, as the merge step saw them
    group: int  # its merge group: the sources whose copies of articles were merged together


@dataclass
class Group:
    sources: list[str]  # in file order
    pages: list[str]  # the page names of the articles merged from them, in the book's merge order


@dataclass
class Decisions:
    """What the book-wide steps decided for one article."""

    meta: Meta
    slug: str
    docname: str
    merged: int  # its place among the merged articles (the order the per-article steps saw)
    order: int  # its place among the book's articles
    interface: str  # of the merged article: what the book-wide steps read from it
    registry: list[tuple]  # the registry's answers (RegistryLog.entries)


@dataclass
class State:
    others: str  # digest of all a convert reads besides the sources
    sources: dict[str, SourceState]  # by the name shown in messages, in file order
    groups: list[Group]
    articles: dict[str, Decisions]  # by page name
    by_title: dict[str, str]
    by_id: dict[str, str]
    linked: dict[str, WorkRef]
    openings: bool  # the book has untitled excerpts: the interfaces hold the opening words
    diagnostics: list[Diagnostic] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)  # every file convert wrote, relative to book/


class Recorder:
    """The pipeline.Trace of a whole-book convert: records the State."""

    def __init__(self, files: list[tuple[Path, str]], contents: list[str | None], counts: list[int]):
        self.files, self.contents, self.counts = files, contents, counts
        self.state: State | None = None
        # Seen before the book-wide steps (before_book_steps):
        self.interfaces: dict[str, list[str]] = {}  # per source, its articles' interfaces
        self.kept: list[Article] = []  # the merged articles
        self.kept_interfaces: list[str] = []
        self.root: dict[str, str] = {}  # per source, the source that stands for its merge group
        self.openings = False  # the book has untitled excerpts

    def before_book_steps(self, read: list[Article], kept: list[Article]) -> None:
        shown = [name for _, name in self.files]
        self.openings = openings = any(a.untitled for a in read)
        known: dict[int, str] = {}  # an article merged with no other is the same object before and after
        start = 0
        for name, count in zip(shown, self.counts):
            self.interfaces[name] = [known.setdefault(id(a), interface(a, openings)) for a in read[start:start + count]]
            start += count
        # Merge groups: sources joined by an article merged from their copies (union-find).
        parent = {name: name for name in shown}

        def root(name: str) -> str:
            while parent[name] != name:
                parent[name] = parent[parent[name]]
                name = parent[name]
            return name
        for article in kept:
            names = [pos.path for pos in article.sources if pos.path in parent]
            for other in names[1:]:
                parent[root(other)] = root(names[0])
        self.kept = kept
        self.kept_interfaces = [known[id(a)] if id(a) in known else interface(a, openings) for a in kept]
        self.root = {name: root(name) for name in shown}

    def after_book_steps(self, book: Book, index: ArticleIndex, linked: dict, logs: dict[str, RegistryLog]) -> None:
        order = {id(a): k for k, a in enumerate(book.articles)}
        articles = {a.docname: Decisions(a.meta, a.slug, a.docname, m, order[id(a)], self.kept_interfaces[m],
                                         logs[a.docname].entries)
                    for m, a in enumerate(self.kept)}
        number: dict[str, int] = {}
        groups: list[Group] = []
        for name in self.root:
            if self.root[name] not in number:
                number[self.root[name]] = len(groups)
                groups.append(Group([], []))
            groups[number[self.root[name]]].sources.append(name)
        for article in self.kept:
            first = next((pos.path for pos in article.sources if pos.path in self.root), None)
            if first is None:  # no source of this book (cannot happen: every article has its file)
                raise ValueError(f"article without a source: {article.meta.title}")
            groups[number[self.root[first]]].pages.append(article.docname)
        sources = {name: SourceState(content, self.interfaces[name], number[self.root[name]])
                   for (_, name), content in zip(self.files, self.contents)}
        self.state = State("", sources, groups, articles, index.by_title, index.by_id, linked, self.openings)


def state_path(build_dir: Path) -> Path:
    return build_dir.joinpath(*STATE)


def load_state(build_dir: Path, others: str) -> State | None:
    try:
        with state_path(build_dir).open("rb") as f:
            state = pickle.load(f)
    except Exception:  # noqa: BLE001 - missing, damaged or written by other code: convert it all
        return None
    return state if isinstance(state, State) and state.others == others else None


def save_state(build_dir: Path, state: State) -> None:
    path = state_path(build_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(tmp, path)


def clear_state(build_dir: Path) -> None:
    state_path(build_dir).unlink(missing_ok=True)


def sorted_diagnostics(diagnostics: list[Diagnostic], files: list[tuple[Path, str]]) -> list[Diagnostic]:
    """Warnings grouped by source, in file order (each source's in the order they were raised),
    then those about other files by name: the same order whichever sources were read."""
    order = {shown: k for k, (_, shown) in enumerate(files)}

    def key(d: Diagnostic) -> tuple:
        if d.pos is None:
            return (0, 0, "", 0)
        if d.pos.path in order:
            return (1, order[d.pos.path], "", 0)
        return (2, 0, d.pos.path, d.pos.line)
    return sorted(diagnostics, key=key)


@dataclass
class Changed:
    """What a convert of the changed sources alone did."""

    diagnostics: list[Diagnostic]
    written: list[str]  # relative to book/
    sources: int  # the changed sources
    parsed: int  # sources parsed (the changed ones, unless the cache had them; the others of their merge groups came from it)
    whole_book: bool = False  # the changes need a whole-book convert: nothing was written


def convert_changed(state: State, files: list[tuple[Path, str]], contents: list[str | None], config: BookConfig,
                    book_dir: Path, cache_dir: Path) -> Changed | None:
    """Read, transform and write only the sources whose content changed since `state` (with the
    sources their articles were merged with).  None, or a Changed that says `whole_book` (after
    the changed sources were parsed and found to touch what other pages depend on), when a
    whole-book convert is needed (see the module's docstring).  Updates `state`."""
    if [shown for _, shown in files] != list(state.sources):
        return None
    changed = [k for k, (_, shown) in enumerate(files) if contents[k] != state.sources[shown].content]
    if not changed:
        return None
    groups = sorted({state.sources[files[k][1]].group for k in changed})
    names = {name for g in groups for name in state.groups[g].sources}
    involved = [k for k, (_, shown) in enumerate(files) if shown in names]
    docnames = sorted((d for g in groups for d in state.groups[g].pages), key=lambda d: state.articles[d].merged)
    reporter = Reporter()
    read, stats = read_all([files[k] for k in involved], parse_source, reporter, cache_dir,
                           contents=[contents[k] for k in involved], prune_others=False)
    whole_book = Changed([], [], len(changed), stats.parsed, whole_book=True)
    read = per_source(read, reporter)
    merged = per_article(merge_duplicates(read), config, reporter)
    start = 0
    for k, count in zip(involved, stats.articles):  # what the merge step saw of each source
        if [interface(a, state.openings) for a in read[start:start + count]] != state.sources[files[k][1]].interfaces:
            return whole_book
        start += count
    if [interface(a, state.openings) for a in merged] != [state.articles[d].interface for d in docnames]:
        return whole_book
    for article, docname in zip(merged, docnames):
        decided = state.articles[docname]
        article.meta, article.slug, article.docname = decided.meta, decided.slug, decided.docname
    articles = sorted(merged, key=lambda a: state.articles[a.docname].order)

    def cite(pages: list[Article]) -> None:
        for article in pages:
            log = RegistryLog(entries=state.articles[article.docname].registry)
            cite_article(article, log, state.linked)
            if not log.replayed_all():
                raise ReplayMismatch("fewer questions")

    try:
        per_page(articles, reporter, ArticleIndex(state.by_title, state.by_id), cite, book_dir)
    except ReplayMismatch:
        return whole_book
    pages = {f"{a.docname}.md": write_myst(a) for a in articles}
    report = write_book(pages, book_dir, remove_others=False)
    warn_kept_pages(report, book_dir, reporter)
    replaced = names | {shown_path(book_dir / rel) for rel in pages}
    kept = [d for d in state.diagnostics if d.pos is None or d.pos.path not in replaced]
    state.diagnostics = sorted_diagnostics(kept + reporter.diagnostics, files)
    for k in changed:
        state.sources[files[k][1]].content = contents[k]
    return Changed(state.diagnostics, report.written, len(changed), stats.parsed)
