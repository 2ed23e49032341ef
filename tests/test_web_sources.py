"""Articles as the blog serves them: its pages (as served, and as saved after MathJax 2 ran) and
its feed give the book the Markdown gives; hand-made pages and feeds cover the rest.

The round trips render ../shared/corpus with tests/blogsite.py and skip without the corpus.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from blogsite import CURRENT_CHROME, current_page_html, feed_xml, page_html, split_article
from conftest import CORPUS, CORPUS_REAL, ROOT, built_project
from converters.book import render_book
from converters.cli import run
from converters.config import load_config
from converters.diagnostics import Code, Reporter
from converters.model import Article, Figure, MathBlock, Meta, Paragraph, SourcePos, Text, blocks_text, walk
from converters.pipeline import load_book
from converters.readers.webpage import parse_page
from converters.transforms.merge import merge_duplicates

WEB = ROOT / "tests" / "web"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is not at {CORPUS} (it lives in shared/)")
_SOURCES_FIELD = re.compile(r"^sources:\n(?:- .*\n)*", re.M)


@pytest.fixture(scope="module")
def blog_forms(tmp_path_factory) -> Path:
    """The corpus as pages in the classic and the current layout, each as served and as saved
    after MathJax 2 ran, and as one feed."""
    out = tmp_path_factory.mktemp("blog")
    articles = sorted(CORPUS.glob("*.md"))
    for folder, render, mathjax in (("pages", page_html, None), ("mathjax2", page_html, 2),
                                    ("current", current_page_html, None),
                                    ("current-mathjax2", current_page_html, 2)):
        (out / folder).mkdir()
        for path in articles:
            (out / folder / f"{path.stem}.html").write_text(render(path, mathjax), encoding="utf-8")
    (out / "feed.xml").write_text(feed_xml(articles), encoding="utf-8")
    return out


def book_pages(*sources: Path) -> tuple[dict[str, str], Reporter]:
    """The book's MyST pages, their `sources` field left out (the only thing that names the form)."""
    config = load_config(ROOT / "kexue-book.yaml")
    reporter = Reporter()
    pages = render_book(load_book(list(sources), config, reporter), config)
    return {name: _SOURCES_FIELD.sub("", text) for name, text in pages.items()}, reporter


# What the current layout's by-line adds to a page (its readers; the Markdown has none).
_READERS_LINE = "readers: 14733\n"
_READERS_SHOWN = " · 14733位读者"


@needs_corpus
@pytest.mark.parametrize("form", ["pages", "mathjax2", "current", "current-mathjax2", "feed.xml"])
def test_the_blog_forms_give_the_markdown_book(blog_forms: Path, form: str) -> None:
    expected, _ = book_pages(CORPUS)
    got, reporter = book_pages(blog_forms / form)
    assert reporter.diagnostics == []
    assert sorted(got) == sorted(expected)
    for name in expected:
        page = got[name]
        if form.startswith("current") and name.endswith(".md") and "/a" in name:
            # the by-line's readers reached the metadata and the page's by-line
            assert _READERS_LINE in page and _READERS_SHOWN in page, name
            page = page.replace(_READERS_LINE, "").replace(_READERS_SHOWN, "")
        assert page == expected[name], name
        # none of the current layout's chrome (head, buttons, notices, 打赏, the blog's BibTeX,
        # similar articles, navigation, comment form, comments) is in a page
        for chrome in CURRENT_CHROME:
            assert page.count(chrome) == expected[name].count(chrome), (name, chrome)
    # The MathJax-2 copies hold drawn glyphs next to the TeX: none of them reached the book.
    assert "MathJax" not in "".join(got.values())


