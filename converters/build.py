"""Running Sphinx and LaTeX: argument lists, never shell strings.

Each format lands in `_build/` under a stable name:
    html  _build/html/index.html
    pdf   _build/pdf/kexue-book.pdf    (Sphinx's LaTeX in _build/latex; latexmk + xelatex on each
                                        document as soon as Sphinx has written it)
    epub  _build/epub/kexue-book.epub
PDF and EPUB are also copied into `_build/downloads/`, which the HTML build links.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .formats import FORMATS, SPLIT_ABOVE  # noqa: F401 (SPLIT_ABOVE: the command line's)
from .config import CONFIG_NAME
from .diagnostics import BuildError, Code, Diagnostic
from .model import SourcePos
from .stamps import Digest, clear_stamp, read_stamp, write_stamp
from .texsafety import tex_sandbox_env

EPUB_FORMULAS = "epub-formulas.json"  # sphinx_ext/epub_book.py's REPORT


# The PDF's helpers (formula_check, print_book) are Sphinx extensions: imported where the PDF
# needs them, so that an HTML build's own process does not import Sphinx (Sphinx runs in its own).


def _print_book():
    from .sphinx_ext import print_book
    return print_book


def _formula_check():
    from .sphinx_ext import formula_check
    return formula_check


def math_engine_id() -> str:
    from .sphinx_ext.mathjax_mathml import engine_id, mathjax_js_dir, node_executable
    return engine_id(mathjax_js_dir() if node_executable() else None)

PROGRESS_ENV = "KEXUE_BOOK_PROGRESS"
PHASE_MARK = "kexue-book-phase: "  # sphinx_ext/progress_lines.py's lines start so
CHAPTER_PDFS_ENV = "KEXUE_BOOK_CHAPTER_PDFS"  # conf.py adds a LaTeX document per chapter named here
CHAPTERS = "chapters"  # pdf/chapters/<slug>.pdf, downloads/chapters/<slug>.pdf

STEM = "kexue-book"
BUILDERS = {"html": "html", "pdf": "latex", "epub": "epub"}
PDF_PACKAGES = "texlive-xetex texlive-latex-extra texlive-fonts-recommended texlive-lang-chinese latexmk fonts-noto-cjk"


@dataclass
class BuildResult:
    format: str
    output: Path
    warnings: list[str] = field(default_factory=list)  # Sphinx's own messages
    diagnostics: list[Diagnostic] = field(default_factory=list)  # ours (formulas shown verbatim)
    seconds: float = 0.0
    pages: int | None = None
    overfull: int | None = None
    skipped: bool = False  # nothing it is built from changed: the output of the last build stands
    parts: list[Path] = field(default_factory=list)  # per-chapter PDFs

    def summary(self) -> str:
        facts = ["unchanged, not rebuilt" if self.skipped else f"{self.seconds:.1f} s"]
        if self.pages is not None:
            facts.insert(0, f"{self.pages} pages")
        if self.overfull is not None:
            facts.append(f"{self.overfull} Overfull \\hbox")
        if self.format == "pdf":
            verbatim = sum(1 for d in self.diagnostics if d.code is Code.LATEX_FORMULA)
            facts.append(f"{verbatim} formulas verbatim")
        if self.format == "epub":
            as_tex = sum(1 for d in self.diagnostics if d.code is Code.EPUB_FORMULA)
            facts.append(f"{as_tex} formulas as TeX")
        rejected = sum(1 for d in self.diagnostics if d.code is Code.PAGE_REJECTED)
        if rejected:
            facts.append(f"{rejected} page(s) as literal text")
        if self.parts:
            facts.append(f"{len(self.parts)} chapter PDFs in {self.parts[0].parent}")
        return f"{self.format}: {self.output} ({', '.join(facts)})"


def sphinx_command(project: Path, builder: str, outdir: Path, doctrees: Path, strict: bool = True,
                   jobs: str = "auto", quiet: bool = True) -> list[str]:
    """`-j auto`: every extension of the book declares itself parallel-safe (tests/test_scale.py
    proves the parallel build's pages equal the serial build's)."""
    cmd = [sys.executable, "-m", "sphinx", "-b", builder, "-c", str(project), "-d", str(doctrees),
           str(project / "book"), str(outdir), "--keep-going", "--no-color", "-j", jobs]
    if quiet:
        cmd.append("-q")
    if strict:
        cmd.insert(3, "-W")
    return cmd


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# Sphinx's messages about a page: `/…/book/misc/a1.md:20: WARNING: text [type]`.
_PAGE_MESSAGE = re.compile(r"^(?P<path>\S[^:]*?\.md)(?::(?P<line>\d+))?: (?:WARNING|ERROR|SEVERE|CRITICAL): "
                           r"(?P<text>.*)$")


@dataclass(frozen=True)
class Rejection:
    """What Sphinx said about one page of the book: the first message, at a line of the page."""

    docname: str
    line: int | None
    message: str


# Given the rejected pages, rewrite them so that they build (literal text) and return one
# diagnostic per page naming its source; None when a page cannot be recovered (not an article).
Recover = Callable[[list[Rejection]], "list[Diagnostic] | None"]


def rejected_pages(messages: list[str], book_dir: Path) -> list[Rejection] | None:
    """The pages Sphinx's messages are about, or None when a message is about no page."""
    found: dict[str, Rejection] = {}
    for message in messages:
        if "WARNING" not in message and "ERROR" not in message and "SEVERE" not in message:
            continue
        m = _PAGE_MESSAGE.match(message)
        if m is None:
            return None
        try:
            docname = Path(m.group("path")).resolve().relative_to(book_dir.resolve()).with_suffix("").as_posix()
        except ValueError:
            return None
        found.setdefault(docname, Rejection(docname, int(m.group("line")) if m.group("line") else None,
                                            m.group("text").strip()))
    return list(found.values()) or None


