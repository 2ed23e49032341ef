"""Golden tests: each folder of tests/fixtures holds input files and the MyST they must become.

    tests/fixtures/<case>/input*.txt     sources (read in name order)
    tests/fixtures/<case>/expected/      every page convert writes (book-relative paths)
    tests/fixtures/<case>/warnings.txt   the diagnostics, one per line

Regenerate after an intended change, then review the diff before committing:

    .venv/bin/pytest tests/test_golden.py --regen
    git diff tests/fixtures
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from converters.book import render_book
from converters.config import CONFIG_NAME, load_config
from converters.diagnostics import Reporter
from converters.pipeline import assemble
from converters.readers import READERS

from conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def convert_case(case: Path) -> tuple[dict[str, str], str]:
    reporter = Reporter()
    articles = []
    for source in sorted(p for p in case.iterdir() if p.is_file() and p.name.startswith("input")):
        articles.extend(READERS[source.suffix](source, reporter, source.name))
    config = load_config(ROOT / CONFIG_NAME)
    book = assemble(articles, config, reporter)
    pages = {rel: text for rel, text in render_book(book, config).items()
             if not rel.endswith(".gitignore")}
    warnings = "".join(f"{d}\n" for d in reporter.diagnostics)
    return pages, warnings


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str, regen: bool) -> None:
    case = FIXTURES / name
    pages, warnings = convert_case(case)
    expected_dir = case / "expected"
    if regen:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in pages.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_text(text, encoding="utf-8")
        (case / "warnings.txt").write_text(warnings, encoding="utf-8")
        return
    expected = {p.relative_to(expected_dir).as_posix(): p.read_text(encoding="utf-8")
                for p in expected_dir.rglob("*") if p.is_file()}
    assert sorted(pages) == sorted(expected), "the set of pages changed"
    for rel in sorted(expected):
        assert pages[rel] == expected[rel], f"{name}/expected/{rel} differs (regenerate with --regen and review)"
    assert warnings == (case / "warnings.txt").read_text(encoding="utf-8")
