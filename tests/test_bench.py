"""bench/corpus_copies.py: the scale benchmark's copies look like the blog.  Each copy of an
article (of ../shared/corpus and ../shared/corpus-real) has formulas of its own — no formula of
one copy is another copy's, so no per-formula cache (the PDF's xelatex verdicts, the EPUB's
MathML) reuses another copy's work — and still the same formulas in the reader's eyes: as many,
display where they were, numbered and labelled as before, with as many rows; it converts with
the original's warnings and no more, and LaTeX typesets every formula the original's it typesets.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from converters.build import sphinx_command
from converters.config import CONFIG_NAME, load_config
from converters.convert import convert_book
from converters.model import Math, MathBlock, walk
from converters.sphinx_ext.print_book import pdf_formula_counts

from conftest import CORPUS, CORPUS_REAL, ROOT, new_project

sys.path.insert(0, str(ROOT / "bench"))
from corpus_copies import CopyStats, copy_article, marker, write_copies  # noqa: E402

COPIES = 2  # besides the article itself (copy 0)
_NAME = re.compile(r"^(?P<stem>.+)-(?P<k>\d{3})\.md$")


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """A project whose sources are each article of both corpora and COPIES copies of it,
    converted: (project, what the copies did, the conversion's result)."""
    for folder in (CORPUS, CORPUS_REAL):
        if not folder.is_dir():
            pytest.skip(f"the corpus is not at {folder} (it lives in shared/)")
    originals = len(list(CORPUS.glob("*.md"))) + len(list(CORPUS_REAL.glob("*.md")))
    project = new_project(tmp_path_factory.mktemp("copies") / "project")
    stats: dict[str, CopyStats] = {}
    write_copies((COPIES + 1) * originals, project / "sources", corpora=[CORPUS, CORPUS_REAL], stats=stats)
    result = convert_book([project / "sources"], load_config(project / CONFIG_NAME), project / "book",
                          project / "_build", use_stamp=False)
    return project, stats, result


def _by_article(names) -> dict[str, dict[int, str]]:
    """{original's stem: {k: file name of copy k}}"""
    groups: dict[str, dict[int, str]] = defaultdict(dict)
    for name in names:
        m = _NAME.match(name)
        groups[m.group("stem")][int(m.group("k"))] = name
    return groups


def _formulas(article) -> list[tuple]:
    """Each formula of an article as the book holds it (after the transforms, which turn some
    formulas into references): its TeX, and what a reader sees of where it stands and its
    number (display or inline, numbered, number, tag, and its rows')."""
    out = []
    for node in walk(article.body):
        if isinstance(node, MathBlock):
            rows = [(r.numbered, r.number, r.tag) for r in node.rows] if node.rows else None
            out.append((node.tex, ("display", node.numbered, node.number, node.tag, rows)))
        elif isinstance(node, Math):
            out.append((node.tex, ("inline",)))
    return out


def _source_name(article) -> str:
    return Path(article.sources[0].path).name


def test_every_copy_has_formulas_of_its_own_that_mean_the_same(copies) -> None:
    _, stats, result = copies
    articles = {_source_name(a): a for a in result.book.articles}
    groups = _by_article(articles)
    assert all(len(group) == COPIES + 1 for group in groups.values())
    for stem, group in groups.items():
        formulas = {k: _formulas(articles[name]) for k, name in group.items()}
        original = formulas[0]
        assert original, f"{stem} has no formula: the test would prove nothing of it"
        for k in range(1, COPIES + 1):
            assert [shape for _, shape in formulas[k]] == [shape for _, shape in original], \
                f"copy {k} of {stem}: formulas added, lost, moved or numbered differently"
            assert not stats[group[k]].unplaced, f"copy {k} of {stem}: formulas not found in the source"
        for j in range(COPIES + 1):
            for k in range(j + 1, COPIES + 1):
                shared = {tex for tex, _ in formulas[j]} & {tex for tex, _ in formulas[k]}
                assert not shared, f"copies {j} and {k} of {stem} share formulas: {sorted(shared)[:3]}"


def test_the_constant_goes_into_the_last_row_and_never_into_code_or_references() -> None:
    source = "\n".join([
        "---", 'title: "例"', 'date: "2020-01-02"', 'url: "https://kexue.fm/archives/1"', "---", "",
        "行内$a_1$与`$code$`，引用$\\eqref{eq:x}$，价格\\$5。",
        "\\begin{align}x &= 1 \\label{eq:x}\\\\", "y &= 2\\\\", "\\end{align}",
        "", "```", "$$not math$$", "```", "",
        "$$\\begin{array}{cc}1 & 2\\end{array}$$", "", "$$E = mc^2\\tag{8}$$", "",
        "由$(8)$式与$(9)$可知。", ""])
    copied = copy_article(source, "1", 4, {"1"})
    m = marker(4)
    assert f"$a_1{m}$" in copied and "`$code$`" in copied and "$\\eqref{eq:x}$" in copied
    assert f"y &= 2{m}\\\\\n\\end{{align}}" in copied  # the last row, not a new empty one
    assert "\\label{eq:x}\\\\" in copied and "$$not math$$" in copied
    assert f"\\begin{{array}}{{cc}}1 & 2{m}\\end{{array}}$$" in copied
    assert f"E = mc^2\\tag{{8}}{m}$$" in copied
    assert "$(8)$式" in copied and f"$(9){m}$" in copied  # a citation of \\tag{8}; (9) is a formula
    assert 'url: "https://kexue.fm/archives/1004"' in copied and "（副本4）" in copied


def test_copies_convert_with_no_warning_the_original_has_not(copies) -> None:
    _, _, result = copies
    warnings: dict[str, list[tuple]] = defaultdict(list)
    for d in result.diagnostics:
        m = _NAME.match(Path(d.pos.path).name) if d.pos else None
        assert m, f"a warning not about one source: {d}"
        # A warning quoting a formula quotes the copy's: without its constant it is the original's.
        warnings[m.group(0)].append((d.code, d.message.replace(marker(int(m.group("k"))), "")))
    for stem, group in _by_article(_source_name(a) for a in result.book.articles).items():
        for k in range(1, COPIES + 1):
            assert warnings.get(group[k], []) == warnings.get(group[0], []), f"copy {k} of {stem}"


@pytest.mark.sphinx
@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex missing (scripts/debian-deps book installs it)")
def test_latex_typesets_every_copy_formula_it_typesets_in_the_original(copies) -> None:
    """The PDF's formula check (the LaTeX builder, without typesetting the book): no copy has a
    formula shown verbatim that its original typesets."""
    project, _, result = copies
    docnames = {_source_name(a): a.docname for a in result.book.articles}
    latex = project / "_build" / "latex"
    proc = subprocess.run(sphinx_command(project, "latex", latex, project / "_build" / "doctrees" / "latex"),
                          cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = pdf_formula_counts(latex)
    for stem, group in _by_article(docnames).items():
        original = counts[docnames[group[0]]]
        assert original["typeset"] > 0
        for k in range(1, COPIES + 1):
            assert counts[docnames[group[k]]] == original, f"copy {k} of {stem}"
