"""The EPUB: formulas as MathML with the HTML's numbers and anchors, and a cover.

E-readers run no MathJax, so the EPUB builder gets its own math renderer:
latex2mathml turns each formula into MathML when the page is written.  A
formula it cannot convert is shown as its TeX source in a code span, with a
warning naming the page (none of the 1161 formulas of the seeds and corpus).
Pages that contain MathML are declared with `properties="mathml"` in the OPF,
as EPUB 3 requires.  The cover is an SVG drawn from the book's title and credits
(kexue-book.yaml), declared as EPUB 3's `cover-image`.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree
from pathlib import Path

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from ..escaping import html as escape
from .equations import TAG

logger = logging.getLogger(__name__)
RENDERER = "kexue_mathml"


_ALIGNED = re.compile(r"\\begin\{aligned\}(?:\[[tbc]\])?(.*?)\\end\{aligned\}", re.S)
_BARE_AMPERSAND = re.compile(r"&(?![#\w]+;)")


def _aligned_as_array(m: re.Match) -> str:
    """latex2mathml leaves `aligned` flat (a bare `&` in the output); as an array of
    right/left column pairs it becomes the MathML table the formula is."""
    body = m.group(1)
    columns = max((row.count("&") + 1 for row in re.split(r"\\\\", body)), default=1)
    spec = ("rl" * ((columns + 1) // 2))[:columns]
    return f"\\begin{{array}}{{{spec}}}{body}\\end{{array}}"


def to_mathml(tex: str, display: bool) -> str | None:
    source = TAG.sub("", tex).strip()
    previous = None
    while previous != source:  # nested `aligned` too
        previous, source = source, _ALIGNED.sub(_aligned_as_array, source)
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds; any of them means "cannot convert"
        return None
    # A bare `&` means a construct latex2mathml did not understand; it would also break the XHTML.
    if _BARE_AMPERSAND.search(mathml):
        return None
    return _repair(mathml)


_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
ElementTree.register_namespace("", _MATHML_NS)


def _repair(mathml: str) -> str | None:
    """MathML allows only text in token elements; latex2mathml sometimes nests
    elements there (`\\mathop{\\text{argmin}}` → `<mo><mrow>…`).  Such a token
    becomes an `mrow`, which may hold them."""
    try:
        root = ElementTree.fromstring(mathml)
    except ElementTree.ParseError:
        return None
    tokens = {f"{{{_MATHML_NS}}}{t}" for t in ("mo", "mi", "mn", "mtext", "ms")}
    changed = False
    for element in root.iter():
        if element.tag in tokens and len(element):
            element.tag = f"{{{_MATHML_NS}}}mrow"
            element.attrib.pop("stretchy", None)
            changed = True
    return ElementTree.tostring(root, encoding="unicode") if changed else mathml


def _mathml_or_tex(node: nodes.Element, display: bool) -> str:
    mathml = to_mathml(node.astext(), display)
    if mathml is not None:
        return mathml if display else f'<span class="math">{mathml}</span>'
    logger.warning(f"formula cannot be shown as MathML, kept as TeX: {node.astext()}",
                   location=node, type="kexue", subtype="mathml")
    tag = "pre" if display else "code"
    return f'<{tag} class="formula-tex">{escape(node.astext())}</{tag}>'


def visit_math(self, node: nodes.math) -> None:
    self.body.append(_mathml_or_tex(node, display=False))
    raise nodes.SkipNode


def visit_displaymath(self, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node.get("number") is not None and node.get("label"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})</span>')
    self.body.append(_mathml_or_tex(node, display=True) + "</div>\n")
    raise nodes.SkipNode


COVER = "_static/kexue-cover.svg"


def cover_svg(title: str, subtitle: str, author: str, blog_name: str, blog_url: str) -> str:
    """A plain typographic cover: the book's title, subtitle, author and source."""
    lines = [(title, 150, 64, "bold"), (subtitle, 230, 34, "normal"), (author, 560, 40, "normal"),
             (blog_name, 640, 26, "normal"), (blog_url, 680, 24, "normal")]
    texts = "".join(f'<text x="300" y="{y}" font-size="{size}" font-weight="{weight}" text-anchor="middle" '
                    f'font-family="Noto Serif CJK SC, serif">{escape(text)}</text>'
                    for text, y, size, weight in lines if text)
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="800" viewBox="0 0 600 800">'
            '<rect width="600" height="800" fill="#f6f3ea"/><rect x="40" y="40" width="520" height="720" '
            'fill="none" stroke="#1f4e79" stroke-width="3"/>' + texts + "</svg>\n")


def write_cover(app: Sphinx) -> None:
    """The EPUB's cover, drawn from the book's title (the config a user edits)."""
    if not app.builder.name.startswith("epub"):
        return
    info = app.config.kexue_cover_text
    target = Path(app.outdir) / COVER
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(cover_svg(*info), encoding="utf-8")
    app.config.epub_cover = (COVER, "epub-cover.html")


def declare_mathml(app: Sphinx, exception: Exception | None) -> None:
    """EPUB 3: a content document with MathML carries properties="mathml" in the manifest,
    and the cover image properties="cover-image"."""
    if exception is not None or not app.builder.name.startswith("epub"):
        return
    outdir = Path(app.outdir)
    opf = outdir / "content.opf"
    if not opf.is_file():
        return
    text = opf.read_text(encoding="utf-8")

    def mark(m: re.Match) -> str:
        item = m.group(0)
        href = re.search(r'href="([^"]+)"', item)
        if href and href.group(1) == COVER and "properties=" not in item:
            return item.replace("<item ", '<item properties="cover-image" ', 1)  # EPUB 3's cover
        if not href or "properties=" in item or not href.group(1).endswith(".xhtml"):
            return item
        page = outdir / href.group(1)
        if page.is_file() and "<math" in page.read_text(encoding="utf-8"):
            return item.replace("<item ", '<item properties="mathml" ', 1)
        return item

    new = re.sub(r"<item [^>]*/>", mark, text)
    if new != text:
        opf.write_text(new, encoding="utf-8")
        app.builder.build_epub()  # zip again with the corrected manifest


def setup(app: Sphinx) -> dict:
    app.add_html_math_renderer(RENDERER, (visit_math, None), (visit_displaymath, None))
    # HTML builders read `<builder>_math_renderer` before `html_math_renderer`.
    app.add_config_value("epub_math_renderer", RENDERER, "env", types=[str])
    app.add_config_value("kexue_cover_text", ("", "", "", "", ""), "env")
    app.connect("builder-inited", write_cover)
    app.connect("build-finished", declare_mathml)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
