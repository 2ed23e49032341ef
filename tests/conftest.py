"""Shared test helpers: the golden-file flag, a throw-away copy of the project, and the rule
that on a machine with everything the tests use, no test may skip."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
CORPUS_REAL = SHARED / "corpus-real"

# --- no skip on a machine that has everything ------------------------------------------------
# A test skips when something it needs is missing (the corpus, xelatex, epubcheck, chromium).
# Where all of it is present, a skip can only mean a test that silently stopped testing: the
# run fails.  KEXUE_BOOK_REQUIRE_ALL=1 makes the rule hold whatever is missing (CI, which
# installs everything); KEXUE_BOOK_ALLOW_SKIPS="text, …" allows the skips whose reason holds
# one of the texts (the Pages workflow without the corpus: "the corpus is not at").
REQUIRE_ALL = "KEXUE_BOOK_REQUIRE_ALL"
ALLOW_SKIPS = "KEXUE_BOOK_ALLOW_SKIPS"


def missing_requirements() -> list[str]:
    """What this machine lacks of what some test needs (each makes those tests skip)."""
    missing = [str(folder) for folder in (CORPUS, CORPUS_REAL) if not folder.is_dir()]
    missing += [tool for tool in ("xelatex", "latexmk", "pdftotext", "java") if shutil.which(tool) is None]
    if not Path("/usr/share/java/epubcheck.jar").is_file():
        missing.append("epubcheck")
    if not Path("/usr/bin/chromium").exists():
        missing.append("chromium")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright")
    return missing


_skips: list = []  # test and collection reports
_unexpected: list = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skips.append(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:  # a whole module skipped (`pytest.skip(..., allow_module_level=True)`)
        _skips.append(report)


def _reason(report) -> str:
    longrepr = report.longrepr
    return str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    strict = os.environ.get(REQUIRE_ALL) == "1" or not missing_requirements()
    allowed = [text.strip() for text in os.environ.get(ALLOW_SKIPS, "").split(",") if text.strip()]
    _unexpected[:] = [r for r in _skips if not any(text in _reason(r) for text in allowed)] if strict else []
    if _unexpected and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _unexpected:
        terminalreporter.section("skipped although nothing is missing", red=True)
        terminalreporter.line(f"{len(_unexpected)} test(s) skipped on a machine with everything the tests use "
                              f"(or with {REQUIRE_ALL}=1); each skip fails the run (allow one with "
                              f"{ALLOW_SKIPS}=\"<part of its reason>\"):", red=True)
        for report in _unexpected:
            terminalreporter.line(f"  {report.nodeid}: {_reason(report)}", red=True)
    elif _skips:
        missing = missing_requirements()
        why = f"this machine lacks {', '.join(missing)}" if missing else f"allowed by {ALLOW_SKIPS}"
        terminalreporter.line(f"{len(_skips)} test(s) skipped ({why})")


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


# --- the book in headless Chromium (test_browser.py, test_accessibility.py) -------------------
CHROMIUM = Path("/usr/bin/chromium")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass


def serve_html(project: Path):
    """The project's built HTML on a loopback port, for as long as the generator is not closed."""
    handler = functools.partial(_QuietHandler, directory=str(project / "_build" / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium for one test module, without the background traffic this closed network
    refuses.  Per module: Playwright's sync API cannot run while another module starts its own."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--no-first-run"])
        yield b
        b.close()
