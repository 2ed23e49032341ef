"""The writer's promise: source text reads as itself in MyST, and what it emits is what it means."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from converters.model import (Article, DocRef, EqRef, Math, MathBlock, Meta, Paragraph, SourcePos,
                              Strong, Text)
from converters.writers.myst import BlockRenderer, PageContext, escape, write_myst

NASTY = [
    "# 不是标题", "## 也不是", "> 不是引用", "- 不是列表", "+ 不是列表", "* 不是列表", "1. 不是列表",
    "2019.08.20更新", "3) 也不是", "(target)=", "% 不是注释", ":::{note}", "```", "~~~",
    "{eq}`x` 与 {cite}`y`", "[链接](http://x)", "![图](y.png)", "**粗** 与 *斜* 与 _下_",
    "<div>不是 HTML</div>", "&amp; 与 &#x41;", "价格 5$ 与 $x$", "| a | b |", "\\begin{equation}",
    "a\\\\b", "    缩进的文字", "---", "===", "<https://example.com>", "{{ subst }}", "[^1] 脚注",
    "行尾两个空格  ", "http://example.com/a_b*c",
]

PARSER = create_md_parser(MdParserConfig(enable_extensions={"dollarmath"}), RendererHTML)


def rendered_text(markdown: str) -> tuple[str, str]:
    out = PARSER.render(markdown)
    text = html.unescape(re.sub(r"<[^>]+>", "", out)).strip()
    return out, text


@pytest.mark.parametrize("source", NASTY)
def test_text_is_data(source: str) -> None:
    out, text = rendered_text(escape(source, line_start=True))
    assert re.fullmatch(r"<p>.*</p>\s*", out, re.S), f"escaped text became markup: {out!r}"
    assert text == source.strip()


def test_paragraph_starting_with_marker_after_strong() -> None:
    renderer = BlockRenderer(PageContext("misc/a"))
    md = renderer.paragraph(Paragraph([Text("  1. 开头"), Strong([Text("粗")]), Text("# 尾")]))
    out, text = rendered_text(md)
    assert "<strong>粗</strong>" in out and text == "1. 开头粗# 尾"


def test_links_between_pages_are_relative() -> None:
    ctx = PageContext("vae/a8404")
    assert ctx.link_to("vae/a7381") == "a7381.md"
    assert ctx.link_to("misc/x") == "../misc/x.md"
    renderer = BlockRenderer(ctx)
    md = renderer.paragraph(Paragraph([DocRef("misc/x", [Text("《标题*》")])]))
    assert md == "[《标题\\*》](../misc/x.md)"


def test_math_block_with_and_without_label() -> None:
    renderer = BlockRenderer(PageContext("a/b"))
    assert renderer.math(MathBlock("x\n\ny", numbered=True, label="b-eq1")) == "$$\nx\ny\n$$ (b-eq1)"
    assert renderer.math(MathBlock("x", numbered=False)) == "$$\nx\n$$"


def test_eqref_resolved_and_unresolved() -> None:
    renderer = BlockRenderer(PageContext("a/b"))
    para = Paragraph([Text("由"), EqRef("b-eq-p", resolved=True), Text("与"), EqRef("eq:x"), Math("a_1")])
    assert renderer.paragraph(para) == "由{eq}`b-eq-p`与(eq:x)$a_1$"


def test_page_has_front_matter_title_and_excerpt_link() -> None:
    article = Article(Meta(title="标题（一）：*测试*", url=None), [Paragraph([Text("正文")])],
                      [SourcePos("x.txt", 1)], excerpt=True, docname="misc/t", slug="t")
    page = write_myst(article)
    assert page.startswith("---\ngenerator: kexue-book\n")
    assert "\n# 标题（一）：\\*测试\\*\n" in page
    assert "https://kexue.fm/search/" in page and "阅读全文" in page


@pytest.mark.parametrize("before, children, after, expected_html", [
    ("", [Text("摘要：")], "本文", "<strong>摘要：</strong>本文"),
    ("这是", [Text("“引号”")], "内容", "这是<strong>“引号”</strong>内容"),
    ("——", [Text("只需加入BN")], "——", "——<strong>只需加入BN</strong>——"),
    ("", [Text("a\\b `c`")], "。", "<strong>a\\b `c`</strong>。"),
])
def test_bold_next_to_chinese_punctuation_stays_bold(before, children, after, expected_html) -> None:
    renderer = BlockRenderer(PageContext("a/b"))
    nodes = ([Text(before)] if before else []) + [Strong(children)] + [Text(after)]
    md = renderer.paragraph(Paragraph(nodes))
    if "{strong}" in md:  # the role form: its text must be the bold text, escapes undone by docutils
        m = re.search(r"\{strong\}(`+) ?(.*?) ?\1", md)
        assert m and m.group(2).replace("\\\\", "\\") == expected_html.split("<strong>")[1].split("</strong>")[0]
    else:
        out, _ = rendered_text(md)
        assert expected_html in out


# --- issue 20: whatever string a reader hands over, inline output stays on one line ------------

# Every line end of markdown-it (\r\n, \r, \n) and of str.splitlines(), which MyST applies to a
# directive's body (a figure's caption): \v, \f, \x1c-\x1e, NEL, U+2028, U+2029.
LINE_ENDS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r", "VT": "\v", "FF": "\f", "FS": "\x1c", "GS": "\x1d",
             "RS": "\x1e", "NEL": "\x85", "LS": "\u2028", "PS": "\u2029"}
PAYLOAD = ["x", "```{eval-rst}", ".. raw:: html", "", "   <script>alert(1)</script>", "```",
           ":::{include} /etc/passwd", ":::", "- item", "# heading", "(target)=", "% comment", "---", "y"]


def _inline_sinks(text: str) -> list:
    """`text` in every inline node a reader can make: text, code, math, link text and title,
    emphasis (both forms), an image's alt."""
    from converters.model import Code, Emph, Link
    return [Text(text), Code(text), Math(text), Link("https://x.org/", [Text(text)], text),
            Link("https://x.org/", [Code(text)]), Strong([Text(text)]), Emph([Text(f"“{text}”")]),
            Strong([Code(text), Math(text)])]


