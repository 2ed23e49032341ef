"""The EPUB: formulas as MathML with the HTML's numbers and anchors, and a cover.

E-readers run no MathJax, so the EPUB builder gets its own math renderer.  Its MathML comes
from MathJax 3's TeX input (`mathjax_mathml.py`), the engine the HTML book runs, so the EPUB
shows what the HTML shows: every formula of the book is collected while the pages are read
(`collect_formulas`; from the stored doctrees for pages this build did not read,
`collect_unread`), and once reading is done they all go through one node process, or one per
core when they are many (`convert_formulas`, at env-updated, before the pages are written —
also by parallel writers, which inherit the results).  The MathML is kept per formula in the
doctree folder (`kexue-mathml.json`), so a later build converts only new formulas.

Without node or the npm package (not installed: `make node_modules`), latex2mathml converts
the formulas instead — rows of `eqnarray` and column specs of arrays may then be lost — and
`kexue-book build` says so (KB117).  A formula MathJax rejects (an unknown macro) is shown as its
TeX source in a code span and reported (KB116).  Both reports come from `epub-formulas.json`
in the doctree folder, written with the per-article counts `kexue-book check` reads.
Pages that contain MathML are declared with `properties="mathml"` in the OPF, as EPUB 3
requires.  The cover is an SVG drawn from the book's title and credits (kexue-book.yaml),
declared as EPUB 3's `cover-image`.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree
from pathlib import Path, PurePosixPath

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from . import epub_a11y, mathjax_mathml
from ..escaping import html as escape
from .equations import TAG, epub_tex

logger = logging.getLogger(__name__)
RENDERER = "kexue_mathml"
REPORT = "epub-formulas.json"  # in the doctree folder: per article, MathML and TeX fallbacks
CACHE = "kexue-mathml.json"  # in the doctree folder: MathML per formula, for the next build
CACHE_VERSION = 1


_ALIGNED = re.compile(r"\\begin\{aligned\}(?:\[[tbc]\])?(.*?)\\end\{aligned\}", re.S)
_BARE_AMPERSAND = re.compile(r"&(?![#\w]+;)")


def _aligned_as_array(m: re.Match) -> str:
    """latex2mathml leaves `aligned` flat (a bare `&` in the output); as an array of
    right/left column pairs it becomes the MathML table the formula is."""
    body = m.group(1)
    columns = max((row.count("&") + 1 for row in re.split(r"\\\\", body)), default=1)
    spec = ("rl" * ((columns + 1) // 2))[:columns]
    return f"\\begin{{array}}{{{spec}}}{body}\\end{{array}}"


def latex2mathml_or_none(tex: str, display: bool) -> str | None:
    """The fallback engine (no node or no MathJax): latex2mathml's MathML, or None."""
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
        tokens = {f"{{{_MATHML_NS}}}{t}" for t in ("mo", "mi", "mn", "mtext", "ms")}
        changed = False
        for element in root.iter():
            if element.tag in tokens and len(element):
                element.tag = f"{{{_MATHML_NS}}}mrow"
                element.attrib.pop("stretchy", None)
                changed = True
        return ElementTree.tostring(root, encoding="unicode") if changed else mathml
    except (ElementTree.ParseError, RecursionError):  # no XML, or nested deeper than tostring writes
        return None


def _with_alttext(mathml: str, tex: str) -> str | None:
    try:
        root = ElementTree.fromstring(mathml)
        root.attrib["alttext"] = " ".join(tex.split())
        return ElementTree.tostring(root, encoding="unicode")
    except (ElementTree.ParseError, RecursionError):
        return None


# --- one conversion per build -------------------------------------------------------------

# (tex as the writer sees it, display) → MathML for the EPUB, or None (shown as TeX).  Filled
# in the main process at env-updated; parallel writers are forked after it and inherit it.
_RESULTS: dict[tuple[str, bool], str | None] = {}
_LATE: dict[str, mathjax_mathml.NodeEngine] = {}  # a formula not collected (none expected)


def _is_epub(app: Sphinx) -> bool:
    return app.builder.name.startswith("epub")


def _formulas_of(doctree: nodes.document) -> list[tuple[str, bool, int | None]]:
    """Every formula of the page as the writer will see it (after `equations.formulas_for_output`)."""
    found = []
    for node in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
        display = isinstance(node, nodes.math_block)
        tex = epub_tex(node) if display else node.astext()
        found.append((tex, display, node.line))
    return found


def collect_formulas(app: Sphinx, doctree: nodes.document) -> None:
    if _is_epub(app):
        app.env.kexue_epub_formulas[app.env.docname] = _formulas_of(doctree)


