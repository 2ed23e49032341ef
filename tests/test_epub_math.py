"""The EPUB's MathML comes from MathJax 3's TeX input (sphinx_ext/mathjax_mathml.py), as the HTML's.

Needs node and the npm package mathjax-full (`make node_modules`); the corpus-real book also needs
`../shared/corpus-real` and epubcheck.  Each test skips and says why when something is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from converters.cli import run
from converters.sphinx_ext import mathjax_mathml

from conftest import ROOT, new_project

sys.path.insert(0, str(ROOT / "bench"))
from epub_math import Tally, is_multiline  # noqa: E402  (the bench's measures, shared)

CORPUS_REAL = ROOT.parent / "shared" / "corpus-real"
EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")
MATHML = "http://www.w3.org/1998/Math/MathML"

needs_mathjax = pytest.mark.skipif(
    mathjax_mathml.node_executable() is None or mathjax_mathml.mathjax_js_dir() is None,
    reason=f"node or mathjax-full missing ({mathjax_mathml.INSTALL_HINT})")


def _for_epub(*formulas: tuple[str, bool]) -> list[etree._Element]:
    converted = mathjax_mathml.NodeEngine().convert_all(list(formulas))
    return [etree.fromstring(mathjax_mathml.for_epub(m, tex).encode()) for m, (tex, _) in zip(converted, formulas)]


def _cells_text(math) -> list[str]:
    return ["".join(td.itertext()) for td in math.iter(f"{{{MATHML}}}mtd")]


@needs_mathjax
def test_mathjax_forms_become_mathml_an_epub_reader_draws() -> None:
    eqnarray, dashed, table, functions, rows, styled, letters = _for_epub(
        (r"\begin{eqnarray*} \delta(x)=\delta(-x) \\ x\delta(x-x_0)=x_0 \delta(x-x_0)\end{eqnarray*}", True),
        (r"\left(\begin{array}{cc:cc}1 & 2 & 3 & 4 \\ \hdashline 5 & 6 & 7 & 8\end{array}\right)", True),
        (r"\begin{array}{c|cc}\hline \text{时间} & 0 & 10\\ \hline x_1 & 100 & 165\\ \hline\end{array}", True),
        (r"\cos x\theta + \operatorname{tr} A + \lim_{a\to\infty} f(a) + \sin(x)", False),
        (r"\begin{align} a &= b \tag{3} \\ c &= d \tag{4} \end{align}", True),
        (r"\require{cancel}\color{red}{x} + \class{foo}{y} + \cssId{a:b}{z} + \style{position:fixed}{w}"
         r" + \href{javascript:alert(1)}{v}", False),
        (r"\mathcal{L} + \mathbb{E} + \boldsymbol{\theta}", False),
    )
    assert len(list(eqnarray.iter(f"{{{MATHML}}}mtr"))) == 2  # two rows, not one line
    assert len(list(dashed.iter(f"{{{MATHML}}}mtr"))) == 2
    assert not any("cc:cc" in cell or ":" in cell for cell in _cells_text(dashed))  # no column spec printed
    dashes = [td.get("style", "") for td in dashed.iter(f"{{{MATHML}}}mtd")]
    assert sum("border-right: 0.06em dashed" in s for s in dashes) == 2  # the `:` between the blocks
    assert sum("border-bottom: 0.06em dashed" in s for s in dashes) == 4  # the \hdashline
    assert _cells_text(table)[:3] == ["时间", "0", "10"]
    assert any("border-right: 0.06em solid" in td.get("style", "") for td in table.iter(f"{{{MATHML}}}mtd"))
    # cos, tr, lim (after its a→∞) and sin are each followed by function application, with
    # TeX's thin space except before a parenthesis.
    children = [(e.tag.split("}")[1], "".join(e.itertext()), e.get("rspace")) for e in functions]
    applications = [i for i, c in enumerate(children) if c[1] == "\u2061"]
    assert [children[i - 1][1] for i in applications] == ["cos", "tr", "lima→∞", "sin"]
    assert [children[i][2] for i in applications] == ["0.1667em", "0.1667em", "0.1667em", "0em"]
    assert not list(rows.iter(f"{{{MATHML}}}mlabeledtr"))  # MathML Core has no mlabeledtr
    assert [" ".join("".join(tr.itertext()).split()) for tr in rows.iter(f"{{{MATHML}}}mtr")] == ["a=b(3)", "c=d(4)"]
    attributes = {name for e in styled.iter() for name in e.attrib}
    assert not attributes & {"class", "id", "href"} and not any(a.startswith("data-") for a in attributes)
    assert styled.find(f".//{{{MATHML}}}mstyle").get("mathcolor") == "red"
    assert "style" not in attributes  # no CSS from a source
    assert "".join(letters.itertext()) == "ℒ+𝔼+𝜽"  # MathML Core draws no mathvariant but these
    assert eqnarray.get("alttext").startswith(r"\begin{eqnarray*} \delta(x)")


@needs_mathjax
def test_a_formula_mathjax_rejects_is_none() -> None:
    assert mathjax_mathml.NodeEngine().convert_all([(r"\undefinedmacro{y}", True), ("x", False)])[0] is None


def _counting_node(folder: Path) -> tuple[Path, Path]:
    """A node that notes each start in a log (how many MathJax processes a build ran) and the
    formulas sent to it in `<log>.requests.<pid>` (`_requests`)."""
    log = folder / "node-starts.log"
    wrapper = folder / "node"
    # One requests file per process ($$): the lines of processes running at once never mix.
    wrapper.write_text(f'#!/bin/sh\necho start >> "{log}"\n'
                       f'tee -a "{log}.requests.$$" | "{mathjax_mathml.node_executable()}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper, log


@pytest.fixture(scope="module")
def real_epub(tmp_path_factory):
    """The EPUB of ../shared/corpus-real, built with two Sphinx processes and a counting node."""
    if not CORPUS_REAL.is_dir():
        pytest.skip(f"the real articles are not at {CORPUS_REAL} (they live in shared/)")
    if mathjax_mathml.node_executable() is None or mathjax_mathml.mathjax_js_dir() is None:
        pytest.skip(f"node or mathjax-full missing ({mathjax_mathml.INSTALL_HINT})")
    folder = tmp_path_factory.mktemp("real-epub")
    project = new_project(folder / "project")
    wrapper, log = _counting_node(folder)
    os.environ[mathjax_mathml.NODE_ENV] = str(wrapper)
    try:
        assert run(["--project", str(project), "build", "-q", "--format", "epub", "-j", "2", str(CORPUS_REAL)]) == 0
    finally:
        del os.environ[mathjax_mathml.NODE_ENV]
    return project / "_build" / "epub" / "kexue-book.epub", log


def _requests(log: Path) -> list[str]:
    """The requests the counting node received, by all its processes."""
    return [line for path in sorted(log.parent.glob(f"{log.name}.requests.*"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def _maths(epub: Path) -> list[tuple[str, etree._Element]]:
    found = []
    with zipfile.ZipFile(epub) as book:
        for name in book.namelist():
            if name.endswith(".xhtml"):
                page = etree.fromstring(book.read(name))
                found += [(name, m) for m in page.iter(f"{{{MATHML}}}math")]
                assert not page.xpath('//*[contains(@class, "formula-tex")]'), f"{name}: a formula shown as TeX"
    return found


def test_real_articles_epub_math_as_the_blog_shows_it(real_epub) -> None:
    epub, log = real_epub
    maths = _maths(epub)
    assert maths
    tally = Tally("book")
    for name, math in maths:
        tex = math.get("alttext")
        assert tex, f"{name}: a <math> without alttext"
        tally.add(tex, etree.tostring(math, encoding="unicode"))
    assert tally.raw == 0, tally.examples  # no TeX left, in a fallback or inside the MathML
    assert tally.multiline > 0 and tally.rows_kept == tally.multiline, tally.examples.get("rows lost")
    assert tally.arrays > 0 and tally.specs_shown == 0, tally.examples.get("column spec shown")
    names, applied = tally.functions + tally.limits, tally.functions_applied + tally.limits_applied
    assert names > 0 and applied / names >= 0.95, (applied, names)
    assert sum(1 for _, m in maths if is_multiline(m.get("alttext"))) == tally.multiline


def test_mathjax_processes_per_build(real_epub) -> None:
    """Not a process per page or per writer: one per FORMULAS_PER_PROCESS formulas, at most one
    per core, all of them started once for the whole build (`-j 2`)."""
    epub, log = real_epub
    formulas = len(_requests(log))
    starts = log.read_text().splitlines()
    assert starts == ["start"] * mathjax_mathml.processes_for(formulas)
    assert len(starts) <= len(os.sched_getaffinity(0))


@needs_mathjax
def test_answers_are_the_same_however_many_node_processes(real_epub) -> None:
    """The real articles' formulas (as the EPUB build sent them) through one node process and
    through two and three at once: the same MathML, formula by formula."""
    formulas = [(r["tex"], r["display"]) for r in map(json.loads, _requests(real_epub[1]))]
    engine = mathjax_mathml.NodeEngine()
    alone = engine.convert_all(formulas, processes=1)
    assert len(formulas) > 100 and sum(m is not None for m in alone) > 100
    assert engine.convert_all(formulas, processes=2) == alone
    assert engine.convert_all(formulas, processes=3) == alone


def test_processes_for_a_few_formulas_and_many(monkeypatch) -> None:
    monkeypatch.delenv(mathjax_mathml.PROCESSES_ENV, raising=False)
    cores = len(os.sched_getaffinity(0))
    assert mathjax_mathml.processes_for(0) == mathjax_mathml.processes_for(1) == 1
    assert mathjax_mathml.processes_for(mathjax_mathml.FORMULAS_PER_PROCESS) == 1
    assert mathjax_mathml.processes_for(100_000) == cores
    monkeypatch.setenv(mathjax_mathml.PROCESSES_ENV, "3")
    assert mathjax_mathml.processes_for(100_000) == 3
    assert mathjax_mathml.processes_for(mathjax_mathml.FORMULAS_PER_PROCESS + 1) == 2


@pytest.mark.skipif(not (EPUBCHECK_JAR.is_file() and shutil.which("java")), reason="epubcheck missing")
def test_real_articles_epub_passes_epubcheck(real_epub) -> None:
    epub, _ = real_epub
    proc = subprocess.run(["java", "-jar", str(EPUBCHECK_JAR), str(epub)], capture_output=True, text=True)
    summary = re.search(r"Messages: (\d+) fatals / (\d+) errors / (\d+) warnings", proc.stdout + proc.stderr)
    assert summary and summary.groups() == ("0", "0", "0"), proc.stdout + proc.stderr


@needs_mathjax
def test_a_formula_met_late_goes_through_one_open_process() -> None:
    engine = mathjax_mathml.NodeEngine()
    first, second = engine.convert_one("x^2", False), engine.convert_one(r"\frac{1}{2", True)
    assert "<msup>" in first and second is None
    engine._open.stdin.close()
    assert engine._open.wait(timeout=10) == 0


def test_without_mathjax_the_epub_builds_with_latex2mathml_and_says_so(tmp_path: Path, capsys, monkeypatch) -> None:
    project = new_project(tmp_path / "project")
    source = tmp_path / "a.md"
    source.write_text("---\ntitle: 没有MathJax\nurl: https://kexue.fm/archives/90301\n---\n\n公式$x^2$与\n\n"
                      "$$\\begin{aligned}a&=b\\\\c&=d\\end{aligned}$$\n", encoding="utf-8")
    monkeypatch.setenv(mathjax_mathml.JS_DIR_ENV, str(tmp_path / "no-mathjax"))
    assert run(["--project", str(project), "build", "--format", "epub", str(source)]) == 0
    err = capsys.readouterr().err
    assert "[KB122]" in err and "make node_modules" in err and "no-mathjax" in err
    with zipfile.ZipFile(project / "_build" / "epub" / "kexue-book.epub") as book:
        page = book.read("misc/a90301.xhtml").decode("utf-8")
    assert page.count("<math ") == 2 and page.count("alttext=") == 2 and "formula-tex" not in page


@needs_mathjax
def test_a_later_build_converts_only_new_formulas(tmp_path: Path, monkeypatch) -> None:
    project = new_project(tmp_path / "project")
    wrapper, log = _counting_node(tmp_path)
    monkeypatch.setenv(mathjax_mathml.NODE_ENV, str(wrapper))
    source = tmp_path / "a.md"

    def build(formula: str) -> str:
        source.write_text(f"---\ntitle: 缓存\nurl: https://kexue.fm/archives/90302\n---\n\n公式$x^2$与${formula}$。\n",
                          encoding="utf-8")
        assert run(["--project", str(project), "build", "-q", "--format", "epub", str(source)]) == 0
        with zipfile.ZipFile(project / "_build" / "epub" / "kexue-book.epub") as book:
            return book.read("misc/a90302.xhtml").decode("utf-8")

    build(r"\cos y")
    assert len(log.read_text().splitlines()) == 1 and len(_requests(log)) == 2
    page = build(r"\sin z")  # one new formula: MathJax once more, for it alone
    assert len(log.read_text().splitlines()) == 2 and len(_requests(log)) == 3
    assert 'alttext="\\sin z"' in page and "<mi>sin</mi>" in page
    cache = (project / "_build" / "doctrees" / "epub" / "kexue-mathml.json").read_text(encoding="utf-8")
    assert "\\\\sin z" in cache and "\\\\cos y" not in cache  # formulas no page holds are dropped
    build(r"\cos y")  # back to a formula seen two builds ago: converted again, the cache held the last build's
    assert len(log.read_text().splitlines()) == 3


MATHJAX_FORMS = r"""---
title: MathJax 的写法
url: https://kexue.fm/archives/90303
---

