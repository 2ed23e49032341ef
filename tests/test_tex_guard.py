"""TeX from a source stays typesetting: every part of a formula is judged, macros cannot blow up,
and the strings this project builds for LaTeX, HTML and BibTeX say only their text.

Findings of issue 20 guarded here: the `\\tag{\\input …}` bypass (2), the macro bomb (3), and the
escaping of titles, authors, tags and labels in the .tex, the HTML and the 「引用本文」 entry (4).
The PDF test plants a marker file where xelatex's sandbox lets it read, so a formula that reaches
a file shows up in the PDF's text.
"""

from __future__ import annotations

import html as _html
import re
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from pybtex.database import parse_string

from converters import escaping
from converters.cli import run
from converters.diagnostics import Reporter
from converters.model import Article, MathBlock, Meta, Paragraph, SourcePos, Text
from converters.readers.macros import MacroTable, expand, extract_definitions
from converters.texsafety import unsafe_tex
from converters.writers.myst import cite_this_article, write_myst

from conftest import new_project
from test_writer import PARSER

needs_tex = pytest.mark.skipif(not (shutil.which("xelatex") and shutil.which("latexmk") and shutil.which("pdftotext")),
                               reason="xelatex, latexmk or pdftotext missing (scripts/debian-deps book installs them)")

MARKER = "KEXUELEAKMARKER7731"  # the text of the planted file: it must never reach the book


# --- the guard itself -------------------------------------------------------------------------

@pytest.mark.parametrize("tex", [
    r"x = 1 \tag{\input /etc/hostname }", r"x \tag*{\input{/etc/hostname}}", r"\label{\input /etc/hostname}",
    r"\input{/etc/passwd}", r"\include{x}", r"\openin1=/etc/passwd", r"\read1 to\x", r"\immediate\write18{ls}",
    r"\write18{ls}", r"^^5cinput{x}", r"^^5c^^69nput", r"\csname input\endcsname", r"\catcode`\|=0 |input x",
    r"\scantokens{x}", r"\begin{filecontents}{x}", r"\begin{filecontents*}{x}", r"\usepackage{x}",
    r"\lstinputlisting{/etc/passwd}", r"\verbatiminput{/etc/passwd}", r"\includegraphics{/etc/x.png}",
    r"\special{pdf: x}", r"\href{file:///etc/passwd}{x}", r"\href{run:/bin/sh}{x}", r"\href{javascript:alert(1)}{x}",
    r"\url{file:/etc/passwd}", r"\href {https://x}{a}\href{ftp://x}{b}",
    # LaTeX makes a control sequence of \begin's and \end's argument
    r"\begin{input}{/etc/hostname}", r"\begin {input}{/etc/hostname}", r"\end{input}", r"\begin{csname}",
    r"\gdef\x{input}\begin{\x}{/etc/hostname}", r"\begin\x{/etc/hostname}", "\\begin%\n{input}{x}",
    r"\UseName{input}{/etc/hostname}", r"\ExpandArgs{c}\let\x{input}",
    # text that the next run reads back from an auxiliary file
    r"\addtocontents{toc}{\string\inp ut{x}}", r"\addcontentsline{toc}{x}{y}", r"\Uchar92 input",
    r"\detokenize{\input}", r"\label{x\relax}", r"\label\x", r"\index{x}",
    # files read by XeTeX's own primitives
    r'\XeTeXpicfile "/etc/x.png"', r"\filedump length 100{/etc/hostname}", r"\mdfivesum file{/etc/hostname}",
    r"\everymath{\x}", r"\edef\x{y}",
    # what acts on the rest of the book (every one typesets without an error, so the formula check
    # passes it): later formulas, pages and chapters of other articles, or TeX waiting on a terminal
    r"\global\def\sin{HACKED}", r"\global\let\alpha\beta", r"\setcounter{page}{900}", r"\pagecolor{black}",
    r"\pagenumbering{roman}", r"\addtocounter{section}{40}", r"\AtEndDocument{x}", r"\AddToHook{shipout/background}{x}",
    r"x\errorstopmode", r"\scrollmode", r"\interactionmode=2", r"\pausing=1",
])
def test_tex_that_reaches_files_is_refused(tex: str) -> None:
    assert unsafe_tex(tex)


