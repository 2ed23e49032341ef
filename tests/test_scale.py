"""The book at scale, on small books: the parse cache, the search segmenter, stamps, parallel =
serial, chapters split by category and year, per-chapter PDFs, no orphan pages, progress lines
in logs.

The figures at 100 and 1,000 articles come from bench/scale.py; nothing here asserts a time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from converters.build import build_format
from converters.cli import run
from converters.config import CONFIG_NAME, load_config, parse_config
from converters.diagnostics import ConfigError, Reporter
from converters.readers import parse_source
from converters.readers.cache import read_all
from converters.pipeline import load_book

from conftest import ROOT, new_project

ARTICLE = """---
title: "{title}"
date: "{date}"
category: "{category}"
url: "https://kexue.fm/archives/{id}"
---

这是《{title}》的正文，第{id}号。公式$x^{{2}}$在文中。

$$
E = mc^2\\tag{{1}}
$$
"""


def write_articles(folder: Path, specs: list[tuple[str, str, str]], first_id: int = 9000) -> list[Path]:
    """Markdown sources from (title, date, category) triples."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (title, date, category) in enumerate(specs):
        path = folder / f"{first_id + k}.md"
        path.write_text(ARTICLE.format(title=title, date=date, category=category, id=first_id + k), encoding="utf-8")
        paths.append(path)
    return paths


def small_chapters(project: Path, max_articles: int) -> None:
    config = yaml.safe_load((project / CONFIG_NAME).read_text(encoding="utf-8"))
    config["large_chapters"] = {"max_articles": max_articles}
    (project / CONFIG_NAME).write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


# Five articles in no series (two categories, several years) and two of a configured series.
SPECS = [("随笔甲", "2012-03-01", "信息时代"), ("随笔乙", "2013-05-02", "信息时代"),
         ("随笔丙", "2015-07-03", "信息时代"), ("证明丁", "2014-01-04", "数学研究"),
         ("随笔戊", "2016-02-05", "信息时代"),
         ("变分自编码器（一）：原来是这么一回事", "2018-03-18", "信息时代"),
         ("变分自编码器（二）：从贝叶斯观点出发", "2018-03-28", "信息时代")]


# --- the parse cache ------------------------------------------------------------------------


def test_cache_parses_only_what_changed_and_replays_warnings(tmp_path: Path) -> None:
    a, b = write_articles(tmp_path / "src", SPECS[:2])
    b.write_text(b.read_text(encoding="utf-8") + "\n价格是$5，没有配对的美元符号。\n", encoding="utf-8")
    files = [(a, "src/a.md"), (b, "src/b.md")]
    parsed: list[str] = []

    def spy(path: Path, shown: str):
        parsed.append(shown)
        return parse_source(path, shown)

    cache = tmp_path / "cache"
    first = Reporter()
    articles, stats = read_all(files, spy, first, cache)
    assert parsed == ["src/a.md", "src/b.md"] and stats.cached == 0
    assert [d.code.value for d in first.diagnostics] == ["KB103"]

    parsed.clear()
    again = Reporter()
    cached_articles, stats = read_all(files, spy, again, cache)
    assert parsed == [] and stats.cached == 2  # nothing changed: nothing parsed
    assert [str(d) for d in again.diagnostics] == [str(d) for d in first.diagnostics]  # warnings kept
    assert [x.meta.title for x in cached_articles] == [x.meta.title for x in articles]

    a.write_text(a.read_text(encoding="utf-8").replace("随笔甲", "随笔甲（改）"), encoding="utf-8")
    parsed.clear()
    changed, stats = read_all(files, spy, Reporter(), cache)
    assert parsed == ["src/a.md"] and stats.cached == 1  # only the changed source
    assert changed[0].meta.title == "随笔甲（改）"
    assert len(list(cache.glob("*.pickle"))) == 2  # the old entry of a.md is gone


def test_cache_entry_that_cannot_be_read_is_a_miss(tmp_path: Path) -> None:
    (a,) = write_articles(tmp_path / "src", SPECS[:1])
    cache = tmp_path / "cache"
    read_all([(a, "a.md")], parse_source, Reporter(), cache)
    for entry in cache.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    articles, stats = read_all([(a, "a.md")], parse_source, Reporter(), cache)
    assert stats.cached == 0 and articles[0].meta.title == "随笔甲"


