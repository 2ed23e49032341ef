"""The EPUB for every reader: language, accessibility metadata and landmarks.

* Language: Sphinx's EPUB 3 builder writes each page's `<html>` without `lang`/`xml:lang` (only its
  nav.xhtml has them); a screen reader would then read the Chinese text with the reader's own
  voice.  Every page gets both, from `epub_language` (`set_page_language`).
* The package (content.opf) gets the EPUB Accessibility 1.1 metadata (`schema:accessMode`,
  `accessModeSufficient`, `accessibilityFeature`, `accessibilityHazard`, `accessibilitySummary`,
  `dcterms:conformsTo`, `a11y:certifiedBy`), each stated from what the built pages hold: `visual`
  only when a page shows an image, `alternativeText` only when every image has a text alternative,
  `MathML` only when a page holds MathML (`accessibility_metadata`).
* The navigation document gets a `landmarks` nav (cover, table of contents, start of the text,
  bibliography), which reading systems offer as "go to" points.  No `page-list`: the EPUB reflows
  and mirrors no printed pages (the PDF's pages depend on its own typesetting).

The package and the nav are rewritten once the builder wrote them, before it zips the book
(epub_book.finish_package); both are parsed as XML and edited as trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ..escaping import html as escape

OPF = "http://www.idpf.org/2007/opf"
XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
MATHML = "http://www.w3.org/1998/Math/MathML"
SVG = "http://www.w3.org/2000/svg"

CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
CERTIFIED_BY = "kexue-book（自动检查：epubcheck 与本项目的测试）"


def html_tag(language: str) -> str:
    """The `<html>` start tag of an EPUB 3 page: XHTML, the epub: namespace, its language twice
    (`xml:lang` for XML readers, `lang` for HTML ones; EPUB wants both to agree)."""
    lang = escape(language)
    return (f'<html xmlns="{XHTML}" xmlns:epub="{OPS}" lang="{lang}" xml:lang="{lang}">')


def set_page_language(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """html-page-context: the page's `<html>` tag carries the book's language (EPUB builders)."""
    if app.builder.name.startswith("epub"):
        context["html_tag"] = html_tag(app.config.epub_language)


# --- what the pages hold --------------------------------------------------------------------


@dataclass
class PageFacts:
    """What the content documents hold, read from the built pages."""

    images: int = 0  # <img> and inline <svg>
    images_without_text: list[str] = field(default_factory=list)  # page names
    mathml: int = 0
    mathml_without_alttext: list[str] = field(default_factory=list)
    pages_with_mathml: set[str] = field(default_factory=set)

    def read(self, name: str, data: bytes) -> None:
        # huge_tree: a page may nest deeper than libxml2's default 256 levels (a formula's MathML
        # 300 levels deep is verbatim in the PDF but MathML in the EPUB); these are our own pages.
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
        for img in root.iter(f"{{{XHTML}}}img"):
            self.images += 1
            if not (img.get("alt") or "").strip():
                self.images_without_text.append(name)
        for svg in root.iter(f"{{{SVG}}}svg"):
            self.images += 1
            title = svg.find(f"{{{SVG}}}title")
            if svg.get("aria-label") is None and (title is None or not (title.text or "").strip()):
                self.images_without_text.append(name)
        for math in root.iter(f"{{{MATHML}}}math"):
            self.mathml += 1
            self.pages_with_mathml.add(name)
            if not (math.get("alttext") or "").strip():
                self.mathml_without_alttext.append(name)


def accessibility_metadata(facts: PageFacts) -> list[tuple[str, str]]:
    """(property, value) pairs of the EPUB Accessibility 1.1 metadata, true of these pages."""
    visual = facts.images > 0
    all_described = visual and not facts.images_without_text
    modes = ["textual"] + (["visual"] if visual else [])
    sufficient = (["textual,visual"] if visual else []) + (["textual"] if all_described or not visual else [])
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if facts.mathml:
        features.append("MathML")
    if all_described:
        features.append("alternativeText")
    summary = ("本书是可重排的 EPUB 3：每页标明语言（简体中文），章节与文章有标题层级，目录与地标可供跳转，"
               "阅读顺序即全书顺序。")
    if facts.mathml:
        summary += "公式以 MathML 呈现，" + ("每个公式附有其 TeX 源码作为替代文本（alttext）。"
                                            if not facts.mathml_without_alttext else "部分公式缺少替代文本。")
    if visual:
        summary += ("每幅图都有替代文字；" if all_described else "部分图片缺少替代文字；") \
            + "无法收入的远程插图以其说明文字代替。"
    summary += "书中没有闪烁、声音或动态内容。符合性由 epubcheck 与本项目的自动测试检查，未经人工评审。"
    return ([("schema:accessMode", m) for m in modes]
            + [("schema:accessModeSufficient", s) for s in sufficient]
            + [("schema:accessibilityFeature", f) for f in features]
            + [("schema:accessibilityHazard", "none"),
               ("schema:accessibilitySummary", summary),
               ("dcterms:conformsTo", CONFORMS_TO),
               ("a11y:certifiedBy", CERTIFIED_BY)])


# --- the package and the navigation document ------------------------------------------------


def _parse(data: bytes) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True,
                                                                   remove_blank_text=False)))


def _serialise(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def package_with_accessibility(opf: bytes, metadata: list[tuple[str, str]]) -> bytes:
    """The package document with `metadata` as `<meta property=…>` (any earlier ones replaced)."""
    tree = _parse(opf)
    etree.cleanup_namespaces(tree)  # Sphinx's unused xmlns:opf would become the new elements' prefix
    meta_parent = tree.getroot().find(f"{{{OPF}}}metadata")
    properties = {p for p, _ in metadata}
    for old in meta_parent.findall(f"{{{OPF}}}meta"):
        if old.get("property") in properties:
            meta_parent.remove(old)
    for prop, value in metadata:
        meta = etree.SubElement(meta_parent, f"{{{OPF}}}meta", property=prop)
        meta.text = value
        meta.tail = "\n    "
    return _serialise(tree)


def manifest_hrefs(opf: bytes) -> list[str]:
    return [item.get("href", "") for item in _parse(opf).getroot().iter(f"{{{OPF}}}item")]


def package_with_properties(opf: bytes, properties: dict[str, str]) -> bytes:
    """The package document with `properties` (href → value) on the manifest items that have
    none yet (EPUB 3: `mathml` for a page with MathML, `cover-image` for the cover)."""
    tree = _parse(opf)
    for item in tree.getroot().iter(f"{{{OPF}}}item"):
        value = properties.get(item.get("href", ""))
        if value and not item.get("properties"):
            item.set("properties", value)
    return _serialise(tree)


def spine_pages(opf: bytes) -> list[str]:
    """The hrefs of the spine's documents, in reading order."""
    root = _parse(opf).getroot()
    by_id = {item.get("id"): item.get("href") for item in root.iter(f"{{{OPF}}}item")}
    return [by_id[ref.get("idref")] for ref in root.iter(f"{{{OPF}}}itemref") if ref.get("idref") in by_id]


