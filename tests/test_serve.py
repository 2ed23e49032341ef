"""`make serve` / `kexue-book serve`: a live preview that follows edits of a source."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import new_project

ARTICLE = """---
title: "实时预览的文章"
date: "2024-01-02"
url: "https://kexue.fm/archives/90010"
---

{body}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, text: str, seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    page = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                page = response.read().decode("utf-8")
            if text in page:
                return page
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never showed {text!r}; last page:\n{page[-2000:]}")


@pytest.mark.sphinx
def test_serve_rebuilds_when_a_source_changes(tmp_path: Path) -> None:
    project = new_project(tmp_path / "project")
    sources = tmp_path / "articles"
    sources.mkdir()
    source = sources / "live.md"
    source.write_text(ARTICLE.format(body="第一版的正文。"), encoding="utf-8")
    port = _free_port()
    log = open(tmp_path / "serve.log", "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", "from converters.cli import main; main()", "--project", str(project),
                             "serve", str(sources), "--port", str(port)],
                            cwd=project, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/misc/a90010.html"
        _wait_for(url, "第一版的正文。")
        source.write_text(ARTICLE.format(body="第二版的正文，改过了。"), encoding="utf-8")
        page = _wait_for(url, "第二版的正文，改过了。")
        assert "第一版的正文。" not in page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    assert proc.returncode is not None


def _pages(html: Path) -> dict[str, bytes]:
    """Every page and the search index, as a reader's browser gets them."""
    return {p.relative_to(html).as_posix(): p.read_bytes() for p in sorted(html.rglob("*"))
            if p.suffix == ".html" or p.name == "searchindex.js"}


@pytest.mark.sphinx
def test_the_live_and_incremental_builds_equal_a_cold_build(tmp_path: Path, monkeypatch) -> None:
    """After three edits, the pages of `kexue-book serve` (one Sphinx application kept between
    builds, converters/serve.py) and of `kexue-book build` run after each edit (convert reads
    the changed source alone, Sphinx reads one page) are those of a cold build, byte for byte:
    every page and the search index."""
    from converters.build import build_format
    from converters.config import CONFIG_NAME, load_config
    from converters.convert import convert_book
    from converters.serve import LiveBuild
    from conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS} (it lives in shared/)")

    def project_of(name: str) -> Path:
        project = new_project(tmp_path / name)
        (project / "sources").mkdir()
        for path in sorted(CORPUS.glob("*.md"))[:6]:
            (project / "sources" / path.name).write_bytes(path.read_bytes())
        return project

    def build(project: Path) -> None:
        monkeypatch.chdir(project)  # warnings and pages name sources relative to it
        result = convert_book([project / "sources"], load_config(project / CONFIG_NAME), project / "book",
                              project / "_build")
        build_format(project, "html", project / "_build")
        builds.append(result.incremental)

    live_project, built_project = project_of("live"), project_of("built")
    said: list[str] = []
    live = LiveBuild(live_project, [live_project / "sources"], jobs=2, say=said.append)  # as serve: over the cores
    monkeypatch.chdir(live_project)
    assert live(), said
    builds: list[int] = []
    build(built_project)
    # Two edits that add text, one that takes words away (Sphinx keeps a word no page has any
    # more in its search index, as an empty list, unless told otherwise: zh_search.py).
    edits = [("", "\n\n第一次改动，加上一段 Zanzibarquux。\n"), ("", "\n\n第二次改动：$$x^2\\label{eq:live}$$ 见\\eqref{eq:live}。\n"),
             ("第一次改动，加上一段 Zanzibarquux。", "改写过的文字。")]
    for old, new in edits:
        for project in (live_project, built_project):
            source = sorted((project / "sources").glob("*.md"))[0]
            text = source.read_text(encoding="utf-8")
            source.write_text(text.replace(old, new) if old else text + new, encoding="utf-8")
        monkeypatch.chdir(live_project)
        assert live(), said
        build(built_project)
    assert builds[1:] == [1, 1, 1]  # each edit: the changed source alone converted
    first = sorted((live_project / "sources").glob("*.md"))[0]
    page = next((live_project / "_build" / "html").rglob(f"a{first.stem}.html")).read_text(encoding="utf-8")
    assert "第二次改动" in page and "改写过的文字" in page and "第一次改动" not in page

    cold = new_project(tmp_path / "cold")
    (cold / "sources").mkdir()
    for path in (live_project / "sources").glob("*.md"):
        (cold / "sources" / path.name).write_bytes(path.read_bytes())
    build(cold)
    cold_pages = _pages(cold / "_build" / "html")
    for project in (live_project, built_project):
        pages = _pages(project / "_build" / "html")
        assert sorted(pages) == sorted(cold_pages)
        different = [name for name in pages if pages[name] != cold_pages[name]]
        assert not different, (project.name, different)