@pytest.fixture
def library_versions(monkeypatch):
    """Pretend versions: `versions[name] = "…"` changes what `library_version(name)` says."""
    from converters.readers import cache as cache_module
    versions: dict[str, str] = {}
    real = cache_module.library_version
    monkeypatch.setattr(cache_module, "library_version", lambda name: versions.get(name) or real(name))
    cache_module.code_fingerprint.cache_clear()
    yield versions
    cache_module.code_fingerprint.cache_clear()


@pytest.mark.parametrize("library", ["markdown-it-py", "mdit-py-plugins", "lxml", "feedparser", "PyYAML",
                                     "charset-normalizer"])
def test_a_new_parser_version_parses_every_source_again(tmp_path: Path, capsys, library_versions,
                                                         library: str) -> None:
    """The parse cache and convert's stamp know the versions of the libraries that read the sources."""
    from converters.readers import cache as cache_module
    project = new_project(tmp_path / "p")
    write_articles(project / "sources", SPECS[:2])
    convert = ["--project", str(project), "convert", str(project / "sources")]
    assert run(convert) == 0
    assert run(convert) == 0
    assert "unchanged since the last convert" in capsys.readouterr().out
    library_versions[library] = "999.0-not-installed"
    cache_module.code_fingerprint.cache_clear()
    assert run(convert) == 0
    out = capsys.readouterr().out
    assert "unchanged since the last convert" not in out and "(0 unchanged" in out, out


@pytest.mark.parametrize("tool", ["sphinx", "myst-parser", "markdown-it-py", "latex2mathml", "Pygments", "pybtex"])
def test_a_new_tool_version_rebuilds(tool: str, library_versions) -> None:
    from converters.stamps import Digest
    before = Digest("build-html")
    before.add_tools()
    library_versions[tool] = "999.0-not-installed"
    after = Digest("build-html")
    after.add_tools()
    assert before.hexdigest() != after.hexdigest()


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.sphinx
def test_parallel_gives_the_serial_book_byte_for_byte(tmp_path: Path, capsys, monkeypatch) -> None:
    """Sources parsed over worker processes and pages built with `-j 2` give the very bytes of
    a serial run: every page of book/, every file of the HTML, the same warnings in the same order."""
    from converters.readers import cache as cache_module
    specs = [(f"第{k}篇随笔", f"20{10 + k % 10}-01-0{1 + k % 9}", ("信息时代", "数学研究")[k % 2]) for k in range(40)]
    sources = write_articles(tmp_path / "src", specs)
    sources[3].write_text(sources[3].read_text(encoding="utf-8") + "\n只有一个$美元。\n", encoding="utf-8")
    sources[5].write_text(sources[5].read_text(encoding="utf-8") + "\n见[《第7篇随笔》](https://kexue.fm/archives/9007)"
                          "和式$\\eqref{eq:none}$。\n", encoding="utf-8")
    shutil.copytree(ROOT / "sources", tmp_path / "src" / "seeds")
    real_workers_for = cache_module.workers_for
    books, warnings, projects = [], [], []
    for name, workers_for in (("serial", lambda count: 1), ("parallel", real_workers_for)):
        monkeypatch.setattr(cache_module, "workers_for", workers_for)
        project = new_project(tmp_path / name)
        capsys.readouterr()
        assert run(["--project", str(project), "convert", str(tmp_path / "src")]) == 0
        out, err = capsys.readouterr()
        workers = 1 if name == "serial" else real_workers_for(len(sources) + 5)
        assert (f" on {workers} cores" in out) == (workers > 1), out
        warnings.append(err)
        books.append(_tree_bytes(project / "book"))
        projects.append(project)
    assert "KB103" in warnings[0] and warnings[0] == warnings[1]
    assert len([p for p in books[0] if p.endswith(".md")]) > 70
    assert books[0].keys() == books[1].keys()
    assert [p for p in books[0] if books[0][p] != books[1][p]] == []
    # The same book (byte for byte, above) built by one Sphinx process and by two.
    outputs = []
    for jobs in ("1", "2"):
        html = build_format(projects[0], "html", tmp_path / f"build-j{jobs}", jobs=jobs, use_stamp=False)
        assert not html.warnings
        outputs.append(_tree_bytes(html.output.parent))
    assert len([f for f in outputs[0] if f.endswith(".html")]) > 70
    assert outputs[0].keys() == outputs[1].keys()
    assert [f for f in outputs[0] if outputs[0][f] != outputs[1][f]] == []


