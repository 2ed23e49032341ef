"""Hosting: the Read the Docs and GitHub Pages configs run the README's commands; the HTML book
has a sitemap and Open Graph tags."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from lxml import etree

from conftest import ALLOW_SKIPS, REQUIRE_ALL, ROOT


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_the_readme_names_two_commands() -> None:
    assert _readme_commands() == ["make book", "make test"]


def test_read_the_docs_config_runs_make_book_and_hands_over_three_formats() -> None:
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text("utf-8"))
    assert config["version"] == 2
    commands = config["build"]["commands"]
    assert "make book" in commands
    for fmt, path in (("html", "_build/html"), ("pdf", "kexue-book.pdf"), ("epub", "kexue-book.epub")):
        assert any(path in c and f"$READTHEDOCS_OUTPUT/{fmt}" in c for c in commands), fmt
    assert {"texlive-xetex", "texlive-lang-chinese", "fonts-noto-cjk", "latexmk"} <= set(config["build"]["apt_packages"])


def test_pages_workflow_runs_the_readme_commands_and_publishes_the_html() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in steps]
    for command in _readme_commands():
        assert command in runs, command
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in workflow["jobs"]["deploy"]["steps"])
    assert workflow["permissions"]["pages"] == "write"


def test_pages_workflow_provides_the_corpus_or_allows_only_its_skips() -> None:
    """The workflow checks out the shared corpus beside the project when the repository names
    where it lives, and runs the tests with no skip allowed (without it, only the corpus's)."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    shared = next(s for s in steps if s.get("with", {}).get("repository", "").startswith("${{ vars."))
    assert shared["uses"].startswith("actions/checkout") and "KEXUE_SHARED_REPOSITORY" in shared["if"]
    assert any("../shared" in s.get("run", "") and s.get("if") == shared["if"] for s in steps)
    test = next(s for s in steps if s.get("run") == "make test")
    assert test["env"][REQUIRE_ALL] == "1"
    assert "the corpus is not at" in test["env"][ALLOW_SKIPS] and "KEXUE_SHARED_REPOSITORY" in test["env"][ALLOW_SKIPS]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert f"{REQUIRE_ALL}=1" in ci and "make test" in ci


def _run_inner_pytest(tmp_path: Path, test: str, **env: str) -> subprocess.CompletedProcess:
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    shutil.copy(ROOT / "tests" / "conftest.py", suite / "conftest.py")
    (suite / "test_inner.py").write_text(test, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k not in (REQUIRE_ALL, ALLOW_SKIPS)} | env
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(suite)],
                          cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)


SKIPPING = "import pytest\n\ndef test_runs():\n    pass\n\ndef test_skips():\n    pytest.skip('no frobnicator here')\n"


def test_a_skip_fails_the_run_where_nothing_may_be_missing(tmp_path: Path) -> None:
    strict = _run_inner_pytest(tmp_path, SKIPPING, **{REQUIRE_ALL: "1"})
    assert strict.returncode == 1, strict.stdout
    assert "test_skips: Skipped: no frobnicator here" in strict.stdout and "1 passed, 1 skipped" in strict.stdout
    allowed = _run_inner_pytest(tmp_path, SKIPPING, **{REQUIRE_ALL: "1", ALLOW_SKIPS: "x, frobnicator"})
    assert allowed.returncode == 0, allowed.stdout
    # The inner suite has no ../shared beside it: a skip there is explained, not a failure.
    lenient = _run_inner_pytest(tmp_path, SKIPPING)
    assert lenient.returncode == 0 and "1 test(s) skipped (this machine lacks " in lenient.stdout, lenient.stdout
    module = _run_inner_pytest(tmp_path, "import pytest\npytest.skip('whole module', allow_module_level=True)\n",
                               **{REQUIRE_ALL: "1"})
    assert module.returncode == 1, module.stdout
    failing = _run_inner_pytest(tmp_path, "def test_fails():\n    assert False\n", **{REQUIRE_ALL: "1"})
    assert failing.returncode == 1


def test_sitemap_and_open_graph(seed_book: Path) -> None:
    html = seed_book / "_build" / "html"
    sitemap = etree.parse(str(html / "sitemap.xml"))
    locations = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    base = yaml.safe_load((ROOT / "kexue-book.yaml").read_text("utf-8"))["book"]["base_url"]
    assert f"{base}vae/index.html" in locations and len(locations) > 36
    assert all(loc.startswith(base) for loc in locations)
    (page,) = [p for p in html.glob("vae/*.html") if "<title>变分自编码器（七）" in p.read_text("utf-8")]
    soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
    og = {m["property"]: m["content"] for m in soup.find_all("meta", property=True)}
    assert og["og:title"].startswith("变分自编码器（七）")
    assert og["og:url"].startswith(base) and og["og:site_name"] == "科学空间文选"
    # The article's opening, not its by-line.
    assert og["og:description"].startswith("在《变分自编码器（五）：VAE + BN = 更好的VAE》中，我们讲到了")