def collect_unread(env: BuildEnvironment) -> list[str]:
    """The formulas of the pages no EPUB build has read: an EPUB build that starts from the HTML
    build's environment (converters/build.py, `seed_doctrees`) reads only the pages changed
    since; the others' formulas come from their doctrees as that build stored them.  Returns
    those pages."""
    unread = sorted(env.all_docs.keys() - env.kexue_epub_formulas.keys())
    # Where Sphinx keeps the doctrees it read for the writer (as it keeps those it reads itself):
    # a doctree is unpickled once, not again to be written (5 ms a page).
    for_writer = getattr(env, "_write_doc_doctree_cache", None)
    for docname in unread:
        doctree = env.get_doctree(docname)
        env.kexue_epub_formulas[docname] = _formulas_of(doctree)
        if isinstance(for_writer, dict):
            for_writer[docname] = doctree
    return unread


def init_env(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if not hasattr(env, "kexue_epub_formulas"):
        env.kexue_epub_formulas = {}


def purge_formulas(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, "kexue_epub_formulas", {}).pop(docname, None)


def merge_formulas(app: Sphinx, env: BuildEnvironment, docnames: list[str], other: BuildEnvironment) -> None:
    env.kexue_epub_formulas.update({d: other.kexue_epub_formulas[d] for d in docnames
                                    if d in other.kexue_epub_formulas})


def _read_cache(path: Path, engine: str) -> dict[tuple[str, bool], str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("version") != CACHE_VERSION or data.get("engine") != engine:
        return {}
    return {(tex, bool(display)): mathml for tex, display, mathml in data.get("formulas", [])}


def convert_formulas(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """All formulas of the book to MathML: the cached ones from the last build, the others
    through MathJax (or latex2mathml when MathJax is not installed)."""
    if not _is_epub(app):
        return []
    unread = collect_unread(env)
    wanted = {(tex, display) for found in env.kexue_epub_formulas.values() for tex, display, _ in found}
    problem = None
    try:
        engine = mathjax_mathml.NodeEngine()
        name = mathjax_mathml.engine_id(engine.js_dir)
    except mathjax_mathml.EngineMissing as exc:
        engine, name, problem = None, "latex2mathml", str(exc)
    cache_path = Path(app.doctreedir) / CACHE
    results = _read_cache(cache_path, name)
    missing = sorted(wanted - results.keys())
    if engine is not None and missing:
        try:
            converted = engine.convert_all(missing)
        except RuntimeError as exc:  # node itself failed: the book still gets its EPUB
            engine, name, problem = None, "latex2mathml", str(exc)
            results = {}
            missing = sorted(wanted)
        else:
            for (tex, display), mathml in zip(missing, converted):
                results[(tex, display)] = None if mathml is None else mathjax_mathml.for_epub(mathml, tex)
    if engine is None:
        for tex, display in missing:
            mathml = latex2mathml_or_none(tex, display)
            results[(tex, display)] = None if mathml is None else _with_alttext(mathml, tex)
    results = {key: results[key] for key in wanted}
    _RESULTS.clear()
    _RESULTS.update(results)
    cache_path.write_text(json.dumps({"version": CACHE_VERSION, "engine": name,
                                      "formulas": [[t, d, m] for (t, d), m in sorted(results.items())]},
                                     ensure_ascii=False), encoding="utf-8")
    articles = {}
    for docname, found in sorted(env.kexue_epub_formulas.items()):
        fallback = [{"formula": tex, "line": line} for tex, display, line in found
                    if results.get((tex, display)) is None]
        articles[docname] = {"formulas": len(found), "mathml": len(found) - len(fallback), "fallback": fallback}
    (Path(app.doctreedir) / REPORT).write_text(json.dumps({"engine": name, "problem": problem, "articles": articles},
                                                         ensure_ascii=False, indent=1), encoding="utf-8")
    # Pages whose formulas were collected late count as updated: Sphinx then stores the
    # environment with them (it does so only when some page was updated).
    return unread


def _mathml(tex: str, display: bool) -> str | None:
    key = (tex, display)
    if key in _RESULTS:
        return _RESULTS[key]
    # Not collected while reading (a transform changed it afterwards): MathJax all the same.
    try:
        engine = _LATE.setdefault("engine", mathjax_mathml.NodeEngine())
        mathml = engine.convert_one(tex, display)
        result = None if mathml is None else mathjax_mathml.for_epub(mathml, tex)
    except (mathjax_mathml.EngineMissing, OSError, ValueError):
        mathml = latex2mathml_or_none(tex, display)
        result = None if mathml is None else _with_alttext(mathml, tex)
    _RESULTS[key] = result
    return result


def _mathml_or_tex(node: nodes.Element, display: bool) -> str:
    mathml = _mathml(node.astext(), display)
    if mathml is not None:
        return mathml if display else f'<span class="math">{mathml}</span>'
    # Reported by `kexue-book build` (KB116) from epub-formulas.json.
    tag = "pre" if display else "code"
    return f'<{tag} class="formula-tex">{escape(node.astext())}</{tag}>'


def visit_math(self, node: nodes.math) -> None:
    self.body.append(_mathml_or_tex(node, display=False))
    raise nodes.SkipNode


def visit_displaymath(self, node: nodes.math_block) -> None:
    # The class `math` alone: a node's other classes are the HTML's (zh_search's `no-search`,
    # added while the HTML build reads a page; the EPUB may start from that build's doctrees).
    self.body.append(self.starttag(nodes.math_block(ids=list(node["ids"])), "div", CLASS="math"))
    if node.get("number") is not None and node.get("label"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})</span>')
    self.body.append(_mathml_or_tex(node, display=True) + "</div>\n")
    raise nodes.SkipNode


COVER = "_static/kexue-cover.svg"
COVER_TEMPLATE = "kexue-epub-cover.html"  # in templates/


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
    app.config.epub_cover = (COVER, COVER_TEMPLATE)


def cover_alt(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """The cover image's text alternative: what it shows, the title and credits."""
    if _is_epub(app) and templatename == COVER_TEMPLATE:
        title, subtitle, author, blog_name, _ = app.config.kexue_cover_text
        context["kexue_cover_alt"] = "封面：" + "，".join(t for t in (title, subtitle, author, blog_name) if t)


def finish_package(app: Sphinx) -> None:
    """The package and nav as EPUB 3 and its accessibility rules want them, read from the pages
    written: a content document with MathML carries properties="mathml" in the manifest, the
    cover image properties="cover-image"; the accessibility metadata and the landmarks
    (epub_a11y.py) state what the pages hold."""
    outdir = Path(app.outdir)
    opf_path, nav_path = outdir / "content.opf", outdir / "nav.xhtml"
    if not opf_path.is_file():
        return
    opf = opf_path.read_bytes()
    facts = epub_a11y.PageFacts()
    for href in epub_a11y.manifest_hrefs(opf):
        if href.endswith(".xhtml") and (outdir / href).is_file():
            facts.read(href, (outdir / href).read_bytes())
    opf = epub_a11y.package_with_properties(opf, {COVER: "cover-image",
                                                  **{page: "mathml" for page in facts.pages_with_mathml}})
    opf = epub_a11y.package_with_accessibility(opf, epub_a11y.accessibility_metadata(facts))
    opf_path.write_bytes(opf)
    if nav_path.is_file():
        spine = epub_a11y.spine_pages(opf)
        cover = app.builder.coverpage_name if app.config.epub_cover else None
        root = f"{app.config.root_doc}.xhtml"
        start = next((page for page in spine if page not in (cover, root)), None)
        bibliography = next((page for page in spine if PurePosixPath(page).stem == "bibliography"), None)
        landmarks = epub_a11y.landmarks_for(spine, cover, root, start, bibliography)
        nav_path.write_bytes(epub_a11y.nav_with_landmarks(nav_path.read_bytes(), landmarks))


def finish_before_zipping(app: Sphinx) -> None:
    """The builder writes the package and nav, then zips the book, in one step (its
    `handle_finish`): `finish_package` goes in between, so that the book is zipped once, with
    them finished (zipping a large book again took seconds)."""
    if not _is_epub(app):
        return
    builder = app.builder
    zip_book = builder.build_epub

    def build_epub() -> None:
        finish_package(app)
        zip_book()

    builder.build_epub = build_epub


def localise_builder(app: Sphinx) -> None:
    """The EPUB's names for its cover and table of contents (nav.xhtml's heading, the guide) in
    the book's language, not Sphinx's English."""
    if _is_epub(app):
        app.builder.guide_titles = {"toc": "目录", "cover": "封面"}


def setup(app: Sphinx) -> dict:
    app.add_html_math_renderer(RENDERER, (visit_math, None), (visit_displaymath, None))
    # HTML builders read `<builder>_math_renderer` before `html_math_renderer`.
    app.add_config_value("epub_math_renderer", RENDERER, "env", types=[str])
    app.add_config_value("kexue_cover_text", ("", "", "", "", ""), "env")
    app.connect("builder-inited", write_cover)
    app.connect("env-before-read-docs", init_env)
    app.connect("doctree-read", collect_formulas, priority=900)  # after the handlers that edit formulas
    app.connect("env-purge-doc", purge_formulas)
    app.connect("env-merge-info", merge_formulas)
    app.connect("env-updated", convert_formulas)
    app.connect("builder-inited", localise_builder)
    app.connect("html-page-context", epub_a11y.set_page_language)
    app.connect("html-page-context", cover_alt)
    templates = str(Path(__file__).parent / "templates")
    if templates not in app.config.templates_path:
        app.config.templates_path.append(templates)
    app.connect("builder-inited", finish_before_zipping)
    # env_version: environments pickled before the formulas were collected are read afresh.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
