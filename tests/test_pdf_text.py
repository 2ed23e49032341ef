"""The PDF prints an article's text as written: TeX's input ligatures are off."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import new_project

ARTICLE = """---
title: "引号"
date: "2020-01-01"
url: "https://kexue.fm/archives/90013"
---

他说"hello"，还有``x''与a--b。
"""


@pytest.mark.skipif(not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")),
                    reason="xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")
def test_straight_quotes_stay_straight(tmp_path: Path) -> None:
    """conf.py's fontpkg replaces Sphinx's, and with it Sphinx's `\\defaultfontfeatures{}`:
    fontspec's TeX ligatures printed `"hello"` as ”hello” (two closing quotes) and ``x'' as “x”."""
    project = new_project(tmp_path / "project")
    (project / "sources").mkdir()
    (project / "sources" / "q.md").write_text(ARTICLE, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build", "--format", "pdf",
                           str(project / "sources")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    pdf = project / "_build" / "pdf" / "kexue-book.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    line = next(line for line in text.splitlines() if line.startswith("他说"))
    assert '"hello"' in line and "``x''" in line, line


LONG = "一个很长很长的标题" * 8


@pytest.mark.skipif(not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")),
                    reason="xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")
def test_a_long_title_is_cut_in_the_running_head(tmp_path: Path) -> None:
    """The running head holds the chapter (left) and the article (right): a long title printed
    over the chapter's name.  Each is cut with "…" to its share of the line."""
    import re

    project = new_project(tmp_path / "project")
    (project / "sources").mkdir()
    body = "\n\n".join(["正文一段，足够长的文字。" * 20] * 12)
    (project / "sources" / "long.md").write_text(
        f'---\ntitle: "{LONG}"\ndate: "2020-01-01"\nurl: "https://kexue.fm/archives/90014"\n---\n\n{body}\n',
        encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build", "--format", "pdf",
                           str(project / "sources")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    pdf = project / "_build" / "pdf" / "kexue-book.pdf"
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    heads = 0
    for page in xml.split("<page ")[1:]:
        found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page)
        words = sorted((float(x0), float(x1), w) for x0, y0, x1, w in found if float(y0) < 60)  # the head's line
        if not any("标题" in w for _, _, w in words):
            continue
        heads += 1
        assert any(w.endswith(("…", "⋯")) for _, _, w in words), words  # the CJK font draws … centred
        for (_, end, _), (start, _, word) in zip(words, words[1:]):
            assert start >= end - 0.5, (word, words)  # no word printed over the one before
    assert heads >= 2
