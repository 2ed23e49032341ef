"""Stamps: what a step was made from, so that a step whose inputs did not change is skipped.

A stamp is `_build/stamps/<step>.json`: the digest of the step's inputs (file contents, the
code of the converters package, tool versions) and what the step reported (its summary and
warnings, shown again when it is skipped: a skipped step is never silent about its input's
problems), plus the size and modification time of each output, so that an output removed or
edited by hand makes the step run again.  A stamp is written only after the step succeeded and
is removed before it runs, so a failed or interrupted step never looks done.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .readers import cache
from .readers.cache import code_fingerprint

STAMP_DIR = "stamps"  # under _build/
# The tools whose versions decide what a build produces (MyST reads the pages with markdown-it;
# Pygments colours the code, pybtex formats the references, MathJax's files are served).  Those
# that shape convert's output are in every digest already, through `code_fingerprint`.
TOOLS = ("sphinx", "myst-parser", "markdown-it-py", "mdit-py-plugins", "sphinx-book-theme",
         "pydata-sphinx-theme", "sphinxcontrib-bibtex", "pybtex", "Pygments", "sphinx-sitemap",
         "sphinxext-opengraph", "jieba", "rjieba", "latex2mathml", "docutils", "django-static-mathjax")


class Digest:
    """A running sha256 over named parts (name and length first, so parts cannot run together)."""

    def __init__(self, kind: str) -> None:
        self._h = hashlib.sha256(kind.encode())
        self._h.update(code_fingerprint().encode())

    def add(self, name: str, data: bytes) -> None:
        self._h.update(f"\0{name}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
        self._h.update(data)

    def add_file(self, path: Path, name: str | None = None) -> None:
        try:
            data = path.read_bytes()
        except OSError:
            data = b"\0missing"
        self.add(name or str(path), data)

    def add_tree(self, folder: Path, suffixes: tuple[str, ...] | None = None) -> None:
        """Every file below `folder` (hidden ones too: a chapter's .gitignore is the book's)."""
        if not folder.is_dir():
            self.add(str(folder), b"\0no folder")
            return
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if suffixes is None or path.suffix in suffixes:
                self.add_file(path, path.relative_to(folder).as_posix())

    def add_tools(self) -> None:
        for name in TOOLS:
            self.add(name, cache.library_version(name).encode())

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def output_state(paths: list[Path]) -> dict[str, list[int]]:
    state = {}
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        state[str(path)] = [st.st_size, st.st_mtime_ns]
    return state


def stamp_path(build_dir: Path, step: str) -> Path:
    return build_dir / STAMP_DIR / f"{step}.json"


def read_stamp(build_dir: Path, step: str, digest: str | None) -> dict | None:
    """The stamp's record when the inputs' digest matches and every output is as it was left
    (`digest` None: whatever the inputs were, for a step that redoes only what changed)."""
    try:
        stamp = json.loads(stamp_path(build_dir, step).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or (digest is not None and stamp.get("digest") != digest):
        return None
    outputs = stamp.get("outputs", {})
    if not outputs or output_state([Path(p) for p in outputs]) != outputs:
        return None
    return stamp.get("record")


def clear_stamp(build_dir: Path, step: str) -> None:
    stamp_path(build_dir, step).unlink(missing_ok=True)


def write_stamp(build_dir: Path, step: str, digest: str, outputs: list[Path], record: dict) -> None:
    path = stamp_path(build_dir, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"digest": digest, "outputs": output_state(outputs), "record": record},
                              ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