@pytest.mark.parametrize("tex", [
    r"\frac{a}{b}", r"\mathbb{E}_{x\sim p}", r"\inf_x f", r"\infty", r"\readout", r"\text{write input}",
    r"\left(\begin{array}{c}x\end{array}\right)", r"\begin{pmatrix}a\\input\end{pmatrix}", r"a\\read b",
    r"\begin{aligned}a&=b\end{aligned}", r"\begin{equation*}x\end{equation*}", r"\href{https://kexue.fm/a\#b}{x}",
    r"\url{http://x.org/a_b%20c}", r"\stringify x", r"\labelsep", r"\x^2_{i}", r"a^{^2}",
    # a row's label in `align` & co. (texrows.py): a plain name goes to the .aux as it is
    r"\begin{align}a&=b\label{eq:kl}\\c&=d\label{a8404-eq-2}\end{align}",
])
def test_ordinary_tex_is_allowed(tex: str) -> None:
    assert unsafe_tex(tex) is None


# --- through convert: every part of a formula, any reader --------------------------------------

PAGE = """---
title: {title}
date: 2020-01-01
url: https://kexue.fm/archives/{number}
---

第一段。

{formula}

最后一段。
"""

VARIANTS = {  # formula → what the reader must see of it in the page, as code
    "$$x = 1 \\tag{\\input /etc/hostname }$$": "\\tag{\\input /etc/hostname}",
    "$$x = 1 \\tag*{\\input kexue-marker }$$": "\\tag{\\input kexue-marker}",
    "$$\\begin{equation}x = 2\\label{\\input /etc/hostname}\\end{equation}$$": "\\label{\\input /etc/hostname}",
    "$\\newcommand{\\x}{\\input /etc/passwd}$ 然后 $\\x$": "\\newcommand{\\x}{\\input /etc/passwd}",
    "$\\def\\y{\\input /etc/passwd}$ 然后 $\\y+1$": "\\def\\y{\\input /etc/passwd}",
    "$\\newcommand{\\p}[1]{\\#1}$ 然后 $\\p{input}{kexue-marker}$": "\\input}{kexue-marker}",
    "$\\begin{input}{kexue-marker}$": "\\begin{input}{kexue-marker}",
    "$$\\addtocontents{toc}{\\string\\inp ut{kexue-marker}}$$": "\\string\\inp ut",
    # beyond the formula: the rest of the PDF (other articles' formulas, its pages), the terminal
    # (the page's own macro `\\def\\sin` is expanded in its page; what is left, `\\global`, is code)
    "$\\global\\def\\sin{篡改}$ 然后 $\\sin x$": "`$\\global$`",
    "$$x \\setcounter{page}{900}$$": "\\setcounter{page}{900}",
    "$x\\errorstopmode$": "\\errorstopmode",
}


def _convert(project: Path, formulas: list[str], capsys) -> tuple[dict[str, str], list[str]]:
    src = project / "src"
    src.mkdir()
    for k, formula in enumerate(formulas):
        (src / f"v{k:02d}.md").write_text(PAGE.format(title=f"变体{k}", number=90300 + k, formula=formula),
                                          encoding="utf-8")
    assert run(["--project", str(project), "convert", "-q", str(src)]) == 0
    pages = {p.stem: p.read_text("utf-8") for p in (project / "book").rglob("a903*.md")}
    return pages, capsys.readouterr().err.splitlines()


def test_every_part_of_a_formula_is_judged(project: Path, capsys) -> None:
    pages, warnings = _convert(project, list(VARIANTS), capsys)
    for k, shown in enumerate(VARIANTS.values()):
        page = pages[f"a{90300 + k}"]
        assert shown in page, (k, page)
        # shown as code, never as a formula: no `$$` block and no `$…$` holds it
        assert not re.search(r"\$\$\n[^$]*\\(input|string)", page), (k, page)
        assert any(re.search(rf"v{k:02d}\.md:\d+: warning: .*\[KB114\]", w) for w in warnings), (k, warnings)
        assert "第一段。" in page and "最后一段。" in page


def test_a_display_tag_in_a_web_page_is_judged(project: Path, capsys) -> None:
    src = project / "src"
    src.mkdir()
    (src / "p.html").write_text(
        '<html><head><title>网页变体</title></head><body><article><h1>网页变体</h1><p>前文。</p>'
        '<script type="math/tex; mode=display">x = 1 \\tag{\\input kexue-marker }</script>'
        '<p>后文。</p></article></body></html>', encoding="utf-8")
    assert run(["--project", str(project), "convert", "-q", str(src)]) == 0
    page = next(p for p in (project / "book").rglob("*.md") if "网页变体" in p.read_text("utf-8")).read_text("utf-8")
    assert "\\tag{\\input kexue-marker}" in page and "```latex" in page
    assert any("p.html:" in w and "[KB114]" in w for w in capsys.readouterr().err.splitlines())


