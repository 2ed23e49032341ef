"""Whole-book tests: convert fixture sources, build with Sphinx -W, read the HTML as a reader would."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from converters.book import is_generated
from converters.cli import run

from conftest import ROOT, new_project

FIXTURES = Path(__file__).parent / "fixtures"
BOOK_CASES = ["links-and-series", "math-forms", "archive-untitled", "figure-caption", "literal-html",
              "escaping", "bad-input", "merge-duplicates"]


def _sources(project: Path, cases: list[str]) -> list[str]:
    """Copy the fixtures' inputs into the project (names made unique) and return their paths."""
    folder = project / "sources"
    folder.mkdir(exist_ok=True)
    out = []
    for case in cases:
        for src in sorted((FIXTURES / case).glob("input*.txt")):
            dest = folder / f"{case}-{src.name}"
            shutil.copy(src, dest)
            out.append(str(dest))
    return out


def _html(project: Path, docname: str) -> BeautifulSoup:
    return BeautifulSoup((project / "_build" / "html" / f"{docname}.html").read_text("utf-8"), "html.parser")


def eq_numbers(page: BeautifulSoup) -> list[str]:
    """The equation numbers a reader sees, in page order (without the permalink sign)."""
    out = []
    for span in page.select("span.eqno"):
        for link in span.select("a.headerlink"):
            link.decompose()
        out.append(span.get_text(strip=True))
    return out


def _docname(project: Path, title_part: str) -> str:
    for page in (project / "book").rglob("*.md"):
        text = page.read_text("utf-8")
        meta = yaml.safe_load(text.split("---\n")[1]) if text.startswith("---\n") else {}
        if meta.get("generator") == "kexue-book" and str(meta.get("title", "")).startswith(title_part):
            return page.relative_to(project / "book").with_suffix("").as_posix()
    raise AssertionError(f"no page titled {title_part!r}")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = new_project(tmp_path_factory.mktemp("book") / "project")
    assert run(["--project", str(project), "build", "-q", *_sources(project, BOOK_CASES)]) == 0
    return project


@pytest.mark.sphinx
def test_equations_numbered_per_article_and_eqrefs_link(built: Path) -> None:
    page = _html(built, _docname(built, "细水长flow之f-VAEs"))
    numbers = eq_numbers(page)
    assert numbers == ["(1)", "(2)"], numbers  # `$$M = AB$$` and the inline `$$…$$` stay unnumbered
    refs = {a.get_text(strip=True): a["href"] for a in page.select("a") if a.get("href", "").startswith("#equation-")}
    assert refs == {"(2)": "#equation-xi-shui-zhang-flow-zhi-f-vaes-762bd4-eq-p",
                    "(1)": "#equation-xi-shui-zhang-flow-zhi-f-vaes-762bd4-eq-qx"}
    for href in refs.values():
        assert page.find(id=href[1:]) is not None
    assert "(eq:missing)" in page.get_text()
    # Another article starts again at (1).
    other = _html(built, _docname(built, "随着NLP的发展"))
    assert eq_numbers(other) == ["(1)"]


@pytest.mark.sphinx
def test_article_links_and_chapters(built: Path) -> None:
    vae2 = _docname(built, "变分自编码器（二）")
    vae1 = _docname(built, "变分自编码器（一）")
    page = _html(built, vae2)
    links = [a for a in page.select("article a") if "变分自编码器" in a.get_text()]
    assert len(links) == 2 and all(a["href"] == Path(vae1).name + ".html" for a in links)
    index = _html(built, "index").get_text()
    for chapter in ("变分自编码器（VAE）", "生成扩散模型漫谈", "其他文章"):
        assert chapter in index
    chapter = _html(built, "vae/index")
    assert [a.get_text() for a in chapter.select("article li a")] == [
        "变分自编码器（一）：原来是这么一回事", "变分自编码器（二）：从贝叶斯观点出发"]


