"""Sources → book/: the `convert` step, skipped when nothing it reads has changed.

`convert_book` reads the sources (parsed ones come from the cache, readers/cache.py), assembles
the book (pipeline.py), writes the pages that changed (book.py) and stamps what it read.  When
the sources, kexue-book.yaml, the hand-kept bibliography, the local images and the code are
all as the stamp says and book/'s generated files were not touched since, nothing is read or
written: the stamp's record (chapters, counts, warnings) is returned instead.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .bibliography import HAND_KEPT, completeness
from .book import render_book, warn_kept_pages, write_book
from .config import BookConfig
from .diagnostics import Diagnostic, Reporter
from .images import IMAGE_FOLDER
from .incremental import Recorder, clear_state, convert_changed, load_state, save_state, sorted_diagnostics
from .model import Book
from .pipeline import assemble
from .readers import collect_sources, parse_source, shown_path
from .readers.cache import content_hash, read_all
from .stamps import Digest, clear_stamp, read_stamp, write_stamp

CACHE_DIR = ("cache", "sources")  # under _build/
STEP = "convert"

# progress(phase, done, total): phases "read" (files), "write" (pages).
Progress = Callable[[str, int, int], None]


@dataclass
class ConvertResult:
    chapters: list[tuple[str, str, int]]  # (slug, title, articles)
    articles: int
    citations: tuple[int, int, int] | None  # (works, complete, title only)
    written: int
    unchanged: int
    removed: int
    diagnostics: list[Diagnostic]
    skipped: bool = False  # nothing changed since the stamp: nothing was read or written
    book: Book | None = None  # None when skipped (load_book reads it when needed)
    files: int = 0
    cached: int = 0
    workers: int = 1
    seconds: dict[str, float] = field(default_factory=dict)  # per phase
    incremental: int = 0  # > 0: only this many changed sources were read and written (incremental.py)


def _others_digest(config: BookConfig, book_dir: Path, skipped: list[Diagnostic]) -> str:
    """Everything convert reads besides the sources (and, through Digest, its own code), and the
    warnings about the files of the sources' folders that no reader takes (`skipped`): no page
    shows them, the warnings do."""
    digest = Digest(STEP)
    digest.add("skipped", "\n".join(str(d) for d in skipped).encode("utf-8", "surrogatepass"))
    if config.path is not None:
        digest.add_file(config.path, "config")
    digest.add_file(book_dir / HAND_KEPT, HAND_KEPT)
    images = book_dir / IMAGE_FOLDER
    if images.is_dir():  # which copies exist decides local or remote; their bytes do not
        listing = sorted(f"{p.relative_to(images).as_posix()}\t{p.stat().st_size}"
                         for p in images.rglob("*") if p.is_file())
        digest.add("images", "\n".join(listing).encode())
    return digest.hexdigest()


def _inputs_digest(files: list[tuple[Path, str]], contents: list[str | None], others: str) -> str:
    digest = Digest(STEP)
    digest.add("others", others.encode())
    for (_, shown), content in zip(files, contents):
        digest.add(shown, (content or "\0missing").encode())
    return digest.hexdigest()


def _record(result: ConvertResult) -> dict:
    return {"chapters": result.chapters, "articles": result.articles, "citations": result.citations,
            "written": result.written, "unchanged": result.unchanged, "removed": result.removed,
            "files": result.files,
            "diagnostics": [d.as_record() for d in result.diagnostics]}


def _from_record(record: dict) -> ConvertResult:
    diagnostics = [Diagnostic.from_record(r) for r in record["diagnostics"]]
    citations = tuple(record["citations"]) if record["citations"] else None
    return ConvertResult([tuple(c) for c in record["chapters"]], record["articles"], citations, 0,
                         record["written"] + record["unchanged"], 0, diagnostics, skipped=True,
                         files=record["files"], cached=record["files"])


@contextmanager
def _cyclic_collector_paused():
    """Python's cycle collector paused while the book's object trees are made.

    Reading, assembling and writing 1,000 articles allocates millions of nodes that all live to
    the end, and every full collection walks all of them again: measured at 1,000 articles it
    was 2.3 s of a 7.3 s cold convert (bench/scale.py).  The book holds no reference cycles:
    reference counting frees it, and the peak memory is the same with the collector off.  What
    a parser leaves behind is collected after each source (readers/cache.py `_pickled`).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def convert_book(sources: list[Path], config: BookConfig, book_dir: Path, build_dir: Path,
                 progress: Progress | None = None, use_stamp: bool = True) -> ConvertResult:
    started = time.monotonic()
    reporter = Reporter()
    files = [(path, shown_path(path)) for path in collect_sources(sources, reporter)]
    contents = [content_hash(path) for path, _ in files]  # each source read once: stamp and cache keys
    others = _others_digest(config, book_dir, reporter.diagnostics)
    digest = _inputs_digest(files, contents, others)
    if use_stamp:
        record = read_stamp(build_dir, STEP, digest)
        if record is not None:
            result = _from_record(record)
            result.seconds["check"] = time.monotonic() - started
            return result
        result, parsed = _convert_changed(files, contents, digest, others, config, book_dir, build_dir, started)
        if result is not None:
            return result
    else:
        parsed = 0
    clear_stamp(build_dir, STEP)
    clear_state(build_dir)
    with _cyclic_collector_paused():
        result = _convert(files, contents, digest, others, config, book_dir, build_dir, progress, reporter, started)
    result.cached -= parsed  # parsed before the changes were found to need the whole book
    return result