def test_a_tag_cannot_end_the_formula_block() -> None:
    # What no reader makes today, the writer holds anyway: a tag with `$$` and blank lines.
    tag = "1$$\n\n<script>alert(1)</script>\n\n```{eval-rst}\n"
    article = Article(Meta(title="标签"), [Paragraph([Text("前")]), MathBlock("x", True, "a-x", tag=tag),
                                           Paragraph([Text("后")])], [SourcePos("x.md", 1)], slug="a1", docname="misc/a1")
    tokens = PARSER.parse(write_myst(article).split("---\n", 2)[2])
    kinds = [t.type for t in tokens if t.type not in ("paragraph_open", "paragraph_close", "inline")]
    assert kinds == ["heading_open", "heading_close", "fence", "math_block_label"], kinds  # fence: the by-line
    math = next(t for t in tokens if t.type == "math_block_label")
    assert "<script>alert(1)</script>" in math.content and "后" not in math.content


# --- the macro bomb ------------------------------------------------------------------------------

BOMBS = {
    "seven": "$\\newcommand{\\x}{\\x\\x\\x\\x\\x\\x\\x}$ $\\x$",
    "recursion": "$\\newcommand{\\x}{\\x}$ $\\x$",
    "arguments": "$\\newcommand{\\y}[1]{#1#1#1#1}$ $" + "\\y{" * 30 + "a" + "}" * 30 + "$",
    "chain": "$\\def\\a{xxxxxxxxxx}\\def\\b{\\a\\a\\a\\a\\a\\a\\a\\a\\a\\a}\\def\\c{\\b\\b\\b\\b\\b\\b\\b\\b\\b\\b}"
             "\\def\\d{\\c\\c\\c\\c\\c\\c\\c\\c\\c\\c}\\def\\e{\\d\\d\\d\\d\\d\\d\\d\\d\\d\\d}$ $\\e\\e$",
    "display": "$\\newcommand{\\x}{\\x\\x\\x\\x\\x\\x\\x}$\n\n$$\\x + 1 \\tag{3}$$",
}