def nav_with_landmarks(nav: bytes, landmarks: list[tuple[str, str, str]]) -> bytes:
    """The navigation document with a `landmarks` nav of (epub:type, href, label), replacing any
    earlier one."""
    tree = _parse(nav)
    body = tree.getroot().find(f"{{{XHTML}}}body")
    epub_type = f"{{{OPS}}}type"
    for old in body.findall(f"{{{XHTML}}}nav"):
        if old.get(epub_type) == "landmarks":
            body.remove(old)
    if landmarks:
        nav_el = etree.SubElement(body, f"{{{XHTML}}}nav", {epub_type: "landmarks", "hidden": "hidden"})
        heading = etree.SubElement(nav_el, f"{{{XHTML}}}h2")
        heading.text = "地标"
        items = etree.SubElement(nav_el, f"{{{XHTML}}}ol")
        for kind, href, label in landmarks:
            link = etree.SubElement(etree.SubElement(items, f"{{{XHTML}}}li"), f"{{{XHTML}}}a",
                                    {epub_type: kind, "href": href})
            link.text = label
        nav_el.tail = "\n  "
    return _serialise(tree)


def landmarks_for(spine: list[str], cover: str | None, contents: str | None, start: str | None,
                  bibliography: str | None) -> list[tuple[str, str, str]]:
    """The landmarks of the book: its cover, table of contents (the landing page, which lists the
    chapters: a landmark must lead to a page of the spine, which nav.xhtml is not), where the text
    starts, and the bibliography, each when the book has it."""
    marks = []
    if cover in spine:
        marks.append(("cover", cover, "封面"))
    if contents in spine:
        marks.append(("toc", contents, "目录"))
    if start in spine:
        marks.append(("bodymatter", start, "正文"))
    if bibliography in spine:
        marks.append(("bibliography", bibliography, "参考文献"))
    return marks
