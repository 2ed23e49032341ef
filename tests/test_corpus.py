"""The full articles of ../shared/corpus, built with the seeds: numbers and links as the blog has them.

The corpus is third-party text kept outside the project; without it these tests skip.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from converters.cli import run

from blogmath import blog_numbers as blog_mathjax_numbers
from conftest import CORPUS, CORPUS_REAL, ROOT, built_project

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.sphinx,
              pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is not at {CORPUS} (it lives in shared/)")]


_ROW_ENV = re.compile(r"^\s*\\begin\{(align|gather|eqnarray|alignat|flalign|multline)(\*?)\}(.*)\\end\{\1\2\}\s*$",
                      re.S)


def _row_numbers(env: str, starred: bool, body: str, count: int) -> tuple[list[str], int]:
    """AMS numbering of a multi-row environment: each row (`multline`: the formula) gets the next
    number unless it has `\\nonumber`/`\\notag` or a `\\tag`; starred forms only their tags;
    an empty last row is no row.  Rows are split where the environment's own `\\\\` is."""
    flat = re.sub(r"\\tag\*?\{([^{}]*)\}", lambda m: f"\\TAG<{m.group(1)}>", body)
    flat = re.sub(r"\\[{}]", "", re.sub(r"\\label\{[^{}]*\}", "", flat))
    flat = re.sub(r"\\(begin|end)\{([^{}]*)\}", lambda m: f"<{m.group(1)}:{m.group(2)}>", flat)
    while True:  # brace groups and nested environments hold no row breaks of this environment
        shorter = re.sub(r"<begin:([^<>]*)>[^<>]*<end:\1>", "E", re.sub(r"\{[^{}]*\}", "G", flat))
        if shorter == flat:
            break
        flat = shorter
    rows = re.split(r"\\\\", flat)
    if len(rows) > 1 and not rows[-1].strip():
        rows.pop()
    tags = [re.search(r"\\TAG<([^>]*)>", row) for row in rows]
    plain = [not re.search(r"\\(nonumber|notag)(?![A-Za-z])", row) for row in rows]
    numbers = []
    if env == "multline":
        tag = next((t for t in tags if t), None)
        if tag:
            numbers.append(f"({tag.group(1).strip()})")
        elif not starred and all(plain):
            count += 1
            numbers.append(f"({count})")
        return numbers, count
    for tag, numbered in zip(tags, plain):
        if tag:
            numbers.append(f"({tag.group(1).strip()})")
        elif numbered and not starred:
            count += 1
            numbers.append(f"({count})")
    return numbers, count


def blog_numbers(markdown: str) -> tuple[list[str], int]:
    """The numbers MathJax shows for a source, found independently of the reader:
    numbered `equation` environments count from 1, a `\\tag{…}` shows itself, every row of a
    numbered `align`, `gather`, `eqnarray`, … counts (AMS numbering)."""
    body = markdown.split("\n---\n", 1)[1]
    body = re.sub(r"^```.*?^```", "", body, flags=re.S | re.M)
    numbers, count = [], 0
    for m in re.finditer(r"\$\$(.*?)\$\$|\\begin\{(equation|align|gather|eqnarray|alignat|flalign|multline)(\*?)\}"
                         r"(.*?)\\end\{\2\3\}", body, re.S):
        inner = m.group(1) if m.group(1) is not None else m.group(0)
        rows = _ROW_ENV.match(inner)
        if rows:
            found, count = _row_numbers(rows.group(1), bool(rows.group(2)), rows.group(3), count)
            numbers.extend(found)
            continue
        tag = re.search(r"\\tag\{([^}]*)\}", inner)
        if not ("\\begin{equation}" in inner or tag):
            continue
        if tag:
            numbers.append(f"({tag.group(1)})")
        else:
            count += 1
            numbers.append(f"({count})")
    return numbers, len(re.findall(r"\\eqref\{", body))


def shown_numbers(page: BeautifulSoup) -> list[str]:
    """The numbers a built page shows, in order: Sphinx's for a formula, the `\\tag` MathJax
    draws for each numbered row of a multi-row formula."""
    numbers = []
    for div in page.select("article div.math"):
        eqno = div.select_one("span.eqno")
        if eqno is not None:
            numbers.append(eqno.find(string=True, recursive=False).strip())
        else:
            numbers.extend(f"({tag})" for tag in re.findall(r"\\tag\{([^{}]*)\}", div.get_text()))
    return numbers


