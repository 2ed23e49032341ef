"""Cited works: papers and English posts an article names, found and keyed once per book.

A work is cited by a link to arXiv (`arxiv.org/abs|pdf/ID`, `papers.cool/arxiv/ID`),
OpenReview or a DOI, or by a Latin-script title in `《…》` (Chinese `《…》` are
articles, handled by xrefs).  The same work cited twice — with a link or
without — is one entry: works match by arXiv id (or OpenReview id, DOI) and by
normalised title, and the hand-kept bibliography is consulted first.

The prose is kept: the citation is added after the title, and a title without
a link becomes a link when the work's address is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Article, Citation, Emph, Inline, Link, Strong, Text, plain_text, rewrite_inlines, walk
from ..textutil import has_cjk, slugify, title_key

_ARXIV = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|papers\.cool/arxiv/)([a-z\-]+/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?", re.I)
_OPENREVIEW = re.compile(r"openreview\.net/(?:forum|pdf)\?id=([\w\-]+)")
_DOI = re.compile(r"(?:dx\.)?doi\.org/(10\.\d{4,9}/[^\s?#]+)")
_LATIN_TITLE = re.compile(r"《([^《》]{3,300})》")


@dataclass
class WorkRef:
    """What the prose tells about a work at one place."""

    title: str | None = None
    arxiv: str | None = None
    openreview: str | None = None
    doi: str | None = None


@dataclass
class Work:
    key: str
    title: str | None = None
    arxiv: str | None = None
    openreview: str | None = None
    doi: str | None = None
    url: str | None = None
    cited_by: list[str] = field(default_factory=list)  # docnames, in order

    @property
    def year(self) -> int | None:
        """arXiv ids start with the year and month of submission."""
        if self.arxiv and re.match(r"\d{4}\.", self.arxiv):
            return 2000 + int(self.arxiv[:2])
        return None


def identify(url: str) -> WorkRef | None:
    if m := _ARXIV.search(url):
        return WorkRef(arxiv=m.group(1))
    if m := _OPENREVIEW.search(url):
        return WorkRef(openreview=m.group(1))
    if m := _DOI.search(url):
        return WorkRef(doi=m.group(1).rstrip(".,)"))
    return None


def latin_title(text: str) -> str | None:
    """The title inside `《…》` when it names a paper or an English post, not a Chinese article."""
    m = re.fullmatch(r"\s*《([^《》]+)》\s*", text)
    inner = m.group(1).strip() if m else None
    return inner if inner and not has_cjk(inner) and re.search(r"[A-Za-z]{2}", inner) else None


@dataclass
class KnownEntry:
    """An entry of the hand-kept bibliography, reduced to what identifies it."""

    key: str
    title: str | None
    arxiv: str | None
    openreview: str | None
    doi: str | None
    url: str | None


class Registry:
    """All works of the book, each under one key."""

    def __init__(self, known: list[KnownEntry], hand_kept: object = None):
        self.works: dict[str, Work] = {}
        self.known = known
        self.hand_kept = hand_kept  # the parsed hand-kept BibTeX, for the writer of generated.bib
        self._by_id: dict[str, str] = {}
        self._by_title: dict[str, str] = {}
        for entry in known:
            self._index(entry.key, entry.title, entry.arxiv, entry.openreview, entry.doi)

    def _ids(self, arxiv, openreview, doi) -> list[str]:
        return [f"arxiv:{arxiv.lower()}" if arxiv else "", f"openreview:{openreview}" if openreview else "",
                f"doi:{doi.lower()}" if doi else ""]

    def _index(self, key, title, arxiv, openreview, doi) -> None:
        for ident in self._ids(arxiv, openreview, doi):
            if ident:
                self._by_id.setdefault(ident, key)
        if title:
            self._by_title.setdefault(title_key(title), key)

    def key_for(self, ref: WorkRef) -> str | None:
        for ident in self._ids(ref.arxiv, ref.openreview, ref.doi):
            if ident and ident in self._by_id:
                return self._by_id[ident]
        if ref.title and title_key(ref.title) in self._by_title:
            return self._by_title[title_key(ref.title)]
        return None

    def add(self, ref: WorkRef, url: str | None, docname: str) -> Work:
        key = self.key_for(ref)
        if key is None:
            ident = next((i for i in self._ids(ref.arxiv, ref.openreview, ref.doi) if i), None)
            key = ident or f"title:{slugify(ref.title or 'work', max_length=60) or 'work'}"
        self._index(key, ref.title, ref.arxiv, ref.openreview, ref.doi)
        work = self.works.setdefault(key, Work(key))
        work.title = work.title or ref.title
        work.arxiv = work.arxiv or ref.arxiv
        work.openreview = work.openreview or ref.openreview
        work.doi = work.doi or ref.doi
        work.url = work.url or url
        if docname not in work.cited_by:
            work.cited_by.append(docname)
        return work

    def url_of(self, key: str) -> str | None:
        work = self.works.get(key)
        known = next((e for e in self.known if e.key == key), None)
        for candidate in (work.url if work else None, known.url if known else None):
            if candidate:
                return candidate
        arxiv = (work.arxiv if work else None) or (known.arxiv if known else None)
        return f"https://arxiv.org/abs/{arxiv}" if arxiv else None


def linked_titles(articles: list[Article]) -> dict[str, WorkRef]:
    """First pass: titles that some link identifies, so that unlinked mentions find their id."""
    found: dict[str, WorkRef] = {}
    for article in articles:
        for node in walk(article.body):
            if isinstance(node, Link) and (ref := identify(node.url)):
                title = latin_title(plain_text(node.children))
                if title:
                    ref.title = title
                    found.setdefault(title_key(title), ref)
    return found


class RegistryLog:
    """What one article asked the registry and what it answered, in order: an article cites
    the same way again when it asks the same questions, whatever else changed in it
    (incremental.py replays the answers instead of citing the whole book again)."""

    def __init__(self, registry: Registry | None = None, entries: list[tuple] | None = None):
        self.registry = registry
        self.entries: list[tuple] = [] if entries is None else entries
        self._next = 0

    def add(self, ref: WorkRef, url: str | None, docname: str) -> str:
        question = ("add", ref.title, ref.arxiv, ref.openreview, ref.doi, url)
        if self.registry is None:
            return self._replay(question)
        key = self.registry.add(ref, url, docname).key
        self.entries.append((question, key))
        return key

    def url_of(self, key: str) -> str | None:
        question = ("url", key)
        if self.registry is None:
            return self._replay(question)
        url = self.registry.url_of(key)
        self.entries.append((question, url))
        return url

    def _replay(self, question: tuple):
        if self._next >= len(self.entries) or self.entries[self._next][0] != question:
            raise ReplayMismatch(question)
        self._next += 1
        return self.entries[self._next - 1][1]

    def replayed_all(self) -> bool:
        return self._next == len(self.entries)


class ReplayMismatch(Exception):
    """The article asks the registry something it did not ask last time."""


class _Citer:
    def __init__(self, registry: RegistryLog, linked: dict[str, WorkRef], docname: str):
        self.registry, self.linked, self.docname = registry, linked, docname

    def rewrite(self, inlines: list[Inline]) -> list[Inline]:
        out: list[Inline] = []
        for node in inlines:
            if isinstance(node, Link):
                ref = identify(node.url)
                if ref is None:
                    out.append(node)
                    continue
                ref.title = latin_title(plain_text(node.children))
                key = self.registry.add(ref, node.url, self.docname)
                out += [node, Citation(key)]
            elif isinstance(node, Text):
                out.extend(self._titles_in_text(node.text))
            elif isinstance(node, (Strong, Emph)):
                node.children = self.rewrite(node.children)
                out.append(node)
            else:  # DocRef, math, code…: not a citation
                out.append(node)
        return out

    def _titles_in_text(self, text: str) -> list[Inline]:
        out: list[Inline] = []
        pos = 0
        for m in _LATIN_TITLE.finditer(text):
            title = latin_title(m.group(0))
            if title is None:
                continue
            ref = WorkRef(title=title)
            if (linked := self.linked.get(title_key(title))) is not None:
                ref = WorkRef(title=title, arxiv=linked.arxiv, openreview=linked.openreview, doi=linked.doi)
            key = self.registry.add(ref, None, self.docname)
            if m.start() > pos:
                out.append(Text(text[pos:m.start()]))
            url = self.registry.url_of(key)
            shown = Text(m.group(0))
            out += [Link(url, [shown]) if url else shown, Citation(key)]
            pos = m.end()
        if pos < len(text) or not out:
            out.append(Text(text[pos:]))
        return out


def cite_article(article: Article, log: RegistryLog, linked: dict[str, WorkRef]) -> None:
    rewrite_inlines(article.body, _Citer(log, linked, article.docname).rewrite)


def cite_works(articles: list[Article], registry: Registry, logs: dict[str, RegistryLog] | None = None,
               linked: dict[str, WorkRef] | None = None) -> Registry:
    """Cite the works of every article, in order.  `logs` receives each page's registry log and
    `linked` the titles some link identifies, when given (incremental.py keeps both)."""
    found = linked_titles(articles)
    if linked is not None:
        linked.update(found)
    for article in articles:
        log = RegistryLog(registry)
        cite_article(article, log, found)
        if logs is not None:
            logs[article.docname] = log
    return registry


def cited_keys(article: Article) -> list[str]:
    keys: list[str] = []
    for node in walk(article.body):
        if isinstance(node, Citation) and node.key not in keys:
            keys.append(node.key)
    return keys


__all__ = ["Registry", "RegistryLog", "ReplayMismatch", "KnownEntry", "Work", "WorkRef", "cite_article", "cite_works",
           "cited_keys", "identify", "latin_title", "linked_titles"]
