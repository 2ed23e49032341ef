"""Series from the titles as the blog writes them: every pattern of kexue-book.yaml reads its own
examples, a list of real titles gives every numbered series and no false one, `list --series`
shows them, the config renames, merges and ignores series, and a book of many series is grouped
into parts by the blog's category (a small Sphinx book built with -W: landing page, sidebar, PDF's
LaTeX)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from converters.cli import run
from converters.config import CONFIG_NAME, load_config, parse_config
from converters.diagnostics import ConfigError, Reporter
from converters.escaping import latex
from converters.model import Article, Meta
from converters.pipeline import load_book
from converters.textutil import display_title
from converters.transforms.series import build_chapters, series_key, title_series

from conftest import ROOT, new_project
from test_scale import write_articles

CONFIG = load_config(ROOT / CONFIG_NAME)
REAL_TITLES = Path(__file__).parent / "data" / "real_titles.txt"


def _real_titles() -> list[tuple[str, str | None]]:
    rows = []
    for line in REAL_TITLES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            title, series = line.split("\t")
            rows.append((title, None if series == "-" else series))
    return rows


def _config(**auto) -> object:
    raw = yaml.safe_load((ROOT / CONFIG_NAME).read_text(encoding="utf-8"))
    raw["auto_series"].update(auto)
    return parse_config(raw)


def _articles(titles: list[str]) -> list[Article]:
    return [Article(Meta(title=t), [], []) for t in titles]


# --- the patterns, by their own examples -----------------------------------------------------

EXAMPLES = [(p.name, e) for p in CONFIG.auto_series.patterns for e in p.examples]


def test_every_pattern_has_examples() -> None:
    assert CONFIG.auto_series.patterns and all(p.examples for p in CONFIG.auto_series.patterns)


@pytest.mark.parametrize("pattern, example", EXAMPLES, ids=[f"{n}:{e.title}" for n, e in EXAMPLES])
def test_pattern_reads_its_examples(pattern: str, example) -> None:
    found = title_series(example.title, CONFIG)
    if example.series is None:
        assert found is None
    else:
        assert found is not None and found.pattern == pattern
        assert (found.name, found.part) == (example.series, example.part)


@pytest.mark.parametrize("a, b", [
    ("【中文分词系列】", "中文分词"), ("《自然极值》系列", "自然极值"), ("名称 ：", "名称"),
    ("SVD分解", "ｓｖｄ分解"), ("“熵”不起", "熵不起"), ("费曼积分法", "费曼积分法—"), ("可以吗？", "可以吗"),
])
def test_series_names_meet_across_styles(a: str, b: str) -> None:
    assert series_key(a) == series_key(b)


@pytest.mark.parametrize("title, name, part", [
    ("名称（十一）：副题", "名称", 11), ("名称(二十)：副题", "名称", 20), ("名称：3．副题", "名称", 3),
    ("名称：4、副题", "名称", 4), ("【名称】 1.副题", "名称", 1), ("【名称】⋅（三）副题", "名称", 3),
    ("某个较长的标题（二）", "某个较长的标题", 2), ("名称——副题(2)", "名称", 2), ("名称(5)：副题", "名称", 5),
    ("真的可以吗？（一）", "真的可以吗？", 1),  # the chapter keeps the name's question mark
])
def test_title_styles_and_numerals(title: str, name: str, part: int) -> None:
    found = title_series(title, CONFIG)
    assert found is not None and (found.name, found.part) == (name, part)


# --- real titles -------------------------------------------------------------------------------


@pytest.mark.parametrize("as_printed", [False, True], ids=["as-written", "as-the-book-prints-them"])
def test_real_titles_give_every_numbered_series_and_no_false_one(as_printed: bool) -> None:
    rows = _real_titles()
    articles = _articles([t for t, _ in rows])
    if as_printed:  # the scrapes' repaired form: full-width `（）：` in Chinese titles
        for article in articles:
            article.meta.title = display_title(article.meta.title)
    chapters = build_chapters(articles, CONFIG)
    got = {t: a.meta.series for (t, _), a in zip(rows, articles)}
    wrong = [(t, got[t], want) for t, want in rows if got[t] != want]
    assert wrong == []
    expected = {s for _, s in rows if s}
    assert {c.key for c in chapters if c.patterns} == expected
    assert len(expected) >= 15  # the list is worth its name


# --- overrides ---------------------------------------------------------------------------------

TITLES = ["MoE环游记：1、从几何意义出发", "MoE环游记：2、不患寡而患不均",
          "费曼积分法——积分符号内取微分(2)", "费曼积分法(5)：欧拉数学的传承",
          "费曼路径积分思想的发展(三)", "费曼路径积分思想的发展(四)",
          "【中文分词系列】 1. 基于AC自动机的快速分词", "【中文分词系列】 2. 基于切分的新词发现"]


def test_config_renames_merges_and_ignores_series() -> None:
    plain = _articles(TITLES)
    assert {c.key for c in build_chapters(plain, CONFIG)} == {"MoE环游记", "费曼积分法", "费曼路径积分思想的发展", "中文分词"}
    config = _config(rename={"【MoE环游记】": "混合专家模型（MoE）"},
                     merge={"费曼的方法": ["费曼积分法", "《费曼路径积分思想的发展》"]},
                     ignore=["中文分词系列"])
    articles = _articles(TITLES)
    chapters = build_chapters(articles, config)
    layout = {c.title: sorted(a.meta.title for a in c.articles) for c in chapters}
    assert layout["混合专家模型（MoE）"] == sorted(TITLES[:2])
    assert layout["费曼的方法"] == sorted(TITLES[2:6])
    assert layout[config.misc.title] == sorted(TITLES[6:])
    assert {a.meta.series for a in articles[6:]} == {None}


def test_a_bare_regular_expression_is_still_a_pattern() -> None:
    config = _config(patterns=["^(?P<name>[^（）：]{2,})（(?P<part>[0-9一二三四五六七八九十]+)）："])
    found = title_series("变分自编码器（七）：球面上的VAE（vMF-VAE）", config)
    assert found is not None and (found.name, found.part, found.pattern) == ("变分自编码器", 7, "pattern-1")


@pytest.mark.parametrize("auto", [
    {"patterns": [{"name": "x", "regex": "^(?P<name>.+)"}]},  # no part
    {"patterns": [{"name": "x", "regex": "^(?P<name>.+)({part}"}]},  # not a regular expression
    {"patterns": [{"name": "x", "regex": "^(?P<name>.+){part}", "examples": [{"title": "a1", "series": "a"}]}]},
    {"rename": {"名称": 3}}, {"merge": {"名称": 3}}, {"ignore": [""]}, {"renames": {}},
])
def test_auto_series_config_is_checked(auto: dict) -> None:
    with pytest.raises(ConfigError, match="auto_series"):
        _config(**auto)


# --- list --series -----------------------------------------------------------------------------

SPECS = [("MoE环游记：1、从几何意义出发", "2025-02-08", "信息时代"),
         ("MoE环游记：2、不患寡而患不均", "2025-02-21", "信息时代"),
         ("【搜出来的文本】⋅（一）从文本生成到搜索采样", "2021-01-07", "信息时代"),
         ("【搜出来的文本】⋅（二）从MCMC到模拟退火", "2021-01-14", "信息时代"),
         ("费曼积分法——积分符号内取微分(2)", "2012-06-20", "数学研究"),
         ("费曼积分法(5)：欧拉数学的传承", "2013-03-20", "数学研究"),
         ("《自然极值》系列——1.前言", "2010-11-27", "物理化学"),
         ("《自然极值》系列——2.费马原理", "2010-11-28", "物理化学"),
         ("变分自编码器（一）：原来是这么一回事", "2018-03-18", "信息时代"),
         ("变分自编码器（二）：从贝叶斯观点出发", "2018-03-28", "信息时代"),
         ("随机分词浅探：从Viterbi Decoding到Viterbi Sampling", "2023-09-16", "信息时代"),
         ("我们可以无损放大一个Transformer模型吗（一）", "2021-08-01", "信息时代"),
         ("诡异的Dirac函数", "2013-01-01", "数学研究")]


def test_list_series(tmp_path: Path, capsys) -> None:
    project = new_project(tmp_path / "project")
    write_articles(tmp_path / "src", SPECS)
    assert run(["--project", str(project), "list", "--series", str(tmp_path / "src")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "5 series"
    assert "MoE环游记: 2 articles, parts 1,2; pattern colon-then-number; chapter moe-huan-you-ji/" in lines
    assert "费曼积分法: 2 articles, parts 2,5; pattern dash-then-part-at-end+part-then-colon; " \
           "chapter fei-man-ji-fen-fa/" in lines
    assert "变分自编码器: 2 articles, parts 1,2; pattern configured; chapter vae/" in lines
    # A name with one part is shown, as no chapter: the author may merge or rename it.
    assert "我们可以无损放大一个Transformer模型吗: 1 article, parts 1; pattern part-at-end; " \
           "chapter none (too few parts, or ignored)" in lines
    assert run(["--project", str(project), "list", "--series", "--json", str(tmp_path / "src")]) == 0
    records = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {n for n, r in records.items() if r["chapters"]} == {"MoE环游记", "搜出来的文本", "费曼积分法", "自然极值",
                                                                 "变分自编码器"}
    assert records["我们可以无损放大一个Transformer模型吗"]["chapters"] == []
    assert records["搜出来的文本"]["patterns"] == ["bracket-name"]
    assert records["自然极值"]["chapters"] == [{"slug": "zi-ran-ji-zhi", "title": "自然极值"}]


# --- parts by category ---------------------------------------------------------------------------


def _many_series(project: Path, above: int) -> None:
    raw = yaml.safe_load((project / CONFIG_NAME).read_text(encoding="utf-8"))
    raw["large_chapters"] = {"parts_above_series": above}
    (project / CONFIG_NAME).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def test_chapters_in_parts_by_category_above_the_threshold(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_articles(src, SPECS)
    config = load_config(ROOT / CONFIG_NAME)
    assert all(c.part is None for c in load_book([src], config, Reporter()).chapters)  # 5 series ≤ 12
    raw = yaml.safe_load((ROOT / CONFIG_NAME).read_text(encoding="utf-8"))
    raw["large_chapters"] = {"parts_above_series": 4}
    book = load_book([src], parse_config(raw), Reporter())
    layout = [(c.part, c.title) for c in book.chapters]
    assert layout == [("信息时代", "变分自编码器（VAE）"), ("信息时代", "搜出来的文本"), ("信息时代", "MoE环游记"),
                      ("物理化学", "自然极值"), ("数学研究", "费曼积分法"), ("其他", "其他文章")]


# A category is text from a source: markup in it stays text in every output.
HOSTILE = "数学研究 <i>&</i> **#_%$x$** {raw}"


def test_book_in_parts_builds_with_parts_in_html_and_latex(tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    _many_series(project, 4)
    write_articles(tmp_path / "src", [(t, d, HOSTILE if c == "数学研究" else c) for t, d, c in SPECS])
    assert run(["--project", str(project), "build", "-q", str(tmp_path / "src")]) == 0  # HTML, -W
    html = project / "_build" / "html"
    index = BeautifulSoup((html / "index.html").read_text(encoding="utf-8"), "html.parser")
    main = index.select_one("main") or index
    text = main.get_text(" ", strip=True)
    assert "按博客的分类编为 4 部分" in text
    order = [text.index(t) for t in ("信息时代", "变分自编码器（VAE）", "MoE环游记", "物理化学", "自然极值",
                                     HOSTILE, "费曼积分法", "其他", "其他文章")]
    assert HOSTILE in [b.get_text() for b in main.select("strong")]
    assert not [el for el in main.select("i") if el.get_text() == "&"]  # the <i> stayed text
    assert order == sorted(order)
    page = BeautifulSoup((html / "zi-ran-ji-zhi" / "index.html").read_text(encoding="utf-8"), "html.parser")
    nav = page.select_one("nav.bd-docs-nav")
    assert [c.get_text() for c in nav.select("p.caption")] == ["信息时代", "物理化学", HOSTILE, "其他"]
    # Each part's chapters follow its caption.
    items = [el.get_text(strip=True) for el in nav.select("p.caption, li.toctree-l1 > a")]
    assert items.index("物理化学") < items.index("自然极值") < items.index(HOSTILE.strip()) < items.index("费曼积分法")
    built = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "latex", "-c", str(project),
                            str(project / "book"), str(tmp_path / "latex")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    tex = (tmp_path / "latex" / "kexue-book.tex").read_text(encoding="utf-8")
    parts = [tex.index(f"\\part{{{latex(p)}}}") for p in ("信息时代", "物理化学", HOSTILE, "其他")]
    assert parts == sorted(parts)
    assert parts[1] < tex.index("\\chapter{自然极值}") < parts[2] < tex.index("\\chapter{费曼积分法}") < parts[3]


def test_parts_reach_every_page_of_an_incremental_build(tmp_path: Path) -> None:
    """Parts appearing change no article's page, yet every page's sidebar must show them."""
    project = new_project(tmp_path / "project")
    write_articles(tmp_path / "src", SPECS)
    assert run(["--project", str(project), "build", "-q", str(tmp_path / "src")]) == 0
    article = next((project / "_build" / "html" / "zi-ran-ji-zhi").glob("a*.html"))
    assert not BeautifulSoup(article.read_text(encoding="utf-8"), "html.parser").select("nav.bd-docs-nav p.caption")
    _many_series(project, 4)
    assert run(["--project", str(project), "build", "-q", str(tmp_path / "src")]) == 0
    nav = BeautifulSoup(article.read_text(encoding="utf-8"), "html.parser").select_one("nav.bd-docs-nav")
    assert [c.get_text() for c in nav.select("p.caption")] == ["信息时代", "物理化学", "数学研究", "其他"]


def test_a_title_longer_than_any_series_title_is_read_by_no_pattern() -> None:
    """Some patterns take time square in a title's length: an HTML page titled with 100,000 `—`
    held `convert` for minutes.  A title that long is no series title: no pattern reads it."""
    assert title_series("费曼积分法——积分符号内取微分(3)", CONFIG).part == 3
    assert title_series("费曼积分法——" + "长" * 300 + "(3)", CONFIG) is None
    assert title_series("—" * 100_000, CONFIG) is None
