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
