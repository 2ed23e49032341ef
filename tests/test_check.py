"""`kexue-book check`: a fidelity report of the built HTML against the sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from converters.cli import run

from conftest import CORPUS, ROOT

# A test-only extension that drops one paragraph from the built page: a loss check must see.
DROPPING_EXTENSION = '''
from docutils import nodes


def drop(app, doctree):
    for node in list(doctree.findall(nodes.paragraph)):
        if "KEXUE-DROP-ME" in node.astext():
            node.parent.remove(node)


def setup(app):
    app.connect("doctree-read", drop)
    return {"parallel_read_safe": True}
'''


def _report(project: Path, sources: list[str], capsys) -> tuple[int, dict]:
    code = run(["--project", str(project), "check", "--json", *sources])
    return code, json.loads(capsys.readouterr().out)


def test_seeds_lose_nothing(project: Path, capsys) -> None:
    code, report = _report(project, [str(ROOT / "sources")], capsys)
    totals = report["totals"]
    assert code == 0 and totals["lost"] == 0, [a for a in report["articles"] if a["lost"]]
    assert totals["paragraphs"]["source"] > 100 and totals["paragraphs"]["shown"] == totals["paragraphs"]["source"]


def test_corpus_loses_nothing(project: Path, capsys) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus is not at {CORPUS} (it lives in shared/)")
    code, report = _report(project, [str(CORPUS)], capsys)
    totals = report["totals"]
    assert code == 0 and totals["lost"] == 0, [a for a in report["articles"] if a["lost"]]
    assert totals["paragraphs"]["shown"] == totals["paragraphs"]["source"] > 100
    assert totals["formulas"]["shown"] == totals["formulas"]["source"] > 1000
    assert totals["figures"]["source"] > 0 and totals["citations"]["source"] > 0
    assert totals["unresolved_eqrefs"] == 0


def test_a_lost_paragraph_is_reported(project: Path, capsys) -> None:
    (project / "drop_marker.py").write_text(DROPPING_EXTENSION, encoding="utf-8")
    with open(project / "conf.py", "a", encoding="utf-8") as conf:
        conf.write("\nsys.path.insert(0, str(Path(__file__).parent))\nextensions.append('drop_marker')\n")
    source = project / "a.md"
    source.write_text("---\ntitle: 丢段落\nurl: https://kexue.fm/archives/90201\n---\n\n第一段。\n\n"
                      "第二段KEXUE-DROP-ME会被测试扩展删掉。\n\n第三段，公式$x^2$。\n", encoding="utf-8")
    code, report = _report(project, [str(source)], capsys)
    article = report["articles"][0]
    assert code == 1 and report["totals"]["lost"] == 1
    assert article["paragraphs"] == {"source": 3, "shown": 2}
    assert article["missing_text"] == ["第二段KEXUE-DROP-ME会被测试扩展删掉。"]
    assert article["formulas"] == {"source": 1, "shown": 1}


def test_check_all_formats_counts_formulas_shown_as_tex(project: Path, capsys) -> None:
    """`check --format all`: per article, formulas typeset/verbatim in the PDF and MathML/TeX in the
    EPUB; a formula shown as TeX is lost (exit 1), unless --allow-verbatim."""
    import shutil

    import pytest

    from converters.sphinx_ext import mathjax_mathml

    if not (shutil.which("xelatex") and shutil.which("latexmk")):
        pytest.skip("xelatex/latexmk missing (scripts/debian-deps book installs them)")
    if mathjax_mathml.node_executable() is None or mathjax_mathml.mathjax_js_dir() is None:
        pytest.skip(f"node or mathjax-full missing ({mathjax_mathml.INSTALL_HINT})")
    source = str(ROOT / "tests" / "fixtures" / "md-broken-formula" / "input.md")
    code = run(["--project", str(project), "check", "--format", "all", "--json", source])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    article = report["articles"][0]
    # \undefinedmacro and the unclosed \frac: verbatim in the PDF, TeX in the EPUB; the other two typeset.
    assert article["formulas"] == {"source": 4, "shown": 4}
    assert (article["pdf_verbatim"], article["pdf_typeset"]) == (2, 2)
    assert (article["epub_fallback"], article["epub_mathml"]) == (2, 2)
    assert code == 1 and article["lost"] == 4 and report["totals"]["lost"] == 4
    assert report["totals"]["epub_engine"].startswith("mathjax 3.2")
    assert "[KB111]" in captured.err and "[KB121]" in captured.err
    # The same build again (nothing rebuilt): reported, not lost.
    assert run(["--project", str(project), "check", "--format", "all", "--allow-verbatim", source]) == 0
    out = capsys.readouterr().out
    assert "pdf ∑2/4 typeset epub ∑2/4 MathML" in out and "(verbatim allowed); lost 0" in out


def test_an_eqref_left_as_text_is_lost(project: Path, capsys) -> None:
    """An `\\eqref` the book cannot link (here: to a row the blog leaves unnumbered) is printed as
    its label; the report names it unresolved and counts it lost.  A row's own label is a link."""
    source = project / "a.md"
    source.write_text("---\ntitle: 引用\nurl: https://kexue.fm/archives/90202\n---\n\n"
                      "$$\\begin{align}a &= b\\label{eq:a}\\\\\nc &= d\\label{eq:b}\\\\\n"
                      "e &= f\\nonumber\\label{eq:c}\\end{align}$$\n\n"
                      "由$\\eqref{eq:a}$、$\\eqref{eq:b}$和$\\eqref{eq:c}$可知。\n", encoding="utf-8")
    code, report = _report(project, [str(source)], capsys)
    article = report["articles"][0]
    assert article["unresolved_eqrefs"] == ["eq:c"] and report["totals"]["unresolved_eqrefs"] == 1
    assert article["eqrefs"] == {"source": 3, "shown": 2}
    assert code == 1 and report["totals"]["lost"] == 1
