"""Parsed sources kept between runs, by content, and parsing spread over the cores.

A source whose bytes did not change is not parsed again: `_build/cache/sources/<key>.pickle`
holds what its reader returned (the articles and the warnings it raised).  The key hashes the
file's bytes, the name it is shown under (positions carry it), the code of the converters
package and the versions of the libraries that parse (`LIBRARIES`), so a changed reader or
parser parses everything again.  Entries no run used are removed at the
end of a run, so the cache holds one book's sources.  An entry that cannot be read is a miss.

The cache is written by this program into the project's own build folder, as Sphinx keeps its
pickled environment there; it is never read from anywhere else.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable

from ..diagnostics import Diagnostic, Reporter
from ..model import Article

PACKAGE = Path(__file__).resolve().parent.parent
# Below this many sources to parse, starting worker processes costs more than it saves.
PARALLEL_FROM = 16


# The libraries whose behaviour shapes what convert makes of a source (its parsers, the
# encoding guesser, the slugs' pinyin, the generated BibTeX): a new version may read the same
# bytes differently, so it is part of every cache key and stamp.
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "lxml", "feedparser", "PyYAML", "charset-normalizer",
             "pypinyin", "pybtex")


def library_version(name: str) -> str:
    """The installed version of a distribution ("-" when it is not installed)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the converters package's code and of the versions of the libraries it reads
    with: a new reader, model or parser invalidates the cache."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"\0{name}\0{library_version(name)}".encode())
    return digest.hexdigest()


@dataclass
class Parsed:
    """What a reader made of one source file."""

    articles: list[Article]
    diagnostics: list[Diagnostic]


@dataclass
class ReadStats:
    """How a run read its sources (for the progress line)."""

    files: int = 0
    cached: int = 0
    parsed: int = 0
    workers: int = 1
    articles: list[int] = field(default_factory=list)  # how many articles each file gave, in file order


def content_hash(path: Path) -> str | None:
    """sha256 of the file's bytes; None when it cannot be read (its reader reports why)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def cache_key(content: str, shown: str) -> str:
    """The entry of a source whose bytes hash to `content` (`content_hash`), shown as `shown`."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(shown.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(content.encode())
    return digest.hexdigest()


def load(cache_dir: Path, key: str) -> Parsed | None:
    try:
        with open(cache_dir / f"{key}.pickle", "rb") as f:
            parsed = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, Parsed) else None


def store(cache_dir: Path, key: str, data: bytes) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{key}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, cache_dir / f"{key}.pickle")  # never a half-written entry


def prune(cache_dir: Path, used: set[str]) -> None:
    if not cache_dir.is_dir():
        return
    for entry in cache_dir.glob("*.pickle"):
        if entry.stem not in used:
            entry.unlink(missing_ok=True)


def workers_for(count: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, count // PARALLEL_FROM or 1)) if count >= PARALLEL_FROM else 1


def parse_all(jobs: list[tuple[Path, str]], parse_one: Callable[[Path, str], Parsed],
              workers: int, done: Callable[[int], None] | None = None) -> list[bytes]:
    """`parse_one` over `jobs`, in order, each result pickled (the form the cache stores and
    worker processes send back: pickled once, not once to send and once to store)."""
    calls = [(parse_one, path, shown) for path, shown in jobs]
    if workers <= 1:
        out = []
        for call in calls:
            out.append(_pickled(call))
            if done:
                done(1)
        return out
    results: list[bytes] = []
    chunk = max(1, min(32, len(jobs) // (workers * 4)))
    # Workers keep the cycle collector paused, as convert.py does (a forked one inherits that);
    # `_pickled` collects after each source instead.
    with ProcessPoolExecutor(max_workers=workers, initializer=gc.disable) as pool:
        for data in pool.map(_pickled, calls, chunksize=chunk):
            results.append(data)
            if done:
                done(1)
    return results


def _pickled(call) -> bytes:
    parse_one, path, shown = call
    data = pickle.dumps(parse_one(path, shown), protocol=pickle.HIGHEST_PROTOCOL)
    # What parsing this source left behind (a parser's state can hold reference cycles) is
    # collected now, in one pass over the objects made since the last source: reading is 11 %
    # faster so than at the collector's own rhythm (measured on 300 corpus articles).
    gc.collect(0)
    return data


def read_all(files: list[tuple[Path, str]], parse_one: Callable[[Path, str], Parsed], reporter: Reporter,
             cache_dir: Path | None, progress: Callable[[int, int], None] | None = None,
             contents: list[str | None] | None = None, prune_others: bool = True) -> tuple[list[Article], ReadStats]:
    """Every file's articles in file order, its warnings replayed into `reporter` in the same order.
    `contents`: the files' `content_hash`es when the caller has them already (convert.py).
    `prune_others`: remove the cached parses of files not read now (False when only some were read)."""
    stats = ReadStats(files=len(files))
    found: list[Parsed | None] = []
    keys: list[str | None] = []
    misses: list[int] = []
    for i, (path, shown) in enumerate(files):
        key = None
        parsed = None
        if cache_dir is not None:
            content = contents[i] if contents is not None else content_hash(path)
            key = cache_key(content, shown) if content else None
            parsed = load(cache_dir, key) if key else None
        keys.append(key)
        found.append(parsed)
        if parsed is None:
            misses.append(i)
    stats.cached = len(files) - len(misses)
    stats.parsed = len(misses)
    stats.workers = workers_for(len(misses))
    count = [stats.cached]
    if progress:
        progress(count[0], len(files))

    def done(n: int) -> None:
        count[0] += n
        if progress:
            progress(count[0], len(files))

    parsed_now = parse_all([files[i] for i in misses], parse_one, stats.workers, done)
    for i, data in zip(misses, parsed_now):
        found[i] = pickle.loads(data)
        if cache_dir is not None and keys[i] is not None:
            store(cache_dir, keys[i], data)
    articles: list[Article] = []
    for parsed in found:
        articles.extend(parsed.articles)
        stats.articles.append(len(parsed.articles))
        reporter.diagnostics.extend(parsed.diagnostics)
    if cache_dir is not None and prune_others:
        prune(cache_dir, {k for k in keys if k})
    return articles, stats
