"""Citations: which 《…》 are works, one entry per work, and what the reader sees in the book."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from converters.model import Article, Citation, Link, Meta, Paragraph, SourcePos, Text
from converters.transforms.citations import KnownEntry, Registry, cite_works, identify, latin_title

from conftest import CORPUS, ROOT, built_project


@pytest.mark.parametrize("text, title", [
    ("《Auto-Encoding Variational Bayes》", "Auto-Encoding Variational Bayes"),
    ("《Understanding Matrix capsules with EM Routing 》", "Understanding Matrix capsules with EM Routing"),
    ("《Cool Papers更新：简单搭建了一个站内检索系统》", None),  # a Chinese article, not a paper
    ("《n维空间下两个随机向量的夹角分布》", None),
    ("《变分自编码器（一）：原来是这么一回事》", None),
    ("《2024》", None),
])
def test_which_titles_are_works(text: str, title: str | None) -> None:
    assert latin_title(text) == title


@pytest.mark.parametrize("url, field, value", [
    ("https://arxiv.org/abs/1804.00891v2", "arxiv", "1804.00891"),
    ("https://arxiv.org/pdf/1804.00891", "arxiv", "1804.00891"),
    ("https://papers.cool/arxiv/1808.10805", "arxiv", "1808.10805"),
    ("https://openreview.net/forum?id=HJWLfGWRb", "openreview", "HJWLfGWRb"),
    ("https://doi.org/10.1073/pnas.0706851105", "doi", "10.1073/pnas.0706851105"),
])
def test_identify_links(url: str, field: str, value: str) -> None:
    assert getattr(identify(url), field) == value
    assert identify("https://kexue.fm/archives/8404") is None


def _article(docname: str, *inlines) -> Article:
    return Article(Meta(title=docname), [Paragraph(list(inlines), SourcePos("x", 1))], [SourcePos("x", 1)],
                   docname=docname)


def test_same_work_with_and_without_link_is_one_entry() -> None:
    linked = _article("a/one", Link("https://papers.cool/arxiv/1804.00891", [Text("《Hyperspherical Variational Auto-Encoders》")]))
    bare = _article("a/two", Text("见《Hyperspherical  Variational Auto-Encoders》一文"))
    registry = cite_works([bare, linked], Registry([]))
    assert list(registry.works) == ["arxiv:1804.00891"]
    assert registry.works["arxiv:1804.00891"].cited_by == ["a/two", "a/one"]
    inlines = bare.body[0].inlines
    assert isinstance(inlines[1], Link) and inlines[1].url == "https://arxiv.org/abs/1804.00891"
    assert inlines[1].children[0].text == "《Hyperspherical  Variational Auto-Encoders》"  # the prose as written
    assert isinstance(inlines[2], Citation) and inlines[3].text == "一文"


def test_hand_kept_entry_gives_the_key() -> None:
    known = [KnownEntry("hinton2018matrix", "Matrix Capsules with EM Routing", None, "HJWLfGWRb", None,
                        "https://openreview.net/forum?id=HJWLfGWRb")]
    article = _article("c/x", Text("《Matrix Capsules with EM Routing》和《Some Unknown Post》"))
    registry = cite_works([article], Registry(known))
    assert sorted(registry.works) == ["hinton2018matrix", "title:some-unknown-post"]


def _footnote_targets(page: BeautifulSoup) -> list[tuple[str, str, str]]:
    """(cited text, entry text, entry links) for each citation of the page."""
    article = page.select_one("article")
    out = []
    for ref in article.select("a.footnote-reference"):
        entry = article.find(id=ref["href"][1:])
        assert entry is not None, ref
        title_link = ref.find_previous("a")
        out.append((title_link.get_text(), entry.get_text(" ", strip=True),
                    " ".join(a["href"] for a in entry.select("a[href]"))))
    return out


@pytest.mark.sphinx
def test_seed_titles_are_citations_resolving_to_entries(seed_book: Path) -> None:
    html = seed_book / "_build" / "html"
    cited: dict[str, tuple[str, str]] = {}
    for page in (p for p in html.glob("*/*.html") if not p.parent.name.startswith("_")):
        for text, entry, links in _footnote_targets(BeautifulSoup(page.read_text("utf-8"), "html.parser")):
            cited[text] = (entry, links)
    expectations = {
        "《Auto-Encoding Variational Bayes》": ("Kingma", "arxiv.org/abs/1312.6114"),
        "《Hyperspherical Variational Auto-Encoders》": ("Davidson", "arxiv.org/abs/1804.00891"),
        "《Dynamic Routing Between Capsules》": ("Sabour", "arxiv.org/abs/1710.09829"),
        "《Matrix Capsules with EM Routing》": ("Hinton", "openreview.net/forum?id=HJWLfGWRb"),
    }
    for title, (author, url) in expectations.items():
        entry, links = cited[title]
        assert title.strip("《》") in entry and author in entry and url in links
    # Chinese 《…》 stay article links or text, never citations.
    assert not [t for t in cited if re.search(r"[\u4e00-\u9fff]", t)]


@pytest.mark.sphinx
def test_bibliography_page_and_style(seed_book: Path) -> None:
    page = BeautifulSoup((seed_book / "_build" / "html" / "bibliography.html").read_text("utf-8"), "html.parser")
    entries = [e.get_text(" ", strip=True) for e in page.select("article div.citation")]
    assert len(entries) == len(set(entries)) >= 10
    assert all(re.match(r"\[ \d+ \]", e) for e in entries)  # numeric brackets
    heads = [re.sub(r"^\[ \d+ \] ", "", e).split(". ")[0] for e in entries]
    authors = [h for h in heads if not h.endswith(".")]  # a title-only entry starts with its title
    assert not any(" and " in a for a in authors)  # no bare English "and" between names
    flatnce = next(e for e in entries if "FlatNCE" in e)
    assert "Junya Chen" in flatnce and "等" in flatnce and "Chenyang Tao" not in flatnce  # 13 authors → 6 + 等
    surnames = [re.search(r"\] (?:[A-Z][\w.\-]* )*([A-Z][\w\-ö]+)[,.]", e) for e in entries]
    names = [m.group(1) for m in surnames if m]
    assert names == sorted(names, key=str.lower)  # sorted by first author's surname
    text = page.select_one("article").get_text()
    assert "@book{kexue-book" in text and "引用本书" in text


@pytest.mark.sphinx
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is not at {CORPUS} (it lives in shared/)")
def test_vae7_cites_each_spherical_paper_once(tmp_path_factory) -> None:
    project = built_project(tmp_path_factory.mktemp("cite") / "project", [str(ROOT / "sources"), str(CORPUS)])
    page = BeautifulSoup((project / "_build" / "html" / "vae" / "a8404.html").read_text("utf-8"), "html.parser")
    cited = _footnote_targets(page)
    assert [c[0] for c in cited] == ["《Hyperspherical Variational Auto-Encoders》",
                                     "《Spherical Latent Spaces for Stable Variational Autoencoders》"]
    assert "arxiv.org/abs/1804.00891" in cited[0][2] and "arxiv.org/abs/1808.10805" in cited[1][2]
    entries = page.select("article aside.footnote, article div.footnote")
    assert len(entries) == 2
    text = page.select_one("article").get_text()
    assert "@online{kexuefm-8404" in text and "month={May}" in text and "https://kexue.fm/archives/8404" in text
    bib = (project / "book" / "generated.bib").read_text("utf-8")
    assert bib.count("1804.00891,") == 1 and bib.count("@inproceedings{arxiv:1808.10805") == 1