@pytest.mark.sphinx
def test_reader_sees_the_text_not_markup(built: Path) -> None:
    page = _html(built, _docname(built, "用*星号*和_下划线_的标题"))
    text = page.select_one("article").get_text()
    for literal in ("1. 这一行不是列表", "# 这一行不是标题", "> 不是引用", "(target)=", "% 不是注释",
                    ":::{note}", "<div>不是 HTML</div> &amp; 也不是实体", "价格是5$", "{cite}`x`"):
        assert literal in text, literal
    assert page.select_one("article h1").get_text(strip=True).startswith("用*星号*和_下划线_的标题 # 不是 {eq}`x`")
    mathjax = _html(built, _docname(built, "让MathJax的数学公式随窗口大小自动缩放"))
    code = mathjax.select_one("div.highlight-html pre").get_text()
    assert '<span style="font-size:90%">' in code and "\\begin{equation}" in code
    assert "<b>粗体</b>标签只是文字" in mathjax.select_one("article").get_text()


@pytest.mark.sphinx
def test_excerpts_figures_and_merges(built: Path) -> None:
    svd = _html(built, _docname(built, "SVD分解（一）"))
    placeholders = [d.get_text(" ", strip=True) for d in svd.select("div.figure-placeholder")]
    assert len(placeholders) == 2 and "SVD" in placeholders[0] and "热方程的热力图" in placeholders[1]
    more = [a for a in svd.select("a") if "阅读全文" in a.get_text()]
    assert more and more[0]["href"].startswith("https://kexue.fm/search/")
    assert "点击阅读全文" not in svd.get_text()
    gan = _html(built, _docname(built, "互怼的艺术"))
    body = gan.select_one("article").get_text()
    assert "另一个情况是" in body and body.count("GAN，全称") == 1  # the blog's full-width comma
    assert "2017年6月8日" in body and "300933位读者" in body


def test_convert_twice_changes_nothing(project: Path) -> None:
    sources = _sources(project, ["links-and-series", "math-forms"])
    assert run(["--project", str(project), "convert", "-q", *sources]) == 0
    files = [p for p in (project / "book").rglob("*") if p.is_file()]
    before = {p: p.stat().st_mtime_ns for p in files}
    assert len(before) > 5
    assert run(["--project", str(project), "convert", "-q", *sources]) == 0
    assert {p: p.stat().st_mtime_ns for p in files} == before


def test_stale_generated_pages_removed_handwritten_kept(project: Path) -> None:
    both = _sources(project, ["links-and-series", "math-forms"])
    assert run(["--project", str(project), "convert", "-q", *both]) == 0
    flow_page = project / "book" / "flow" / "xi-shui-zhang-flow-zhi-f-vaes-762bd4.md"
    assert flow_page.exists()
    mine = project / "book" / "flow" / "notes.md"
    mine.write_text("# 我的笔记\n", encoding="utf-8")
    assert run(["--project", str(project), "convert", "-q", both[0]]) == 0
    assert not flow_page.exists() and not (project / "book" / "flow" / "index.md").exists()
    assert mine.exists() and (project / "book" / "references.bib").exists()


# Pages of yours that mention the generator's mark anywhere but in their own front matter.
HANDWRITTEN_WITH_THE_MARK = {
    "in-body.md": "---\ntitle: 我的笔记\n---\n\n# 我的笔记\n\ngenerator: kexue-book\n",
    "in-code.md": "---\ntitle: 代码\n---\n\n# 代码\n\n```yaml\n---\ngenerator: kexue-book\n---\n```\n",
    "second-block.md": "---\ntitle: 两段\n---\n\n---\ngenerator: kexue-book\n---\n\n# 两段\n",
    "nested.md": "---\nmeta:\n  generator: kexue-book\n# generator: kexue-book\n---\n\n# 嵌套\n",
    "not-at-start.md": "\n---\ngenerator: kexue-book\n---\n\n# 不在开头\n",
}


