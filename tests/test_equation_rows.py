"""Multi-row formulas numbered row by row, as the blog shows them, in HTML, PDF and EPUB.

The fixture `fixtures/md-math-rows` has numbered `align`, `gather`, `eqnarray` (in the text,
outside `$$`), `multline`, `alignat` and a starred `align*` with a `\\tag`; rows with `\\nonumber`
/ `\\notag` / `\\tag`, a trailing `\\\\`, and an `\\eqref` to every labelled row.  EXPECTED is what
the blog's MathJax (AMS numbering) shows for it: `test_expected_numbers_are_mathjax_ams_numbers`
asks MathJax itself.  Each format must show those numbers, and each `\\eqref` must print the
number of its row and lead to it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from converters.cli import run

from conftest import new_project

FIXTURE = Path(__file__).parent / "fixtures" / "md-math-rows"
PAGE = "misc/a90020"
# The blog's numbers, formula by formula and row by row, in page order.
EXPECTED = ["(1)", "(2)", "(3)", "(4)", "(*)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)", "(A)", "(12)"]
# What each `\eqref` of the last paragraph prints: the number of the row its label sits on.
EQREFS = ["(1)", "(2)", "(3)", "(4)", "(*)", "(5)", "(6)", "(7)", "(10)", "(11)", "(A)", "(12)"]
EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The fixture converted and built as HTML with `sphinx-build -W`."""
    project = new_project(tmp_path_factory.mktemp("rows") / "project")
    assert run(["--project", str(project), "build", "-q", str(FIXTURE / "input.md")]) == 0
    return project


def _html_numbers(div) -> list[str]:
    """The numbers an HTML formula shows: Sphinx's own for one equation, MathJax's `\\tag`s for rows."""
    eqno = div.select_one("span.eqno")
    if eqno is not None:
        return [eqno.find(string=True, recursive=False).strip()]
    return [f"({tag})" for tag in re.findall(r"\\tag\{([^{}]*)\}", div.get_text())]


def test_html_numbers_each_row_and_links_each_row(project: Path) -> None:
    page = BeautifulSoup((project / "_build" / "html" / f"{PAGE}.html").read_text("utf-8"), "html.parser")
    article = page.select_one("article")
    formulas = article.select("div.math")
    assert [n for div in formulas for n in _html_numbers(div)] == EXPECTED
    links = article.select("p a.reference.internal[href^='#equation-']")
    assert [a.get_text() for a in links] == EQREFS
    for link in links:  # each link leads to the formula that shows its number
        target = article.find(id=link["href"][1:])
        assert target is not None, link["href"]
        formula = target if target.name == "div" else target.find_parent("div", class_="math")
        assert link.get_text() in _html_numbers(formula), link["href"]
    assert not re.search(r"\(eq:[^)]*\)", article.get_text())  # no \eqref left as text


def test_generated_page_labels_every_numbered_row(project: Path) -> None:
    """The MyST page keeps the rows as written, each numbered row with its (namespaced) label."""
    text = (project / "book" / f"{PAGE}.md").read_text("utf-8")
    assert "\\label{a90020-eq-align-1}\\\\\n&= x^2 + 2x + 1\\label{a90020-eq-align-2}\\end{align}" in text
    assert "b = c - a\\nonumber\\\\" in text and "c = a + b\\tag{*}\\label{a90020-eq-gather-star}" in text
    assert "p &= q\\label{a90020-eq8}\\\\ r &= s\\label{a90020-eq9}" in text  # unlabelled rows get labels too


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium is not installed")
def test_expected_numbers_are_mathjax_ams_numbers(project: Path) -> None:
    """EXPECTED is what MathJax with the blog's AMS numbering shows for the source; and what the
    reader of the book sees in the browser (MathJax's row numbers, Sphinx's single ones) is it."""
    playwright = pytest.importorskip("playwright.sync_api")
    from blogmath import blog_numbers

    html = project / "_build" / "html"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            oracle = blog_numbers(browser, html, {"fixture": (FIXTURE / "input.md").read_text("utf-8")})
            shown = _rendered_numbers(browser, html)
        finally:
            browser.close()
    assert oracle["fixture"] == EXPECTED
    assert shown == EXPECTED


def _rendered_numbers(browser, html: Path) -> list[str]:
    from blogmath import serve

    with serve(html) as site:
        page = browser.new_page()
        page.goto(f"{site}/{PAGE}.html")
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("MathJax.startup.promise")
        shown = page.evaluate("""() => [...document.querySelectorAll('article div.math')].flatMap(div => {
            const eqno = div.querySelector('span.eqno');
            if (eqno) return [eqno.firstChild.textContent.trim()];
            if (div.querySelector('mjx-merror')) return ['error'];
            const item = MathJax.startup.document.getMathItemsWithin(div)[0];
            const mml = MathJax.startup.toMML(item.root);
            return [...mml.matchAll(/<mlabeledtr[^>]*>\\s*<mtd[^>]*>\\s*<mtext[^>]*>([^<]*)<\\/mtext>/g)].map(m => m[1]);
        })""")
        # A link to a row previews its formula (the row's anchor sits inside the formula's block).
        page.hover("article p a[href='#equation-a90020-eq-gather-4']")
        page.wait_for_selector("div.kexue-preview", timeout=5000)
        preview = page.inner_html("div.kexue-preview")
        page.close()
    assert "mjx-container" in preview
    return shown