def test_search_words_are_jiebas_without_loading_its_dictionary(tmp_path: Path) -> None:
    """The search index's segmenter (jieba-rs) gives jieba's own Chinese words for the seeds,
    Latin words in the pieces jieba makes of them; a book with its own dictionary gets jieba."""
    import jieba
    from converters.sphinx_ext.zh_search import SearchChineseFixed

    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "sources").glob("*.txt")))
    fast = SearchChineseFixed({})
    assert fast.fast
    chinese = {w for w in fast.split(text) if not w.isascii()}
    assert len(chinese) > 1000
    assert chinese == {w for w in jieba.Tokenizer().cut_for_search(text) if not w.isascii()}
    assert {"l2", "normalize", "l2_normalize"} <= set(fast.split("K.l2_normalize(x)"))
    own = tmp_path / "dict.txt"
    own.write_text("科学空间 10 n\n", encoding="utf-8")
    assert not SearchChineseFixed({"dict": str(own)}).fast


# --- stamps: nothing changed, nothing done ----------------------------------------------------


def test_unchanged_convert_and_build_are_skipped_and_repeat_their_warnings(tmp_path: Path, capsys) -> None:
    project = new_project(tmp_path / "p")
    src = write_articles(project / "sources", SPECS[:3])
    src[0].write_text(src[0].read_text(encoding="utf-8") + "\n只有一个$美元。\n", encoding="utf-8")
    assert run(["--project", str(project), "build"]) == 0
    first = capsys.readouterr()
    assert "KB103" in first.err and "html: read" in first.out
    index = project / "_build" / "html" / "index.html"
    mtime = index.stat().st_mtime_ns

    assert run(["--project", str(project), "build"]) == 0
    second = capsys.readouterr()
    assert "unchanged since the last convert" in second.out
    assert "html: " in second.out and "unchanged, not rebuilt" in second.out
    assert "KB103" in second.err  # a skipped step still names its input's problems
    assert index.stat().st_mtime_ns == mtime

    # An output removed by hand, or a changed source, makes the step run again.
    index.unlink()
    assert run(["--project", str(project), "build", "-q"]) == 0
    assert index.is_file()
    src[1].write_text(src[1].read_text(encoding="utf-8") + "\n新加的一段。\n", encoding="utf-8")
    assert run(["--project", str(project), "build"]) == 0
    third = capsys.readouterr()
    assert "1 parsed" in third.out and "unchanged, not rebuilt" not in third.out


