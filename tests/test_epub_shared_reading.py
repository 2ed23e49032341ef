"""A cold EPUB build starts from the HTML (or LaTeX) build's doctrees (converters/build.py,
`seed_doctrees`) and reads only the pages changed since: its EPUB equals the one of a build that
read every page itself, file by file and byte by byte (the package's build time aside), and
epubcheck accepts it.

Needs epubcheck for the last check and xelatex for the LaTeX build's formula check; the MathML
comes from MathJax when node and mathjax-full are installed, else from latex2mathml — the same in
both builds either way.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from converters.build import ENVIRONMENT, seed_doctrees, sphinx_command
from converters.cli import run
from converters.sphinx_ext.epub_book import REPORT

from conftest import new_project

FIXTURES = Path(__file__).parent / "fixtures"
# Formulas (numbered rows, \eqref, \tag), a citation, links between articles, series, figures.
CASES = ["md-math", "md-math-rows", "links-and-series", "figure-caption", "md-figures"]
EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")
# Sphinx writes the time of the build into the package.
_BUILD_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _sources(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for case in CASES:
        for src in sorted((FIXTURES / case).glob("input*")):
            shutil.copy(src, folder / f"{case}-{src.name}")
    return folder


def _edit_one_article(sources: Path) -> None:
    """A formula and a sentence more in one article: a page the EPUB build must read itself."""
    path = next(p for p in sorted(sources.iterdir()) if p.name.startswith("md-math-rows") and p.suffix == ".md")
    text = path.read_text(encoding="utf-8") + "\n\n新加的一段，带公式$e^{i\\pi}+1=0$。\n"
    path.write_text(text, encoding="utf-8")


def _contents(epub: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(epub) as book:
        return {name: _BUILD_TIME.sub(b"TIME", book.read(name)) for name in book.namelist()}


def _epub(project: Path, sources: Path) -> tuple[dict[str, bytes], str]:
    """The EPUB's files and the command's output (its phase lines: how many pages were read)."""
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build",
                           "--format", "epub", str(sources)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return _contents(project / "_build" / "epub" / "kexue-book.epub"), proc.stdout


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> SimpleNamespace:
    """The EPUB read by itself (`alone`, the command's output `alone_out`, its project
    `alone_project`) and the EPUB started from an older HTML build (`seeded`, `seeded_out`,
    `shared`), of the same `sources`."""
    folder = tmp_path_factory.mktemp("shared-reading")
    sources = _sources(folder / "sources")
    shared = new_project(folder / "shared")
    # A PDF built before (as `make book` leaves it): the HTML's landing page links it, the EPUB's must not.
    (shared / "_build" / "downloads").mkdir(parents=True)
    (shared / "_build" / "downloads" / "kexue-book.pdf").write_bytes(b"%PDF-1.5\n")
    assert run(["--project", str(shared), "build", "-q", "--format", "html", str(sources)]) == 0
    assert "kexue-book.pdf" in (shared / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    _edit_one_article(sources)
    seeded, seeded_out = _epub(shared, sources)
    alone_project = new_project(folder / "alone")
    alone, alone_out = _epub(alone_project, sources)
    return SimpleNamespace(sources=sources, alone=alone, alone_out=alone_out, alone_project=alone_project,
                           seeded=seeded, seeded_out=seeded_out, shared=shared)


def _read(out: str) -> tuple[int, int]:
    pages = re.search(r"epub: read (\d+) of (\d+) pages", out)
    assert pages, out
    return int(pages.group(1)), int(pages.group(2))


def test_the_epub_started_from_the_html_doctrees_equals_the_one_read_alone(books) -> None:
    read, found = _read(books.alone_out)
    assert read == found  # read every page itself
    # Only the edited article (and the pages Sphinx reads again with it) read again.
    read, found = _read(books.seeded_out)
    assert 1 <= read < found / 2, books.seeded_out
    assert sorted(books.seeded) == sorted(books.alone)
    assert [name for name in books.alone if books.seeded[name] != books.alone[name]] == []
    edited = next(page for name, page in books.seeded.items()
                  if name.endswith(".xhtml") and "新加的一段".encode() in page)
    assert b'alttext="e^{i\\pi}+1=0"' in edited


def test_every_formula_is_counted_as_if_every_page_was_read(books) -> None:
    """The formulas of the pages the EPUB build did not read come from their doctrees: the
    report `kexue-book check` and `build` read (per article: formulas, MathML, TeX) is the same."""
    reports = [json.loads((p / "_build" / "doctrees" / "epub" / REPORT).read_text(encoding="utf-8"))
               for p in (books.shared, books.alone_project)]
    assert reports[0] == reports[1]
    assert sum(a["formulas"] for a in reports[0]["articles"].values()) > 0


@pytest.mark.skipif(not shutil.which("xelatex"), reason="xelatex missing (the LaTeX build checks its formulas with it)")
def test_the_epub_started_from_the_latex_doctrees_equals_the_one_read_alone(books, tmp_path: Path) -> None:
    """`make book` builds the PDF first: the EPUB starts from the LaTeX build's doctrees."""
    project = new_project(tmp_path / "project")
    assert run(["--project", str(project), "convert", "-q", str(books.sources)]) == 0
    proc = subprocess.run(sphinx_command(project, "latex", project / "_build" / "latex",
                                         project / "_build" / "doctrees" / "latex"),
                          cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    seeded, out = _epub(project, books.sources)
    assert _read(out)[0] == 0
    assert sorted(seeded) == sorted(books.alone)
    assert [name for name in books.alone if seeded[name] != books.alone[name]] == []


def test_a_second_build_starts_from_its_own_environment(books, tmp_path: Path) -> None:
    build_dir = books.shared / "_build"
    assert (build_dir / "doctrees" / "epub" / ENVIRONMENT).is_file()
    assert seed_doctrees(build_dir, "epub") is None  # it has one: nothing copied over it
    assert seed_doctrees(tmp_path, "epub") is None  # no other build to start from
    assert seed_doctrees(build_dir, "html") is None  # the HTML reads its pages itself


@pytest.mark.skipif(not (EPUBCHECK_JAR.is_file() and shutil.which("java")), reason="epubcheck missing")
def test_the_epub_started_from_the_html_doctrees_passes_epubcheck(books) -> None:
    proc = subprocess.run(["java", "-jar", str(EPUBCHECK_JAR),
                           str(books.shared / "_build" / "epub" / "kexue-book.epub")], capture_output=True, text=True)
    summary = re.search(r"Messages: (\d+) fatals / (\d+) errors / (\d+) warnings", proc.stdout + proc.stderr)
    assert summary and summary.groups() == ("0", "0", "0"), proc.stdout + proc.stderr