# How Sphinx shows its progress: "terminal" (its own status lines, on the inherited terminal),
# "lines" (one line per phase from sphinx_ext/progress_lines.py, for logs), None (nothing shown).
Output = str | None


# A builder without an environment of its own starts from the newest of the builders named
# here: the EPUB from the HTML's or the LaTeX's (a page is read the same way for all three:
# sphinx_ext/epub_book.py collects the formulas of the pages it did not read from their doctrees,
# and tests prove the EPUB equals one read by itself).  Reading is half of a cold EPUB build of
# a large book; `make book` builds the PDF first, the bench and `make html epub` the HTML.
SEEDS = {"epub": ("html", "latex")}
ENVIRONMENT = "environment.pickle"  # Sphinx's pickled environment in a doctree folder


def seed_doctrees(build_dir: Path, builder: str) -> str | None:
    """Copy the doctrees of the newest environment among SEEDS[builder] into `builder`'s doctree
    folder when that folder holds none (a cold build); returns the builder copied from.  Sphinx
    then reads only the pages changed since that build; whatever else the folder holds (a
    MathML cache) stays."""
    doctrees = build_dir / "doctrees"
    if (doctrees / builder / ENVIRONMENT).is_file():
        return None
    found = [((doctrees / source / ENVIRONMENT).stat().st_mtime_ns, source) for source in SEEDS.get(builder, ())
             if (doctrees / source / ENVIRONMENT).is_file()]
    if not found:
        return None
    source = max(found)[1]
    shutil.copytree(doctrees / source, doctrees / builder, dirs_exist_ok=True)
    return source