def test_ten_macro_bombs_build_small_pages_with_a_warning(project: Path, capsys) -> None:
    formulas = [BOMBS["seven"]] * 10 + list(BOMBS.values())
    tracemalloc.start()
    try:
        pages, warnings = _convert(project, formulas, capsys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60_000_000, peak  # the old code reached 94 MB for one formula
    assert len(pages) == len(formulas)
    for k in range(len(formulas)):
        page = pages[f"a{90300 + k}"]
        assert len(page.encode()) < 20_000, (k, len(page))
        assert "第一段。" in page and "最后一段。" in page
        assert any(re.search(rf"v{k:02d}\.md:\d+: warning: .*\[KB116\]", w) for w in warnings), (k, warnings)
    assert "`$\\x$`" in pages["a90300"]  # the formula kept as its source, as code
    assert "```latex\n\\x + 1\\tag{3}\n```" in pages[f"a{90300 + len(formulas) - 1}"]


def test_the_size_budget_counts_before_it_builds() -> None:
    table = MacroTable()
    tex, _ = extract_definitions(r"\newcommand{\q}[2]{#1#1#1#1#1#1#1#1#2}", table)
    # An argument holding `#2` stays itself: substitution is simultaneous, as in TeX.
    assert expand(r"\q{#2}{b}", table) == "{#2#2#2#2#2#2#2#2b}"
    tracemalloc.start()
    try:
        with pytest.raises(Exception, match="beyond"):
            expand(r"\q{" + "z" * 2000 + "}{b}" * 1, table, budget=10_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_ordinary_page_macros_still_expand() -> None:
    table = MacroTable()
    tex, bad = extract_definitions(r"\newcommand{\KL}{\mathcal{KL}}\newcommand{\norm}[1]{\Vert #1\Vert}", table)
    assert not bad and not tex.strip()
    assert expand(r"\KL(p\Vert q) + \norm{x}", table) == r"{\mathcal{KL}}(p\Vert q) + {\Vert x\Vert}"


# --- escaping for LaTeX, HTML and BibTeX -------------------------------------------------------

HOSTILE = ["}", "{", "\\input{/etc/passwd}", "</title><script>alert(1)</script>", "{{unbalanced", "a}}b",
           "100% #1 & ~x ^y _z $w", "@misc{evil, title={x}}", "\\", "行\n\n段", "\\end{document}"]


@pytest.mark.parametrize("text", HOSTILE)
def test_bibtex_fields_say_their_text(text: str) -> None:
    article = Article(Meta(title=text, author=text, url="https://kexue.fm/archives/1 }{@x", accessed=text),
                      [], [SourcePos("x.md", 1)], slug="a1", docname="misc/a1")
    entry = cite_this_article(article)
    data = parse_string(entry, "bibtex")
    (key, fields), = data.entries.items()
    assert key == "kexuefm-1"
    field = fields.fields["title"]
    assert "\\input" not in field and "@" not in field and "#" not in field.replace("\\#", "")
    assert field.count("{") == field.count("}")
    assert fields.fields["url"].startswith("https://kexue.fm/archives/1")
    assert set(fields.fields) == {"title", "url", "urldate"} and len(fields.persons["author"]) >= 0


@pytest.mark.parametrize("text", HOSTILE)
def test_html_says_its_text(text: str) -> None:
    soup = BeautifulSoup(f'<p title="{escaping.html(text)}">{escaping.html(text)}</p>', "html.parser")
    assert soup.p.get_text() == text and soup.p["title"] == text and not soup.find("script")


@pytest.mark.parametrize("text", HOSTILE)
def test_latex_has_no_command_from_text(text: str) -> None:
    out = escaping.latex(text)
    assert "\n" not in out and not re.search(r"\\(?!textbackslash\{\}|textasciicircum\{\}|textasciitilde\{\}|[{}$&#_%])",
                                             out)


@needs_tex
def test_latex_escapes_typeset_as_their_text(tmp_path: Path) -> None:
    lines = "".join(f"\\noindent[{escaping.latex(t)}]\\par\n" for t in HOSTILE)
    (tmp_path / "t.tex").write_text("\\documentclass{article}\\usepackage{fontspec}\\begin{document}\n"
                                    + lines + "\\end{document}\n", encoding="utf-8")
    proc = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    text = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True).stdout
    text = re.sub(r"\s+", " ", text)
    for t in ["}", "\\input{/etc/passwd}", "</title><script>alert(1)</script>", "100% #1 & ~x ^y _z $w",
              "@misc{evil, title={x}}", "\\end{document}"]:
        assert f"[{t}]" in text.replace("∼", "~").replace("ˆ", "^"), (t, text)


# --- the books: HTML and PDF ----------------------------------------------------------------------

HAND_WRITTEN = """---
title: 手写的页
orphan: true
---

# 手写的页

$$
y = 2 \\tag{\\input kexue-marker }
$$ (a}\\input{kexue-marker)

见 {eq}`a}\\input{kexue-marker`。
"""


def _hostile_config(project: Path) -> None:
    config = yaml.safe_load((project / "kexue-book.yaml").read_text("utf-8"))
    config["book"].update(title="书名}\\input{kexue-marker}%", subtitle="副}\\input{kexue-marker}题 #1 & ~",
                          author="</title><script>alert(1)</script>作者}\\input{kexue-marker}",
                          blog_name="博客 | <b>x</b> \\input{kexue-marker}", blog_url="https://kexue.fm/}\\input{x}%")
    (project / "kexue-book.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


HOSTILE_TITLE = "标题}\\input{kexue-marker}% <script>alert(1)</script> @x"
TITLED = f"""---
title: '{HOSTILE_TITLE}'
author: '作者{{\\input kexue-marker'
date: 2020-01-01
url: https://kexue.fm/archives/90399
---

正文 $a$。
"""


@pytest.fixture(scope="module")
def hostile_tex_book(tmp_path_factory) -> tuple[Path, str]:
    project = new_project(tmp_path_factory.mktemp("texguard") / "project")
    _hostile_config(project)
    src = project / "src"
    src.mkdir()
    formulas = list(VARIANTS) + [BOMBS["seven"], "$$x \\tag{<img src=x onerror=alert(1)>}$$",
                                 # MathJax draws it; xelatex too, but xdvipdfmx then stopped: no PDF at all
                                 "$$" + "x^{" * 300 + "y" + "}" * 300 + "$$"]
    for k, formula in enumerate(formulas):
        (src / f"v{k:02d}.md").write_text(PAGE.format(title=f"变体{k}", number=90300 + k, formula=formula),
                                          encoding="utf-8")
    (project / "book" / "handwritten.md").write_text(HAND_WRITTEN, encoding="utf-8")
    # A title and an author that are LaTeX, HTML and BibTeX: running heads, contents, 引用本文.
    (src / "titled.md").write_text(TITLED, encoding="utf-8")
    # A file xelatex's sandbox lets it read (below its working folder): a formula that reached
    # a file would print this marker.
    latex_dir = project / "_build" / "latex"
    latex_dir.mkdir(parents=True)
    (latex_dir / "kexue-marker.tex").write_text(MARKER + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "build",
                           "--format", "all", str(src)], capture_output=True, text=True, cwd=project)
    return project, proc


@needs_tex
def test_the_pdf_builds_keeps_the_formulas_and_reads_no_file(hostile_tex_book) -> None:
    project, proc = hostile_tex_book
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (project / "_build" / "latex" / "kexue-marker.tex").is_file()  # still there to be read
    pdf = project / "_build" / "pdf" / "kexue-book.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert MARKER not in text
    flat = re.sub(r"\s+", "", text).replace("\u2011", "-")  # pdftotext reads the hyphen of \texttt as U+2011
    assert "\\tag{\\inputkexue-marker}" in flat  # the formulas, shown as their source
    assert "\\x" in flat and "第一段。" in flat and "最后一段。" in flat
    assert "书名}\\input{kexue-marker}%" in flat  # the title page says the title
    assert flat.count("标题}\\input{kexue-marker}%<script>alert") >= 3  # contents, running head, heading
    for tex in (project / "_build" / "latex").glob("*.tex"):
        if tex.name != "kexue-marker.tex":
            assert not re.search(r"(?<!\\textbackslash\{\})(?<!\\)\\input\s*\{?kexue-marker", tex.read_text("utf-8")), tex


def test_the_html_shows_tags_and_credits_as_text(hostile_tex_book) -> None:
    project, proc = hostile_tex_book
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = project / "_build" / "html"
    for page in html.rglob("*.html"):
        if "_static" in page.parts:
            continue
        soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
        assert not soup.find("img", onerror=True), page
        assert not [s for s in soup.find_all("script") if "alert" in (s.string or "")
                    and s.get("type") != "application/json"], page  # JSON data: test_hostile checks it
        assert MARKER not in soup.get_text(), page
    tagged = f"a{90300 + len(VARIANTS) + 1}"  # the page after the variants and the bomb
    page = BeautifulSoup((html / "misc" / f"{tagged}.html").read_text("utf-8"), "html.parser")
    assert "(<img src=x onerror=alert(1)>)" in page.find("span", class_="eqno").get_text()
    footer = BeautifulSoup((html / "index.html").read_text("utf-8"), "html.parser").get_text()
    assert "</title><script>alert(1)</script>作者" in footer
    with zipfile.ZipFile(project / "_build" / "epub" / "kexue-book.epub") as epub:
        xhtml = epub.read(f"misc/{tagged}.xhtml").decode("utf-8")
    page = BeautifulSoup(xhtml, "html.parser")
    assert not page.find("img", onerror=True) and "(<img src=x onerror=alert(1)>)" in page.get_text()


# --- any text, not only the hostile samples ------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60) | \
    st.lists(st.sampled_from(["{", "}", "\\", "@", "%", "#", "&", "~", "^", "_", "$", "input", " ", "\n", "<", ">",
                              "\"", "'", "科"]), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_escapes_hold_for_any_text(text: str) -> None:
    field = escaping.bibtex(text)
    depth = 0
    for ch in field:  # BibTeX counts every brace, escaped or not
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, field
    assert depth == 0 and "@" not in field and "\n" not in field
    assert not re.search(r"\\(?!textbackslash\{\}|textasciicircum\{\}|textasciitilde\{\}|textbraceleft\{\}"
                         r"|textbraceright\{\}|symbol\{64\}|[$&#_%])", field), field
    latex = escaping.latex(text)
    assert not re.search(r"\\(?!textbackslash\{\}|textasciicircum\{\}|textasciitilde\{\}|[{}$&#_%])", latex), latex
    url = escaping.bibtex_url(text)
    assert not set(url) & set("{}\\ @\n")
    escaped = escaping.html(text)
    assert not set(escaped) & set("<>\"'") and _html.unescape(escaped) == text
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt|quot|#x27);)*", escaped, re.S)
