"""The EPUB and the PDF for every reader: language, accessibility metadata, navigation, formulas
a screen reader can read (issue 18, items 3 and 4).

A small book (the fixture cases of test_print.py) is built with the real tools, with a title full
of LaTeX's special characters and its chapters in parts, and read as a reader's software reads it:
the EPUB's pages and package with lxml and epubcheck, the PDF with pdfinfo and pypdf (its
catalog, document information, outline and link annotations).  Each test skips and says why when
a tool is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path, PurePosixPath

import pytest
import yaml
from lxml import etree

from converters.cli import run
from converters.config import CONFIG_NAME
from converters.sphinx_ext import mathjax_mathml

from conftest import new_project

FIXTURES = Path(__file__).parent / "fixtures"
CASES = ["md-math", "md-broken-formula", "links-and-series", "figure-caption", "md-figures"]
EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")
# Every character LaTeX reads as markup, and Chinese: the PDF's title must still say exactly this.
TITLE = "科学空间文选 & 100% {x}_#~^\\ $a$"
AUTHOR = "苏剑林"
LANG = "zh-CN"

OPF = "http://www.idpf.org/2007/opf"
XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
MATHML = "http://www.w3.org/1998/Math/MathML"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

needs_epubcheck = pytest.mark.skipif(not (EPUBCHECK_JAR.is_file() and shutil.which("java")),
                                     reason="epubcheck missing (apt-get install epubcheck)")
needs_mathjax = pytest.mark.skipif(
    mathjax_mathml.node_executable() is None or mathjax_mathml.mathjax_js_dir() is None,
    reason=f"node or mathjax-full missing ({mathjax_mathml.INSTALL_HINT})")


def _project(dest: Path) -> tuple[Path, list[str]]:
    """The fixture book's project: our title, chapters grouped into parts (from two series on)."""
    project = new_project(dest)
    config = project / CONFIG_NAME
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["book"]["title"] = TITLE
    raw["book"]["author"] = AUTHOR
    raw["large_chapters"] = {"parts_above_series": 1}
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    folder = project / "sources"
    folder.mkdir()
    for case in CASES:
        for src in sorted((FIXTURES / case).glob("input*")):
            shutil.copy(src, folder / f"{case}-{src.name}")
    return project, [str(folder)]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, list[str]]:
    return _project(tmp_path_factory.mktemp("a11y") / "project")


# --- EPUB ------------------------------------------------------------------------------------


class Epub:
    """An EPUB as a reading system opens it: package, spine, nav and content documents."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with zipfile.ZipFile(path) as z:
            self.files = {name: z.read(name) for name in z.namelist()}
        self.opf = etree.fromstring(self.files["content.opf"])
        items = {i.get("id"): i for i in self.opf.iter(f"{{{OPF}}}item")}
        self.spine = [items[r.get("idref")].get("href") for r in self.opf.iter(f"{{{OPF}}}itemref")]
        self.documents = {i.get("href"): etree.fromstring(self.files[i.get("href")]) for i in items.values()
                          if i.get("media-type") == "application/xhtml+xml"}

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.iter(f"{{{OPF}}}meta") if m.get("property") == prop]


def _build_epub(project: Path, sources: list[str]) -> Epub:
    assert run(["--project", str(project), "build", "-q", "--format", "epub", *sources]) == 0
    return Epub(project / "_build" / "epub" / "kexue-book.epub")


@pytest.fixture(scope="module")
def epub(book) -> Epub:
    return _build_epub(*book)


@pytest.fixture(scope="module")
def epub_without_mathjax(tmp_path_factory) -> Epub:
    """The same book when MathJax is not installed: latex2mathml makes the MathML."""
    project, sources = _project(tmp_path_factory.mktemp("a11y-l2m") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(mathjax_mathml.JS_DIR_ENV, str(project / "no-mathjax"))
        return _build_epub(project, sources)


def test_every_epub_page_says_it_is_chinese(epub) -> None:
    assert len(epub.documents) >= 15  # the cover, nav, landing page, chapters, articles, bibliography
    for name, root in epub.documents.items():
        assert (root.get("lang"), root.get(XML_LANG)) == (LANG, LANG), name
    assert epub.opf.get(XML_LANG) == LANG
    assert [e.text for e in epub.opf.iter("{http://purl.org/dc/elements/1.1/}language")] == [LANG]


def test_the_package_states_what_a_reader_needs(epub) -> None:
    """EPUB Accessibility 1.1's metadata, each claim true of the pages."""
    images = [img for root in epub.documents.values() for img in root.iter(f"{{{XHTML}}}img")]
    assert images and all(img.get("alt", "").strip() for img in images)  # (the cover at least)
    cover_alt = next(img.get("alt") for img in images if "kexue-cover" in img.get("src"))
    assert cover_alt.startswith("封面：") and TITLE in cover_alt and AUTHOR in cover_alt
    assert sorted(epub.meta("schema:accessMode")) == ["textual", "visual"]
    assert sorted(epub.meta("schema:accessModeSufficient")) == ["textual", "textual,visual"]
    assert set(epub.meta("schema:accessibilityFeature")) == {
        "MathML", "structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"}
    assert epub.meta("schema:accessibilityHazard") == ["none"]
    [summary] = epub.meta("schema:accessibilitySummary")
    assert "MathML" in summary and "alttext" in summary
    assert epub.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert len(epub.meta("a11y:certifiedBy")) == 1
    metadata = epub.opf.find(f"{{{OPF}}}metadata")
    assert "unknown" not in [e.text for e in metadata]  # Sphinx's placeholders for description, contributor


