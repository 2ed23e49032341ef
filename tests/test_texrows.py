"""texrows.py: the rows of align & co. and their numbers, as MathJax 3 with `tags: 'ams'` shows them.

Each expectation below was read from MathJax itself (the copy the book serves), one formula after
another on one page: `test_equation_rows.py` asks MathJax again for the fixture article.
"""

from __future__ import annotations

import re

import pytest
from latex2mathml.converter import convert

from converters import texrows

# (formula, numbers of its rows with the count at 0 before it); None: not one row environment.
CASES = [
    (r"\begin{align}a&=b\\ c&=d\\ \end{align}", [1, 2, None]),  # a trailing \\ makes no row
    (r"\begin{align}a&=b\label{x}\\ c&=d\nonumber\\ e&=f\tag{9}\\ g&=h\end{align}", [1, None, "9", 2]),
    (r"\begin{multline}a\\ b\\ c\end{multline}", [None, None, 1]),
    (r"\begin{eqnarray}a&=&b\\ c&=&d\end{eqnarray}", [1, 2]),
    (r"\begin{gather}a\\ b\notag\\ c\end{gather}", [1, None, 2]),
    (r"\begin{alignat}{2}a&=b&c&=d\\ e&=f\end{alignat}", [1, 2]),
    (r"\begin{flalign}a&=b\\ e&=f\end{flalign}", [1, 2]),
    (r"\begin{align}a&=b\\[4pt] c&=d\\[2pt]\end{align}", [1, 2, None]),
    (r"\begin{align}a&=\begin{cases}1\\2\end{cases}\\ c&=d \end{align}", [1, 2]),  # nested rows are not rows
    (r"\begin{align}a&=\substack{i\\j}\\ c&=d \end{align}", [1, 2]),
    (r"\begin{align}a&=b\\ \\ c&=d\end{align}", [1, 2, 3]),  # an empty row inside counts
    (r"\begin{align}a&=b \nonumber \\ \end{align}", [None, None]),
    (r"\begin{align*}a&=b\tag{5} \\ c&=d\end{align*}", ["5", None]),
    (r"\begin{eqnarray*}a&=&b\tag{6} \\ c&=&d\end{eqnarray*}", ["6", None]),
    (r"\begin{align}\label{y}a&=b\\ c\label{z}&=d \end{align}", [1, 2]),
    (r"\begin{equation}\begin{aligned}a&=b\\ c&=d\end{aligned}\end{equation}", None),
    (r"\begin{align}a&=b\\ c&=d \end{align} x", None),
    (r"\begin{align}a&=b\end{align}\begin{align}c\end{align}", None),
]


@pytest.mark.parametrize("tex,expected", CASES)
def test_rows_are_numbered_as_mathjax_numbers_them(tex: str, expected) -> None:
    env = texrows.parse(tex)
    if expected is None:
        assert env is None
        return
    assert env.source() == tex  # the text comes back exactly as written
    found, after = texrows.numbers(env, 0)
    assert found == expected
    assert after == max([n for n in found if isinstance(n, int)], default=0)


def test_numbers_continue_the_count_and_labels_move_to_their_rows() -> None:
    env = texrows.parse(r"\begin{align}a&=b\label{old}\\ c&=d\nonumber\\ e&=f\end{align}")
    assert texrows.numbers(env, 7) == ([8, None, 9], 9)
    relabelled = texrows.parse(texrows.with_labels(env, ["p-eq8", None, "p-eq9"]))
    assert [texrows.marks(r).label for r in relabelled.rows] == ["p-eq8", None, "p-eq9"]


def test_latex_text_tags_every_row_and_makes_eqnarray_an_align() -> None:
    env = texrows.parse(r"\begin{eqnarray}f &=& g\label{a}\\ &\leq& h\nonumber\\ &=& k\end{eqnarray}")
    found, _ = texrows.numbers(env, 3)
    latex = texrows.tagged(env, found, ["L1", None, "L3"], eqnarray_as_align=True)
    assert latex == (r"\begin{align}f &= g\tag{4}\label{L1}\\ &\leq h\notag\\ &= k\tag{5}\label{L3}"
                     r"\end{align}")
    multline = texrows.parse(r"\begin{multline}a\\ b\label{m}\end{multline}")
    assert texrows.tagged(multline, texrows.numbers(multline, 0)[0]) == r"\begin{multline}a\\ b\tag{1}\end{multline}"


@pytest.mark.parametrize("tex", [r"\begin{eqnarray*}a = b\\ c = d\end{eqnarray*}",
                                 r"\begin{align}a&=b\\ &=c\nonumber\end{align}",
                                 r"\begin{gather}a\nonumber\\ b\end{gather}"])
def test_epub_array_keeps_every_row_and_its_number(tex: str) -> None:
    """The array the EPUB's MathML is made from: one MathML row per row (latex2mathml drops a last
    row ending in an empty cell, so none is empty), the numbers in the last column."""
    env = texrows.parse(tex)
    found, _ = texrows.numbers(env, 0)
    mathml = convert(texrows.numbered_array(env, found))
    assert len(re.findall(r"<mtr>", mathml)) == len(env.rows)
    assert re.findall(r"<mtext>\((\d+)\)</mtext>", mathml) == [str(n) for n in found if n is not None]


def test_writing_a_long_multline_asks_its_rows_once(monkeypatch) -> None:
    """`tagged` asked for the kept rows once per row of a `multline` (a quadratic build: a
    `multline` of 100,000 `\\\\` rows in one article held each format's build for minutes).
    Counted, not timed: the number of times the rows are listed does not grow with them."""
    calls = []
    kept = texrows.RowEnv.kept
    monkeypatch.setattr(texrows.RowEnv, "kept", lambda self: calls.append(1) or kept(self))

    def listings(rows: int) -> int:
        env = texrows.parse(r"\begin{multline}" + "a\\\\" * rows + r"b\end{multline}")
        found, _ = texrows.numbers(env, 0)
        calls.clear()
        out = texrows.tagged(env, found)
        assert out.count("\\tag{1}") == 1 and out.count("\\\\") == rows
        return len(calls)

    assert listings(1000) == listings(3)