@pytest.mark.parametrize("corpus", ["corpus", "corpus-real"])
def test_equation_numbers_and_eqrefs_match_the_blog(corpus: str, request) -> None:
    folder, book = (CORPUS, request.getfixturevalue("corpus_book")) if corpus == "corpus" else \
        (CORPUS_REAL, request.getfixturevalue("real_book"))
    totals = {"articles": 0, "numbered_source": 0, "numbered_html": 0, "eqrefs": 0, "eqref_links": 0}
    for source in sorted(folder.glob("*.md")):
        expected, eqrefs = blog_numbers(source.read_text("utf-8"))
        (html,) = (book / "_build" / "html").glob(f"*/a{source.stem}.html")
        page = BeautifulSoup(html.read_text("utf-8"), "html.parser")
        shown = shown_numbers(page)
        assert shown == expected, source.name
        article = page.select_one("article")
        links = article.select("a[href^='#equation-']:not(.headerlink)")
        assert all(article.find(id=a["href"][1:]) is not None for a in links), source.name
        assert len(links) >= eqrefs, source.name
        assert not re.search(r"\(eq:[^)]*\)", article.get_text()), f"{source.name}: an unresolved \\eqref"
        totals["articles"] += 1
        totals["numbered_source"] += len(expected)
        totals["numbered_html"] += len(shown)
        totals["eqrefs"] += eqrefs
        totals["eqref_links"] += len(links)
    print(f"\n{corpus} totals:", totals)
    assert totals["articles"] == len(list(folder.glob("*.md")))


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("corpus", ["corpus", "corpus-real"])
def test_equation_numbers_are_what_the_blogs_mathjax_shows(corpus: str, request) -> None:
    """The oracle is MathJax itself, with the blog's AMS numbering, on each article's source."""
    playwright = pytest.importorskip("playwright.sync_api")
    folder, book = (CORPUS, request.getfixturevalue("corpus_book")) if corpus == "corpus" else \
        (CORPUS_REAL, request.getfixturevalue("real_book"))
    sources = {s.stem: s.read_text("utf-8") for s in sorted(folder.glob("*.md"))}
    html = book / "_build" / "html"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            oracle = blog_mathjax_numbers(browser, html, sources)
        finally:
            browser.close()
    for stem in sources:
        (page,) = html.glob(f"*/a{stem}.html")
        assert shown_numbers(BeautifulSoup(page.read_text("utf-8"), "html.parser")) == oracle[stem], stem


def test_chapters_with_the_corpus(capsys) -> None:
    assert run(["--project", str(ROOT), "list", str(ROOT / "sources"), str(CORPUS), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    vae = [r for r in records if r["series"] == "变分自编码器"]
    assert [r["part"] for r in vae] == [1, 2, 5, 7, 8]
    assert not [r for r in records if r["untitled"] and r["title"].startswith("SimCLR")]
    (flatnce,) = [r for r in records if r["title"].startswith("FlatNCE")]
    assert flatnce["docname"].endswith("/a8586") and len(flatnce["sources"]) == 2 and not flatnce["excerpt"]
    (vae7,) = [r for r in vae if r["part"] == 7]
    assert vae7["docname"] == "vae/a8404" and vae7["equations"] == 14 and not vae7["excerpt"]


def test_links_between_articles_and_figures(corpus_book: Path) -> None:
    html = corpus_book / "_build" / "html"
    vae7 = BeautifulSoup((html / "vae" / "a8404.html").read_text("utf-8"), "html.parser")
    first = next(a for a in vae7.select("article p a") if "变分自编码器" in a.get_text())
    assert first.get_text() == "《变分自编码器（五）：VAE + BN = 更好的VAE》" and first["href"] == "a7381.html"
    flow = BeautifulSoup((html / "flow" / "a6482.html").read_text("utf-8"), "html.parser")
    figures = flow.select("article figure")
    assert figures and figures[0].select_one("img")["src"].startswith("https://kexue.fm/usr/uploads/")
    caption = figures[0].select_one("figcaption .caption-text").get_text(strip=True)
    assert caption.startswith("标准ResNet与可逆ResNet对比图")
    assert flow.select_one("article").get_text().count("标准ResNet与可逆ResNet对比图") == 1
    summary = BeautifulSoup((html / "misc" / "a5716.html").read_text("utf-8"), "html.parser")
    assert "摘要：" in [s.get_text() for s in summary.select("article strong")]
