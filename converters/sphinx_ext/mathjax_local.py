"""MathJax from the book itself, not from a CDN.

A reader who downloads the HTML book, or a machine without access to a CDN,
still sees formulas: MathJax 3 (`tex-chtml-full.js`, every TeX extension the
blog uses built in, and its web fonts) is copied into `_static/mathjax/` of
the HTML output.  The files come from the PyPI package django-static-mathjax,
which ships MathJax's release files and nothing else we use.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from . import HTML_BUILDERS

logger = logging.getLogger(__name__)
TARGET = "mathjax"  # under _static/
# Formulas come from sources the book did not write.  MathJax's `safe` extension filters what TeX
# can put into the page (`\href` only to web addresses, no `\style` / `\class` / `\cssId`
# beyond its safe lists); `\require` is removed so no formula loads code, and the loader is
# told where the book's own copy lives.
#
# Screen readers read each formula from the MathML MathJax puts beside what it draws (its
# `assistive-mml` component, in `tex-chtml-full.js` and served beside it): named here so that a
# reader's saved menu setting or a later MathJax cannot turn it off unnoticed
# (tests/test_accessibility.py reads it in Chromium's accessibility tree).
SAFE_CONFIG = {
    "loader": {"load": ["ui/safe", "a11y/assistive-mml"]},
    "tex": {"packages": {"[-]": ["require", "autoload"]}},
    "options": {"safeOptions": {"safeProtocols": {"http": True, "https": True, "mailto": True, "file": False,
                                                  "javascript": False, "data": False}},
                "menuOptions": {"settings": {"assistiveMml": True}}},
}
EXTRA_FILES = ["ui/safe.js", "a11y/assistive-mml.js"]


def mathjax_release() -> Path | None:
    try:
        import mathjax  # the django-static-mathjax package
    except ImportError:
        return None
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    return es5 if (es5 / "tex-chtml-full.js").is_file() else None


def configure(app: Sphinx, config) -> None:
    if mathjax_release() is None:
        logger.warning("MathJax is not installed locally (pip install django-static-mathjax); "
                       "the HTML loads it from a CDN")
        return
    config.mathjax_path = f"{TARGET}/tex-chtml-full.js"
    config.mathjax3_config = {**SAFE_CONFIG, **(config.mathjax3_config or {})}


def _copy_if_changed(source: Path, target: Path) -> None:
    if target.is_file():
        have, want = target.stat(), source.stat()
        if have.st_size == want.st_size and have.st_mtime_ns == want.st_mtime_ns:
            return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def copy_release(app: Sphinx) -> None:
    """Before any page is written: a page names its scripts with a checksum of the file it finds
    in the output (`?v=…`), so MathJax must be there already, in the first build as in the
    next (a page written by a later build otherwise differed from the same page of a cold one)."""
    es5 = mathjax_release()
    if es5 is None or app.builder.name not in HTML_BUILDERS:  # the EPUB has MathML, no scripts
        return
    target = Path(app.outdir) / "_static" / TARGET
    fonts = Path("output") / "chtml" / "fonts" / "woff-v2"
    for name in ["tex-chtml-full.js", *EXTRA_FILES, *(str(fonts / f.name) for f in (es5 / fonts).iterdir())]:
        _copy_if_changed(es5 / name, target / name)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure)
    app.connect("builder-inited", copy_release)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
