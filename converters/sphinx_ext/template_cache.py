"""The HTML templates compiled once, not at every build.

Sphinx compiles the theme's Jinja templates (sphinx-book-theme over pydata-sphinx-theme over
Sphinx's basic theme: 30 templates) in every run, also when one page changed.  Jinja's
bytecode cache keeps the compiled templates beside the doctrees; Jinja checks each template's
source time and name itself, so a changed or updated theme is compiled again.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from sphinx.application import Sphinx

from . import HTML_BUILDERS


def cache_templates(app: Sphinx) -> None:
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if app.builder.name not in HTML_BUILDERS or environment is None:
        return
    folder = Path(app.doctreedir) / "jinja"
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", cache_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
