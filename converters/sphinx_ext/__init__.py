"""The book's Sphinx extensions (listed in conf.py), and what several of them share."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"  # the scripts the web book's pages load
HTML_BUILDERS = ("html", "dirhtml")  # the web book: not the EPUB, which runs no scripts


def serve_static(app) -> bool:
    """Have `static/` copied into the web book; whether this build is one."""
    if app.builder.name not in HTML_BUILDERS:
        return False
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))
    return True