def _convert_changed(files: list[tuple[Path, str]], contents: list[str | None], digest: str, others: str,
                     config: BookConfig, book_dir: Path, build_dir: Path,
                     started: float) -> tuple[ConvertResult | None, int]:
    """Only the changed sources converted (incremental.py), when the last convert's pages are as
    it left them and the changes touch nothing another page depends on; else None (and how many
    sources were parsed before that was found)."""
    record = read_stamp(build_dir, STEP, None)
    state = load_state(build_dir, others) if record is not None else None
    if state is None:
        return None, 0
    changed = convert_changed(state, files, contents, config, book_dir, build_dir.joinpath(*CACHE_DIR))
    if changed is None or changed.whole_book:
        return None, changed.parsed if changed else 0
    result = _from_record(record)
    result.skipped = False
    result.diagnostics = changed.diagnostics
    result.written, result.unchanged = len(changed.written), len(state.generated) - len(changed.written)
    result.cached = result.files - changed.parsed
    result.seconds = {"read": 0.0, "assemble": time.monotonic() - started, "write": 0.0}
    result.incremental = changed.sources
    save_state(build_dir, state)
    write_stamp(build_dir, STEP, digest, [book_dir / rel for rel in state.generated], _record(result))
    return result, changed.parsed


def _convert(files: list[tuple[Path, str]], contents: list[str | None], digest: str, others: str,
             config: BookConfig, book_dir: Path, build_dir: Path, progress: Progress | None, reporter: Reporter,
             started: float) -> ConvertResult:
    def read_progress(done: int, total: int) -> None:
        if progress:
            progress("read", done, total)

    articles, stats = read_all(files, parse_source, reporter, build_dir.joinpath(*CACHE_DIR), read_progress,
                               contents)
    read_done = time.monotonic()
    recorder = Recorder(files, contents, stats.articles)
    book = assemble(articles, config, reporter, book_dir, recorder)
    assembled = time.monotonic()
    pages = render_book(book, config)
    report = write_book(pages, book_dir)
    warn_kept_pages(report, book_dir, reporter)
    if progress:
        progress("write", len(pages), len(pages))
    citations = None
    if book.works is not None and book.works.works:
        complete, title_only = completeness(book.works, book.works.hand_kept)
        citations = (len(book.works.works), complete, title_only)
    diagnostics = sorted_diagnostics(reporter.diagnostics, files)
    result = ConvertResult([(c.slug, c.title, len(c.articles)) for c in book.chapters], len(book.articles),
                           citations, len(report.written), len(report.unchanged), len(report.removed),
                           diagnostics, book=book, files=stats.files, cached=stats.cached,
                           workers=stats.workers)
    result.seconds = {"read": read_done - started, "assemble": assembled - read_done,
                      "write": time.monotonic() - assembled}
    state = recorder.state
    state.others, state.diagnostics, state.generated = others, diagnostics, sorted(pages)
    save_state(build_dir, state)
    write_stamp(build_dir, STEP, digest, [book_dir / rel for rel in pages], _record(result))
    return result
