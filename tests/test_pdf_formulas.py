"""The PDF's formulas, with real xelatex: every formula gets a verdict of its own, a formula that
kills xelatex costs only itself, verdicts are cached per formula, the book's own xelatex run is
traced to the formula that broke it, and every TeX form of tests/tex-forms/ (the blog's MathJax
accepts them all) typesets, page by page as its golden text says.

    .venv/bin/python -m pytest tests/test_pdf_formulas.py --regen   # rewrite tests/tex-forms/*.txt
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from converters.build import LatexRunFailed, blamed_formula
from converters.sphinx_ext.formula_check import (CHECK_PREAMBLE, MARK, STY, Formula, Verdict, VerdictCache,
                                                 book_latex, formula_key, formula_verdicts)
from converters.texsafety import tex_sandbox_env

from conftest import ROOT, new_project

FORMS = sorted((Path(__file__).parent / "tex-forms").glob("*.tex"))
CORPUS_REAL = ROOT.parent / "shared" / "corpus-real"

needs_tex = pytest.mark.skipif(not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")),
                               reason="xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")

# Three formulas that end or derail an xelatex run, then good ones.  The first exceeds TeX's
# capacity (a fatal error: two million letters m; a formula nested that deep is refused before
# any run, formula_check.MAX_NESTING), the second's optional argument runs away to the end of the
# paragraph, the third leaves its environment open (it breaks the state of the run).
FATAL_ARTICLE = """---
title: "致命公式"
date: "2020-01-01"
url: "https://kexue.fm/archives/90007"
---

