"""Unfriendly sources (tests/hostile/) build into a book with -W; text stays text everywhere.

What a reader of the HTML would meet is asserted on the built pages: no script, iframe, event
handler or dangerous link from a source; no file of this machine in the book; text in GB18030
and UTF-16 present; the binary file skipped; a page Sphinx rejects shown as literal text with
one warning naming its source line; removed articles gone from the output.
"""

from __future__ import annotations

import json
import codecs
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from lxml import html as lxml_html

from converters.cli import run
from converters.diagnostics import Reporter, SkippedSource
from converters.readers.textio import decode
from converters.texsafety import tex_sandbox_env, unsafe_tex

from conftest import new_project

HOSTILE = Path(__file__).parent / "hostile"
# A test-only extension standing for any reason Sphinx may have to reject a page.
REJECTING_EXTENSION = '''
from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)


def check(app, doctree):
    for node in doctree.findall(nodes.paragraph):
        if "KEXUE-REJECT-ME" in node.astext():
            logger.warning("this paragraph is rejected by the test", location=node)


def setup(app):
    app.connect("doctree-read", check)
    return {"parallel_read_safe": True}
'''
# Scripts a page of the book may hold: Sphinx's, the theme's and MathJax's, all from the book.
ALLOWED_INLINE_SCRIPT = re.compile(r"^\s*(window\.MathJax = |DOCUMENTATION_OPTIONS\.|document\.documentElement\."
                                   r"|// Activate the search field on page load|$)")


