"""Front matter and dates of any shape: a one-line warning at the key's line, never a crash,
and the article still builds.

The cases of issue 20 (finding 4) by name, then hypothesis over YAML values of every kind
(lists where text is expected, mappings, nulls, numbers, booleans, dates and datetimes, huge
integers, anchors and aliases, `!!python/…` tags, repeated keys, a top level that is no
mapping), then the dates the web readers take from pages, feeds and listing scrapes.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converters.book import render_book
from converters.cli import run
from converters.config import CONFIG_NAME, load_config
from converters.diagnostics import ConfigError, Reporter
from converters.model import PartialDate
from converters.pipeline import assemble
from converters.readers.feed import parse_feed
from converters.readers.markdown import parse_markdown
from converters.readers.seed_text import parse_seed
from converters.readers.webpage import parse_page

from conftest import ROOT, built_project

CONFIG = load_config(ROOT / CONFIG_NAME)
BODY = "正文标记KXFM在这里。"


def _convert(front: str) -> tuple[object, list, str]:
    """The article of a Markdown source with this front matter, its warnings and its page."""
    reporter = Reporter()
    articles = parse_markdown(f"---\n{front}\n---\n\n{BODY}\n", "fm.md", reporter, "fm")
    book = assemble(articles, CONFIG, reporter)
    pages = render_book(book, CONFIG)
    (article,) = book.articles
    return article, reporter.diagnostics, pages[f"{article.docname}.md"]


def _check(front: str) -> tuple[object, list, str]:
    """What holds for every front matter: one article, its body and a well-formed page; each
    warning one line, at a line of the front matter."""
    article, diagnostics, page = _convert(front)
    assert BODY in page
    data = yaml.safe_load(page.split("---\n")[1])
    assert data["generator"] == "kexue-book"
    last_line = front.count("\n") + 3  # the closing `---` (where an unterminated value ends)
    for d in diagnostics:
        assert "\n" not in str(d) and d.pos is not None and d.pos.path == "fm.md", str(d)
        assert 1 <= d.pos.line <= last_line, str(d)
    meta = article.meta
    assert meta.date is None or PartialDate.is_valid(meta.date.year, meta.date.month, meta.date.day)
    for value in (meta.title, meta.author, meta.category, meta.url, *meta.tags):
        assert value is None or (isinstance(value, str) and "\n" not in value)
    return article, diagnostics, page


# --- the inputs -----------------------------------------------------------------------


def test_a_scalar_tag_is_one_tag_and_a_number_is_text() -> None:
    article, diagnostics, _ = _check("title: t\ntags: 深度学习\ncategory: 2019")
    assert article.meta.tags == ["深度学习"] and article.meta.category == "2019" and diagnostics == []
    article, diagnostics, _ = _check("title: t\ntags: 2019")
    assert article.meta.tags == ["2019"] and diagnostics == []
    article, _, _ = _check("title: t\ntags: [a, 2019, true, 2019-01-01]")
    assert article.meta.tags == ["a", "2019", "true", "2019-01-01"]


@pytest.mark.parametrize("front", ["date: 2019-13-01", 'date: "2019-13-01"\nurl: https://kexue.fm/archives/1',
                                   "date: 2019-02-29\nurl: https://kexue.fm/archives/1", "date: 2019-04-31",
                                   "date: 2019-00-10", "date: 0000-01-01", "date: soon"])
def test_an_impossible_date_is_a_warning_at_its_line(front: str) -> None:
    article, diagnostics, page = _check("title: 日期\n" + front)
    assert article.meta.date is None
    assert [(d.code.value, d.pos.line) for d in diagnostics] == [("KB108", 3)], [str(d) for d in diagnostics]
    assert "引用本文" in page or "url" not in front


def test_valid_dates_are_read_whatever_their_yaml_type() -> None:
    for front, expected in [("date: 2016-02-29", (2016, 2, 29)), ("date: 2019-01-05 10:00:00", (2019, 1, 5)),
                            ('date: "2019-1-5"', (2019, 1, 5)), ("date: 2019-01-05T23:59:59+08:00", (2019, 1, 5))]:
        article, diagnostics, _ = _check("title: t\n" + front)
        assert article.meta.date == PartialDate(*expected) and diagnostics == [], front


def test_wrong_shapes_warn_at_the_offending_key() -> None:
    front = ("title: 标题\n"              # line 2
             "author: {name: x}\n"        # 3
             "tags:\n  - a\n  - [b]\n"    # 4, item on 6
             "category: [c, d]\n"         # 7
             "url: !!python/object:os.system x\n"  # 8
             "title: [一, 二]\n")          # 9: repeated, and a list
    article, diagnostics, _ = _check(front.rstrip("\n"))
    lines = sorted(d.pos.line for d in diagnostics if d.code.value == "KB108")
    assert lines == [3, 6, 7, 8, 9, 9], [str(d) for d in diagnostics]
    assert article.meta.title == "fm" and article.meta.tags == ["a"] and article.meta.category == "c"
    assert article.meta.url is None  # `x` is no web address: dropped by the safety transform


@pytest.mark.parametrize("front", ["- a\n- b", "just text", "[1, 2]", "a: &x [*x]\ntags: *x", "title: *nowhere",
                                   "!!python/object/apply:os.system [echo hi]", "tags: " + "9" * 5000,
                                   "tags: [" * 300 + "]" * 300, "? [a, b]\n: c", "<<: {title: x}", "title: |\n  a\n  b",
                                   "title: t\n...\nmore: x", "\t\tbad", "title: \"unterminated"])
def test_any_yaml_shape_builds(front: str) -> None:
    article, diagnostics, _ = _check(front)
    assert article.meta.title  # from the front matter, else the file name


# --- hypothesis: front matter of any YAML shape ---------------------------------------------

KEYS = st.sampled_from(["title", "date", "tags", "category", "url", "author", "accessed", "urldate",
                        "generator"]) | st.text(min_size=1, max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
           | st.dates() | st.datetimes() | st.sampled_from(["2019-13-01", "2019-02-29", "深度学习", "~", ""]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=3), max_leaves=8)
# YAML text no dump produces: anchors, aliases, tags, huge numbers, broken syntax.
RAW_VALUES = ["&a [1, *a]", "*a", "!!python/object:os.system x", "!!python/name:os.system",
              "!!python/object/apply:os.system [echo hi]", "!!binary aGVsbG8=", "!!set {a, b}", "9" * 5000,
              "2019-13-01", "2019-02-30 10:00:00", "{a: [b, {c: d}]}", "[[[[]]]]", ">\n  folded\n  text",
              "|\n  ```{eval-rst}\n  .. raw:: html\n\n     <script>alert(1)</script>\n  ```", "'quote", "- a",
              "@at", "`tick", "%TAG", ": :", "? x", "\"\\x00\"", "<script>alert(1)</script>", "{{x}}", "-1e999"]
RAW = st.sampled_from(RAW_VALUES) | st.text(alphabet=":-[]{}&*!|>'\"%@`#,? \n\t0123456789aé深", max_size=20)


def _entry(key: str, value: object, raw: str | None) -> str:
    if raw is not None:
        return f"{key}: {raw}"
    dumped = yaml.dump({key: value}, allow_unicode=True, default_flow_style=True, width=10**6)
    return dumped.strip()[1:-1]  # `{key: value}` → `key: value`


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(KEYS, VALUES, st.none() | RAW), max_size=6))
def test_front_matter_of_any_yaml_shape_never_stops_the_article(entries) -> None:
    front = "\n".join(_entry(key, value, raw) for key, value, raw in entries)
    article, _, _ = _check(front)
    # A plain text tag stays one tag.
    by_key = dict((k, (v, r)) for k, v, r in entries)
    value, raw = by_key.get("tags", (None, "x"))
    if raw is None and isinstance(value, str) and value.strip() and len(value) < 100:
        assert article.meta.tags == [" ".join(value.split())]


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=":-[]{}&*!|>'\"%@`#,? \n\t0123456789abé深~.", max_size=80))
def test_any_text_as_front_matter_never_stops_the_article(front: str) -> None:
    _check(front.replace("\n---", "\n- --"))  # a `---` line would end the block


# --- a book of such front matter, built by Sphinx ------------------------------------------


@pytest.mark.sphinx
def test_a_book_of_bad_front_matter_builds_with_each_article(tmp_path: Path, capsys) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    fronts = ["title: 标签是数\ntags: 2019", "title: 月份十三\ndate: 2019-13-01",
              'title: 引用本文\ndate: "2019-13-01"\nurl: https://kexue.fm/archives/99001',
              "title: 一个标签\ntags: 深度学习", "title: [列表]\ndate: {a: 1}\ntags: {b: 2}\ncategory: [x, y]",
              "- not\n- a mapping", "title: 别名\ntags: &t [a, *t]", "title: 标签\ntags: !!python/object:os.system x"]
    # and every raw value as each field (a multi-line one indented under its key)
    fronts += ["\n".join(f"{key}: {raw}" for key in ("title", "date", "tags", "category", "url", "author"))
               for raw in RAW_VALUES]
    for k, front in enumerate(fronts):
        (sources / f"fm{k}.md").write_text(f"---\n{front}\n---\n\n正文{k}号KXFM。\n", encoding="utf-8")
    project = built_project(tmp_path / "project", [str(sources)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(r"fm1\.md:3: warning: .*'2019-13-01' is not a valid date.*\[KB108\]", err), err
    assert re.search(r"fm2\.md:3: warning: .*\[KB108\]", err), err
    html = project / "_build" / "html"
    shown = {}
    for page in html.rglob("*.html"):
        text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text()
        for k in range(len(fronts)):
            if f"正文{k}号KXFM" in text and "本章收录" not in text:
                shown[k] = text
    assert sorted(shown) == list(range(len(fronts)))
    assert "深度学习" in shown[3] and "深、度" not in shown[3]
    for page in html.rglob("*.html"):  # nothing from a front matter became markup
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        scripts = [s for s in soup.find_all("script") if s.get("type") != "application/json"]  # JSON data: text
        assert not [s for s in scripts if "alert(1)" in s.get_text()], page
    assert "引用本文" in shown[2]


# --- dates from pages, feeds and listing scrapes ---------------------------------------------


def test_impossible_dates_in_pages_feeds_and_scrapes_are_warnings() -> None:
    reporter = Reporter()
    page = ("<html><head><meta property='article:published_time' content='2019-13-45'></head><body><article>"
            "<h1>页面</h1><p>By 苏剑林 | 2019-02-30 | 12位读者 | 引用</p><time>2018-99-01</time>"
            "<p>正文</p></article></body></html>")
    (article,) = parse_page(page, "p.html", reporter)
    assert article.meta.date is None
    later = page.replace("<time>2018-99-01</time>", "<time datetime='2018-99-01'></time><time>2017-02-03</time>")
    (article,) = parse_page(later, "q.html", reporter)
    assert article.meta.date == PartialDate(2017, 2, 3)  # the first date that is one
    feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>"
            + "".join(f"<item><title>{k}</title><link>https://kexue.fm/archives/{k}</link><pubDate>{d}</pubDate>"
                      "<description>正文</description></item>"
                      for k, d in enumerate(["2019-13-01", "Mon, 45 Foo 2019 99:00:00 +0000",
                                             "Fri, 31 Dec 9999 23:00:00 +0000", "Sun, 03 Feb 2019 00:00:00 +0000"]))
            + "</channel></rss>")
    dates = [a.meta.date for a in parse_feed(feed, "f.xml", reporter)]
    assert dates == [None, None, None, PartialDate(2019, 2, 3)]
    scrape = "题目甲\nBy 苏剑林 | 2019-13-01 | " + "9" * 5000 + "位读者 | 引用正文。\n"
    (article,) = parse_seed(scrape, "s.txt", reporter)
    assert article.meta.date is None and article.meta.readers is None
    warned = [(d.pos.path, d.code.value) for d in reporter.diagnostics if d.code.value == "KB108"]
    assert warned == [("p.html", "KB108"), ("f.xml", "KB108"), ("f.xml", "KB108"), ("f.xml", "KB108"),
                      ("s.txt", "KB108")], [str(d) for d in reporter.diagnostics]


def test_a_date_no_calendar_has_cannot_be_made() -> None:
    assert PartialDate.checked(2019, 13, 1) is None and PartialDate.checked(2019, 2, 29) is None
    assert PartialDate.checked(2020, 2, 29) == PartialDate(2020, 2, 29)
    assert PartialDate.checked(None, 2, 29) == PartialDate(None, 2, 29)  # a year may have it
    assert PartialDate.checked(None, 4, 31) is None
    with pytest.raises(ValueError):
        PartialDate(2019, 13, 1)
    assert datetime.date(2019, 12, 31).isoformat() == PartialDate(2019, 12, 31).iso()


@pytest.mark.parametrize("edit", [("accessed: ", "accessed: 2019-13-01\n  #"), ("accessed: ", "accessed: '2019-02-30'\n  #"),
                                  ("book:", "large_chapters: {max_articles: " + "9" * 5000 + "}\nbook:")])
def test_the_book_config_with_an_impossible_value_is_a_config_error(tmp_path: Path, edit, capsys) -> None:
    """kexue-book.yaml is read as strictly as before, but an unreadable value is an error message
    (exit 1), not a traceback."""
    project = tmp_path / "p"
    project.mkdir()
    text = (ROOT / CONFIG_NAME).read_text(encoding="utf-8")
    assert edit[0] in text
    (project / CONFIG_NAME).write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(project / CONFIG_NAME)
    assert run(["--project", str(project), "list", str(ROOT / "sources")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kexue-book: error: ") and err.count("\n") == 1, err
