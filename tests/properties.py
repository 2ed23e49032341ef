"""The properties "text is data" and "nothing is lost", with their input strategies.

Shared by tests/test_properties.py (a few hundred examples in `make test`) and bench/fuzz.py
(ten thousand and more).  Each check raises AssertionError with the offending input.
"""

from __future__ import annotations

import html
import posixpath
import re

from hypothesis import strategies as st

from converters.book import render_book
from converters.config import BookConfig
from converters.diagnostics import Reporter
from converters.model import Article, CodeBlock, Link, Meta, Paragraph, SourcePos, Text
from converters.pipeline import assemble
from converters.readers.feed import parse_feed
from converters.readers.markdown import parse_markdown
from converters.readers.seed_text import parse_seed
from converters.readers.webpage import parse_page
from converters.validate import foreign_markup, normalize_link, page_markup, paragraph_text, render, same_text
from converters.writers.myst import BlockRenderer, PageContext, code_language, safe_url, write_myst

# Pieces of syntax that MyST, CommonMark, HTML, TeX or the blog's dialect give a meaning.
SYNTAX = ["{eval-rst}", "{include}", "{raw}", "{note}", "{eq}`x`", "{doc}`/etc/passwd`", "```", "~~~", ":::",
          "$$", "$", "\\$", "\\(", "\\[", "<script>", "</script>", "<iframe src=x>", "<!--", "-->", "&amp;",
          "&#x3C;", "[", "]", "(", ")", "![", "](", "*", "**", "_", "`", "#", "> ", "- ", "1. ", "|", "(t)=",
          "% ", "+++", "---", "===", "\\begin{equation}", "\\end{equation}", "\\label{a}", "\\eqref{a}",
          "\\input{/etc/passwd}", "^^5c", "javascript:", "file:///etc/passwd", "path:x", "data:,x",
          "http://x.y/a_b*c", "《Attention Is All You Need》", "《变分自编码器（一）：原来是这么一回事》",
          "{{ x }}", "[^1]", "\\", "\\\\", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\u2028", "\x85", "中文", "，", "。"]

_CHAR = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"))
words = st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(_CHAR, max_size=6)), max_size=12).map("".join)
one_line = words.map(lambda s: s.replace("\n", " ").replace("\t", " "))
urls = st.one_of(
    st.sampled_from(["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "file:///etc/passwd",
                     "path:/etc/passwd", "project:index", "inv:x", "vbscript:x", "../../etc/passwd", "/archives/1",
                     "#top", "mailto:a@b.c", "https://kexue.fm/archives/5253", "http://a.b/c d(e)<f>`g`{h}|i\"j"]),
    st.builds(lambda scheme, rest: scheme + rest,
              st.sampled_from(["http://", "https://", "", "javascript:", "mailto:", " http://"]), one_line))


def _own_links(pages: dict[str, str]) -> dict[str, set[str]]:
    """Per page, the relative links that name another page of the book (the writer's docrefs)."""
    out = {}
    for rel, page in pages.items():
        here = posixpath.dirname(rel)
        out[rel] = {m.value for m in page_markup(page) if m.kind == "link"
                    and posixpath.normpath(posixpath.join(here, m.value)) in pages}
    return out


def check_paragraph(text: str) -> None:
    md = BlockRenderer(PageContext("misc/a")).paragraph(Paragraph([Text(text)]))
    assert not foreign_markup(md), (text, md, foreign_markup(md))
    assert same_text(paragraph_text(md), text), (text, md, paragraph_text(md))


def check_code_block(info: str, body: str) -> None:
    md = BlockRenderer(PageContext("misc/a")).code(CodeBlock(body, info))
    assert not foreign_markup(md), (info, body, md)
    fences = [m for m in page_markup(md) if m.kind in ("language", "directive")]
    assert [m.value for m in fences] == ([code_language(info)] if code_language(info) else []), (info, md)
    body = re.sub(r"\r\n?", "\n", body)  # a line end, as markdown-it reads it
    assert body.rstrip() in paragraph_text(md) or not body.strip(), (body, md)


def check_link(url: str, label: str) -> None:
    md = BlockRenderer(PageContext("misc/a")).paragraph(Paragraph([Text("见"), Link(url, [Text(label)])]))
    assert not foreign_markup(md), (url, md, foreign_markup(md))
    links = [m.value for m in page_markup(md) if m.kind == "link"]
    expected = [normalize_link(safe_url(url))] if safe_url(url) else []  # punycode, %-escapes
    assert links == expected, (url, md, links)
    shown = paragraph_text(md)
    assert " ".join(label.split()) in " ".join(shown.split()), (label, md, shown)


