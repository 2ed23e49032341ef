"""The PDF of a changed book: only what changed is typeset again, and the result is the cold build's.

A book split into chapter PDFs (`--split chapters`) is built, one article gets a page more of
text and a new formula, and the book is built again: the text of the book's PDF and of every
chapter PDF (pdftotext) equals a cold build of the same sources in a fresh project (table of
contents, page numbers, references); the chapters the article is not in are not typeset again
(their .tex and PDFs untouched); typesetting the documents one after the other (`-j 1`) or at
once gives the same text.  The formula check of a build that read one page again loads only
that page's doctree.  Nothing here asserts a time (bench/scale.py measures them).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import nodes
from docutils.utils import new_document

from converters.build import STEM
from converters.cli import run
from converters.sphinx_ext import print_book

from conftest import new_project
from test_scale import SPECS, small_chapters, write_articles

needs_tex = pytest.mark.skipif(
    not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")),
    reason="xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")

CHANGED_CHAPTER = "vae"
# A page and more of new text (the following chapters' page numbers move in the book) and a new
# formula (checked once; the others are cache hits).
ADDED = "\n\n" + "\n\n".join(["追加的段落，让这一章多出一页，后面各章的页码都要随之改变。" * 12] * 8) + \
        "\n\n新的公式：\n\n$$\n\\int_0^1 x^{3}\\,dx = \\frac{1}{4}\n$$\n"


def _book(project: Path) -> list[Path]:
    small_chapters(project, 3)
    return write_articles(project / "sources", SPECS)


def _build_pdf(project: Path, *options: str) -> None:
    assert run(["--project", str(project), "build", "-q", "--format", "pdf", "--split", "chapters", *options]) == 0


def _texts(project: Path) -> dict[str, str]:
    """The text of the book's PDF and of each chapter PDF, as pdftotext reads it."""
    pdfs = {STEM: project / "_build" / "pdf" / f"{STEM}.pdf",
            **{p.stem: p for p in (project / "_build" / "pdf" / "chapters").glob("*.pdf")}}
    return {name: subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout for name, pdf in sorted(pdfs.items())}


def _times(project: Path) -> dict[str, int]:
    """Modification times of what the typesetting reads and writes."""
    latex = project / "_build" / "latex"
    files = [*latex.glob("*.tex"), *latex.glob("*.pdf"), *latex.glob("*.aux"), latex / "kexue-mathjax.sty",
             *(project / "_build" / "pdf" / "chapters").glob("*.pdf")]
    return {str(f.relative_to(project)): f.stat().st_mtime_ns for f in files}


# The chapters of `_book` (test_scale.py's SPECS, three articles a chapter at most).
CHAPTER_SET = {"shu-xue-yan-jiu", "vae", "xin-xi-shi-dai-2012-2015", "xin-xi-shi-dai-2016"}


@pytest.mark.sphinx
@needs_tex
def test_one_changed_article_retypesets_its_chapter_and_the_book_and_equals_a_cold_serial_build(
        tmp_path: Path) -> None:
    """Incremental = cold, and typeset at once (`-j 2`: the book and chapters side by side) =
    one after the other (`-j 1`): the cold build of the changed sources is the serial one."""
    project = new_project(tmp_path / "incremental")
    sources = _book(project)
    _build_pdf(project, "-j", "2")
    before = _times(project)
    assert {Path(name).stem for name in before if name.startswith("_build/pdf/chapters/")} == CHAPTER_SET

    changed = next(s for s in sources if "变分自编码器（一）" in s.read_text(encoding="utf-8"))
    changed.write_text(changed.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    _build_pdf(project, "-j", "2")
    after = _times(project)

    # The changed chapter and the book were written and typeset again, the others not at all.
    retypeset = {name for name in after if after[name] != before.get(name)}
    expected = {f"_build/latex/{CHANGED_CHAPTER}.tex", f"_build/latex/{CHANGED_CHAPTER}.pdf",
                f"_build/pdf/chapters/{CHANGED_CHAPTER}.pdf", f"_build/latex/{STEM}.tex", f"_build/latex/{STEM}.pdf"}
    assert expected <= retypeset, sorted(expected - retypeset)
    untouched = {name for name in after if Path(name).stem not in (CHANGED_CHAPTER, STEM)}
    assert len(untouched) > 3 * 4 and not untouched & retypeset, sorted(untouched & retypeset)

    cold = new_project(tmp_path / "cold")
    small_chapters(cold, 3)
    shutil.copytree(project / "sources", cold / "sources")
    _build_pdf(cold, "-j", "1")
    incremental, fresh = _texts(project), _texts(cold)
    assert set(incremental) == set(fresh) == CHAPTER_SET | {STEM}
    assert "追加的段落" in incremental[CHANGED_CHAPTER] and "追加的段落" in incremental[STEM]
    for name in fresh:
        assert incremental[name] == fresh[name], f"{name}.pdf differs from a cold build's"


# --- the formula check reads only the pages read again ----------------------------------------


def _page(formulas: list[str]) -> nodes.document:
    doc = new_document("<page>")
    for tex in formulas:
        doc += nodes.math_block(tex, tex, nowrap=False, number=None, label=None)
    return doc


@pytest.mark.skipif(not shutil.which("xelatex"), reason="xelatex missing (scripts/debian-deps book installs it)")
def test_the_formula_check_loads_only_the_doctrees_of_pages_read_again(tmp_path: Path) -> None:
    """Each LaTeX build checked the formulas of every page, loading every page's doctree (a
    pickle each: seconds at 1,000 pages for a build that read one page).  Now each page's formulas
    are kept in the environment until the page is read again (Sphinx purges it first)."""
    pages = {"a": ["x^2"], "b": ["\\frac{1}{2}"], "c": ["y_1"]}
    loaded: list[str] = []

    def get_doctree(docname: str) -> nodes.document:
        loaded.append(docname)
        return _page(pages[docname])

    env = SimpleNamespace(found_docs=set(pages), get_doctree=get_doctree, titles={})
    app = SimpleNamespace(builder=SimpleNamespace(format="latex"), env=env, outdir=str(tmp_path / "latex"),
                          config=SimpleNamespace(kexue_build_dir=str(tmp_path / "_build")))
    print_book.check_formulas(app, env)
    assert sorted(loaded) == ["a", "b", "c"]

    loaded.clear()
    pages["b"] = ["\\frac{1}{2}", "\\undefinedcommand"]  # page b read again: Sphinx purged it first
    print_book.purge_page_formulas(app, env, "b")
    print_book.check_formulas(app, env)
    assert loaded == ["b"]
    # ... and the verdicts still cover every page, the new formula included.
    assert env.kexue_bad_formulas == {("\\undefinedcommand", True, False)}
