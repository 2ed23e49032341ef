"""Readers, one per input format, registered by file suffix (pandoc's reader table)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Callable

from ..diagnostics import Code, Reporter, SkippedSource, SourceError
from ..model import Article, SourcePos
from ..transforms.characters import replace_forbidden_characters  # applied to what each reader made
from .cache import Parsed, read_all

Reader = Callable[[Path, Reporter, str], list[Article]]


class _Readers(Mapping):
    """Suffix → reader, each reader's module imported when a file of its format is first read:
    a convert after an edit reads one Markdown file and need not load lxml and feedparser.
    A Mapping (not a dict subclass), so that `get`, `items` and `values` give readers too."""

    def __init__(self, names: dict[str, tuple[str, str]]) -> None:
        self._names = names  # suffix → (module of this package, function)

    def __getitem__(self, suffix: str) -> Reader:
        module, name = self._names[suffix]
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


READERS: Mapping[str, Reader] = _Readers({
    ".txt": ("seed_text", "read_seed"),
    ".md": ("markdown", "read_markdown"),
    ".html": ("webpage", "read_page"),
    ".htm": ("webpage", "read_page"),
    ".xml": ("feed", "read_feed"),
    ".rss": ("feed", "read_feed"),
    ".atom": ("feed", "read_feed"),
})


def shown_path(path: Path) -> str:
    """How a source is named in messages: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _page_assets(path: Path) -> bool:
    """A file in the `NAME_files/` folder a browser saves beside `NAME.html` (styles, scripts, images)."""
    if "_files" not in str(path.parent):  # most files: no such folder above them
        return False
    for folder in path.parents:
        if folder.name.endswith("_files") and any(
                (folder.parent / (folder.name[:-len("_files")] + ext)).is_file() for ext in (".html", ".htm")):
            return True
    return False


def collect_sources(paths: list[Path], reporter: Reporter) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if _page_assets(child):
                    continue
                if child.suffix.lower() in READERS:
                    files.append(child)
                else:
                    reporter.warn(Code.UNREADABLE, f"no reader for '{child.suffix or child.name}' files; skipped",
                                  SourcePos(shown_path(child), 1))
        elif path.is_file():
            if path.suffix.lower() not in READERS:
                raise SourceError(f"{shown_path(path)}: no reader for '{path.suffix}' files "
                                  f"(known: {', '.join(sorted(READERS))})")
            files.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return files


def parse_source(path: Path, shown: str) -> Parsed:
    """One file through its reader: the articles and the warnings raised reading it."""
    reporter = Reporter()
    try:
        articles = READERS[path.suffix.lower()](path, reporter, shown)
        # Here, not in pipeline.assemble: once per source, over the cores, and kept in the parse
        # cache with its warning (walking every string of 1,000 articles at each convert cost 1 s).
        articles = replace_forbidden_characters(articles, reporter)
    except SkippedSource as exc:  # one binary file never stops the book
        articles = []
        reporter.warn(Code.BINARY_SOURCE, str(exc).split(": ", 1)[1], SourcePos(shown, 1))
    return Parsed(articles, reporter.diagnostics)


def read_sources(paths: list[Path], reporter: Reporter, cache_dir: Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> list[Article]:
    """The articles of every source, in file order.  With `cache_dir`, files whose bytes did not
    change since the last run are not parsed again (readers/cache.py); the others are parsed
    over the machine's cores.  `progress(done, total)` is told as files are read."""
    files = [(path, shown_path(path)) for path in collect_sources(paths, reporter)]
    return read_all(files, parse_source, reporter, cache_dir, progress)[0]