def _run_sphinx(project: Path, builder: str, outdir: Path, build_dir: Path, strict: bool,
                output: Output = None, jobs: str = "auto", progress: Callable[[str], None] | None = None,
                env: dict[str, str] | None = None):
    if builder == "epub" and outdir.exists():
        # Sphinx's EPUB builder lists files left by the previous run a second time in the spine
        # (epubcheck RSC-005); the doctrees are elsewhere, so only the writing starts afresh.
        shutil.rmtree(outdir)
    seed_doctrees(build_dir, builder)
    cmd = sphinx_command(project, builder, outdir, build_dir / "doctrees" / builder, strict, jobs,
                         quiet=output != "terminal")
    env = {**os.environ, **(env or {})}
    if output == "lines":
        returncode, stderr = _run_with_phase_lines(cmd, project, progress, env)
    else:
        proc = subprocess.run(cmd, cwd=project, stdout=None if output == "terminal" else subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
        returncode, stderr = proc.returncode, proc.stderr
    # --no-color is not enough where FORCE_COLOR is set (CI): the messages are parsed, so no escapes.
    stderr = _ANSI_ESCAPE.sub("", stderr)
    return returncode, [line for line in stderr.splitlines() if line.strip()]


def _run_with_phase_lines(cmd: list[str], project: Path, progress: Callable[[str], None] | None,
                          env: dict[str, str]) -> tuple[int, str]:
    """Sphinx with sphinx_ext/progress_lines.py on: its phase lines go to `progress` as they
    come; anything else on its standard output (an extension's stray print) is dropped."""
    proc = subprocess.Popen(cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**env, PROGRESS_ENV: "lines"})
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    reader.start()
    for line in proc.stdout:
        if line.startswith(PHASE_MARK) and progress is not None:
            progress(line[len(PHASE_MARK):].rstrip("\n"))
    returncode = proc.wait()
    reader.join()
    return returncode, "".join(errors)


def _sphinx(project: Path, fmt: str, build_dir: Path, strict: bool, recover: Recover | None = None,
            output: Output = None, jobs: str = "auto", progress: Callable[[str], None] | None = None,
            env: dict[str, str] | None = None,
            before_retry: Callable[[], None] | None = None) -> tuple[Path, list[str], list[Diagnostic]]:
    builder = BUILDERS[fmt]
    outdir = build_dir / ("latex" if fmt == "pdf" else fmt)
    code, messages = _run_sphinx(project, builder, outdir, build_dir, strict, output, jobs, progress, env)
    recovered: list[Diagnostic] = []
    if code != 0 and recover is not None:
        # One bad article never sinks the book: its page is rewritten as literal text, once.
        rejections = rejected_pages(messages, project / "book")
        diagnostics = recover(rejections) if rejections else None
        if diagnostics is not None:
            recovered = diagnostics
            if before_retry is not None:
                before_retry()
            code, messages = _run_sphinx(project, builder, outdir, build_dir, strict, output, jobs, progress, env)
    if code != 0:
        first = next((m for m in messages if "WARNING" in m or "ERROR" in m), messages[-1] if messages else "")
        raise BuildError(f"sphinx-build ({builder}) failed with {len(messages)} message(s); first: {first}")
    return outdir, messages, recovered


class LatexRunFailed(BuildError):
    """xelatex stopped on an error in one of the book's documents."""

    def __init__(self, message: str, stem: str, log: str):
        super().__init__(message)
        self.stem, self.log = stem, log


def _latex_pdf(latex_dir: Path, stem: str = STEM) -> tuple[Path, int | None, int]:
    for tool in ("latexmk", "xelatex"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} not found; the PDF needs: apt-get install -y {PDF_PACKAGES} "
                             f"(or run scripts/debian-deps book as root)")
    proc = subprocess.run(["latexmk", "-pdfxe", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                           f"{stem}.tex"], cwd=latex_dir, capture_output=True, text=True, env=tex_sandbox_env(),
                          stdin=subprocess.DEVNULL)  # TeX never waits for an answer on a terminal
    log_path = latex_dir / f"{stem}.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
    if proc.returncode != 0 or not (latex_dir / f"{stem}.pdf").is_file():
        error = next((line for line in log.splitlines() if line.startswith(("!", "./"))), "see the log")
        raise LatexRunFailed(f"xelatex failed ({log_path}): {error}", stem, log)
    pages = re.search(r"Output written on .*?\((\d+) pages?", log)
    return latex_dir / f"{stem}.pdf", int(pages.group(1)) if pages else None, log.count("Overfull \\hbox")


