"""The book's own strings (kexue-book.yaml: title, subtitle, author, description) are text in the
HTML, whatever they hold: the theme's templates print some of them raw."""

from __future__ import annotations

from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from conftest import new_project

TITLE = '书名</title><img src=x onerror="alert(1)"><b>&amp;</b>'
ARTICLE = """---
title: "一篇文章"
date: "2020-01-01"
url: "https://kexue.fm/archives/90012"
---

正文。
"""


def test_a_book_title_with_markup_is_text_on_every_page(tmp_path: Path) -> None:
    """pydata-sphinx-theme printed `docstitle` raw in the sidebar's logo text (every page) and in
    the search page's <title>: a book titled `</title><img onerror=…>` ran a script there."""
    from converters.cli import run

    project = new_project(tmp_path / "project")
    config_path = project / "kexue-book.yaml"
    config = yaml.safe_load(config_path.read_text("utf-8"))
    config["book"]["title"] = TITLE
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    (project / "sources").mkdir()
    (project / "sources" / "a.md").write_text(ARTICLE, "utf-8")
    assert run(["--project", str(project), "build", "-q", str(project / "sources")]) == 0
    html = project / "_build" / "html"
    pages = sorted(p for p in html.rglob("*.html") if "<title>" in p.read_text("utf-8"))
    assert any(p.name == "search.html" for p in pages) and len(pages) >= 3
    for page in pages:
        soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
        assert soup.find("img", onerror=True) is None and soup.find("b") is None, page.name
        assert TITLE in soup.title.get_text(), page.name
        logo = soup.select_one(".logo__title")
        if logo is not None:
            assert logo.get_text() == TITLE, page.name
