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