THEME_HANDLERS = {"window.print()", "toggleFullScreen()"}
# A file planted beside the book that hostile sources try to include (tests/hostile/inline-code.*
# name it by relative and srcdir-absolute paths). Highlighted, it would be split into <span>s:
# it is looked for in the text a reader sees, and in the bytes of every output file.
LEAK_MARKER_FILE = "kexue-leak-marker.txt"
LEAK_MARKER = 'KEXUE_LEAK_MARKER = 0x7f3a9c  # planted by test_hostile'


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory) -> tuple[Path, str]:
    project = new_project(tmp_path_factory.mktemp("hostile") / "project")
    (project / LEAK_MARKER_FILE).write_text(LEAK_MARKER + "\n", encoding="utf-8")
    (project / "reject_marker.py").write_text(REJECTING_EXTENSION, encoding="utf-8")
    with open(project / "conf.py", "a", encoding="utf-8") as conf:
        conf.write("\nsys.path.insert(0, str(Path(__file__).parent))\nextensions.append('reject_marker')\n")
    err_file = project / "stderr.txt"
    # A separate process, as a user runs it: its stderr is what the user reads.
    proc = subprocess.run([sys.executable, "-c", "from converters.cli import main; main()", "--project", str(project),
                           "build", str(HOSTILE)], capture_output=True, text=True, cwd=project)
    err_file.write_text(proc.stderr, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    return project, proc.stderr


def _pages(project: Path) -> dict[str, BeautifulSoup]:
    html = project / "_build" / "html"
    return {p.relative_to(html).as_posix(): BeautifulSoup(p.read_text("utf-8"), "html.parser")
            for p in html.rglob("*.html") if "_static" not in p.parts}


def test_builds_with_strict_warnings_and_names_every_problem(hostile_book) -> None:
    project, err = hostile_book
    lines = err.splitlines()
    assert any(re.search(r"hostile/binary\.txt:1: warning: .*not a text file.*\[KB112\]", line) for line in lines)
    assert any(re.search(r"hostile/gb18030\.txt:1: warning: .*read as GB18030.*\[KB101\]", line) for line in lines)
    assert any(re.search(r"hostile/utf16\.txt:1: warning: .*read as UTF-16.*\[KB101\]", line) for line in lines)
    rejected = [line for line in lines if "[KB115]" in line]
    assert len(rejected) == 1 and re.search(r"hostile/rejected\.md:10: warning: Sphinx rejected the page of "
                                            r"《一篇Sphinx拒绝的文章》", rejected[0]), rejected
    assert not any("KB103" in line for line in lines), "an escaped \\$ is not an unbalanced dollar"
    assert "Traceback" not in err
    assert sum("[KB114]" in line for line in lines) == 4  # \input, ^^5c, \href{javascript:…}, \immediate\write18
    unsafe_links = [line for line in lines if "[KB113]" in line]
    assert unsafe_links and all(re.search(r"hostile\.md:2[34]:", line) for line in unsafe_links), unsafe_links


def test_no_script_iframe_or_handler_from_a_source(hostile_book) -> None:
    project, _ = hostile_book
    for name, soup in _pages(project).items():
        assert not soup.find_all(["iframe", "object", "embed"]), name
        for script in soup.find_all("script"):
            src = script.get("src")
            if src:
                assert not re.match(r"^[a-z]+:", src) and "_static/" in src or src.endswith("searchindex.js"), src
            elif script.get("type") == "application/json":
                # Data a browser never runs (the hover previews): it must parse, and hold no `<`
                # that could end the element early.
                assert script.get("id") == "kexue-previews" and "<" not in script.string, (name, script)
                json.loads(script.string)
            else:
                assert ALLOWED_INLINE_SCRIPT.match(script.string or ""), (name, script.string)
                assert "alert" not in (script.string or ""), (name, script.string)
        for tag in soup.find_all(True):
            handlers = {v for k, v in tag.attrs.items() if k.startswith("on")}
            assert handlers <= THEME_HANDLERS, (name, tag)  # the theme's print button only
        for a in soup.find_all("a", href=True):
            assert not re.match(r"^\s*(javascript|data|file|vbscript):", a["href"], re.I), (name, a)
        for img in soup.find_all("img", src=True):
            assert not re.match(r"^\s*(javascript|data|file):", img["src"], re.I), (name, img)


def test_source_text_is_shown_as_text(hostile_book) -> None:
    project, _ = hostile_book
    page = _pages(project)["misc/a90101.html"]
    article = page.find("article")
    text = article.get_text()
    assert "<script>alert('t')</script>" in page.find("h1").get_text()  # the title's punctuation as written
    assert "最后一段：正文完整。" in text and "第一段正文" in text
    code = [pre.get_text() for pre in article.find_all("pre")]
    assert any(".. raw:: html" in c and "<script>alert('fence')</script>" in c for c in code)
    assert any("\\immediate\\write18{touch /tmp/kexue-pwned}" in c for c in code)
    inline = [c.get_text() for c in article.find_all("code")]
    assert "$\\input{/etc/passwd}$" in inline
    assert "<script>alert('html block')</script>" in text and '<iframe src="https://example.com/frame">' in text
    assert "价格 $5 与 $10" in text
    hrefs = {a["href"] for a in article.find_all("a", href=True)}
    assert "https://kexue.fm/archives/5253" in hrefs  # a link on the article's site, made absolute
    assert "路径（path:/etc/passwd）" in text  # a MyST scheme that reads files: text


def _reader_text(path: Path) -> str:
    """A built page's text as a reader sees it: syntax-highlighting spans joined, entities decoded."""
    return " ".join(lxml_html.parse(str(path)).getroot().text_content().split())


def test_no_file_of_this_machine_enters_the_book(hostile_book) -> None:
    project, _ = hostile_book
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()[0]
    secrets = [passwd, LEAK_MARKER, "0x7f3a9c"]
    assert not Path("/tmp/kexue-pwned").exists()
    outputs = [p for p in (project / "_build").rglob("*") if p.is_file()] + list((project / "book").rglob("*.md"))
    assert any(p.suffix == ".html" for p in outputs)
    for path in outputs:
        if path.suffix == ".html":
            text = _reader_text(path)
            for secret in secrets:
                assert " ".join(secret.split()) not in text, (path, secret)
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode("utf-8") not in data, (path, secret)
    assert not (project / "_build" / "html" / "_downloads").exists()


def test_inline_code_with_line_breaks_stays_inline_code(hostile_book) -> None:
    # Finding 1 of issue 20: a line of inline code starting with ```{eval-rst} became a directive.
    # tests/hostile/inline-code.* put it in a paragraph (LF, CRLF, CR), a heading, a table cell,
    # link text and title, alt text and figure captions (U+2028, NEL, vertical tab: MyST splits a
    # directive's body at them), and a feed item.
    project, _ = hostile_book
    pages = {name: soup for name, soup in _pages(project).items() if name.startswith("misc/")}
    code_pages = [soup for soup in pages.values() if "行内代码" in soup.find("h1").get_text()]
    assert len(code_pages) == 2
    for soup in code_pages:
        article = soup.find("article")
        codes = [" ".join(c.get_text().split()) for c in article.find_all("code")]
        payloads = [c for c in codes if "{eval-rst}" in c or "{include}" in c]
        assert payloads and all(c.startswith("x ```{") and c.endswith("``` y") for c in payloads), codes
        assert not article.find_all(["script", "iframe"])
        text = article.get_text()
        assert "alert('" in text  # the payload is shown, as text
        assert not re.search(r"^\s*(\.\. |```)", text, re.M)  # and nothing of it on a line of its own
    page = next(s for s in code_pages if "最后一段：正文完整。" in s.get_text())
    article = page.find("article")
    assert len(article.find_all("figure")) == 2 and "图二注" in article.find_all("figcaption")[1].get_text()
    (heading,) = [h for h in article.find_all("h2") if "标题" in h.get_text()]
    assert "结束" in heading.get_text() and "{include}" in heading.get_text()
    rows = article.find("table").find("tbody").find_all("tr")
    assert len(rows) == 1 and [td.get_text(" ", strip=True) for td in rows[0].find_all("td")][1] == "上 下"


def test_other_encodings_are_read_and_binary_is_skipped(hostile_book) -> None:
    project, _ = hostile_book
    texts = {name: soup.get_text() for name, soup in _pages(project).items() if name.startswith("misc/")}
    assert any("这段文字以GB18030保存" in t and "几何平均不超过算术平均" in t for t in texts.values())
    assert any("这段文字以UTF-16保存，带字节顺序标记" in t for t in texts.values())
    articles = [p for p in (project / "book" / "misc").glob("*.md") if p.name != "index.md"]
    assert len(articles) == 6  # hostile, rejected, GB18030, UTF-16, inline-code page and feed; not the binary file


def test_rejected_page_keeps_all_its_text(hostile_book) -> None:
    project, _ = hostile_book
    article = _pages(project)["misc/a90102.html"].find("article")
    literal = "".join(pre.get_text() for pre in article.find_all("pre"))
    for paragraph in ("开头一段。", "第二段之后是被拒绝的段落。", "KEXUE-REJECT-ME", "最后一段。"):
        assert paragraph in literal
    assert "无法排版" in article.get_text()


def test_mathjax_runs_with_safe_options(hostile_book) -> None:
    project, _ = hostile_book
    html = project / "_build" / "html"
    assert (html / "_static" / "mathjax" / "ui" / "safe.js").is_file()
    config = next(s.string for s in _pages(project)["misc/a90101.html"].find_all("script")
                  if s.string and "window.MathJax" in s.string)  # a page with formulas
    assert '"ui/safe"' in config and '"require"' in config and '"javascript": false' in config


def test_removed_articles_leave_the_html(hostile_book) -> None:
    # Runs last of the book's tests: it rebuilds the book from one source.
    project, _ = hostile_book
    html = project / "_build" / "html"
    assert (html / "misc" / "a90101.html").is_file()
    assert run(["--project", str(project), "build", "-q", str(HOSTILE / "gb18030.txt")]) == 0
    assert not (html / "misc" / "a90101.html").exists()
    assert not (html / "_sources" / "misc" / "a90101.md.txt").exists()
    assert (html / "index.html").is_file() and (html / "search.html").is_file()


# --- encodings -------------------------------------------------------------------------

TEXT = "我们知道，VAE的训练目标是最大化似然。\n推导如下：$a+b$。\n"
TRADITIONAL = "我們知道，VAE的訓練目標是最大化似然。變分自編碼器是一種生成模型。\n"


@pytest.mark.parametrize("data, text, encoding", [
    (TEXT.encode("utf-8"), TEXT, "UTF-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), TEXT, "UTF-8"),
    (TEXT.encode("utf-16"), TEXT, "UTF-16"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), TEXT, "UTF-16"),
    (TEXT.encode("utf-32"), TEXT, "UTF-32"),
    (TEXT.encode("gb18030"), TEXT, "GB18030"),
    (TEXT.encode("gbk"), TEXT, "GB18030"),
    (TRADITIONAL.encode("big5"), TRADITIONAL, "Big5"),
])
def test_decodes_without_loss(data: bytes, text: str, encoding: str) -> None:
    decoded = decode(data, "x.txt", Reporter())
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_damaged_utf8_stays_utf8_with_a_warning() -> None:
    data = TEXT.encode("utf-8") * 3
    data = data[:12] + b"\xff" + data[12:]  # after 我们知道
    reporter = Reporter()
    decoded = decode(data, "x.txt", reporter)
    assert decoded.encoding == "UTF-8" and decoded.text.count("\ufffd") == 1
    assert [d.code.value for d in reporter.diagnostics] == ["KB101"]


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, b"ELF\x00\x01\x02" * 50,
                                  os.urandom(2048)])