def _page_with(nodes: list) -> str:
    """`nodes` in a paragraph, after a hard line break, in a heading, a table cell and a caption."""
    from converters.model import Figure, Heading, LineBreak, Table
    body = [Paragraph([Text("前"), *nodes, Text("后")]), Paragraph([Text("行"), LineBreak(), *nodes]),
            Heading(2, [Text("标题"), *nodes]), Table([[Text("甲"), Text("乙")]], [[[Text("前"), *nodes], [Text("丙")]]]),
            Figure([Text("图注"), *nodes], "https://x.org/a.png", alt="图")]
    article = Article(Meta(title="t", url="https://kexue.fm/archives/1"), body, [SourcePos("x.html", 1)],
                      docname="misc/a1", slug="a1")
    return write_myst(article)


@pytest.mark.parametrize("end", LINE_ENDS.values(), ids=LINE_ENDS.keys())
def test_a_line_end_in_any_inline_makes_no_markup(end: str) -> None:
    from converters.validate import foreign_markup, page_markup
    page = _page_with(_inline_sinks(end.join(PAYLOAD)))
    assert not foreign_markup(page), foreign_markup(page)
    # The same blocks and markup as with spaces in place of the line ends: nothing split off.
    plain = _page_with(_inline_sinks(" ".join(PAYLOAD)))
    assert _blocks(page) == _blocks(plain) and page_markup(page) == page_markup(plain)


def _blocks(page: str) -> list[str]:
    from converters.validate import _parser
    return [t.type for t in _parser().parse(page) if t.level == 0]


def _formulas(markdown: str) -> list[str]:
    """The inline formulas MyST reads on a page: `$…$` and the {math} role."""
    from converters.validate import _parser
    found = []
    for token in _parser().parse(markdown):
        for child in token.children or []:
            if child.type == "math_inline" or (child.type == "myst_role" and child.meta.get("name") == "math"):
                found.append(child.content)
    return found