def _two_articles_live(tmp_path: Path, monkeypatch):
    """A project of two articles and its LiveBuild (converters/serve.py), with what it says."""
    from converters.serve import LiveBuild

    project = new_project(tmp_path / "project")
    sources = project / "sources"
    sources.mkdir()
    (sources / "one.md").write_text(ARTICLE.format(body="第一篇的正文。"), encoding="utf-8")
    (sources / "two.md").write_text(ARTICLE.replace("90010", "90011").replace("实时预览的文章", "第二篇文章")
                                    .format(body="第二篇的正文。"), encoding="utf-8")
    monkeypatch.chdir(project)
    said: list[str] = []
    return project, sources, LiveBuild(project, [sources], say=said.append), said


@pytest.mark.sphinx
def test_the_live_preview_recovers_follows_the_configuration_and_removes_pages(tmp_path: Path, monkeypatch,
                                                                             capsys) -> None:
    """One LiveBuild through what an author does while it runs: a build that fails (a broken
    conf.py) and the edit that mends it, kexue-book.yaml edited (every page shows the new book
    title, also pages no source edit touched; the new Sphinx application's extensions do not
    warn that the last one's registered their directives already), a source removed (its page
    is gone)."""
    project, sources, live, said = _two_articles_live(tmp_path, monkeypatch)
    html = project / "_build" / "html"
    assert live(), said
    assert "第二篇的正文。" in (html / "misc" / "a90011.html").read_text(encoding="utf-8")

    conf = project / "conf.py"
    good = conf.read_text(encoding="utf-8")
    conf.write_text(good + "\nraise RuntimeError('broken on purpose')\n", encoding="utf-8")
    assert not live()
    assert "broken on purpose" in "\n".join(said)
    conf.write_text(good, encoding="utf-8")
    (sources / "one.md").write_text(ARTICLE.format(body="修好以后的正文。"), encoding="utf-8")
    assert live(), said
    assert "修好以后的正文。" in (html / "misc" / "a90010.html").read_text(encoding="utf-8")

    config = project / "kexue-book.yaml"
    text = config.read_text(encoding="utf-8")
    title = re.search(r'^  title: "?([^"\n]+)"?$', text, re.M).group(1)
    config.write_text(text.replace(title, "改过名字的书", 1), encoding="utf-8")
    assert live(), said
    page = (html / "misc" / "a90011.html").read_text(encoding="utf-8")
    assert "改过名字的书" in page and title not in page
    assert "already registered" not in capsys.readouterr().err

    (sources / "two.md").unlink()
    assert live(), said
    assert not (html / "misc" / "a90011.html").exists()
    assert "第二篇文章" not in (html / "index.html").read_text(encoding="utf-8")


@pytest.mark.sphinx
def test_a_page_removed_while_a_build_failed_is_removed_by_the_next_build(tmp_path: Path, monkeypatch) -> None:
    """Sphinx saves its environment (which forgets a removed page) before it writes the pages:
    when writing fails or is interrupted, the next build no longer sees the removal, and the
    removed page's HTML must still be deleted (sphinx_ext/stale_output.py)."""
    project, sources, live, said = _two_articles_live(tmp_path, monkeypatch)
    assert live(), said
    removed = project / "_build" / "html" / "misc" / "a90011.html"
    assert removed.is_file()

    (sources / "two.md").unlink()

    def interrupted(*args, **kwargs):
        raise RuntimeError("writing interrupted")
    live.app.builder.write = interrupted  # the application is kept: the configuration did not change
    assert not live()
    assert "writing interrupted" in "\n".join(said)
    assert live(), said
    assert not removed.exists()
