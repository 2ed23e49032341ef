"""Shared test helpers: the golden-file flag and a throw-away copy of the project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_REAL = ROOT.parent / "shared" / "corpus-real"  # real articles with hard TeX


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true",
                     help="rewrite the expected files of the golden tests from the current output")


@pytest.fixture
def regen(request) -> bool:
    return request.config.getoption("--regen")


def new_project(dest: Path) -> Path:
    """A copy of the project's configuration with an empty book (and the hand-kept bibliography)."""
    dest.mkdir(parents=True)
    for name in ("conf.py", "kexue-book.yaml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "_static", dest / "_static")
    (dest / "book").mkdir()
    shutil.copy(ROOT / "book" / "references.bib", dest / "book" / "references.bib")
    return dest


def built_project(dest: Path, sources: list[str]) -> Path:
    """A new project whose book was converted from `sources` and built as HTML with -W."""
    from converters.cli import run

    project = new_project(dest)
    assert run(["--project", str(project), "build", "-q", *sources]) == 0
    return project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path / "project")


@pytest.fixture(scope="session")
def seed_book(tmp_path_factory) -> Path:
    """The book of the embedded sources/, built once for the whole test run."""
    return built_project(tmp_path_factory.mktemp("seeds") / "project", [str(ROOT / "sources")])


@pytest.fixture(scope="session")
def corpus_book(tmp_path_factory) -> Path:
    """The book of the seeds and the corpus (../shared/corpus), built once; skipped without the corpus."""
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus is not at {CORPUS} (it lives in shared/)")
    return built_project(tmp_path_factory.mktemp("corpus") / "project", [str(ROOT / "sources"), str(CORPUS)])


@pytest.fixture(scope="session")
def real_book(tmp_path_factory) -> Path:
    """The book of ../shared/corpus-real alone, built once as HTML; skipped without it."""
    if not CORPUS_REAL.is_dir():
        pytest.skip(f"the real articles are not at {CORPUS_REAL} (they live in shared/)")
    return built_project(tmp_path_factory.mktemp("real") / "project", [str(CORPUS_REAL)])