@pytest.mark.parametrize("tex", ["a\\$b", "a\\\\$b", "\\text{$y$}", "|x|", "\\|x\\|", "a`b", "``x``",
                                 "\\$", "$", "a\\\\", "\\{a|b\\}", "x_1 \\\\\n y"])
def test_any_formula_reads_back_as_itself(tex: str) -> None:
    # Finding 6 of issue 20: `a\$b`-like TeX was read by MyST as formula `a\` and text `b$`.
    from converters.model import Table
    renderer = BlockRenderer(PageContext("misc/a"))
    expected = " ".join(tex.split("\n")).strip()
    for nodes in ([Text("前"), Math(tex), Text("后")], [Strong([Text("粗"), Math(tex)]), Text("后")]):
        md = renderer.paragraph(Paragraph(nodes))
        assert _formulas(md) == [expected], (tex, md)
        md = renderer.table(Table([[Text("甲")]], [[nodes]]))
        assert _formulas(md) == [expected], (tex, md)


@pytest.mark.parametrize("tex", ["x\\", "a\\\\\\", "$\\", ""])
def test_a_formula_that_cannot_be_typeset_is_shown_as_its_source(tex: str) -> None:
    # A final lone `\` would escape the closing `\)` Sphinx writes in HTML and LaTeX.
    from converters.model import Table
    renderer = BlockRenderer(PageContext("misc/a"))
    for md in (renderer.paragraph(Paragraph([Text("前"), Math(tex), Text("后")])),
               renderer.table(Table([[Text("甲")]], [[[Math(tex), Text("后")]]]))):
        out, text = rendered_text(md)
        assert _formulas(md) == [] and f"<code>${tex}$</code>" in out, (tex, md)


def test_a_line_break_in_a_table_cell_or_heading_stays_there() -> None:
    # Finding 6 of issue 20: `<td>上<br>下</td>` split the row in two.
    from converters.readers.webpage import parse_page
    from converters.diagnostics import Reporter
    (article,) = parse_page("<html><head><title>表</title></head><body><article><h1>表</h1>"
                            "<h2>上<br>下</h2><table><tr><th>甲<br>乙</th><th>丙</th></tr>"
                            "<tr><td>上<br>下</td><td><code>a|b</code> $|x|$</td></tr></table>"
                            "</article></body></html>", "t.html", Reporter())
    article.docname, article.slug = "misc/t", "t"
    out = PARSER.render(write_myst(article))
    assert "<h2>上 下</h2>" in out
    table = out[out.index("<table>"):out.index("</table>")]
    assert table.count("<tr>") == 2 and "<th>甲 乙</th>" in table and "<td>上 下</td>" in table
    assert "<code>a|b</code>" in table and "|x|" in table and table.count("<td>") == 2


@pytest.mark.parametrize("author", [":class: evil", "---\nclass: evil\n---", "a\u2028:name: x", ":::{note}"])
def test_a_by_line_starting_like_directive_options_stays_text(author: str) -> None:
    # The by-line is the first line of a {container}'s body: `:key:` or `---` there were options.
    from converters.validate import foreign_markup, page_markup
    article = Article(Meta(title="t", author=author, category=author, tags=[author]), [Paragraph([Text("正文")])],
                      [SourcePos("x.md", 1)], docname="misc/a1", slug="a1")
    page = write_myst(article)
    assert not foreign_markup(page) and not [m for m in page_markup(page) if m.kind == "option"], page


@pytest.mark.parametrize("nodes", [
    [Text("前"), "code:{doc}`/etc/passwd`", Math(""), Text("后")],  # found by the HTML-tree property
    [Text("前"), "code:a", "code:{doc}`/etc/passwd`", "code:", Text("后")],
])
def test_code_spans_next_to_each_other_stay_code(nodes: list) -> None:
    # Two code spans side by side: their backtick runs ran together and freed the role between.
    from converters.model import Code
    from converters.validate import foreign_markup
    nodes = [Code(n[5:]) if isinstance(n, str) else n for n in nodes]
    md = BlockRenderer(PageContext("misc/a")).paragraph(Paragraph(nodes))
    out, text = rendered_text(md)
    assert not foreign_markup(md) and "{doc}`/etc/passwd`" in text, (md, out)