@pytest.fixture(scope="module")
def pdf_text(project: Path) -> str:
    if not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")):
        pytest.skip("xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build",
                           "--format", "pdf", str(FIXTURE / "input.md")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "0 formulas verbatim" in proc.stdout
    pdf = project / "_build" / "pdf" / "kexue-book.pdf"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout


def test_pdf_numbers_each_row_and_references_print_them(pdf_text: str) -> None:
    start = pdf_text.index("先有一个单独的公式")
    article = pdf_text[start:pdf_text.index("引用本文", start)]
    article = re.sub(r"^.*第一章.*$", "", article, flags=re.M)  # the running head of a new page
    assert re.findall(r"(\([^()\s]+\))\s*$", article, re.M) == EXPECTED
    references = re.search(r"引用每一行：(.*?)。", article, re.S).group(1)
    assert re.findall(r"\([^()]+\)", references) == EQREFS  # `\ref`s found their rows' labels
    assert "??" not in article


@pytest.fixture(scope="module")
def epub_page(project: Path) -> str:
    assert run(["--project", str(project), "build", "-q", "--format", "epub", str(FIXTURE / "input.md")]) == 0
    epub = project / "_build" / "epub" / "kexue-book.epub"
    if EPUBCHECK_JAR.is_file() and shutil.which("java"):
        proc = subprocess.run(["java", "-jar", str(EPUBCHECK_JAR), str(epub)], capture_output=True, text=True)
        assert "Messages: 0 fatals / 0 errors / 0 warnings" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    with zipfile.ZipFile(epub) as book:
        return book.read(f"{PAGE}.xhtml").decode("utf-8")


def _epub_numbers(div) -> list[str]:
    eqno = div.select_one("span.eqno")
    if eqno is not None:
        return [eqno.get_text(strip=True)]
    return [t.get_text(strip=True) for t in div.select("mtd > mtext") if re.fullmatch(r"\(.+\)", t.get_text(strip=True))]


def test_epub_numbers_each_row_and_links_each_row(epub_page: str) -> None:
    page = BeautifulSoup(epub_page, "html.parser")
    formulas = page.select("div.math")
    assert all(div.select_one("math") is not None for div in formulas)  # MathML, not TeX
    assert [n for div in formulas for n in _epub_numbers(div)] == EXPECTED
    # Every row is a row of the MathML (the eqnarray's `\\notag` row too).
    eqnarray = page.find(id="equation-a90020-eq-eqn-1")
    outer = eqnarray.select_one("math mtable")  # MathJax's math > mtable, latex2mathml's math > mrow > mtable
    assert len(outer.find_all("mtr", recursive=False)) == 3
    links = page.select("p a.reference.internal[href^='#equation-']")
    assert [a.get_text() for a in links] == EQREFS
    for link in links:
        target = page.find(id=link["href"][1:])
        assert target is not None, link["href"]
        formula = target if target.name == "div" else target.find_parent("div", class_="math")
        assert link.get_text() in _epub_numbers(formula), link["href"]


def test_pdf_keeps_row_numbers_of_a_formula_latex_cannot_typeset(tmp_path: Path) -> None:
    """A multi-row formula xelatex rejects is shown verbatim row by row, each row with its number and
    label, and reported (KB111) as its page has it; the numbers after it do not move."""
    if not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")):
        pytest.skip("xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")
    source = tmp_path / "broken.md"
    source.write_text("---\ntitle: 坏的多行公式\nurl: https://kexue.fm/archives/90022\n---\n\n"
                      "开头：\n$$\\begin{equation}a = b\\end{equation}$$\n\n"
                      "坏的：\n$$\\begin{align}x &= \\undefinedrowmacro{y}\\label{eq:bad}\\\\\n"
                      "z &= w\\nonumber\\\\\nv &= u\\label{eq:after}\\end{align}$$\n\n"
                      "结尾：\n$$\\begin{equation}c = d\\end{equation}$$\n\n"
                      "由$\\eqref{eq:bad}$和$\\eqref{eq:after}$可知。\n", encoding="utf-8")
    project = new_project(tmp_path / "project")
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build",
                           "--format", "pdf", str(source)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "[KB111]" in line]
    assert len(warnings) == 1 and "\\undefinedrowmacro{y}\\label{a90022-eq-bad}" in warnings[0], proc.stderr
    pdf = project / "_build" / "pdf" / "kexue-book.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    start = text.index("开头")
    article = text[start:text.index("引用本文", start)]
    assert "\\undefinedrowmacro{y}" in article
    assert re.findall(r"(\([^()\s]+\))\s*$", article, re.M) == ["(1)", "(2)", "(3)", "(4)"]
    assert "由(2)和(3)可知" in re.sub(r"\s+", "", article)


def test_the_ids_of_many_rows_are_added_without_searching_the_list() -> None:
    """Each numbered row's label becomes an id of the block; asking the growing list of ids
    whether it held each one made an `align` of 100,000 rows take minutes (time square in the
    rows).  Counted, not timed: the list of ids is never searched."""
    from types import SimpleNamespace

    from docutils import nodes

    from converters import texrows
    from converters.sphinx_ext.equations import _number_rows

    class Ids(list):
        searched = 0

        def __contains__(self, item) -> bool:
            Ids.searched += 1
            return super().__contains__(item)

    rows = 2000
    tex = r"\begin{align}" + "".join(f"a\\label{{r{i}}}\\\\" for i in range(rows)) + r"b\end{align}"
    node = nodes.math_block(tex, tex)
    node["ids"] = Ids()
    env = texrows.parse(tex)
    found, _ = texrows.numbers(env, 0)
    domain = SimpleNamespace(equations={})
    _number_rows(node, env, found, domain, "misc/a1")
    assert len(node["ids"]) == rows and len(domain.equations) == rows
    assert Ids.searched == 0