class _TypesetAsWritten:
    """While Sphinx writes the LaTeX documents, each is typeset as soon as Sphinx has written it
    (sphinx_ext/print_book.py announces them: after an edit its chapters first, else the whole book
    first): xelatex starts on them while Sphinx, on one core, still writes the others.  Only a head start:
    `_typeset_all` runs latexmk on every document afterwards, which finds nothing to do for a
    document none of whose files changed since (it compares their contents); an early run that
    failed counts for nothing, and before Sphinx runs again (a rejected page recovered) the early
    runs are waited for and no more start, so no run reads a .tex being written."""

    def __init__(self, latex_dir: Path, workers: int | None, made: Callable[[str, Path], None] | None = None):
        self.latex_dir, self.made = latex_dir, made
        (latex_dir / _print_book().WRITTEN).unlink(missing_ok=True)  # the last build's list starts nothing
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers or os.cpu_count() or 1))
        self.started: set[str] = set()
        self.stop = threading.Event()
        self.halted = False  # Sphinx runs again: what the early runs make is not placed
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def _watch(self) -> None:
        while not self.stop.wait(0.25):
            for stem in _print_book().written_documents(self.latex_dir):
                if stem not in self.started:
                    self.started.add(stem)
                    self.pool.submit(self._early, stem)

    def _early(self, stem: str) -> None:
        try:
            pdf = _latex_pdf(self.latex_dir, stem)[0]
        except BuildError:
            return  # typeset again by _typeset_all, whose failure counts
        if self.made is not None and not self.halted:
            self.made(stem, pdf)

    def halt(self) -> None:
        """No more early runs; the running ones end (queued ones are dropped)."""
        self.halted = True
        self.stop.set()
        self.watcher.join()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def finish(self) -> None:
        """Sphinx has written everything: the documents announced last start too, all end."""
        if self.halted:
            return
        self.stop.set()
        self.watcher.join()
        for stem in _print_book().written_documents(self.latex_dir):
            if stem not in self.started:
                self.started.add(stem)
                self.pool.submit(self._early, stem)
        self.pool.shutdown(wait=True)


def _sphinx_pdf(project: Path, build_dir: Path, strict: bool, recover: Recover | None, output: Output, jobs: str,
                progress: Callable[[str], None] | None, env: dict[str, str],
                made: Callable[[str, Path], None] | None = None):
    """Sphinx's LaTeX, each document typeset as soon as it is written (`_TypesetAsWritten`)."""
    early = _TypesetAsWritten(build_dir / "latex", _workers(jobs), made)
    try:
        result = _sphinx(project, "pdf", build_dir, strict, recover, output, jobs, progress, env,
                         before_retry=early.halt)
    except BaseException:
        early.halt()
        raise
    early.finish()
    return result


def _typeset_all(latex_dir: Path, stems: list[str], progress: Callable[[str], None] | None,
                 made: Callable[[str, Path], None] | None = None, workers: int | None = None):
    """latexmk for each document, as many at once as there are cores (or `workers`; each xelatex
    is one process), the longest first (by its .tex): the whole book is one long job, started at once,
    while the chapters share the other cores; a short job last keeps every core busy to the end.
    `made(stem, pdf)` hears of each document as soon as its PDF is made (a changed chapter's
    PDF is there before the book's).  latexmk itself skips a document none of whose files
    changed (it compares their contents)."""
    def size(stem: str) -> int:
        tex = latex_dir / f"{stem}.tex"
        return tex.stat().st_size if tex.is_file() else 0

    order = sorted(stems, key=size, reverse=True)  # the pool starts jobs in the order they are given
    done = []
    with ThreadPoolExecutor(max_workers=max(1, min(len(stems), workers or os.cpu_count() or 1))) as pool:
        futures = {pool.submit(_latex_pdf, latex_dir, stem): stem for stem in order}
        for future in as_completed(futures):
            done.append(futures[future])
            if made is not None and future.exception() is None:
                made(futures[future], future.result()[0])
            if progress and len(stems) > 1:
                progress(f"pdf: typeset {len(done)} of {len(stems)} documents ({futures[future]}.tex)")
    return {stem: future.result() for future, stem in futures.items()}


