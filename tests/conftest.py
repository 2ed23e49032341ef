"""Shared test helpers: the golden-file flag and a throw-away copy of the project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true",
                     help="rewrite the expected files of the golden tests from the current output")


@pytest.fixture
def regen(request) -> bool:
    return request.config.getoption("--regen")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's configuration with an empty book, to convert and build into."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in ("conf.py", "kexue-book.yaml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "_static", dest / "_static")
    (dest / "book").mkdir()
    shutil.copy(ROOT / "book" / "references.bib", dest / "book" / "references.bib")
    return dest