第一个公式让 TeX 的容量耗尽：
$$""" + r"\romannumeral 2000000000 x" + r"""$$
第二个公式的参数没有结束：$\sqrt[3{x}$，第三个环境不配对：
\begin{equation}\begin{matrix} a & b \end{equation}
后面的公式都正常：
\begin{equation}E = mc^2\end{equation}
以及 $\color{red}{\alpha_7} + \beta_8$ 和
$$\begin{eqnarray*} \delta(x) &=& \delta(-x) \end{eqnarray*}$$
一个表格（TeX 层不能改变表格的排法）：

| 方法 | 准确率 |
|------|------|
| 甲 | 90.1 |
"""


def _build_pdf(project: Path, sources: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build", "--format", "pdf",
                           *sources], capture_output=True, text=True)


def _pdf_text(project: Path) -> str:
    pdf = project / "_build" / "pdf" / "kexue-book.pdf"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout


def _kb111(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if "[KB111]" in line]


@pytest.fixture(scope="module")
def fatal_book(tmp_path_factory):
    if not (shutil.which("xelatex") and shutil.which("latexmk")):
        pytest.skip("xelatex/latexmk missing")
    project = new_project(tmp_path_factory.mktemp("fatal") / "project")
    (project / "sources").mkdir()
    (project / "sources" / "fatal.md").write_text(FATAL_ARTICLE, encoding="utf-8")
    proc = _build_pdf(project, [str(project / "sources")])
    return project, proc


@needs_tex
def test_formulas_that_kill_xelatex_cost_only_themselves(fatal_book) -> None:
    project, proc = fatal_book
    assert proc.returncode == 0, proc.stderr
    warnings = _kb111(proc)
    assert len(warnings) == 3, proc.stderr
    assert all(w.startswith("book/misc/a90007.md:") and "《致命公式》" in w for w in warnings)
    assert "TeX capacity exceeded" in warnings[0]
    assert "\\sqrt[3{x}" in warnings[1] and "Paragraph ended before" in warnings[1]
    assert "\\begin{matrix}" in warnings[2]
    assert "3 formulas verbatim" in proc.stdout
    text = _pdf_text(project)
    article = text[text.index("第一个公式"):]
    assert "\\sqrt[3{x}" in article and "\\begin{matrix} a & b" in article  # verbatim
    # The good formulas after them are typeset (no TeX source), with their numbers in order.
    assert re.search(r"E = mc2\s+\(2\)", article), article
    assert "α7 + β8" in article and "\\color" not in article
    assert re.search(r"δ\(x\) = δ\(−x\)\n", article), article  # the blog's eqnarray*: rows, no number
    assert re.findall(r"\((\d)\)\s*$", article, re.M) == ["1", "2"]  # the verbatim one keeps (1)
    assert re.search(r"方法\s+准确率\s+甲\s+90\.1", article)  # the book's tables are untouched by the layer


def _edited_and_built(project: Path, text: str):
    """The book's source with `text` appended, its PDF built (it must build): the run and its KB111s."""
    source = project / "sources" / "fatal.md"
    source.write_text(source.read_text(encoding="utf-8") + text, encoding="utf-8")
    proc = _build_pdf(project, [str(project / "sources")])
    assert proc.returncode == 0, proc.stderr
    return proc, _kb111(proc)

@needs_tex
def test_verdicts_are_cached_per_formula(fatal_book, tmp_path) -> None:
    """A changed article checks only its new formulas: a verdict planted in the cache for an old
    formula is used as it is (it would be typeset if checked again), the new formula is checked."""
    project = tmp_path / "project"
    shutil.copytree(fatal_book[0], project)
    cache = VerdictCache(project / "_build")
    old = formula_key(Formula("E = mc^2", True, True))
    assert cache.get(old) == Verdict(True)
    cache.put(old, Verdict(False, "planted in the cache"))
    cache.save()
    proc, warnings = _edited_and_built(project, "\n新的公式 $\\gamma_9 + \\delta_{10}$。\n")
    assert len(warnings) == 4 and any("planted in the cache" in w and "E = mc^2" in w for w in warnings)
    assert VerdictCache(project / "_build").get(formula_key(Formula(r"\gamma_9 + \delta_{10}", False))) == Verdict(True)
    assert "γ9 + δ10" in _pdf_text(project)


@needs_tex
def test_a_formula_that_breaks_the_books_own_run_is_traced_and_shown_verbatim(fatal_book, tmp_path) -> None:
    """The last line of defence: the check is fooled (its failed verdicts turned into passes), so
    the book's xelatex run stops; each error is traced to its formula, that formula is shown
    verbatim and the run repeated, until the PDF builds."""
    project = tmp_path / "project"
    shutil.copytree(fatal_book[0], project)
    cache = VerdictCache(project / "_build")
    fooled = [key for key, verdict in cache.verdicts.items() if not verdict.ok]
    assert len(fooled) == 3
    for key in fooled:
        cache.put(key, Verdict(True))
    cache.save()
    proc, warnings = _edited_and_built(project, "\n改动过的一段。\n")
    traced = [w for w in warnings if "the book's xelatex run" in w]
    assert len(traced) == 3 and all(w.startswith("book/misc/a90007.md:") for w in traced), proc.stderr
    assert any("\\sqrt[3{x}" in w for w in traced)  # the inline one, found from its runaway argument
    article = _pdf_text(project)[_pdf_text(project).index("第一个公式"):]
    assert re.search(r"E = mc2\s+\(2\)", article) and "α7 + β8" in article


def test_blame_reads_the_error_place_of_the_log(tmp_path) -> None:
    """Without xelatex: the error line and the `l.N` context point at a display formula between
    its marks, or at the inline formula before the place TeX stopped on its line."""
    display = Formula(r"\bad{x}", True)
    tex = tmp_path / "kexue-book.tex"
    tex.write_text("\n".join([
        r"\sphinxAtStartPar", r"text \(a+b\) and \(\oops{c}\) and \(d\) end.",
        f"before{MARK}{formula_key(display)}", r"\begin{equation*}", r"\begin{split}\bad{x}\end{split}",
        f"\\end{{equation*}}{MARK}end", "after"]) + "\n", encoding="utf-8")
    inline_log = ("./kexue-book.tex:2: Undefined control sequence.\n"
                  r"l.2 text \(a+b\) and \(\oops" "\n" r"                             {c}\) and \(d\) end." "\n")
    found = blamed_formula(tmp_path, LatexRunFailed("failed", "kexue-book", inline_log))
    assert found is not None and found[0] == [formula_key(Formula(r"\oops{c}", False))]
    assert "Undefined control sequence" in found[1] and "kexue-book.tex:2" in found[1]
    display_log = "./kexue-book.tex:6: Missing \\endgroup inserted.\nl.6 \\end{equation*}\n"
    found = blamed_formula(tmp_path, LatexRunFailed("failed", "kexue-book", display_log))
    assert found is not None and found[0] == [formula_key(display)]
    outside_log = "./kexue-book.tex:7: Undefined control sequence.\nl.7 after\n"
    assert blamed_formula(tmp_path, LatexRunFailed("failed", "kexue-book", outside_log)) is None


def _lines(page: str) -> str:
    return "\n".join(line.strip() for line in page.splitlines() if line.strip()) + "\n"


@needs_tex
def test_every_mathjax_form_typesets(tmp_path, regen) -> None:
    """Each form of tests/tex-forms/ passes the check and, typeset alone on a page as the book
    holds it, reads (pdftotext) as its golden .txt."""
    formulas = [Formula(path.read_text(encoding="utf-8").strip(), True) for path in FORMS]
    verdicts = formula_verdicts(formulas, tmp_path / "_build")
    assert [(p.name, v.error) for p, v in zip(FORMS, verdicts) if not v.ok] == []
    shutil.copy(STY, tmp_path / STY.name)
    pages = "\\pagestyle{empty}\n" + "".join(f"{book_latex(f)}\n\\newpage\n" for f in formulas)
    (tmp_path / "forms.tex").write_text(CHECK_PREAMBLE + pages + "\\end{document}\n", encoding="utf-8")
    subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "forms.tex"], cwd=tmp_path,
                   capture_output=True, env=tex_sandbox_env(), check=True)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "forms.pdf"), "-"], capture_output=True,
                          text=True).stdout
    for path, page in zip(FORMS, text.split("\f")):
        expected = path.with_suffix(".txt")
        if regen:
            expected.write_text(_lines(page), encoding="utf-8")
        assert _lines(page) == expected.read_text(encoding="utf-8"), path.name


