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