def test_the_nav_has_landmarks_and_pages_have_an_outline(epub) -> None:
    nav = epub.documents["nav.xhtml"]
    navs = {n.get(f"{{{OPS}}}type"): n for n in nav.iter(f"{{{XHTML}}}nav")}
    assert navs["toc"].findtext(f"{{{XHTML}}}h1") == "目录"
    toc = "".join(navs["toc"].itertext())
    assert toc.index("变分自编码器（VAE）") < toc.index("变分自编码器（一）：原来是这么一回事") < toc.index("生成扩散模型漫谈")
    marks = {a.get(f"{{{OPS}}}type"): a.get("href") for a in navs["landmarks"].iter(f"{{{XHTML}}}a")}
    assert set(marks) == {"cover", "toc", "bodymatter", "bibliography"}
    assert all(href in epub.spine for href in marks.values())  # a landmark leads to a page of the book
    assert marks["bodymatter"] == "vae/index.xhtml"  # the first chapter, past cover and landing page
    # Headings: one h1 per page (the cover has none), no level skipped.
    for name in epub.spine:
        levels = [int(h.tag[-1]) for h in epub.documents[name].iter()
                  if isinstance(h.tag, str) and re.fullmatch(rf"\{{{XHTML}\}}h[1-6]", h.tag)]
        if PurePosixPath(name).stem == "epub-cover":
            assert levels == []
            continue
        assert levels.count(1) == 1 and levels[0] == 1, (name, levels)
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), (name, levels)


def _formulas(epub: Epub) -> list[etree._Element]:
    return [m for root in epub.documents.values() for m in root.iter(f"{{{MATHML}}}math")]


@needs_mathjax
def test_every_formula_has_a_text_alternative(epub) -> None:
    formulas = _formulas(epub)
    assert len(formulas) >= 11
    assert all(m.get("alttext", "").strip() for m in formulas)
    alttexts = {m.get("alttext") for m in formulas}
    assert "p(x) = \\int p(x|z)p(z)dz" in alttexts and "E = mc^2" in alttexts  # the formula's TeX


def test_every_formula_has_a_text_alternative_without_mathjax(epub_without_mathjax) -> None:
    formulas = _formulas(epub_without_mathjax)
    assert len(formulas) >= 11
    assert all(m.get("alttext", "").strip() for m in formulas)


def _epubcheck(epub: Epub) -> str:
    proc = subprocess.run(["java", "-jar", str(EPUBCHECK_JAR), str(epub.path)], capture_output=True, text=True)
    return proc.stdout + proc.stderr


@needs_epubcheck
def test_epubcheck_accepts_the_accessible_epub(epub) -> None:
    """The metadata, landmarks and `lang`s as EPUB 3 defines them (a landmark to a page outside
    the spine, an undeclared prefix or a `lang` that disagrees with `xml:lang` is an error)."""
    report = _epubcheck(epub)
    summary = re.search(r"Messages: (\d+) fatals / (\d+) errors / (\d+) warnings", report)
    assert summary and summary.groups() == ("0", "0", "0"), report


# --- PDF -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(book) -> Path:
    if not (shutil.which("xelatex") and shutil.which("latexmk")):
        pytest.skip("xelatex or latexmk missing (scripts/debian-deps book installs them)")
    project, sources = book
    assert run(["--project", str(project), "build", "-q", "--format", "pdf", *sources]) == 0
    return project / "_build" / "pdf" / "kexue-book.pdf"