# How many times the book's own xelatex run may be repeated, each after blaming the formula(s) it
# failed on, before giving up.
MAX_BLAMED = 20
_FILE_LINE_ERROR = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+): (?P<message>.*)$")


def blamed_formula(latex_dir: Path, failure: LatexRunFailed) -> tuple[list[str], str] | None:
    """The formulas that the failed run's first error is in: (their check keys, the error with
    where it happened), or None when the error is not in a formula.  Display formulas sit
    between two marks (print_book.latex_formulas); an inline formula is the last `\\(` that
    starts before the place on the line where TeX stopped (the log's `l.N` context).  On a
    heading's line TeX stops at the heading's end whichever formula broke it (its bookmark,
    label or mark): every formula of the heading is blamed, as a heading formula (elsewhere the
    same formulas stay typeset)."""
    from .sphinx_ext.formula_check import MARK, Formula, formula_key
    from .sphinx_ext.print_book import heading_formulas

    lines = failure.log.splitlines()
    for n, text in enumerate(lines):
        m = _FILE_LINE_ERROR.match(text)
        if m and m.group("file").endswith(".tex"):
            break
    else:
        return None
    tex = latex_dir / Path(m.group("file")).name
    if Path(m.group("file")).name != f"{failure.stem}.tex" or not tex.is_file():
        return None
    line_no = int(m.group("line"))
    error = f"{m.group('message').strip()} ({tex.name}:{line_no}, the book's xelatex run)"
    source = tex.read_text(encoding="utf-8").splitlines()
    if not 0 < line_no <= len(source):
        return None
    in_heading = heading_formulas(source[line_no - 1])
    if in_heading:
        return [formula_key(Formula(text, False, heading=True)) for text in in_heading], error
    # A display formula whose marks enclose the line: its start mark ends a line before the
    # error's (after the text before the formula), its end mark ends its last line (which may
    # be the error's).  Looking up from the line before the error's, the first mark is its start.
    for i in range(line_no - 2, -1, -1):
        if MARK in source[i]:
            key = source[i][source[i].index(MARK) + len(MARK):].strip()
            if key != "end":
                return [key], error
            break
    # An inline formula, before the point where TeX stopped: on the error's line, at the column
    # the log's `l.N` context ends; for a runaway argument, where the argument began (the log
    # quotes its start); else the last inline formula of the lines just before.
    line = source[line_no - 1]
    column = len(line)
    context = next((lines[k] for k in range(n + 1, min(n + 40, len(lines))) if lines[k].startswith(f"l.{line_no} ")), None)
    if context is not None:
        seen = context[len(f"l.{line_no} "):].removeprefix("...")
        at = line.find(seen) if seen else -1
        if at >= 0:
            column = at + len(seen)
    places = [(line_no - 1, column)] + [(k, len(source[k])) for k in range(line_no - 2, max(-1, line_no - 6), -1)]
    if n >= 2 and lines[n - 2].startswith("Runaway argument?"):
        # TeX quotes tokens (a space after each control word, comments gone): the longest start
        # of the quote found on the lines just before is where the argument began.
        quoted = lines[n - 1].strip()
        found = next(((k, source[k].find(quoted[:size])) for size in (30, 20, 12, 6) if len(quoted) >= size
                      for k in range(line_no - 1, max(-1, line_no - 8), -1) if quoted[:size] in source[k]), None)
        if found is not None:
            places.insert(0, found)  # the formula that opened the argument starts before it
    for place, (k, column) in enumerate(places):
        if place and k < line_no - 1 and MARK in source[k]:
            break  # not past a display formula
        text = _inline_before(source[k], column)
        if text is not None:
            return [formula_key(Formula(text, False))], error
    return None


