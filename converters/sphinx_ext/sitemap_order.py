"""sitemap.xml in one order, however the pages were written.

sphinx-sitemap lists the pages in the order its writers report them: sorted in a serial build,
in whatever order the worker processes finish in a parallel one (`-j auto`).  The file is
rewritten with its entries sorted by address, so a parallel build's output equals the serial
build's byte for byte (tests/test_scale.py) and hosts see no change where there is none.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from sphinx.application import Sphinx

_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sort_sitemap(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    path = Path(app.outdir) / getattr(app.config, "sitemap_filename", "sitemap.xml")
    if not path.is_file():
        return
    ElementTree.register_namespace("", _NS)
    tree = ElementTree.parse(path)
    root = tree.getroot()
    urls = list(root)
    urls.sort(key=lambda url: url.findtext(f"{{{_NS}}}loc") or "")
    root[:] = urls
    tree.write(path, xml_declaration=True, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", sort_sitemap, priority=800)  # after sphinx-sitemap writes it
    return {"parallel_read_safe": True, "parallel_write_safe": True}