def test_one_changed_article_rewrites_only_its_page_unless_its_title_changed(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p")
    small_chapters(project, 3)
    src = write_articles(project / "sources", SPECS)
    assert run(["--project", str(project), "build", "-q"]) == 0
    html = project / "_build" / "html"

    def pages() -> dict[str, int]:
        return {p.relative_to(html).as_posix(): p.stat().st_mtime_ns for p in html.rglob("*.html")}

    before = pages()
    src[1].write_text(src[1].read_text(encoding="utf-8") + "\n正文改了一句。\n", encoding="utf-8")
    assert run(["--project", str(project), "build", "-q"]) == 0
    after = pages()
    rewritten = {p for p in before if after.get(p) != before[p]}
    changed_page = next(p for p in rewritten if p.endswith("a9001.html"))
    chapter_page = changed_page.rsplit("/", 1)[0] + "/index.html"  # Sphinx rewrites the page listing it
    assert rewritten - {"search.html", "genindex.html"} == {changed_page, chapter_page}

    # A new title: the pages that show it (its chapter's sidebar, its neighbours' links) follow.
    src[1].write_text(src[1].read_text(encoding="utf-8").replace("随笔乙", "随笔乙（新题）"), encoding="utf-8")
    assert run(["--project", str(project), "build", "-q"]) == 0
    chapter = changed_page.split("/")[0]
    for page in (html / chapter).glob("*.html"):
        assert "随笔乙（新题）" in page.read_text(encoding="utf-8"), page


# --- chapters at scale ------------------------------------------------------------------------


def test_large_rest_goes_by_category_then_by_years(tmp_path: Path) -> None:
    config = load_config(ROOT / CONFIG_NAME)
    raw = yaml.safe_load((ROOT / CONFIG_NAME).read_text(encoding="utf-8"))
    raw["large_chapters"] = {"max_articles": 2}
    small = parse_config(raw)
    write_articles(tmp_path / "src", SPECS)
    book = load_book([tmp_path / "src"], small, Reporter())
    layout = [(c.title, c.slug, [a.meta.title for a in c.articles]) for c in book.chapters]
    assert layout == [
        ("变分自编码器（VAE）", "vae", ["变分自编码器（一）：原来是这么一回事", "变分自编码器（二）：从贝叶斯观点出发"]),
        ("信息时代（2012—2013年）", "xin-xi-shi-dai-2012-2013", ["随笔甲", "随笔乙"]),
        ("信息时代（2015—2016年）", "xin-xi-shi-dai-2015-2016", ["随笔丙", "随笔戊"]),
        ("数学研究", "shu-xue-yan-jiu", ["证明丁"]),
    ]
    # The default size keeps a small book as it was: one chapter for the rest.
    default = load_book([tmp_path / "src"], config, Reporter())
    assert [c.slug for c in default.chapters] == ["vae", "misc"]


def test_large_chapters_config_is_checked() -> None:
    raw = yaml.safe_load((ROOT / CONFIG_NAME).read_text(encoding="utf-8"))
    for bad in ({"max_articles": 0}, {"max_articles": "100"}, {"by_year": "yes"}, {"size": 3}):
        raw["large_chapters"] = bad
        with pytest.raises(ConfigError, match="large_chapters"):
            parse_config(raw)


# --- per-chapter PDFs, no orphans -------------------------------------------------------------


@pytest.mark.sphinx
def test_chapter_pdfs_are_built_linked_and_removed_with_their_chapter(tmp_path: Path) -> None:
    if shutil.which("xelatex") is None or shutil.which("pdftotext") is None:
        pytest.skip("xelatex/pdftotext not installed (scripts/debian-deps test)")
    project = new_project(tmp_path / "p")
    small_chapters(project, 3)
    write_articles(project / "sources", SPECS)
    assert run(["--project", str(project), "build", "-q", "--format", "pdf", "--split", "chapters"]) == 0
    chapters = project / "_build" / "pdf" / "chapters"
    made = sorted(p.stem for p in chapters.glob("*.pdf"))
    assert made == ["shu-xue-yan-jiu", "vae", "xin-xi-shi-dai-2012-2015", "xin-xi-shi-dai-2016"]
    text = subprocess.run(["pdftotext", str(chapters / "xin-xi-shi-dai-2012-2015.pdf"), "-"],
                          capture_output=True, text=True).stdout
    assert "随笔甲" in text and "随笔丙" in text and "随笔戊" not in text and "证明丁" not in text
    assert "《科学空间文选》中的一章" in text

    assert run(["--project", str(project), "build", "-q", "--format", "html"]) == 0
    page = BeautifulSoup((project / "_build" / "html" / "vae" / "index.html").read_text("utf-8"), "html.parser")
    link = page.select_one("a.kexue-chapter-pdf")
    assert link is not None and link["href"] == "../chapters/vae.pdf"
    assert (project / "_build" / "html" / "chapters" / "vae.pdf").is_file()

    # Without the split the chapter PDFs go, from the build and from the downloads the HTML serves.
    assert run(["--project", str(project), "build", "-q", "--format", "pdf", "--split", "none"]) == 0
    assert not list(chapters.glob("*.pdf"))
    assert not list((project / "_build" / "downloads" / "chapters").glob("*.pdf"))


def test_removed_article_leaves_no_html_behind(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p")
    src = write_articles(project / "sources", SPECS[:3])
    assert run(["--project", str(project), "build", "-q"]) == 0
    gone = project / "_build" / "html" / "misc" / "a9001.html"
    assert gone.is_file()
    src[1].unlink()
    assert run(["--project", str(project), "build", "-q"]) == 0
    assert not gone.exists()
    assert not (project / "_build" / "html" / "_sources" / "misc" / "a9001.md.txt").exists()
    index = (project / "_build" / "html" / "misc" / "index.html").read_text(encoding="utf-8")
    assert "随笔乙" not in index and "随笔甲" in index


# --- progress -----------------------------------------------------------------------------------


def test_progress_is_one_line_per_phase_in_a_log(tmp_path: Path) -> None:
    project = new_project(tmp_path / "p")
    write_articles(project / "sources", SPECS[:3])
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build"],
                          capture_output=True, text=True, cwd=project)  # standard output is a pipe
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("sources: 3 files read in ") for line in lines)
    assert any(line.startswith("html: read ") and " pages in " in line for line in lines)
    assert any(line.startswith("html: wrote the output in ") for line in lines)
    assert lines[-1].startswith("html: ") and lines[-1].endswith(" s)")
    assert not any("\r" in line or "\x1b" in line for line in lines)  # no redrawn bars in a log
    assert "matplotlib" not in proc.stdout  # an extension's stray print is not passed on