def _inline_before(line: str, column: int) -> str | None:
    """The TeX of the last inline formula (`\\(…\\)`) that starts on the line before `column`."""
    starts = [m.start() for m in re.finditer(r"\\\(", line) if m.start() < column]
    if not starts:
        return None
    end = line.find("\\)", starts[-1] + 2)
    return line[starts[-1] + 2:end].removesuffix("\\protect") if end >= 0 else None


def _verbatim_formulas(latex_dir: Path) -> list[Diagnostic]:
    report = latex_dir / "latex-formulas.json"
    if not report.is_file():
        return []
    out = []
    for item in json.loads(report.read_text(encoding="utf-8")):
        formula = " ".join(item["formula"].split())
        error = f" (xelatex: {item['error']})" if item.get("error") else ""
        out.append(Diagnostic(Code.LATEX_FORMULA,
                              f"LaTeX cannot typeset this formula of 《{item['article']}》{error}; "
                              f"shown verbatim in the PDF: {formula}",
                              SourcePos(f"book/{item['docname']}.md", item.get("line") or 1)))
    return out


def epub_formulas_report(build_dir: Path) -> dict | None:
    """What sphinx_ext/epub_book.py wrote about the EPUB's formulas (None: no EPUB built)."""
    path = build_dir / "doctrees" / BUILDERS["epub"] / EPUB_FORMULAS
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _epub_formulas(build_dir: Path) -> list[Diagnostic]:
    report = epub_formulas_report(build_dir)
    if report is None:
        return []
    out = []
    if report.get("problem"):
        out.append(Diagnostic(Code.EPUB_MATH_ENGINE,
                              f"the EPUB's MathML was made by latex2mathml, not MathJax (rows of eqnarray "
                              f"and column specs of arrays may be lost): {report['problem']}"))
    for docname, counts in report.get("articles", {}).items():
        for item in counts["fallback"]:
            formula = " ".join(item["formula"].split())
            out.append(Diagnostic(Code.EPUB_FORMULA, f"MathJax cannot convert this formula; shown as TeX in the "
                                  f"EPUB: {formula}", SourcePos(f"book/{docname}.md", item.get("line") or 1)))
    return out


def _inputs_digest(project: Path, fmt: str, build_dir: Path, strict: bool, jobs: str,
                   chapters: list[tuple[str, str]]) -> str:
    """Everything a format is built from: the book's pages and images, conf.py, the config, the
    static files, our code, the tools' versions, the options and the hosting address."""
    digest = Digest(f"build-{fmt}")
    digest.add_tree(project / "book")
    digest.add_file(project / "conf.py", "conf.py")
    digest.add_file(project / CONFIG_NAME, CONFIG_NAME)
    digest.add_tree(project / "_static")
    digest.add_tools()
    digest.add("options", f"strict={strict} jobs={jobs}".encode())
    digest.add("chapters", json.dumps(chapters, ensure_ascii=False).encode())
    for name in ("KEXUE_BOOK_BASE_URL", "READTHEDOCS_CANONICAL_URL"):
        digest.add(name, os.environ.get(name, "").encode())
    if fmt == "epub":  # MathJax installed or not, and which
        digest.add("epub-math", math_engine_id().encode())
    if fmt == "pdf":  # the TeX layer is not Python code: its own bytes, and the TeX it runs on
        digest.add("formula-check", _formula_check().environment_digest().encode())
    if fmt == "html":  # the HTML links the PDF and EPUB it finds in downloads/
        downloads = build_dir / "downloads"
        if downloads.is_dir():
            for path in sorted(downloads.rglob("*")):
                if path.is_file():
                    st = path.stat()
                    digest.add(path.relative_to(downloads).as_posix(), f"{st.st_size} {st.st_mtime_ns}".encode())
    return digest.hexdigest()


