"""`kexue-book check`: does the built HTML show everything the sources say?

For each article, what the converter read (the model, after the transforms) is counted and
looked for in the article's built page:
  paragraphs  every run of text of every paragraph, heading, caption and table cell is found in
              the page's text (white space ignored: Chinese has none, Markdown moves it);
  formulas    display formulas (`div.math`) and inline ones (`span.math`);
  code        code blocks (`div.highlight`), besides the page's own 「引用本文」 entry;
  figures     figures and placeholders;
  links       every web link's address is a link of the page, every link to another article
              a link into the book;
  citations   footnote citations;
  eqrefs      every `\\eqref` is a link to a formula of the page (an `\\eqref` the converter could
              not resolve is printed as its label, `(eq:…)`: a reference lost);
  left out    what a reader warned it left out (KB130: a drawing, `<noscript>` text): lost;
  flattened   nesting deeper than a parser or a page holds, flattened with its text (KB131): reported.
Anything counted in the source and missing from the page is lost.  Also reported: text the
writer escaped (it shows as typed, but was syntax in MyST), references left unresolved
(`\\eqref` to an unknown label, blog links to articles not in the book), pages Sphinx rejected
(shown as literal text) and formulas shown verbatim in the PDF when a PDF was built.

With the PDF and the EPUB checked too (`check --format pdf|epub|all`), each article's formulas
are counted per format: typeset or verbatim in the PDF (the formula check's verdicts,
`latex-formulas.json`), MathML or TeX in the EPUB (`epub-formulas.json` of
sphinx_ext/epub_book.py).  A formula shown as TeX in a format is lost there, unless verbatim
formulas are allowed (`--allow-verbatim`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import html as lxml_html

from .diagnostics import Code
from .model import (Article, Book, Citation, CodeBlock, DocRef, EqRef, Figure, Heading, Link, Math, MathBlock,
                    Paragraph, Table, Text, walk)
from .model import Code as InlineCode
from .transforms.naming import archive_id
from .writers.myst import MYST_SYNTAX

_BLANK = re.compile(r"\s+")


@dataclass
class Count:
    source: int = 0
    shown: int = 0

    @property
    def lost(self) -> int:
        return max(0, self.source - self.shown)


@dataclass
class ArticleReport:
    docname: str
    title: str
    sources: list[str]
    paragraphs: Count = field(default_factory=Count)
    formulas: Count = field(default_factory=Count)
    code: Count = field(default_factory=Count)
    figures: Count = field(default_factory=Count)
    links: Count = field(default_factory=Count)
    citations: Count = field(default_factory=Count)
    eqrefs: Count = field(default_factory=Count)
    escaped: int = 0  # text runs holding characters that are syntax in MyST
    unresolved_eqrefs: list[str] = field(default_factory=list)
    external_article_links: list[str] = field(default_factory=list)  # blog articles not in the book
    literal: bool = False  # Sphinx rejected the page: its text is shown as literal text
    pdf_verbatim: int | None = None  # formulas shown as TeX source in the PDF (None: no PDF built)
    epub_mathml: int | None = None  # formulas shown as MathML in the EPUB (None: EPUB not checked)
    epub_fallback: int | None = None  # formulas shown as TeX source in the EPUB
    missing_text: list[str] = field(default_factory=list)  # the first runs of text not found
    left_out: int = 0  # content its reader left out, as it warned (KB130): lost
    flattened: int = 0  # nesting flattened with its text kept, as warned (KB131): reported, not lost
    # Formats whose TeX-source formulas count as lost (set by `check_book`).
    verbatim_lost_in: tuple[str, ...] = ()

    @property
    def pdf_typeset(self) -> int | None:
        return None if self.pdf_verbatim is None else max(0, self.formulas.source - self.pdf_verbatim)

    @property
    def formulas_as_tex(self) -> int:
        """Formulas shown as TeX in the formats where that counts as lost."""
        return ((self.pdf_verbatim or 0) if "pdf" in self.verbatim_lost_in else 0) + \
            ((self.epub_fallback or 0) if "epub" in self.verbatim_lost_in else 0)

    @property
    def lost(self) -> int:
        if self.literal:  # everything is in the literal block; only its text counts
            return self.paragraphs.lost
        return sum(c.lost for c in (self.paragraphs, self.formulas, self.code, self.figures, self.links,
                                    self.citations, self.eqrefs)) + self.formulas_as_tex + self.left_out

    def as_dict(self) -> dict:
        data = asdict(self)
        data["lost"] = self.lost
        data["pdf_typeset"] = self.pdf_typeset
        data["verbatim_lost_in"] = list(self.verbatim_lost_in)
        return data


def _text_runs(inlines: list) -> list[str]:
    """The plain runs of text of inlines (math, references and citations are counted apart)."""
    runs: list[str] = []
    for node in inlines:
        if isinstance(node, (Text, InlineCode)):
            runs.append(node.text)
        elif hasattr(node, "children"):
            runs.extend(_text_runs(node.children))
    return runs


def _squash(text: str) -> str:
    return _BLANK.sub("", text)


def _article_root(page: Path):
    tree = lxml_html.fromstring(page.read_bytes())
    found = tree.xpath('//article[contains(@class, "bd-article")]') or tree.xpath("//article") or [tree]
    return found[0]


def _has_class(cls: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {cls} ")'


def check_article(article: Article, page: Path, literal: bool, pdf_verbatim: int | None) -> ArticleReport:
    report = ArticleReport(article.docname, article.meta.title, [str(p) for p in article.sources],
                           literal=literal, pdf_verbatim=pdf_verbatim)
    root = _article_root(page) if page.is_file() else None
    shown_text = _squash(root.text_content()) if root is not None else ""
    hrefs = {unquote(h).strip() for h in root.xpath(".//a/@href")} if root is not None else set()

    def count(xpath: str) -> int:
        return len(root.xpath(xpath)) if root is not None else 0

    for node in walk(article.body):
        inlines = []
        if isinstance(node, (Paragraph, Heading)):
            inlines = node.inlines
        elif isinstance(node, Figure):
            inlines = node.caption
        elif isinstance(node, Table):
            inlines = [n for cell in [*node.header, *(c for row in node.rows for c in row)] for n in cell]
        if inlines or isinstance(node, Paragraph):
            report.paragraphs.source += 1
            runs = [r for r in _text_runs(inlines) if _squash(r)]
            missing = [r for r in runs if _squash(r) not in shown_text]
            report.escaped += sum(1 for r in runs if MYST_SYNTAX.search(r))
            if missing:
                report.missing_text.extend(r[:80] for r in missing[: 3 - len(report.missing_text)])
            else:
                report.paragraphs.shown += 1
        if isinstance(node, (Math, MathBlock)):
            report.formulas.source += 1
        elif isinstance(node, CodeBlock):
            report.code.source += 1
        elif isinstance(node, Figure):
            report.figures.source += 1
        elif isinstance(node, Link):
            report.links.source += 1
            report.links.shown += 1 if unquote(node.url).strip() in hrefs else 0
            if archive_id(node.url):
                report.external_article_links.append(node.url)
        elif isinstance(node, DocRef):
            report.links.source += 1
            target = node.docname.rsplit("/", 1)[-1] + ".html"
            report.links.shown += 1 if any(h.split("#")[0].endswith(target) for h in hrefs) else 0
        elif isinstance(node, Citation):
            report.citations.source += 1
        elif isinstance(node, EqRef):
            report.eqrefs.source += 1
            if not node.resolved:
                report.unresolved_eqrefs.append(node.label)
    if root is not None:
        report.formulas.shown = count(f'.//div[{_has_class("math")}]') + count(f'.//span[{_has_class("math")}]')
        own_code = 1 if article.meta.url else 0  # the 「引用本文」 BibTeX entry
        report.code.shown = max(0, count('.//div[starts-with(@class, "highlight-")]') - own_code)
        report.figures.shown = count(".//figure") + count(f'.//div[{_has_class("figure-placeholder")}]')
        report.citations.shown = count(f'.//a[{_has_class("footnote-reference")}]')
        ids = set(root.xpath(".//@id"))
        eqref_links = f'.//a[starts-with(@href, "#equation-") and not({_has_class("headerlink")})]/@href'
        report.eqrefs.shown = sum(1 for href in root.xpath(eqref_links) if href[1:] in ids)
    return report


@dataclass
class FidelityReport:
    articles: list[ArticleReport]
    epub_engine: str | None = None  # what made the EPUB's MathML (None: EPUB not checked)

    @property
    def lost(self) -> int:
        return sum(a.lost for a in self.articles)

    def totals(self) -> dict:
        out: dict = {"articles": len(self.articles), "lost": self.lost}
        for name in ("paragraphs", "formulas", "code", "figures", "links", "citations", "eqrefs"):
            out[name] = {"source": sum(getattr(a, name).source for a in self.articles),
                         "shown": sum(min(getattr(a, name).shown, getattr(a, name).source) for a in self.articles)}
        out["escaped"] = sum(a.escaped for a in self.articles)
        out["unresolved_eqrefs"] = sum(len(a.unresolved_eqrefs) for a in self.articles)
        out["external_article_links"] = sum(len(a.external_article_links) for a in self.articles)
        out["literal_pages"] = sum(1 for a in self.articles if a.literal)
        out["left_out"] = sum(a.left_out for a in self.articles)
        out["flattened"] = sum(a.flattened for a in self.articles)
        verbatim = [a.pdf_verbatim for a in self.articles if a.pdf_verbatim is not None]
        out["pdf_verbatim"] = sum(verbatim) if verbatim else None
        typeset = [a.pdf_typeset for a in self.articles if a.pdf_typeset is not None]
        out["pdf_typeset"] = sum(typeset) if typeset else None
        for name in ("epub_mathml", "epub_fallback"):
            values = [getattr(a, name) for a in self.articles if getattr(a, name) is not None]
            out[name] = sum(values) if values else None
        out["epub_engine"] = self.epub_engine
        return out

    def as_json(self) -> str:
        return json.dumps({"totals": self.totals(), "articles": [a.as_dict() for a in self.articles]},
                          ensure_ascii=False, indent=2)


def _pdf_verbatim(latex_dir: Path) -> dict[str, int] | None:
    report = latex_dir / "latex-formulas.json"
    if not report.is_file():
        return None
    counts: dict[str, int] = {}
    for item in json.loads(report.read_text(encoding="utf-8")):
        counts[item["docname"]] = counts.get(item["docname"], 0) + 1
    return counts


def _owner(articles: list[Article], pos) -> Article | None:
    """The article a warning's position belongs to: of those read from its file, the one
    starting last at or before its line (a feed holds many)."""
    best: tuple[int, Article] | None = None
    for article in articles:
        for source in article.sources:
            if source.path == pos.path and (source.line or 0) <= (pos.line or 0) and \
                    (best is None or (source.line or 0) > best[0]):
                best = (source.line or 0, article)
    return best[1] if best else None


def count_warnings(reports: list[ArticleReport], articles: list[Article], diagnostics) -> None:
    """Each article's share of the conversion's warnings about content left out (KB130) or
    nesting flattened (KB131)."""
    by_docname = {r.docname: r for r in reports}
    for d in diagnostics:
        if d.code not in (Code.CONTENT_LEFT_OUT, Code.NESTING_FLATTENED) or d.pos is None:
            continue
        article = _owner(articles, d.pos)
        report = by_docname.get(article.docname) if article is not None else None
        if report is None:
            continue
        if d.code is Code.CONTENT_LEFT_OUT:
            report.left_out += 1
        else:
            report.flattened += 1


def check_book(book: Book, html_dir: Path, literal_docnames: set[str], latex_dir: Path | None = None,
               epub_formulas: dict | None = None, verbatim_lost_in: tuple[str, ...] = (),
               diagnostics=()) -> FidelityReport:
    """`epub_formulas`: sphinx_ext/epub_book.py's report (None: the EPUB is not checked);
    `verbatim_lost_in`: the formats ("pdf", "epub") where a formula shown as TeX is lost;
    `diagnostics`: the conversion's warnings (content left out and nesting flattened are counted)."""
    verbatim = _pdf_verbatim(latex_dir) if latex_dir is not None else None
    epub_articles = epub_formulas.get("articles", {}) if epub_formulas is not None else None
    reports = []
    for article in book.articles:
        page = html_dir / f"{article.docname}.html"
        report = check_article(article, page, article.docname in literal_docnames,
                               None if verbatim is None else verbatim.get(article.docname, 0))
        if epub_articles is not None:
            counts = epub_articles.get(article.docname, {"mathml": 0, "fallback": []})
            report.epub_mathml, report.epub_fallback = counts["mathml"], len(counts["fallback"])
        report.verbatim_lost_in = verbatim_lost_in
        reports.append(report)
    count_warnings(reports, book.articles, diagnostics)
    return FidelityReport(reports, None if epub_formulas is None else epub_formulas.get("engine"))