颜色与盒子：$\color{red}{x} + \bbox[5px,border:2px solid red]{y} + \class{foo}{z} + \cssId{a:b}{w} + \style{color:blue}{v} + \href{https://kexue.fm}{k}$。

引入包：$\require{cancel}\cancel{x} + \unicode{x263A} + \mathcal{L} + \mathscr{F} + \boldsymbol{f(\boldsymbol{x};\boldsymbol{\theta})}$。

$$\begin{eqnarray*} \delta(x)=\delta(-x) \\ x\delta(x-x_0)=x_0 \delta(x-x_0)\end{eqnarray*}$$

$$\left(\begin{array}{cc:cc}1 & 2 & 3 & 4 \\ \hdashline 5 & 6 & 7 & 8\end{array}\right)$$

$$\begin{array}{c|cc}\hline \text{时间} & 0 & 10\\ \hline x_1 & 100 & 165 \\ \hline\end{array}$$

$$\begin{gathered} x \\[12pt] y \end{gathered} \quad \begin{array}{ll}\begin{aligned}&a = b\\&c = d\end{aligned} & \begin{aligned}&e = f\\&g = h\end{aligned}\end{array}$$
"""


@needs_mathjax
@pytest.mark.skipif(not (EPUBCHECK_JAR.is_file() and shutil.which("java")), reason="epubcheck missing")
def test_mathjax_only_forms_pass_epubcheck(tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    source = tmp_path / "forms.md"
    source.write_text(MATHJAX_FORMS, encoding="utf-8")
    assert run(["--project", str(project), "build", "-q", "--format", "epub", str(source)]) == 0
    epub = project / "_build" / "epub" / "kexue-book.epub"
    assert len(_maths(epub)) == 6
    proc = subprocess.run(["java", "-jar", str(EPUBCHECK_JAR), str(epub)], capture_output=True, text=True)
    summary = re.search(r"Messages: (\d+) fatals / (\d+) errors / (\d+) warnings", proc.stdout + proc.stderr)
    assert summary and summary.groups() == ("0", "0", "0"), proc.stdout + proc.stderr


@needs_mathjax
def test_mathml_mathjax_writes_with_characters_xml_forbids_is_none() -> None:
    r"""`\unicode{xFFFF}` (a reference XML forbids), `\unicode{1}` (a raw control character) and
    `\unicode{xD800}` (a lone surrogate) are formulas MathJax accepts; its MathML of them is no
    XML, and the EPUB build died on it (a traceback, no EPUB for the whole book)."""
    formulas = [(r"\unicode{xFFFF}", False), (r"\unicode{1}", False), (r"\unicode{xD800}", True), ("x", False)]
    converted = mathjax_mathml.NodeEngine().convert_all(formulas)
    assert all(converted)  # MathJax itself accepts them
    assert [mathjax_mathml.for_epub(m, tex) for m, (tex, _) in zip(converted, formulas)][:3] == [None] * 3


@needs_mathjax
def test_no_address_a_reader_would_fetch() -> None:
    r"""`\mmlToken` may give a token element any MathML attribute: an `mglyph` with `src` is an
    image an e-reader loads from the web (or from its own disk)."""
    glyph, image, link = _for_epub((r"\mmlToken{mglyph}[src='http://evil.example/x.png',alt='x']{}", False),
                                   (r"\mmlToken{mi}[altimg='file:///etc/passwd']{y}", False),
                                   (r"\href{https://kexue.fm}{k}", False))
    values = [value for math in (glyph, image) for e in math.iter() for name, value in e.attrib.items()
              if name != "alttext"]
    assert not any("evil.example" in v or "file:" in v for v in values), values
    assert link.find(f".//{{{MATHML}}}mi").get("href") == "https://kexue.fm"  # a web link stays


@needs_mathjax
def test_an_answer_holding_a_unicode_line_end_is_one_answer() -> None:
    """The answers are JSON lines; JSON leaves U+0085 raw in a string (here MathJax's error message
    quoting the formula), so reading them with str.splitlines took one answer for two and sent the
    whole book to latex2mathml."""
    formulas = [("\\mmlToken{m\u0085i}{x}", True), ("x^2", False)]
    first, second = mathjax_mathml.NodeEngine().convert_all(formulas)
    assert first is None and "<msup>" in second


@needs_mathjax
def test_a_formula_mathjax_writes_as_no_xml_is_shown_as_tex(tmp_path: Path, capsys) -> None:
    project = new_project(tmp_path / "project")
    source = tmp_path / "a.md"
    deep = "x^{" * 500 + "y" + "}" * 500  # MathJax's MathML of it nests deeper than ElementTree writes
    source.write_text("---\ntitle: 非法字符\nurl: https://kexue.fm/archives/90304\n---\n\n"
                      f"公式$\\unicode{{xFFFF}}$与$\\cos x$。\n\n$${deep}$$\n", encoding="utf-8")
    assert run(["--project", str(project), "build", "--format", "epub", str(source)]) == 0
    assert capsys.readouterr().err.count("[KB121]") == 2
    with zipfile.ZipFile(project / "_build" / "epub" / "kexue-book.epub") as book:
        page = book.read("misc/a90304.xhtml").decode("utf-8")
    assert '<code class="formula-tex">\\unicode{xFFFF}</code>' in page and 'alttext="\\cos x"' in page


@needs_mathjax
def test_what_a_formula_defines_stays_in_that_formula() -> None:
    r"""One MathJax document serves the whole book (in no page's order, cached per formula); what a
    formula defined applied to every formula after it: one article's
    `\DeclareMathOperator{\sin}{篡改}` printed 篡改 for another article's `\sin x` in the EPUB."""
    uses = [(r"\sin x", False), (r"\yy", False), (r"\zz", False), (r"\begin{cases}1\end{cases}", True),
            (r"y\label{a}", True)]
    engine = mathjax_mathml.NodeEngine()
    alone = [engine.convert_all([use])[0] for use in uses]
    after = engine.convert_all([
        (r"\DeclareMathOperator{\sin}{篡改} a", False), uses[0], (r"\def\yy{\alpha} b", False), uses[1],
        (r"\let\zz\beta c", False), uses[2], (r"\newenvironment{cases}{\text{篡改}}{} d", True), uses[3],
        (r"x\label{a}", True), uses[4]])[1::2]
    assert after == alone
    assert alone[1] is None and alone[2] is None and "<mi>sin</mi>" in alone[0]