def _record(result: BuildResult) -> dict:
    return {"output": str(result.output), "warnings": result.warnings, "seconds": result.seconds,
            "pages": result.pages, "overfull": result.overfull, "parts": [str(p) for p in result.parts],
            "diagnostics": [d.as_record() for d in result.diagnostics]}


def _from_record(fmt: str, record: dict) -> BuildResult:
    diagnostics = [Diagnostic.from_record(r) for r in record["diagnostics"]]
    return BuildResult(fmt, Path(record["output"]), record["warnings"], diagnostics, record["seconds"],
                       record["pages"], record["overfull"], skipped=True, parts=[Path(p) for p in record["parts"]])


def build_format(project: Path, fmt: str, build_dir: Path, strict: bool = True,
                 recover: Recover | None = None, output: Output = None, jobs: str = "auto",
                 split: bool = False, use_stamp: bool = True,
                 progress: Callable[[str], None] | None = None,
                 chapters: list[tuple[str, str]] | None = None) -> BuildResult:
    """Build one format.  With `recover`, pages Sphinx rejects are handed to it and the build
    is run again (see `Recover`); its diagnostics come first in the result's.  When nothing the
    format is built from changed since its last successful build (its stamp), nothing runs.
    `split` (PDF): one PDF per chapter of `chapters` ((folder, title) pairs) as well, in
    pdf/chapters/ and downloads/chapters/.  `progress(line)` hears about long steps."""
    if fmt not in FORMATS:
        raise BuildError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)}, all)")
    step = f"build-{fmt}{'-split' if split else ''}"
    chapters = [tuple(c) for c in chapters or []] if split and fmt == "pdf" else []
    digest = _inputs_digest(project, fmt, build_dir, strict, jobs, chapters)
    if use_stamp:
        record = read_stamp(build_dir, step, digest)
        if record is not None:
            return _from_record(fmt, record)
    clear_stamp(build_dir, step)
    start = time.monotonic()
    result = _build(project, fmt, build_dir, strict, recover, output, jobs, bool(chapters), progress, chapters)
    result.seconds = time.monotonic() - start
    outputs = [result.output, *result.parts]
    if fmt == "html":
        outputs.append(result.output.parent / "searchindex.js")
    # The digest is taken again: recovering a rejected page rewrote it.
    write_stamp(build_dir, step, _inputs_digest(project, fmt, build_dir, strict, jobs, chapters), outputs,
                _record(result))
    return result


