"""Remove the HTML of pages that are no longer in the book.

Sphinx forgets a removed page in its environment but leaves its `.html` (and its `_sources`
copy) in the output folder, where search engines, links and the hosted site still find it.
After each HTML build, every page file whose document is gone is deleted; Sphinx's own pages
(search, genindex) and the theme's assets are kept.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
_SPHINX_PAGES = {"search", "genindex", "py-modindex"}
_ASSET_DIRS = {"_static", "_images", "_downloads", "_sources"}


def stale_files(outdir: Path, docnames: set[str], suffix: str) -> list[Path]:
    """Page files of `outdir` (and their `_sources` copies) whose document is not in `docnames`."""
    stale = []
    for page in outdir.rglob(f"*{suffix}"):
        rel = page.relative_to(outdir)
        if rel.parts[0] in _ASSET_DIRS:
            continue
        docname = rel.with_suffix("").as_posix()
        if docname not in docnames and docname not in _SPHINX_PAGES:
            stale.append(page)
    sources = outdir / "_sources"
    if sources.is_dir():
        for copy in sources.rglob("*.txt"):
            docname = copy.relative_to(sources).as_posix().rsplit(".", 2)[0]
            if docname not in docnames:
                stale.append(copy)
    return stale


def note_removed(app: Sphinx, env, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    app.env.kexue_removed_docs = bool(removed)  # noqa: not pickled state that matters: set at every read
    return []


def remove_stale(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name not in ("html", "dirhtml"):
        return
    # Only a build that removed pages (or started from no environment, where the output folder
    # may hold anything) looks for stale files: walking 2,000 files costs a tenth of a second.
    fresh = getattr(app, "_fresh_env_used", True) and not getattr(app, "kexue_stale_checked", False)
    if not getattr(app.env, "kexue_removed_docs", True) and not fresh:
        return
    app.kexue_stale_checked = True  # a live preview builds again in the same process
    outdir = Path(app.outdir)
    for path in stale_files(outdir, set(app.env.found_docs), app.builder.out_suffix):
        path.unlink()
        logger.info(f"removed {path.relative_to(outdir)} (its page is no longer in the book)")
    for folder in sorted((p for p in outdir.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()


def setup(app: Sphinx) -> dict:
    app.connect("env-get-outdated", note_removed)
    app.connect("build-finished", remove_stale)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
