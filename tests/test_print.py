"""The PDF and the EPUB of a fixture book, built with the real tools and read as a reader would.

Needs xelatex/latexmk (TeX Live), pdftotext (poppler-utils) and epubcheck (Java); .ci/run installs
them with scripts/debian-deps.  Without them these tests skip and say why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from converters.cli import run

from conftest import new_project

FIXTURES = Path(__file__).parent / "fixtures"
CASES = ["md-math", "md-broken-formula", "links-and-series", "figure-caption", "md-figures"]
EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")

needs_tex = pytest.mark.skipif(not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")),
                               reason="xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")
needs_epubcheck = pytest.mark.skipif(not (EPUBCHECK_JAR.is_file() and shutil.which("java")),
                                     reason="epubcheck missing (apt-get install epubcheck)")


def _sources(project: Path) -> list[str]:
    folder = project / "sources"
    folder.mkdir()
    for case in CASES:
        for src in sorted((FIXTURES / case).glob("input*")):
            shutil.copy(src, folder / f"{case}-{src.name}")
    return [str(folder)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("print") / "project")
    return project, _sources(project)


@pytest.fixture(scope="module")
def pdf(printed):
    project, sources = printed
    if not (shutil.which("xelatex") and shutil.which("latexmk")):
        pytest.skip("xelatex/latexmk missing")
    # The command as a user runs it (its messages and exit status are under test too).
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build",
                           "--format", "pdf", *sources], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    path = project / "_build" / "pdf" / "kexue-book.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    return path, text, proc


@needs_tex
def test_pdf_has_chinese_text_chapters_and_numbers_in_order(pdf) -> None:
    path, text, proc = pdf
    assert path.read_bytes().startswith(b"%PDF")
    body = text[text.index("第一章"):]  # past the title page and the table of contents
    chapters = re.findall(r"^\s*第(.)章\s+(\S+)", body, re.M)
    assert [c[1] for c in chapters][:2] == ["变分自编码器（VAE）", "生成扩散模型漫谈"]
    assert chapters[-1][1] in ("其他文章", "引用与参考文献")
    assert "苏剑林" in text and "科学空间" in text  # the title page credits the blog and the author
    def section(title: str) -> str:
        """An article's text: from its section heading (not a list entry) to the next article's."""
        start = re.search(rf"^\d+\.\d+\s+{title}\s*$", body, re.M).end()
        end = re.search(r"^\d+\.\d+\s+\S", body[start:], re.M)
        return body[start:start + end.start()] if end else body[start:]

    article = section("数学公式的各种写法")
    numbers = re.findall(r"\((\d+)\)\s*$", article, re.M)
    assert numbers == ["1", "2", "3", "4", "5", "6", "7"], numbers
    tags = section("手写编号")
    assert re.findall(r"\((\d+)\)\s*$", tags, re.M) == ["1", "2"]  # each article restarts at (1)
    assert "［图］ SVD" in text and "原图见在线版" in text  # placeholders for lost and remote images


@needs_tex
def test_pdf_survives_formulas_latex_cannot_typeset(pdf) -> None:
    path, text, proc = pdf
    warnings = [line for line in proc.stderr.splitlines() if "[KB111]" in line]
    assert len(warnings) == 2, proc.stderr
    assert any("\\undefinedmacro" in w for w in warnings) and any("\\frac{1}{2" in w for w in warnings)
    assert all("《坏公式》" in w and w.startswith("book/misc/a90006.md:") for w in warnings)
    article = text[text.index("好的公式"):text.index("引用本文", text.index("好的公式"))]
    assert "\\undefinedmacro{y}" in article  # shown verbatim
    assert re.findall(r"\((\d+)\)\s*$", article, re.M)[:3] == ["1", "2", "3"]
    assert "pdf:" in proc.stdout and "formulas verbatim" in proc.stdout


@pytest.fixture(scope="module")
def epub(printed):
    project, sources = printed
    assert run(["--project", str(project), "build", "-q", "--format", "epub", *sources]) == 0
    return project / "_build" / "epub" / "kexue-book.epub"


@needs_epubcheck
def test_epubcheck_reports_nothing(epub) -> None:
    proc = subprocess.run(["java", "-jar", str(EPUBCHECK_JAR), str(epub)], capture_output=True, text=True)
    summary = re.search(r"Messages: (\d+) fatals / (\d+) errors / (\d+) warnings", proc.stdout + proc.stderr)
    assert summary and summary.groups() == ("0", "0", "0"), proc.stdout + proc.stderr


def test_epub_shows_every_formula_as_mathml(epub) -> None:
    with zipfile.ZipFile(epub) as book:
        pages = {n: book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xhtml")}
        opf = book.read("content.opf").decode("utf-8")
    math_page = pages["misc/a90001.xhtml"]
    # 7 numbered + 2 unnumbered display formulas, 2 inline: all MathML, none as TeX.
    assert math_page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"') == 9
    assert math_page.count("<math ") == 11  # and the 2 inline ones
    for name, page in pages.items():
        assert "\\(" not in page and "\\[" not in page and "$$" not in page, name
        if "<math" in page:
            assert re.search(rf'href="{re.escape(name)}"[^>]*properties="mathml"|properties="mathml"[^>]*href="{re.escape(name)}"', opf), name
    numbers = re.findall(r'<span class="eqno">\((\d+)\)', math_page)
    assert numbers == ["1", "2", "3", "4", "5", "6", "7"]
    assert 'href="#equation-a90001-eq-loss"' in math_page and 'id="equation-a90001-eq-loss"' in math_page
    assert "figure-placeholder" in pages["misc/a90004.xhtml"]  # remote images: readers load none
    assert re.search(r'<item [^>]*href="_static/kexue-cover.svg"[^>]*properties="cover-image"'
                     r'|<item [^>]*properties="cover-image"[^>]*href="_static/kexue-cover.svg"', opf)
    assert "epub-cover.xhtml" in pages and "kexue-cover.svg" in pages["epub-cover.xhtml"]
    nav = pages["nav.xhtml"]
    assert nav.index("变分自编码器（VAE）") < nav.index("生成扩散模型漫谈") < nav.index("其他文章")