def test_only_front_matter_that_says_generated_is_generated(project: Path, capsys) -> None:
    """A page is convert's only when its own front matter (YAML at the very start) says so:
    the mark in its body, a code block or a second `---` block does not make it removable; a
    page of yours where convert would write one is kept, with a warning."""
    both = _sources(project, ["links-and-series", "math-forms"])
    assert run(["--project", str(project), "convert", "-q", both[0]]) == 0
    kept_pages = sorted(p for p in (project / "book").rglob("*.md") if p.name != "index.md")
    assert run(["--project", str(project), "convert", "-q", *both]) == 0
    flow = project / "book" / "flow"
    generated = flow / "xi-shui-zhang-flow-zhi-f-vaes-762bd4.md"
    assert is_generated(generated) and is_generated(flow / "index.md")
    for name, text in HANDWRITTEN_WITH_THE_MARK.items():
        (flow / name).write_text(text, encoding="utf-8")
        assert not is_generated(flow / name), name
    # A page of yours where an article's page goes: never overwritten.
    vae_page = kept_pages[0]
    assert is_generated(vae_page)
    mine = "---\ntitle: 我自己的版本\n---\n\n# 我自己的版本\n"
    vae_page.write_text(mine, encoding="utf-8")
    capsys.readouterr()
    assert run(["--project", str(project), "convert", "-q", both[0]]) == 0
    err = capsys.readouterr().err
    assert not generated.exists()  # stale and generated: removed
    for name, text in HANDWRITTEN_WITH_THE_MARK.items():
        assert (flow / name).read_text(encoding="utf-8") == text, name
    assert vae_page.read_text(encoding="utf-8") == mine
    rel = vae_page.relative_to(project / "book").as_posix()
    assert "[KB117]" in err and rel in err, err