@needs_tex
def test_corpus_real_pdf_builds_with_every_formula_typeset(tmp_path) -> None:
    if not CORPUS_REAL.is_dir():
        pytest.skip(f"the real articles are not at {CORPUS_REAL} (they live in shared/)")
    project = new_project(tmp_path / "project")
    proc = _build_pdf(project, [str(CORPUS_REAL)])
    assert proc.returncode == 0, proc.stderr
    assert _kb111(proc) == [] and "0 formulas verbatim" in proc.stdout, proc.stderr
    counts = json.loads((project / "_build" / "latex" / "latex-formula-counts.json").read_text(encoding="utf-8"))
    assert sum(c["typeset"] for c in counts.values()) > 0 and all(c["verbatim"] == 0 for c in counts.values())
    text = _pdf_text(project)
    assert "δ(x) = δ(−x)" in text  # an eqnarray* of a real article
    # No formula left as TeX source.  (9181.md's `\begin{array}` table stands in the text without
    # $$: the reader keeps it as text, in every format; it is not a formula of the PDF's.)
    assert not re.search(r"\\(color|hdashline|begin\{eqnarray|boldsymbol\{f)", text)


# The rows of align & co. reach the PDF as top-level environments with a \tag per row
# (equations.row_text); the TeX layer redefines these names for use inside display math, and a
# starred end that calls its base end (\endalign* is `\endalign`) looped for ever there.
TOP_LEVEL_ROWS = [
    r"\begin{align*} a &= b \\ c &= d\end{align*}", r"\begin{align} a &= b\tag{1}\\ c &= d\notag\end{align}",
    r"\begin{flalign*} a &= b\end{flalign*}", r"\begin{flalign} a &= b\tag{2}\end{flalign}",
    r"\begin{alignat*}{2} a &= b & c &= d\end{alignat*}", r"\begin{alignat}{2} a &= b & c &= d\tag{3}\end{alignat}",
    r"\begin{gather*} a = b\end{gather*}", r"\begin{gather} a = b\tag{4}\end{gather}",
    r"\begin{multline*} a = b\\ c\end{multline*}", r"\begin{multline} a = b\\ c\tag{5}\end{multline}",
    r"\begin{eqnarray*} a &=& b\\ c &=& d\end{eqnarray*}",
]


@needs_tex
def test_rows_at_the_top_level_typeset_with_the_tex_layer(tmp_path) -> None:
    formulas = [Formula(tex, True, rows=True) for tex in TOP_LEVEL_ROWS]
    verdicts = formula_verdicts(formulas, tmp_path / "_build")
    assert [(f.tex, v.error) for f, v in zip(formulas, verdicts) if not v.ok] == []
    shutil.copy(STY, tmp_path / STY.name)
    body = "".join(f"{book_latex(f)}\n" for f in formulas)
    (tmp_path / "rows.tex").write_text(CHECK_PREAMBLE + body + "\\end{document}\n", encoding="utf-8")
    subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "rows.tex"], cwd=tmp_path,
                   capture_output=True, env=tex_sandbox_env(), check=True, timeout=120)
    text = subprocess.run(["pdftotext", str(tmp_path / "rows.pdf"), "-"], capture_output=True, text=True).stdout
    assert all(f"({n})" in text for n in range(1, 6)), text