def check_title(title: str, tag: str, category: str) -> None:
    article = Article(Meta(title=title or "x", tags=[tag], category=category or None,
                           url="https://kexue.fm/archives/1"),
                      [Paragraph([Text("正文")])], [SourcePos("x.md", 1)], docname="misc/a1", slug="a1")
    page = write_myst(article)
    assert not foreign_markup(page), (title, foreign_markup(page))
    h1 = re.search(r"<h1>(.*?)</h1>", render(page), re.S)
    shown = html.unescape(re.sub(r"<[^>]+>", "", h1.group(1))) if h1 else None
    assert shown is not None and same_text(shown, title or "x"), (title, page, shown)


def check_sources(markdown: str, seed: str, config: BookConfig) -> None:
    """Any Markdown and any listing scrape go through the whole converter without an error,
    and no page of the book holds markup the writer did not make."""
    reporter = Reporter()
    articles = parse_markdown(markdown, "fuzz.md", reporter) + parse_seed(seed, "fuzz.txt", reporter)
    _assert_book_without_foreign_markup(articles, config, reporter, (markdown, seed))


def _assert_book_without_foreign_markup(articles, config: BookConfig, reporter: Reporter, inputs: tuple) -> None:
    """The whole converter on these articles: no page holds markup the writer did not make."""
    book = assemble(articles, config, reporter)
    pages = {rel: text for rel, text in render_book(book, config).items() if rel.endswith(".md")}
    own = _own_links(pages)
    for rel, page in pages.items():
        foreign = foreign_markup(page, own[rel])
        assert not foreign, (*inputs, rel, foreign)


# Markdown made of the blog's constructs with hostile parts.
_BLOCKS = st.one_of(
    words,
    st.builds(lambda info, body: f"```{info}\n{body}\n```", one_line, words),
    st.builds(lambda label, url: f"[{label}]({url})", one_line, urls),
    st.builds(lambda alt, url: f"![{alt}]({url})", one_line, urls),
    st.builds(lambda tex: f"$${tex}$$", one_line),
    st.builds(lambda tex: f"\\begin{{equation}}{tex}\\label{{{tex[:5]}}}\\end{{equation}}", one_line),
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 6), one_line),
    st.builds(lambda a, b: f"| {a} | {b} |\n| --- | --- |\n| {b} | {a} |", one_line, one_line),
    st.builds(lambda text: f"<div>{text}</div>", one_line),
    st.builds(lambda text: f"> {text}", one_line),
    st.builds(lambda text: f"- {text}\n- {text}", one_line),
)
markdown_sources = st.builds(
    lambda title, url, blocks: f"---\ntitle: {title!r}\nurl: {url!r}\n---\n\n" + "\n\n".join(blocks),
    one_line, urls, st.lists(_BLOCKS, max_size=8))
seed_sources = st.builds(
    lambda title, body: f"{title}\nBy 苏剑林 | 2020-01-02 | 12位读者 | 引用{body}\n", one_line, words)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


# HTML made of what the blog's pages and feeds hold, with hostile parts (as text and as markup).
_HTML_BLOCKS = st.one_of(
    words.map(lambda text: f"<p>{html.escape(text)}</p>"),
    words.map(lambda text: f"<p>{text}</p>"),  # unescaped: whatever the HTML parser makes of it
    st.builds(lambda info, body: f'<pre><code class="language-{_attr(info)}">{html.escape(body)}</code></pre>',
              one_line, words),
    st.builds(lambda label, url: f'<p><a href="{_attr(url)}">{html.escape(label)}</a></p>', one_line, urls),
    st.builds(lambda alt, url: f'<p><img src="{_attr(url)}" alt="{_attr(alt)}"><br>{html.escape(alt)}</p>',
              one_line, urls),
    st.builds(lambda tex: f'<p><script type="math/tex; mode=display">{tex}</script></p>', one_line),
    st.builds(lambda tex: f'<p><script>{tex}</script><iframe src="{_attr(tex)}"></iframe>'
                          f'<span class="katex"><annotation encoding="application/x-tex">{html.escape(tex)}'
                          f'</annotation></span></p>', one_line),
    st.builds(lambda level, text: f"<h{level}>{html.escape(text)}</h{level}>", st.integers(1, 6), one_line),
    st.builds(lambda a, b: f"<table><tr><th>{html.escape(a)}</th></tr><tr><td>{html.escape(b)}</td></tr></table>",
              one_line, one_line),
    st.builds(lambda text: f"<blockquote><ul><li>{html.escape(text)}</li></ul></blockquote>", one_line),
)
html_bodies = st.lists(_HTML_BLOCKS, max_size=8).map("\n".join)