def test_list_json_of_the_seeds(capsys) -> None:
    assert run(["--project", str(ROOT), "list", str(ROOT / "sources"), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 36
    assert len({r["title"] for r in records}) == 36
    chapters: dict[str, list] = {}
    for r in records:
        chapters.setdefault(r["series"], []).append(r)
    assert [r["part"] for r in chapters["变分自编码器"]] == [1, 2, 7, 8]
    assert [r["part"] for r in chapters["最小熵原理"]] == [4, 5]
    assert [r["part"] for r in chapters["OCR技术浅探"]] == [2, 9]
    assert [r["title"] for r in chapters["Capsule"]] == ["再来一顿贺岁宴：从K-Means到Capsule",
                                                          "三味Capsule：矩阵Capsule与EM路由"]
    (gan,) = [r for r in records if r["title"].startswith("互怼的艺术")]
    assert gan["date"] == "2017-06-08" and len(gan["sources"]) == 2
    (ocr9,) = [r for r in records if r["title"].startswith("OCR技术浅探：9")]
    assert ocr9["date"] == "2016-06-26" and ocr9["readers"] == 70775
    assert any(s.startswith("sources/003") or "/003_" in s for s in ocr9["sources"])
    untitled = [r for r in records if r["untitled"]]
    assert len(untitled) == 2 and all(r["excerpt"] for r in records)
    order = [r["chapter"] for r in records]
    assert list(dict.fromkeys(order))[:4] == ["变分自编码器（VAE）", "最小熵原理", "Capsule", "OCR技术浅探"]
    assert order[-1] == "其他文章"


def test_ocr9_body_comes_from_the_archive_page(project: Path) -> None:
    assert run(["--project", str(project), "convert", "-q", str(ROOT / "sources")]) == 0
    (page,) = (project / "book" / "ocr").glob("ocr-ji-shu-qian-tan-9-*.md")
    text = page.read_text("utf-8")
    assert "image.py" in text and "2016-06-26" in text


def test_cli_errors_are_one_line(project: Path, capsys) -> None:
    assert run(["--project", str(project), "convert", str(project / "nope")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kexue-book: error:") and "nope" in err[0]
    (project / "kexue-book.yaml").write_text("book: [unclosed\n", encoding="utf-8")
    assert run(["--project", str(project), "convert"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kexue-book.yaml:" in err[0] and "invalid YAML" in err[0]


def test_warnings_name_file_and_line(project: Path, capsys) -> None:
    sources = _sources(project, ["bad-input"])
    assert run(["--project", str(project), "convert", "-q", *sources]) == 0
    err = capsys.readouterr().err.splitlines()
    rel = os.path.relpath(sources[0])
    assert f"{rel}:3: warning: not valid UTF-8 (byte 0xff); undecodable bytes shown as '\ufffd' [KB101]" in err
    assert any(line.startswith(f"{rel}:7: warning: display math") for line in err)


MD_CASES = ["md-math", "md-emphasis-links", "md-figures", "md-blocks", "md-merge"]


@pytest.fixture(scope="module")
def md_built(tmp_path_factory) -> Path:
    project = new_project(tmp_path_factory.mktemp("mdbook") / "project")
    folder = project / "sources"
    folder.mkdir()
    for case in MD_CASES:
        for src in sorted((FIXTURES / case).glob("input*")):
            if case == "md-emphasis-links" and src.name.startswith("input-target"):
                continue  # the same articles come from md-math
            shutil.copy(src, folder / f"{case}-{src.name}")
    assert run(["--project", str(project), "build", "-q", str(folder)]) == 0
    return project


@pytest.mark.sphinx
def test_markdown_constructs_in_html(md_built: Path) -> None:
    math = _html(md_built, "misc/a90001")
    assert eq_numbers(math) == ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"]
    tags = _html(md_built, "misc/a90002")
    assert eq_numbers(tags) == ["(1)", "(2)"]
    cited = {a.get_text(): a["href"] for a in tags.select("article a[href^='#equation-']")}
    assert cited == {"(2)": "#equation-a90002-tag-2", "(1)": "#equation-a90002-tag-1"}
    assert "\\tag" not in tags.select_one("article").get_text()
    links = _html(md_built, "misc/a90003")
    strong = [s.get_text() for s in links.select("article strong")]
    assert "摘要：" in strong and "“引号”" in strong and "只需加入BN" in strong
    internal = [a["href"] for a in links.select("article a") if a["href"].startswith("a9000")]
    assert internal == ["a90001.html", "a90001.html", "a90001.html", "a90002.html"]
    assert any(a["href"] == "https://kexue.fm/archives/1" for a in links.select("article a"))
    figures = _html(md_built, "misc/a90004")
    captions = [f.select_one("figcaption .caption-text").get_text(strip=True) for f in figures.select("article figure")]
    assert captions == ["标准ResNet与可逆ResNet对比图。", "ALBERT与ELECTRA", "没有链接的图"]
    assert "这一段不是图注。" in figures.select_one("article").get_text()
    blocks = _html(md_built, "misc/a90005")
    assert len(blocks.select("article h1")) == 1
    assert blocks.select_one("div.highlight-python") is not None
    assert blocks.select_one("article table") is not None
    text = blocks.select_one("article").get_text()
    assert "<b>HTML</b>" in text and "\\alpha" in text and '<div class="note">一个HTML块</div>' in text
    meta = blocks.select_one("div.article-meta").get_text()
    assert "分类" not in meta and "2017年7月22日" in meta
    assert _html(md_built, "misc/a90001").select_one("div.article-meta a")["href"] == "https://kexue.fm/archives/90001"
    merged = _html(md_built, "vae/a8404").select_one("article").get_text()
    assert "阅读全文" not in merged and "KL散度消失" in merged


def test_fetch_images_fills_the_local_folder(project: Path) -> None:
    import functools
    import http.server
    import threading

    served = project.parent / "served" / "usr" / "uploads"
    served.mkdir(parents=True)
    (served / "x.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(project.parent / "served"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        source = project / "a.md"
        source.write_text(f"---\ntitle: 图\nurl: https://kexue.fm/archives/99\n---\n\n"
                          f"[![图一](http://127.0.0.1:{port}/usr/uploads/x.png)](http://127.0.0.1:{port}/usr/uploads/x.png "
                          f"\"点击查看原图\")\n\n图一\n\n![丢失](http://127.0.0.1:{port}/missing.png)\n\n![本地](nope.png)\n",
                          encoding="utf-8")
        assert run(["--project", str(project), "fetch-images", str(source)]) == 1  # one image is missing
    finally:
        server.shutdown()
    local = project / "book" / "images" / f"127.0.0.1-{port}" / "usr" / "uploads" / "x.png"
    assert local.read_bytes().startswith(b"\x89PNG")
    assert run(["--project", str(project), "convert", "-q", str(source)]) == 0
    page = (project / "book" / "misc" / "a99.md").read_text("utf-8")
    assert f"{{figure}} /images/127.0.0.1-{port}/usr/uploads/x.png" in page
    assert "figure-placeholder" in page and "本地" in page
