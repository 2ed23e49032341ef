"""Control characters XML forbids, from any reader, never reach a page of the book (transforms/characters.py).

An EPUB page holding U+0001 is not well-formed XHTML: an e-reader refuses it, while the build
reported nothing.  Each reader is given them raw and as its own escape (a YAML `\\x01`, an HTML or
feed character reference); every XHTML file of the EPUB must parse as XML, the words around
them stay, and each article is warned about once (KB101).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from converters.cli import run
from converters.model import Article, Code as CodeSpan, Meta, Paragraph, SourcePos, Text
from converters.diagnostics import Reporter
from converters.transforms.characters import replace_forbidden_characters

from conftest import new_project

MARKDOWN = ('---\ntitle: "控制\\x01字符\\x0c甲\\uFFFE"\nurl: https://kexue.fm/archives/90405\n---\n\n'
            "正文\x0b乙\x01丙`代\x02码`与$x\x03y$。\n\n$$a\x04b$$\n")
PAGE = ("<html><head><title>网页&#1;标题</title></head><body><div id=\"PostContent\"><h1>网页&#1;标题</h1>"
        "<p>网页\x02正文&#x1F;尾<code>a\x03b</code></p></div></body></html>")
FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>c</title><item><title>订阅标题</title>'
        "<link>https://kexue.fm/archives/90406</link><description>&lt;p&gt;订阅&amp;#x2;正文&lt;/p&gt;</description>"
        "</item></channel></rss>")


def test_no_control_character_reaches_the_epub(tmp_path: Path, capsys) -> None:
    project = new_project(tmp_path / "project")
    sources = []
    for name, text in (("a.md", MARKDOWN), ("page.html", PAGE), ("feed.xml", FEED)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        sources.append(str(tmp_path / name))
    assert run(["--project", str(project), "build", "--format", "epub", *sources]) == 0
    err = capsys.readouterr().err
    assert err.count("[KB101]") == 3, err  # one warning per article
    text = []
    with zipfile.ZipFile(project / "_build" / "epub" / "kexue-book.epub") as book:
        for name in book.namelist():
            if name.endswith((".xhtml", ".ncx", ".opf")):
                root = etree.fromstring(book.read(name))  # raises on a character XML forbids
                text.append("".join(root.itertext()))
    shown = "\n".join(text)
    for words in ("控制\ufffd字符 甲", "正文 乙\ufffd丙", "网页\ufffd标题", "网页\ufffd正文\ufffd尾", "订阅标题",
                  "订阅\ufffd正文"):
        assert words in shown, words


def test_every_text_of_the_model_is_cleaned() -> None:
    article = Article(Meta(title="t\x06", tags=["标\x07签"], category="分\x08类"),
                      [Paragraph([Text("a\x0cb"), CodeSpan("c\x1fd")])], [SourcePos("a.md", 1)])
    reporter = Reporter()
    replace_forbidden_characters([article], reporter)
    assert article.meta.title == "t\ufffd" and article.meta.tags == ["标\ufffd签"]
    assert article.meta.category == "分\ufffd类"
    assert [n.text for n in article.body[0].inlines] == ["a b", "c\ufffdd"]
    assert [d.code.value for d in reporter.diagnostics] == ["KB101"]