def check_web_sources(title: str, url: str, body: str, config: BookConfig) -> None:
    """Any page and any feed item go through the whole converter without an error, and no page
    of the book holds markup the writer did not make."""
    reporter = Reporter()
    page = (f'<html><head><title>{html.escape(title)}</title><link rel="canonical" href="{_attr(url)}"></head>'
            f'<body><article><h1>{html.escape(title)}</h1>\n{body}\n</article></body></html>')
    feed = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
            f'<item><title>{html.escape(title)}</title><link>{html.escape(url)}</link>'
            f'<content:encoded>{html.escape(body)}</content:encoded></item></channel></rss>')
    articles = parse_page(page, "fuzz.html", reporter) + parse_feed(feed, "fuzz.xml", reporter)
    _assert_book_without_foreign_markup(articles, config, reporter, (title, url, body))


# HTML bodies as element trees (issue 20): what real blog HTML holds — inline code with line breaks,
# <br> in cells and headings, nested inline markup, entities — built by hypothesis, element by
# element, and serialised here (not by our Markdown parser).  Line ends come literally or as
# character references, in every form markdown-it or MyST's str.splitlines() reads as one.
_LINE_ENDS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\v", "\f", "\x1c"]
_FENCES = [f"{end}```{{eval-rst}}{end}.. raw:: html{end}{end}   <script>alert(1)</script>{end}```{end}"
           for end in _LINE_ENDS] + ["\n```{include} ../../x\n```\n", "\n:::{eval-rst}\n", "\n---\n", "\n- x\n"]


def _char_ref(ch: str) -> str:
    return f"&#{ord(ch)};" if ch in "\r\n\u2028\u2029\x85\v\f\x1c" else html.escape(ch, quote=False)


_html_text = st.builds(
    lambda text, as_refs: "".join(_char_ref(ch) for ch in text) if as_refs else html.escape(text, quote=False),
    st.lists(st.one_of(st.sampled_from(SYNTAX + _LINE_ENDS + _FENCES), st.text(_CHAR, max_size=4)),
             max_size=6).map("".join),
    st.booleans())
_attr_text = st.lists(st.one_of(st.sampled_from(SYNTAX + _FENCES), st.text(_CHAR, max_size=4)), max_size=4) \
    .map(lambda parts: "".join(_char_ref(ch) if ch in "\r\n\u2028" else _attr(ch) for ch in "".join(parts)))


def _element(tag: str, children: list[str], attrs: str = "") -> str:
    return f"<{tag}{attrs}>{''.join(children)}</{tag}>"


_inline_html = st.recursive(
    st.one_of(_html_text, st.just("<br>"),
              st.builds(lambda src, alt: f'<img src="{_attr(src)}" alt="{alt}">', urls, _attr_text),
              st.builds(lambda tex: f'<script type="math/tex">{html.escape(tex, quote=False)}</script>', _html_text)),
    lambda kids: st.one_of(
        st.builds(_element, st.sampled_from(["code", "b", "strong", "i", "em", "span", "sup", "kbd", "tt"]),
                  st.lists(kids, max_size=3)),
        st.builds(lambda url, title, children: _element("a", children, f' href="{_attr(url)}" title="{title}"'),
                  urls, _attr_text, st.lists(kids, max_size=3))),
    max_leaves=10)
_inlines_html = st.lists(_inline_html, max_size=4)
_cell = st.builds(_element, st.sampled_from(["td", "th"]), _inlines_html)
_block_html = st.recursive(
    st.one_of(
        st.builds(_element, st.sampled_from(["p", "h1", "h2", "h3", "h4", "li"]), _inlines_html),
        st.builds(lambda text: f"<pre><code>{text}</code></pre>", _html_text),
        st.builds(lambda rows: "<table>" + "".join(_element("tr", r) for r in rows) + "</table>",
                  st.lists(st.lists(_cell, min_size=1, max_size=3), min_size=1, max_size=3)),
        st.builds(lambda src, alt, caption: f'<figure><img src="{_attr(src)}" alt="{alt}">'
                                            f'{_element("figcaption", caption)}</figure>', urls, _attr_text, _inlines_html),
        st.builds(lambda src, alt, caption: f'<p><img src="{_attr(src)}" alt="{alt}"><br>{"".join(caption)}</p>',
                  urls, _attr_text, _inlines_html),
        st.just("<hr>")),
    lambda kids: st.builds(_element, st.sampled_from(["div", "blockquote", "ul", "ol", "section"]),
                           st.lists(kids, max_size=3)),
    max_leaves=8)