@pytest.fixture(scope="module")
def reader(pdf):
    pypdf = pytest.importorskip("pypdf", reason="pypdf missing (a dev dependency: make .venv/.installed)")
    return pypdf.PdfReader(pdf)


def _pdfinfo(pdf: Path, *options: str) -> str:
    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo missing (apt-get install poppler-utils)")
    return subprocess.run(["pdfinfo", *options, str(pdf)], capture_output=True, text=True, check=True).stdout


def test_pdf_says_its_title_author_subject_and_language(pdf, reader) -> None:
    info = dict(re.findall(r"^(\w+):\s+(.*)$", _pdfinfo(pdf), re.M))
    assert info["Title"] == TITLE  # escaped for LaTeX, read back as the text itself
    assert info["Author"] == AUTHOR
    assert info["Subject"].startswith("本书把苏剑林的博客「科学空间」")
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == LANG
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]  # a reader's window shows the title, not the file
    xmp = _pdfinfo(pdf, "-meta")
    assert re.search(rf"<dc:language>\s*<rdf:Bag>\s*<rdf:li>{LANG}</rdf:li>", xmp)
    assert re.search(r"<dc:creator>\s*<rdf:Seq>\s*<rdf:li>苏剑林</rdf:li>", xmp)


def _outline(reader) -> list[tuple[int, str, str, int]]:
    """(depth, title, destination name, /Count) of every bookmark, in order."""
    found = []

    def walk(item, depth):
        while item is not None:
            item = item.get_object()
            action = item.get("/A")
            found.append((depth, item["/Title"], action["/D"] if action else item.get("/Dest"),
                          int(item.get("/Count", 0))))
            if "/First" in item:
                walk(item["/First"], depth + 1)
            item = item.get("/Next")

    walk(reader.trailer["/Root"]["/Outlines"]["/First"], 0)
    return found


def test_pdf_bookmarks_hold_parts_chapters_and_articles(reader) -> None:
    outline = _outline(reader)
    titles = [(depth, title) for depth, title, _, _ in outline]
    part = (0, "第一部分 其他")
    assert titles[0] == part
    # In Chinese, not garbled, in the book's order: part > chapter > article.
    expected = [part, (1, "变分自编码器（VAE）"), (2, "变分自编码器（一）：原来是这么一回事"),
                (2, "变分自编码器（二）：从贝叶斯观点出发"), (1, "生成扩散模型漫谈"),
                (2, "生成扩散模型漫谈（三）：DDPM = 贝叶斯 + 去噪"), (1, "其他文章"), (2, "数学公式的各种写法")]
    positions = [titles.index(entry) for entry in expected]
    assert positions == sorted(positions)
    destinations = set(reader.named_destinations)
    for depth, title, name, count in outline:
        assert name in destinations, title  # every bookmark leads somewhere
    assert outline[0][3] > 0  # the part is open: the chapters show when the PDF is opened
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def _links(page) -> list[dict]:
    return [a.get_object() for a in page.get("/Annots") or [] if a.get_object().get("/Subtype") == "/Link"]


def test_pdf_table_of_contents_and_references_are_links(reader) -> None:
    # The table of contents opens with its heading (pages with running heads start with them).
    toc_pages = [p for p in reader.pages if p.extract_text().strip().splitlines()[:1] == ["目录"]]
    assert toc_pages
    toc_links = {}
    for page in toc_pages:
        for link in _links(page):
            if link["/A"]["/S"] == "/GoTo":
                toc_links.setdefault(link["/A"]["/D"], []).append([float(x) for x in link["/Rect"]])
    width = float(toc_pages[0].mediabox.width)
    for depth, title, name, _ in _outline(reader):
        if depth > 2:  # below the articles: not in the table of contents
            continue
        rects = toc_links.get(name, [])
        # The entry's title and its page number (at the right margin) both lead to it.
        assert len(rects) >= 2, (title, rects)
        assert any(r[0] > width / 2 for r in rects), (title, rects)
    destinations = set(reader.named_destinations)
    internal, external = [], []
    for page in reader.pages:
        for link in _links(page):
            action = link["/A"]
            (internal if action["/S"] == "/GoTo" else external).append(action)
    assert all(a["/D"] in destinations for a in internal)  # no link leads nowhere
    assert len(internal) > len(toc_links)  # links between articles, equation references, citations
    assert any(a.get("/URI") == "https://kexue.fm" for a in external)  # the title page's link to the blog