def test_binary_is_skipped(data: bytes) -> None:
    with pytest.raises(SkippedSource):
        decode(data, "x.txt", Reporter())


# --- TeX ---------------------------------------------------------------------------------

@pytest.mark.parametrize("tex", [r"\input{/etc/passwd}", r"\include{x}", r"\openin1=/etc/passwd",
                                 r"\immediate\write18{ls}", r"^^5cinput{x}", r"\csname input\endcsname",
                                 r"\catcode`\^=7", r"\scantokens{x}", r"\begin{filecontents}{x}"])
def test_tex_that_reaches_files_is_refused(tex: str) -> None:
    assert unsafe_tex(tex)


@pytest.mark.parametrize("tex", [r"\frac{a}{b}", r"\mathbb{E}_{x\sim p}", r"\inf_x f", r"\infty", r"\readout",
                                 r"\text{write}", r"\left(\begin{array}{c}x\end{array}\right)"])
def test_ordinary_tex_is_allowed(tex: str) -> None:
    assert unsafe_tex(tex) is None


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed")
def test_xelatex_runs_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "t.tex").write_text("\\documentclass{article}\\begin{document}\\input{/etc/hostname}"
                                    "\\immediate\\write18{touch pwned}\\end{document}\n", encoding="utf-8")
    subprocess.run(["xelatex", "-interaction=nonstopmode", "t.tex"], cwd=tmp_path, capture_output=True,
                   env=tex_sandbox_env(), timeout=120)
    log = (tmp_path / "t.log").read_text(encoding="utf-8", errors="replace")
    assert "/etc/hostname.tex' not found" in log or "not allowed" in log
    assert not (tmp_path / "pwned").exists()