html_trees = st.lists(_block_html, max_size=6).map("\n".join)


# Nothing dropped in silence (issue 16): known text around and inside elements the readers do not
# know (or read only for their text: a form's parts, custom elements), nested to random depths —
# beyond libxml2's 256 levels, the readers' 100 and markdown-it's 20 — reaches the page, and
# markdown-it (MyST's parser, with its own nesting limit) still reads it there.
UNKNOWN_TAGS = ["form", "label", "fieldset", "legend", "button", "select", "option", "textarea", "output",
                "x-widget", "my-element", "foo", "marquee", "blink", "font", "center", "small", "big", "abbr",
                "ins", "del", "mark", "bdi", "dfn", "data", "time", "span", "div", "section", "details",
                "summary", "blockquote", "ul", "li", "em", "strong", "dl", "dd"]
KNOWN_WORDS = ("甲之前", "乙最深处", "丙之后", "丁结尾")
nested_unknown_html = st.builds(
    lambda tags, depth, siblings: (
        f"<p>{KNOWN_WORDS[0]}</p>"
        + "".join(f"<{tags[k % len(tags)]}>" for k in range(depth)) + KNOWN_WORDS[1]
        + "".join(f"</{tags[k % len(tags)]}>" for k in reversed(range(depth)))
        + "".join(f"<{t}>{KNOWN_WORDS[2]}</{t}>" if k == 0 else f"<{t}></{t}>" for k, t in enumerate(siblings))
        + (f"<p>{KNOWN_WORDS[2]}</p>" if not siblings else "") + f"<p>{KNOWN_WORDS[3]}</p>"),
    st.lists(st.sampled_from(UNKNOWN_TAGS), min_size=1, max_size=4),
    st.integers(0, 600),
    st.lists(st.sampled_from(UNKNOWN_TAGS), max_size=3))
nested_markdown = st.builds(
    lambda marks, depth: f"---\ntitle: 深\n---\n\n{KNOWN_WORDS[0]}\n\n"
                         + "".join(marks[k % len(marks)] for k in range(depth)) + f" {KNOWN_WORDS[1]}\n\n"
                         + f"{KNOWN_WORDS[2]}\n\n{KNOWN_WORDS[3]}\n",
    st.lists(st.sampled_from([">", "> ", "- ", "1. ", "* "]), min_size=1, max_size=3),
    st.integers(0, 3000))


def _myst_text(page: str) -> str:
    """The text markdown-it (as MyST reads a page) finds in a page: what Sphinx can show."""
    from markdown_it import MarkdownIt

    return "".join(t.content for t in MarkdownIt("commonmark").parse(page) if t.type == "inline")


def check_known_text_reaches_the_page(articles: list[Article], config: BookConfig, reporter: Reporter,
                                      inputs: tuple) -> None:
    book = assemble(articles, config, reporter)
    pages = render_book(book, config)
    assert book.articles, inputs
    for article in book.articles:
        shown = _myst_text(pages[f"{article.docname}.md"])
        for word in KNOWN_WORDS:
            assert word in shown, (word, *inputs, article.sources)


def check_nested_html(body: str, config: BookConfig) -> None:
    reporter = Reporter()
    page = f'<html><head><title>深</title></head><body><div id="PostContent">{body}</div></body></html>'
    feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
            f'<item><title>深二</title><link>https://kexue.fm/archives/2</link>'
            f'<content:encoded>{html.escape(body)}</content:encoded></item></channel></rss>')
    articles = parse_page(page, "deep.html", reporter) + parse_feed(feed, "deep.xml", reporter)
    check_known_text_reaches_the_page(articles, config, reporter, (body[:200],))


def check_nested_markdown(source: str, config: BookConfig) -> None:
    reporter = Reporter()
    check_known_text_reaches_the_page(parse_markdown(source, "deep.md", reporter), config, reporter, (source[:200],))
