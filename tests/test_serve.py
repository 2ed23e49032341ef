"""`make serve` / `kexue-book serve`: a live preview that follows edits of a source."""

from __future__ import annotations

import os
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
def test_the_live_builds_equal_a_cold_build(tmp_path: Path, monkeypatch) -> None:
    """The live preview keeps one Sphinx application between builds (converters/serve.py):
    after edits, every page and the search index are those of a cold `kexue-book build`."""
    from converters.build import build_format
    from converters.config import CONFIG_NAME, load_config
    from converters.convert import convert_book
    from converters.serve import LiveBuild
    from conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS} (it lives in shared/)")
    project = new_project(tmp_path / "live")
    sources = project / "sources"
    sources.mkdir()
    for path in sorted(CORPUS.glob("*.md"))[:6]:
        (sources / path.name).write_bytes(path.read_bytes())
    monkeypatch.chdir(project)
    said: list[str] = []
    live = LiveBuild(project, [sources], jobs=2, say=said.append)  # as serve runs it: over the cores
    assert live(), said
    first = sorted(sources.glob("*.md"))[0]
    for k, text in enumerate(["\n\n第一次改动，加上一段。\n", "\n\n第二次改动：$$x^2\\label{eq:live}$$ 见\\eqref{eq:live}。\n"]):
        with first.open("a", encoding="utf-8") as f:
            f.write(text)
        assert live(), said
    page = next((project / "_build" / "html").rglob(f"a{first.stem}.html")).read_text(encoding="utf-8")
    assert "第二次改动" in page and "第一次改动" in page

    cold = new_project(tmp_path / "cold")
    (cold / "sources").mkdir()
    for path in sources.glob("*.md"):
        (cold / "sources" / path.name).write_bytes(path.read_bytes())
    monkeypatch.chdir(cold)
    convert_book([cold / "sources"], load_config(cold / CONFIG_NAME), cold / "book", cold / "_build")
    build_format(cold, "html", cold / "_build")
    live_pages, cold_pages = _pages(project / "_build" / "html"), _pages(cold / "_build" / "html")
    assert sorted(live_pages) == sorted(cold_pages)
    different = [name for name in live_pages if live_pages[name] != cold_pages[name]]
    assert not different, different