def _build(project: Path, fmt: str, build_dir: Path, strict: bool, recover: Recover | None, output: Output,
           jobs: str, split: bool, progress: Callable[[str], None] | None,
           chapters: list[tuple[str, str]]) -> BuildResult:
    env = {CHAPTER_PDFS_ENV: json.dumps(chapters if split else [], ensure_ascii=False)} if fmt == "pdf" else None
    parts = [slug for slug, _ in chapters] if split and fmt == "pdf" else []

    def made(stem: str, pdf: Path) -> None:
        if stem in parts:  # a chapter's PDF is placed as soon as it is made, not after the book's
            _place_chapter_pdf(build_dir, stem, pdf)

    if fmt == "pdf":
        outdir, messages, recovered = _sphinx_pdf(project, build_dir, strict, recover, output, jobs, progress, env,
                                                  made)
    else:
        outdir, messages, recovered = _sphinx(project, fmt, build_dir, strict, recover, output, jobs, progress, env)
    downloads = build_dir / "downloads"
    if fmt == "html":
        return BuildResult(fmt, outdir / "index.html", messages, recovered)
    if fmt == "epub":
        epub = outdir / f"{STEM}.epub"
        downloads.mkdir(parents=True, exist_ok=True)
        shutil.copy2(epub, downloads / epub.name)
        return BuildResult(fmt, epub, messages, recovered + _epub_formulas(build_dir))
    if progress:
        progress(f"pdf: typesetting {STEM}.tex{f' and {len(parts)} chapters' if parts else ''} with xelatex (latexmk)")
    blamed: list[str] = []
    reruns = 0
    while True:
        try:
            typeset = _typeset_all(outdir, [STEM, *parts], progress, made, _workers(jobs))
            break
        except LatexRunFailed as failure:
            # The last line of defence: a formula that passed the check but breaks the book's
            # run is recorded as failed, shown verbatim, and the LaTeX written and typeset again.
            found = blamed_formula(outdir, failure)
            if found is None or any(key in blamed for key in found[0]) or reruns >= MAX_BLAMED:
                raise
            reruns += 1
            blamed.extend(found[0])
            for key in found[0]:
                _formula_check().record_failure(build_dir, key, found[1])
            if progress:
                progress(f"pdf: a formula broke xelatex ({found[1]}); it is shown verbatim, typesetting again")
            for stem in [STEM, *parts]:  # the failed run's auxiliary files are incomplete
                for suffix in (".aux", ".toc", ".out", ".fdb_latexmk", ".fls", ".pdf"):
                    (outdir / f"{stem}{suffix}").unlink(missing_ok=True)
            outdir, messages, recovered = _sphinx_pdf(project, build_dir, strict, recover, output, jobs, progress,
                                                      env, made)
    pdf, pages, overfull = typeset[STEM]
    target = build_dir / "pdf" / pdf.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pdf, target)
    downloads.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pdf, downloads / pdf.name)
    copies = _chapter_pdfs(build_dir, {slug: typeset[slug][0] for slug in parts})
    overfull += sum(typeset[slug][2] for slug in parts)
    return BuildResult(fmt, target, messages, recovered + _verbatim_formulas(outdir), 0.0, pages, overfull,
                       parts=copies)


def _workers(jobs: str) -> int | None:
    """`-j N` also caps the documents typeset at once (`-j 1`: one after the other); auto: the cores."""
    return int(jobs) if jobs.isdigit() and int(jobs) > 0 else None


def _chapter_folders(build_dir: Path) -> tuple[Path, Path]:
    return build_dir / "pdf" / CHAPTERS, build_dir / "downloads" / CHAPTERS


def _place_chapter_pdf(build_dir: Path, slug: str, pdf: Path) -> None:
    """A chapter's PDF, as soon as it is made, in pdf/chapters/ and downloads/chapters/ (the HTML
    links these); one whose PDF latexmk left as it was stays untouched."""
    for folder in _chapter_folders(build_dir):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{slug}.pdf"
        st = pdf.stat()
        if target.is_file() and (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns):
            continue  # copy2 keeps the time: same size and time, the same file
        shutil.copy2(pdf, target)


def _chapter_pdfs(build_dir: Path, made: dict[str, Path]) -> list[Path]:
    """Each chapter's PDF in pdf/chapters/ and downloads/chapters/; a chapter PDF whose chapter
    is gone (or a book no longer split) is removed from both."""
    for folder in _chapter_folders(build_dir):
        if folder.is_dir():
            for old in folder.glob("*.pdf"):
                if old.stem not in made:
                    old.unlink()
    for slug, pdf in made.items():
        _place_chapter_pdf(build_dir, slug, pdf)
    return [build_dir / "pdf" / CHAPTERS / f"{slug}.pdf" for slug in made]


def formats_for(choice: str) -> list[str]:
    """`all` builds the PDF and EPUB before the HTML, so that the HTML can link them."""
    return ["pdf", "epub", "html"] if choice == "all" else [choice]
