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

from conftest import CORPUS, ROOT, built_project

pytestmark = [pytest.mark.sphinx,
              pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is not at {CORPUS} (it lives in shared/)")]


def blog_numbers(markdown: str) -> tuple[list[str], int]:
    """The numbers MathJax shows for a source, found independently of the reader:
    numbered `equation` environments count from 1, a `\\tag{…}` shows itself."""
    body = markdown.split("\n---\n", 1)[1]
    body = re.sub(r"^```.*?^```", "", body, flags=re.S | re.M)
    numbers, count = [], 0
    for m in re.finditer(r"\$\$(.*?)\$\$|\\begin\{equation\}(.*?)\\end\{equation\}", body, re.S):
        inner = m.group(1) if m.group(1) is not None else m.group(2)
        tag = re.search(r"\\tag\{([^}]*)\}", inner)
        if not (m.group(2) is not None or "\\begin{equation}" in inner or tag):
            continue
        if tag:
            numbers.append(f"({tag.group(1)})")
        else:
            count += 1
            numbers.append(f"({count})")
    return numbers, len(re.findall(r"\\eqref\{", body))


def test_equation_numbers_and_eqrefs_match_the_blog(corpus_book: Path) -> None:
    totals = {"articles": 0, "numbered_source": 0, "numbered_html": 0, "eqrefs": 0, "eqref_links": 0}
    for source in sorted(CORPUS.glob("*.md")):
        expected, eqrefs = blog_numbers(source.read_text("utf-8"))
        (html,) = (corpus_book / "_build" / "html").glob(f"*/a{source.stem}.html")
        page = BeautifulSoup(html.read_text("utf-8"), "html.parser")
        for link in page.select("span.eqno a.headerlink"):
            link.decompose()
        shown = [span.get_text(strip=True) for span in page.select("span.eqno")]
        assert shown == expected, source.name
        article = page.select_one("article")
        links = article.select("a[href^='#equation-']")
        assert all(article.find(id=a["href"][1:]) is not None for a in links), source.name
        assert len(links) >= eqrefs, source.name
        assert not re.search(r"\(eq:[^)]*\)", article.get_text()), f"{source.name}: an unresolved \\eqref"
        totals["articles"] += 1
        totals["numbered_source"] += len(expected)
        totals["numbered_html"] += len(shown)
        totals["eqrefs"] += eqrefs
        totals["eqref_links"] += len(links)
    print("\ncorpus totals:", totals)
    assert totals["articles"] == len(list(CORPUS.glob("*.md")))


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