HEADING_ARTICLE = r"""---
title: "标题里的公式"
date: "2020-01-01"
url: "https://kexue.fm/archives/90011"
---

开头的 $y$ 与 $z$。

## 划掉的$\cancel{x}$与$y$与$\color{red}{z}$

正文里的 $y$。

## 颜色$\color{#3ce2f7}{w}$与$y$

正文里的 $w$ 与 $\color{#3ce2f7}{w}$。
"""


@needs_tex
def test_formulas_in_a_heading_typeset_and_its_bookmark_holds_their_tex(tmp_path) -> None:
    r"""A heading's formulas go into the PDF's bookmarks as their TeX, not through hyperref's
    string conversion: `\cancel{x}` there stopped the book's run, and the trace (placed at the
    heading's end) blamed `$y$`, then `$\color{red}{z}$`, then `\cancel{x}`, each then verbatim in
    the whole book."""
    pypdf = pytest.importorskip("pypdf", reason="pypdf missing (a dev dependency: make .venv/.installed)")
    project = new_project(tmp_path / "project")
    (project / "sources").mkdir()
    (project / "sources" / "heading.md").write_text(HEADING_ARTICLE, encoding="utf-8")
    proc = _build_pdf(project, [str(project / "sources")])
    assert proc.returncode == 0, proc.stderr
    # `#` in a heading's formula breaks the heading itself (nameref's label): that heading's
    # formulas are verbatim in headings (`$y$` in the other heading too), and only there.
    blamed = {w.split("shown verbatim in the PDF: ")[1] for w in _kb111(proc)}
    assert blamed == {r"\color{#3ce2f7}{w} [KB111]", "y [KB111]"}, proc.stderr
    assert "3 formulas verbatim" in proc.stderr + proc.stdout
    text = _pdf_text(project)
    assert re.search(r"颜色\\color\{#3ce2f7\}\{w\}\s*与\s*y\n", text), text
    assert "正文里的 w 与 w" in text and "正文里的 y" in text
    titles = []

    def walk(outline):
        for item in outline:
            walk(item) if isinstance(item, list) else titles.append(item.title)
    walk(pypdf.PdfReader(project / "_build" / "pdf" / "kexue-book.pdf").outline)
    assert r"划掉的\cancel{x}与y与\color{red}{z}" in titles, titles


@pytest.mark.parametrize("junk", ['[1, 2]', 'null', '"text"', '{"k": "ab"}', '{"k": [1]}', '{"k": {"a": 1}}',
                                  '{"k": [true, "", 3]}', '{"k": [tr'])
def test_a_damaged_verdict_cache_is_rebuilt(tmp_path, junk) -> None:
    """Whatever the cache file holds (another tool's JSON, a cut write), the build reads it as
    empty: `[1, 2]` or `null` raised AttributeError (the PDF build stopped with a traceback), and a
    record `"ab"` was read as Verdict("a", "b"), a pass for a formula never checked."""
    cache = VerdictCache(tmp_path)
    cache.put("k", Verdict(False, "x"))
    cache.save()
    cache.path.write_text(junk, encoding="utf-8")
    assert VerdictCache(tmp_path).verdicts == {}
    again = VerdictCache(tmp_path)
    again.put("k", Verdict(True))
    again.save()
    assert VerdictCache(tmp_path).get("k") == Verdict(True)
    assert [p.name for p in cache.folder.iterdir()] == [cache.path.name]  # no temporary file left


@needs_tex
def test_a_commutative_diagram_passes_the_check(tmp_path) -> None:
    """MathJax's amscd: `\\begin{CD}` (amscd.sty in the TeX layer).  Not a tex-forms page: with
    it in the same PDF, pdftotext reads the dashed array's big parentheses as control codes."""
    cd = Formula(r"\begin{CD} A @>f>> B \\ @VgVV @VVhV \\ C @>>k> D \end{CD}", True)
    assert formula_verdicts([cd], tmp_path / "_build") == [Verdict(True)]