@pytest.mark.skipif(not CORPUS_REAL.is_dir(), reason=f"the real articles are not at {CORPUS_REAL} (they live in shared/)")
@pytest.mark.parametrize("mathjax", [None, 2], ids=["served", "mathjax2"])
def test_real_articles_in_the_current_layout_give_the_markdown_book(tmp_path: Path, mathjax: int | None) -> None:
    # ../shared/corpus-real: hard TeX (macros, rows, \tag, long formulas) inside the current chrome
    for path in sorted(CORPUS_REAL.glob("*.md")):
        (tmp_path / f"{path.stem}.html").write_text(current_page_html(path, mathjax), encoding="utf-8")
    expected, _ = book_pages(CORPUS_REAL)
    got, reporter = book_pages(tmp_path)
    assert reporter.diagnostics == [] and sorted(got) == sorted(expected)
    for name in expected:
        assert got[name].replace(_READERS_LINE, "").replace(_READERS_SHOWN, "") == expected[name], name


@needs_corpus
@pytest.mark.parametrize("form", ["pages", "current", "feed.xml"])
def test_list_shows_every_article_with_its_url_and_date(blog_forms: Path, form: str, capsys) -> None:
    assert run(["list", str(blog_forms / form), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    front = [split_article(path)[0] for path in sorted(CORPUS.glob("*.md"))]
    assert len(records) == len(front)
    assert {(r["url"], r["date"], r["author"]) for r in records} == \
        {(f["url"], str(f["date"]), f.get("author") or "苏剑林") for f in front}
    assert {r["readers"] for r in records} == ({14733} if form == "current" else {None})


@needs_corpus
def test_every_form_together_gives_one_page_per_article(blog_forms: Path) -> None:
    config = load_config(ROOT / "kexue-book.yaml")
    alone = load_book([ROOT / "sources", CORPUS], config, Reporter())
    together = load_book([ROOT / "sources", CORPUS, blog_forms / "pages", blog_forms / "mathjax2",
                          blog_forms / "current", blog_forms / "current-mathjax2", blog_forms / "feed.xml"],
                         config, Reporter())
    assert len(together.articles) == len(alone.articles)
    urls = [a.meta.url for a in together.articles if a.meta.url]
    assert len(urls) == len(set(urls))
    for article in together.articles:
        if article.meta.url and any(str(p).startswith(str(CORPUS)) or "corpus" in str(p) for p in article.sources):
            forms = {Path(p.path).suffix for p in article.sources}
            assert {".md", ".html", ".xml"} <= forms, article.meta.title


@needs_corpus
@pytest.mark.sphinx
def test_the_book_of_pages_shows_the_blog_numbers_links_and_figures(blog_forms: Path, tmp_path_factory) -> None:
    from test_corpus import blog_numbers

    # the current layout saved after MathJax 2 ran: the hardest form of a page
    project = built_project(tmp_path_factory.mktemp("pages") / "project", [str(blog_forms / "current-mathjax2")])
    totals = {"numbered": 0, "eqref_links": 0, "figures": 0}
    for source in sorted(CORPUS.glob("*.md")):
        markdown = source.read_text("utf-8")
        expected, eqrefs = blog_numbers(markdown)
        (html,) = (project / "_build" / "html").glob(f"*/a{source.stem}.html")
        page = BeautifulSoup(html.read_text("utf-8"), "html.parser")
        for link in page.select("span.eqno a.headerlink"):
            link.decompose()
        assert [s.get_text(strip=True) for s in page.select("span.eqno")] == expected, source.name
        article = page.select_one("article")
        links = article.select("a[href^='#equation-']")
        assert len(links) >= eqrefs and all(article.find(id=a["href"][1:]) for a in links), source.name
        figures = article.select("figure")
        assert len(figures) == markdown.count('"点击查看原图")'), source.name
        totals["numbered"] += len(expected)
        totals["eqref_links"] += len(links)
        totals["figures"] += len(figures)
    assert totals["numbered"] > 0 and totals["eqref_links"] > 0 and totals["figures"] > 0


# --- hand-made pages and feeds ---------------------------------------------------------------


@pytest.fixture(scope="module")
def web_book(tmp_path_factory) -> Path:
    return built_project(tmp_path_factory.mktemp("web") / "project", [str(WEB)])


def _page(project: Path, slug: str) -> BeautifulSoup:
    (html,) = (project / "_build" / "html").glob(f"*/{slug}.html")
    return BeautifulSoup(html.read_text("utf-8"), "html.parser")


@pytest.mark.sphinx
def test_a_page_gives_its_article_and_nothing_of_the_chrome(web_book: Path) -> None:
    page = _page(web_book, "a90001")
    text = page.select_one("article").get_text(" ", strip=True)
    for kept in ("正文第一段", "加粗", "强调", "E = mc^2", "x^2+y^2", "相对地址的图", "引用的一段话",
                 "准确率", "第二点", "正文最后一段", "147338位读者", "分类：信息时代", "标签：VAE、测试"):
        assert kept in text, kept
    for chrome in ("最近评论", "读者甲", "发表评论", "评论者", "分享到微博", "相关日志", "不相干的文章",
                   "脚本写出的文字", "Copyright", "首页", "数学研究", "转载到请包括"):
        assert chrome not in text, chrome
    article = page.select_one("article")
    assert article.select_one("img")["src"] == "https://kexue.fm/usr/uploads/2021/05/100.png"
    assert article.select_one("figcaption span.caption-text").get_text(strip=True) == "相对地址的图"
    assert [s.get_text(strip=True) for s in article.select("span.eqno")][0].startswith("(1)")
    assert article.select_one("a[href^='#equation-']") is not None
    assert article.select_one("div.highlight-python").get_text().strip() == 'print("hello")  # <tag>'
    assert article.select_one("table") is not None


@pytest.mark.sphinx
def test_a_page_without_by_line_and_a_page_without_known_containers(web_book: Path) -> None:
    pages = {p.stem: BeautifulSoup(p.read_text("utf-8"), "html.parser")
             for p in (web_book / "_build" / "html").glob("*/*.html")}
    by_title = {page.select_one("h1").get_text(strip=True).rstrip("#"): page for page in pages.values()
                if page.select_one("h1")}
    plain = by_title["没有署名行的文章"].select_one("article")
    text = plain.get_text(" ", strip=True)
    assert "某作者 · 2020年6月3日" in text and "Archives" not in text and "Posted in" not in text
    assert plain.select_one("img")["src"] == "https://blog.example.org/2020/06/post/images/fig1.png"
    assert plain.select_one("figcaption span.caption-text").get_text(strip=True) == "图1：相对路径"
    readable = by_title["无容器的页面"].select_one("article").get_text(" ", strip=True)
    assert "第三段正文" in readable and "短链接" not in readable and "关于" not in readable


@pytest.mark.sphinx
def test_an_atom_feed_and_an_item_with_only_a_summary(web_book: Path) -> None:
    full = _page(web_book, "a90002").select_one("article")
    assert "分类：数学研究" in full.get_text() and "标签：优化器" in full.get_text()
    assert [s.get_text(strip=True) for s in full.select("span.eqno")][0].startswith("(1)")
    summary = _page(web_book, "a90003").select_one("article")
    link = summary.select_one("div.excerpt-note a")
    assert link is not None and link["href"] == "https://kexue.fm/archives/90003"


def test_formulas_come_from_saved_tex_never_from_glyphs() -> None:
    reporter = Reporter()
    markup = """<html><head><title>公式</title></head><body><article><h1>公式</h1>
<p>甲<span class="MathJax_Preview">x2</span><span class="MathJax"><nobr>GLYPHS</nobr></span><script type="math/tex">x^2</script>乙</p>
<p>丙<span class="katex"><span class="katex-mathml"><math><semantics><mi>y</mi><annotation encoding="application/x-tex">y_1</annotation></semantics></math></span><span class="katex-html">KATEXGLYPHS</span></span>丁</p>
<div class="MathJax_Display"><span class="MathJax">DISPLAYGLYPHS</span></div><script type="math/tex; mode=display">\\begin{equation}z\\label{z}\\end{equation}</script>
<p>戊<mjx-container class="MathJax" jax="CHTML"><mjx-math>LOST</mjx-math></mjx-container>己</p>
</article></body></html>"""
    (article,) = parse_page(markup, "saved.html", reporter)
    text = blocks_text(article.body)
    assert "$x^2$" in text and "$y_1$" in text and "GLYPHS" not in text and "KATEX" not in text
    (display,) = [n for n in walk(article.body) if isinstance(n, MathBlock)]
    assert display.tex == "z" and display.numbered and display.label == "z"
    # MathJax 3 output saved without its TeX: kept as its text, with a warning naming the line.
    assert [(d.code, d.pos.line) for d in reporter.diagnostics] == [(Code.UNREADABLE, 5)]


def test_a_browsers_saved_files_folder_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text((WEB / "chrome.html").read_text("utf-8"), encoding="utf-8")
    (tmp_path / "page_files").mkdir()
    (tmp_path / "page_files" / "jquery.js").write_text("var x;", encoding="utf-8")
    (tmp_path / "page_files" / "100.png").write_bytes(b"\x89PNG\r\n")
    reporter = Reporter()
    book = load_book([tmp_path], load_config(ROOT / "kexue-book.yaml"), reporter)
    assert len(book.articles) == 1 and reporter.diagnostics == []
    assert any(isinstance(n, Figure) for n in walk(book.articles[0].body))


def _article(title: str, url: str | None, text: str) -> Article:
    return Article(Meta(title=title, url=url), [Paragraph([Text(text)])], [SourcePos("x", 1)])


def test_copies_merge_by_url_first_then_by_title() -> None:
    merged = merge_duplicates([
        _article("旧标题", "https://kexue.fm/archives/1", "甲"),
        _article("新标题", "http://www.kexue.fm/archives/1/", "甲乙"),  # same address: same article
        _article("同名", "https://kexue.fm/archives/2", "丙"),
        _article("同名", "https://kexue.fm/archives/3", "丁"),  # same title, another address: another article
        _article("同名", None, "丙丙丙"),  # no address: joins the first of that title
        _article("新标题", None, "戊"),  # a title known from a copy met by its address
    ])
    assert [(a.meta.title, len(a.sources)) for a in merged] == [("旧标题", 3), ("同名", 2), ("同名", 1)]


@pytest.mark.sphinx
def test_the_shapes_of_real_blog_html_read_as_a_reader_sees_them(web_book: Path) -> None:
    # tests/web/shapes.html (saved with CRLF line ends): inline code broken across lines, <br> in
    # table cells and a heading, nested inline markup, entities, `|` in cell code and formulas,
    # `\$` inside a formula (issue 20, findings 1 and 6).
    article = _page(web_book, "a90004").select_one("article")
    codes = [" ".join(c.get_text().split()) for c in article.select("p code")]
    assert "pip install keras==2.3.1" in codes and "python train.py" in codes and "a = 1; b = 2;" in codes
    assert [" ".join(h.get_text().split()).rstrip("#") for h in article.select("h2")][0] == "第一行 第二行"
    table = article.select_one("table")
    assert [th.get_text(" ", strip=True) for th in table.select("thead th")] == ["名称 （单位）", "取值"]
    rows = [[" ".join(td.get_text().split()) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows == [["上 下", "\\(|x|\\) 与 a|b"], ["范数", "\\(\\|x\\|_2\\)"]], rows
    assert article.select_one("strong em code").get_text() == "代码"
    assert article.select_one("a strong").get_text() == "加粗的链接" and article.select_one("em a") is not None
    text = article.get_text()
    assert "实体：<tag> 与 &amp; 与\xa0不断行空格与 \"引号\"。" in text
    assert "价格公式\\(a\\$b\\)写在行内。" in text
    caption = article.select_one("figcaption span.caption-text")
    assert caption.get_text() == "示意图：f(x) = x的图像" and caption.select_one("code").get_text(" ", strip=True) == "f(x) = x"
    assert "最后一段。" in text


# --- the page as kexue.fm serves it today (issue 16) ------------------------------------------


@pytest.mark.sphinx
def test_a_page_in_the_current_layout_gives_its_article_and_metadata_only(web_book: Path, capsys) -> None:
    # tests/web/current.html: the chrome inside #PostContent, MathJax 2's previews and frames
    # (a frame known only by its id), a heading with its own anchor.
    page = _page(web_book, "a90005")
    article = page.select_one("article")
    text = article.get_text(" ", strip=True)
    for kept in ("当前布局的第一段", "当前布局的最后一段", "52011位读者", "分类：信息时代", "标签：网页、MathJax"):
        assert kept in text, kept
    for chrome in ("Kimi", "打印", "分享到微博", "转载到请包括", "更详细的转载事宜", "如果您还有什么疑惑", "打赏",
                   "如果您需要引用本文", "Blog post", "Retrieved from", "你也许还对下面的内容感兴趣", "不相干的文章",
                   "上一篇", "下一篇", "发表你的看法", "昵称", "评论框里的字", "提交评论", "写得好", "回复评论",
                   "最近评论", "Copyright", "搜索本站", "PREVIEWTEX", "GLYPHSONE", "FRAMEGLYPHS", "DISPLAYPREVIEW",
                   "DISPLAYGLYPHS", "EQREFGLYPHS"):
        assert chrome not in text, chrome
    # the title as the page writes it (half-width marks and all), the heading without its anchor
    assert page.select_one("h1").get_text(strip=True).rstrip("#") == "网页读取器(二): alert('x')"
    assert [h.get_text(strip=True).rstrip("#") for h in article.select("h2")][-2:] == ["当前布局的小结", "引用本文"]
    # one 引用本文, the book's: the blog's own BibTeX is not a second one
    assert text.count("@online") == 1 and "payment" not in str(article)
    assert [s.get_text(strip=True) for s in article.select("span.eqno")][0].startswith("(1)")
    assert article.select_one("a[href^='#equation-']") is not None
    assert run(["list", str(WEB / "current.html"), "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert (record["date"], record["author"], record["readers"]) == ("2023-08-09", "苏剑林", 52011)
    assert (record["title"], record["url"]) == ("网页读取器(二): alert('x')", "https://kexue.fm/archives/90005")


def test_titles_of_pages_and_feeds_keep_their_punctuation_seed_text_gets_the_blogs() -> None:
    from converters.readers.feed import parse_feed
    from converters.readers.seed_text import parse_seed

    reporter = Reporter()
    page = parse_page("<html><head><title>alert('x') (一): 测试?</title></head><body><article>"
                      "<h1>alert('x') (一): 测试?</h1><p>正文。</p></article></body></html>", "t.html", reporter)
    feed = parse_feed('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
                      "<title>标题(二):再测,一次!</title><link>https://kexue.fm/archives/9</link>"
                      "<description>正文。</description></item></channel></rss>", "t.xml", reporter)
    seed = parse_seed("标题(三):再测\nBy 苏剑林 | 2020-01-02 | 12位读者 | 引用\n正文。\n", "t.txt", reporter)
    config = load_config(ROOT / "kexue-book.yaml")
    book = load_book_of(page + feed + seed, config)
    assert {a.meta.title for a in book.articles} == {"alert('x') (一): 测试?", "标题(二):再测,一次!", "标题（三）：再测"}


def load_book_of(articles: list[Article], config):
    from converters.pipeline import assemble

    return assemble(articles, config, Reporter())


# --- nothing dropped in silence (issue 16) ---------------------------------------------------------

_FORM_PAGE = """<html><head><title>表单</title></head><body><div id="PostContent"><p>表单之前的段落。</p>
<p>一段里开始的表单<form action="/x"><fieldset><legend>表单的标题</legend><label>名字</label><input name="a" value="填好的值">
<select><option>选项一</option></select><textarea>文本框里的字</textarea><button>按钮上的字</button>
<p>表单里的段落</p>
<p>表单之后的段落，含公式$x^2$。</p>
<p><a href="https://kexue.fm/usr/uploads/1.png"><img src="https://kexue.fm/usr/uploads/1.png" alt="图"></a><br>
表单之后的图</p>
<x-widget>自定义元素里的字</x-widget>
<ul>列表里、项外的字<li>列表项</li><p>项之间的段落</p></ul>
<table><caption>表格的标题</caption><tr><td>格子</td></tr></table>
<figure><img src="https://kexue.fm/usr/uploads/2.png"><p>图里的说明文字</p><figcaption>图2</figcaption></figure>
<noscript>脚本关闭时的字</noscript>
<p>最后的段落。</p></div></body></html>"""
_FORM_WORDS = ("表单之前的段落", "一段里开始的表单", "表单的标题", "名字", "选项一", "文本框里的字", "按钮上的字",
               "表单里的段落", "表单之后的段落", "表单之后的图", "自定义元素里的字", "列表里、项外的字", "列表项",
               "项之间的段落", "表格的标题", "格子", "图里的说明文字", "图2", "最后的段落")


def _deep_html(depth: int) -> str:
    return ("<html><head><title>深网页</title></head><body><article><p>深之前。</p>"
            + "<div><blockquote><span>" * (depth // 3) + "最深处的字" + "</span></blockquote></div>" * (depth // 3)
            + "\n<p>深之后的段落，含公式$y$。</p></article></body></html>")


def _deep_markdown(depth: int) -> str:
    return "---\ntitle: 深的Markdown\n---\n\n深之前。\n\n" + ">" * depth + " 最深处的字\n\n深之后的段落。\n"


def test_a_form_and_unknown_elements_are_read_for_their_text_never_as_controls() -> None:
    reporter = Reporter()
    (article,) = parse_page(_FORM_PAGE, "form.html", reporter)
    text = blocks_text(article.body)
    for word in _FORM_WORDS:
        assert word in text, word
    assert "$x^2$" in text and sum(isinstance(n, Figure) for n in walk(article.body)) == 2
    # what a browser does not show is left out, and said: KB130 with the file and line
    assert "脚本关闭时的字" not in text
    assert [(d.code, d.pos.path, d.pos.line) for d in reporter.diagnostics] == \
        [(Code.CONTENT_LEFT_OUT, "form.html", 12)]


def test_nesting_deeper_than_the_parser_allows_keeps_its_text_with_one_warning() -> None:
    from converters.readers.feed import parse_feed
    from converters.readers.markdown import parse_markdown

    for depth in (300, 3000):  # beyond libxml2's 256 levels (and its huge_tree 2048)
        reporter = Reporter()
        (page,) = parse_page(_deep_html(depth), "deep.html", reporter)
        feed = parse_feed('<?xml version="1.0"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                          "<channel><title>t</title>\n<item><title>深条目</title><link>https://kexue.fm/archives/8</link>\n"
                          f"<content:encoded><![CDATA[<p>深之前。</p>\n{'<div>' * depth}最深处的字{'</div>' * depth}"
                          "<p>深之后的段落，含公式$y$。</p>]]></content:encoded></item></channel></rss>",
                          "deep.xml", reporter)
        (markdown,) = parse_markdown(_deep_markdown(depth), "deep.md", reporter)
        for article in (page, *feed, markdown):
            text = blocks_text(article.body)
            assert "深之前" in text and "最深处的字" in text and "深之后的段落" in text, (depth, article.sources)
        assert [(d.code, d.pos.path, d.pos.line) for d in reporter.diagnostics] == [
            (Code.NESTING_FLATTENED, "deep.html", 1), (Code.NESTING_FLATTENED, "deep.xml", 5),
            (Code.NESTING_FLATTENED, "deep.md", 7)]


@pytest.mark.sphinx
def test_hostile_web_inputs_build_keep_their_text_and_check_counts_the_warnings(tmp_path: Path, capsys) -> None:
    from conftest import new_project

    project = new_project(tmp_path / "project")
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "form.html").write_text(_FORM_PAGE, encoding="utf-8")
    (sources / "deep.html").write_text(_deep_html(3000), encoding="utf-8")
    (sources / "deep.md").write_text(_deep_markdown(3000), encoding="utf-8")
    code = run(["--project", str(project), "check", "--json", str(sources)])
    out, err = capsys.readouterr()
    report = json.loads(out)
    html_dir = project / "_build" / "html"
    articles = {a["title"]: BeautifulSoup((html_dir / f"{a['docname']}.html").read_text("utf-8"), "html.parser")
                .select_one("article") for a in report["articles"]}
    assert sorted(articles) == sorted(["表单", "深网页", "深的Markdown"])
    by_title = {title: article.get_text(" ") for title, article in articles.items()}
    # the form's words are text, never controls
    assert articles["表单"].select("form, input, button, select, textarea, label, fieldset") == []
    for word in _FORM_WORDS:
        assert word in by_title["表单"], word
    for title in ("深网页", "深的Markdown"):
        assert "最深处的字" in by_title[title] and "深之后的段落" in by_title[title], title
    # every warning names its file and line; check counts them: the <noscript> text is lost
    assert "form.html:12: warning" in err and "[KB130]" in err and "deep.html:1: warning" in err
    assert "deep.md:7: warning" in err and err.count("[KB131]") >= 2
    totals = report["totals"]
    assert totals["left_out"] == 1 and totals["flattened"] >= 2 and totals["lost"] == 1 and code == 1
    assert totals["paragraphs"]["shown"] == totals["paragraphs"]["source"]


@pytest.mark.parametrize("text, facts", [
    ("By 苏剑林 | 2021-05-17 | 147338位读者 | 引用", ("苏剑林", "2021-05-17", 147338)),  # the classic by-line
    ("2021-05-17 | 苏剑林 | 147338位读者", ("苏剑林", "2021-05-17", 147338)),  # the current one
    ("By 苏剑林 | 2021-05-17 | 147338 位读者 | 引用 | Kimi | 打印 | 分享", ("苏剑林", "2021-05-17", 147338)),
    ("2021-05-17 ｜ 苏剑林", ("苏剑林", "2021-05-17", None)),
])
def test_the_by_line_of_either_layout_gives_author_date_and_readers(text: str, facts: tuple) -> None:
    from converters.readers.webpage import _byline_facts

    assert _byline_facts(text) == facts


def test_an_article_section_named_like_the_chrome_is_not_cut_in_silence() -> None:
    """Everything after a heading such as 相关文章 is taken for the page's chrome (related posts,
    comments); an article may have its own section of that name, and its text after it was
    dropped with no warning.  Now said (KB130, at the heading's line); a list of links after such
    a heading (the chrome it is meant for) is still left out quietly."""
    page = ('<html><head><title>测试</title></head><body><div id="PostContent"><h1>文章标题</h1>\n'
            '<p>第一段。</p>\n<h2>相关文章</h2>\n<p>这一段是正文，讨论了相关文章的方法。</p><p>最后一段。</p></div>'
            '</body></html>')
    reporter = Reporter()
    parse_page(page, "related.html", reporter)
    assert [(d.code, d.pos.path, d.pos.line) for d in reporter.diagnostics] == \
        [(Code.CONTENT_LEFT_OUT, "related.html", 3)]
    assert "相关文章" in reporter.diagnostics[0].message
    chrome = page.replace("<p>这一段是正文，讨论了相关文章的方法。</p><p>最后一段。</p>",
                          '<ul><li><a href="https://kexue.fm/archives/1">另一篇文章</a></li></ul>')
    reporter = Reporter()
    [article] = parse_page(chrome, "related.html", reporter)
    assert reporter.diagnostics == [] and "另一篇文章" not in blocks_text(article.body)


def test_a_count_of_readers_too_long_for_a_number_is_no_count() -> None:
    """`int()` refuses a string of more than 4,300 digits: a by-line `… | 99…9位读者` (5,000 nines)
    stopped `convert` with a traceback."""
    nines = "9" * 5000
    for byline in (f'<div class="submitted">2021-05-17 | 苏剑林 | {nines}位读者</div>',
                   f"<p>By 苏剑林 | 2021-05-17 | {nines}位读者</p>"):
        page = f'<html><body><div id="PostContent"><h1>标题</h1>{byline}<p>正文。</p></div></body></html>'
        [article] = parse_page(page, "readers.html", Reporter())
        assert article.meta.readers is None and "正文。" in blocks_text(article.body)
    [article] = parse_page(page.replace(nines, "147338"), "readers.html", Reporter())
    assert article.meta.readers == 147338
