"""Links from the HTML book to its PDF and EPUB.

`kexue-book build --format all` builds the PDF and the EPUB first and copies
them into `_build/downloads/`; the HTML build then copies that folder's files
into its root and links them from the landing page (`{kexue-downloads}`) and
the navigation sidebar.  Files that were not built are not linked.  When the book was also
split into one PDF per chapter (`downloads/chapters/<folder>.pdf`), the sidebar of a chapter's
pages links that chapter's PDF too.

What the folder holds is a configuration value (rebuild "html"): when a PDF appears or changes,
Sphinx writes every page again (their sidebars link it) without reading any again.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

LABELS = {".pdf": "PDF", ".epub": "EPUB"}
CHAPTERS = "chapters"  # build.py's folder of per-chapter PDFs


def available(app: Sphinx) -> list[tuple[str, str]]:
    folder = Path(app.config.kexue_downloads_dir)
    if not app.config.kexue_downloads_dir or not folder.is_dir():
        return []
    return [(LABELS[p.suffix], p.name) for p in sorted(folder.iterdir()) if p.suffix in LABELS]


class downloads_links(nodes.General, nodes.Element):
    """Where the landing page's download links go, filled when the page is written (`fill_links`):
    a page is read once for every builder (the EPUB build may start from the HTML build's
    doctrees, converters/build.py), so what a builder shows is decided when it writes."""


class DownloadsDirective(SphinxDirective):
    """The landing page's download links (HTML only; nothing in the PDF or EPUB)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return [downloads_links()]


def fill_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(downloads_links)):
        files = available(app)
        if not files or app.builder.format != "html" or app.builder.name.startswith("epub"):
            node.parent.remove(node)
            continue
        links = "，".join(f'<a class="reference download" href="{name}">{label}（{name}）</a>'
                         for label, name in files)
        node.replace_self(nodes.raw("", f'<p class="kexue-downloads">下载本书：{links}</p>', format="html"))


def add_files(app: Sphinx) -> None:
    if app.builder.format == "html" and not app.builder.name.startswith("epub") and available(app):
        app.config.html_extra_path = [*app.config.html_extra_path, app.config.kexue_downloads_dir]


def chapter_pdf(app: Sphinx, pagename: str) -> str | None:
    """The chapter PDF of a page (`chapters/<folder>.pdf`, relative to the HTML root), if built."""
    folder = pagename.split("/", 1)[0] if "/" in pagename else None
    if not folder or not app.config.kexue_downloads_dir:
        return None
    name = f"{CHAPTERS}/{folder}.pdf"
    return name if (Path(app.config.kexue_downloads_dir) / name).is_file() else None


def listing(folder: Path) -> str:
    if not folder.is_dir():
        return ""
    return "\n".join(f"{p.relative_to(folder).as_posix()} {p.stat().st_size} {p.stat().st_mtime_ns}"
                     for p in sorted(folder.rglob("*")) if p.is_file())


def note_listing(app: Sphinx, config) -> None:
    if config.kexue_downloads_dir:
        config.kexue_downloads_listing = listing(Path(config.kexue_downloads_dir))


def page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    context["kexue_downloads"] = available(app)
    context["kexue_chapter_pdf"] = chapter_pdf(app, pagename)


def setup(app: Sphinx) -> dict:
    app.add_config_value("kexue_downloads_dir", "", "html", types=[str])
    app.add_config_value("kexue_downloads_listing", "", "html", types=[str])
    app.connect("config-inited", note_listing)
    app.add_directive("kexue-downloads", DownloadsDirective)
    app.connect("doctree-resolved", fill_links)
    app.connect("builder-inited", add_files)
    app.connect("html-page-context", page_context)
    app.config.templates_path.append(str(Path(__file__).parent / "templates"))
    # env_version: doctrees read before the links were filled when written are read afresh.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
