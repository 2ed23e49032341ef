"""Which formulas xelatex can typeset: a verdict for each, that no other formula can change.

The PDF shows a formula that LaTeX rejects as its TeX source (verbatim), so before the LaTeX
files are written every formula is typeset in a scratch document, as the book will hold it
(`book_latex`) and with the book's TeX layer (tex/kexue-mathjax.sty).  One run checks up to
`BATCH` formulas, each between two markers that no formula can know in advance; after each, TeX's
group and conditional levels are printed.  A formula that ends with no error passes; one with an
error fails.  A formula that does not end (a fatal error: TeX capacity exceeded, a runaway
argument that reached the end of the file, a hundred errors) or ends with TeX's levels changed
fails, and the formulas after it are checked again in a new run, so that no formula is judged
in a state another one broke.  A run that hangs is stopped; the formula it was in (written to a
file before each formula, since the log is written in blocks) fails.

Verdicts are cached per formula (`_build/cache/formulas/`): the key is the LaTeX checked, and
the cache file is named by everything else that decides the verdict (the check's preamble, the
.sty, the TeX engine's version), so a changed article checks only its new formulas.
`record_failure` adds the verdict of a formula that broke the book's own xelatex run (see
converters/build.py), and the next build shows it verbatim.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sphinx.util.math import wrap_displaymath

from ..texsafety import tex_sandbox_env, unsafe_tex
from .equations import TAG

STY = Path(__file__).parent / "tex" / "kexue-mathjax.sty"
STY_NAME = STY.stem  # \usepackage{kexue-mathjax}
CACHE = ("cache", "formulas")  # under _build/
MARK = "%kexue-book formula "  # a TeX comment before (key) and after ("end") each display formula

# The scratch document: the book's fonts and math packages, the same TeX layer.
CHECK_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath,amssymb,amstext}
\usepackage[UTF8,scheme=plain,fontset=none]{ctex}
\setmainfont{Noto Serif CJK SC}\setCJKmainfont{Noto Serif CJK SC}\setCJKsansfont{Noto Sans CJK SC}
\usepackage{""" + STY_NAME + r"""}
\begin{document}
"""
RUN_SECONDS = 60  # a run that takes longer holds a formula that hangs (seen: never on the corpora)


@dataclass(frozen=True)
class Formula:
    """One formula as the book holds it: its TeX, display or inline, numbered or not."""

    tex: str
    display: bool
    numbered: bool = False
    rows: bool = False  # `align` & co. with each row's \tag written out (equations.row_text): held as it is
    # In a heading (inline): typeset as elsewhere, but the book's run may fail on a heading as a
    # whole (its bookmark, contents line, running head), and then all its formulas are verbatim
    # there; a verdict of its own, so that the same formula elsewhere stays typeset.
    heading: bool = False


@dataclass(frozen=True)
class Verdict:
    ok: bool
    error: str = ""  # xelatex's first error line for a formula it cannot typeset

    def as_record(self) -> list:
        return [self.ok, self.error]


def numbered_display(tex: str, number: str, label: str | None = None) -> str:
    """The LaTeX of a numbered display formula: its \\tag (the number the HTML shows) sits
    outside `split`, where amsmath allows it."""
    target = f"\\label{{{label}}}" if label else ""
    return (f"\\begin{{equation}}\\tag{{{number}}}{target}\\begin{{split}}{TAG.sub('', tex).strip()}"
            f"\\end{{split}}\\end{{equation}}")


def book_latex(formula: Formula) -> str:
    """The LaTeX the book holds for a formula (the number is a stand-in: it does not change
    whether the formula typesets, and so does not change its cache key)."""
    if not formula.display:
        return f"\\({formula.tex}\\)"
    if formula.rows:
        return formula.tex
    if formula.numbered:
        return numbered_display(formula.tex, "0")
    return wrap_displaymath(formula.tex, None, False)


# xdvipdfmx holds 256 levels of boxes in a page (DVI_STACK_DEPTH_MAX) and stops, leaving no PDF
# of the book at all, when a page needs more; xelatex, and so the formula check, see nothing
# wrong.  A formula's boxes nest at least as deep as its groups (`x^{x^{…}}` 300 deep needed 314),
# so a formula nested deeper than this is verbatim; real formulas nest about ten deep.
MAX_NESTING = 100
_NESTING_TOKEN = re.compile(r"\\(?:left|begin|right|end)(?![A-Za-z])|\\[A-Za-z]+|\\.|[{}]", re.S)


def _structure(tex: str) -> tuple[bool, int]:
    """Whether the braces of `tex` balance (never closing more than they opened), and how deep
    groups, `\\left…\\right` and environments nest in it; one walk for both."""
    depth = deepest = braces = 0
    balanced = True
    for m in _NESTING_TOKEN.finditer(tex):
        token = m.group(0)
        if token in ("{", "\\left", "\\begin"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("}", "\\right", "\\end"):
            depth -= 1
        if token == "{":
            braces += 1
        elif token == "}":
            braces -= 1
            balanced = balanced and braces >= 0
    return balanced and braces == 0, deepest


def _refused(formula: Formula) -> Verdict | None:
    """Formulas never run: unbalanced braces would swallow the check document; a formula that
    reaches files is shown as code by the converter already (this covers hand-written pages);
    one nested deeper than a PDF page holds (`MAX_NESTING`)."""
    balanced, deepest = _structure(formula.tex)
    if not balanced:
        return Verdict(False, "unbalanced braces")
    if deepest > MAX_NESTING:
        return Verdict(False, f"nested more than {MAX_NESTING} deep (xdvipdfmx holds 256 levels of boxes)")
    found = unsafe_tex(formula.tex)
    if found:
        return Verdict(False, f"{found} is not allowed in a formula")
    return None


@lru_cache(maxsize=1)
def _tex_version() -> str:
    if shutil.which("xelatex") is None:
        return ""
    proc = subprocess.run(["xelatex", "--version"], capture_output=True, text=True)
    return proc.stdout.split("\n", 1)[0]


def environment_digest() -> str:
    """Everything besides the formula that decides a verdict.  The version changes when the
    book's LaTeX of a formula does (v3: a heading's formulas reach the bookmarks as text, so the
    failures the book's run recorded for headings' formulas, often innocent ones, are dropped)."""
    h = hashlib.sha256()
    for part in (CHECK_PREAMBLE, STY.read_text(encoding="utf-8"), _tex_version(), "check v3"):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def formula_key(formula: Formula) -> str:
    return hashlib.sha256((("heading:" if formula.heading else "") + book_latex(formula)).encode()).hexdigest()[:24]


class VerdictCache:
    """The verdicts of one TeX environment, one JSON file: {key: [ok, error]}."""

    def __init__(self, build_dir: Path):
        self.folder = build_dir.joinpath(*CACHE)
        self.path = self.folder / f"verdicts-{environment_digest()}.json"
        self.verdicts: dict[str, Verdict] = {}
        if self.path.is_file():
            try:
                self.verdicts = _verdicts(json.loads(self.path.read_text(encoding="utf-8")))
            except ValueError:
                self.verdicts = {}  # a damaged cache is rebuilt
        self.changed = False

    def get(self, key: str) -> Verdict | None:
        return self.verdicts.get(key)

    def put(self, key: str, verdict: Verdict) -> None:
        if self.verdicts.get(key) != verdict:
            self.verdicts[key] = verdict
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("verdicts-*.json"):  # other environments' verdicts are stale
            if old != self.path:
                old.unlink(missing_ok=True)  # another build may have removed it too
        # A temporary file of this process's own: two builds saving at once each replace the
        # cache whole (with one shared name, the second's replace found no file and its build failed).
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.folder, prefix=self.path.name,
                                         suffix=".tmp", delete=False) as tmp:
            tmp.write(json.dumps({k: v.as_record() for k, v in self.verdicts.items()}, ensure_ascii=False))
        Path(tmp.name).replace(self.path)
        self.changed = False


def _verdicts(data) -> dict[str, Verdict]:
    """The verdicts of a cache file's JSON: {key: [ok, error]}; anything else means a damaged file
    (ValueError).  A record such as `"ab"` read as Verdict("a", "b") would have passed a formula."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    verdicts = {}
    for key, record in data.items():
        if not (isinstance(record, list) and len(record) == 2 and isinstance(record[0], bool)
                and isinstance(record[1], str)):
            raise ValueError(f"not a verdict: {record!r}")
        verdicts[key] = Verdict(*record)
    return verdicts


def record_failure(build_dir: Path, key: str, error: str) -> None:
    """The book's xelatex run failed on the formula of this key: from now on it is shown verbatim."""
    cache = VerdictCache(build_dir)
    cache.put(key, Verdict(False, error))
    cache.save()


# --- running xelatex ---------------------------------------------------------------------------------


class FormulaCheckError(RuntimeError):
    """The scratch document fails before its first formula: the TeX layer itself is broken."""


NOW = "kbnow.txt"  # the index of the formula being typeset (the log is written in blocks)


def _document(snippets: list[str], mark: str) -> str:
    # After each formula: TeX's group and conditional levels, which a formula that broke the
    # run's state leaves changed (then no later verdict of the run is trusted).
    body = [f"\\typeout{{{mark}B \\the\\currentgrouplevel\\space\\the\\currentiflevel}}\n"]
    for i, latex in enumerate(snippets):
        # A box that is never shipped out: the formula is typeset, nothing is written.
        body.append(f"\\immediate\\openout9={NOW}\\immediate\\write9{{{i}}}\\immediate\\closeout9"
                    f"\\typeout{{{mark}S {i}}}\\setbox0=\\vbox{{\\hsize=\\textwidth\\noindent {latex}\\par}}"
                    f"\\typeout{{{mark}E {i} \\the\\currentgrouplevel\\space\\the\\currentiflevel}}\n")
    return CHECK_PREAMBLE + "".join(body) + "\\end{document}\n"


@dataclass
class _Record:
    started: bool = False
    ended: bool = False
    clean: bool = False  # ended with the levels it started with
    error: str | None = None


def _read_log(log: str, mark: str, count: int) -> tuple[list[_Record], bool]:
    """What the log says of each formula, and whether the document got to its first one."""
    records = [_Record() for _ in range(count)]
    base, current = None, None
    for line in log.splitlines():
        if line.startswith(mark):
            kind, _, rest = line[len(mark):].partition(" ")
            fields = rest.split()
            if kind == "B":
                base = fields
            elif kind == "S" and fields and fields[0].isdigit() and int(fields[0]) < count:
                current = records[int(fields[0])]
                current.started = True
            elif kind == "E" and fields and fields[0].isdigit() and int(fields[0]) < count:
                record = records[int(fields[0])]
                record.ended, record.clean = True, fields[1:] == base
                current = None
        elif current is not None and current.error is None and line.startswith("! "):
            current.error = line[2:].strip()
    return records, base is not None


@dataclass
class _Run:
    records: list[_Record]
    began: bool  # the document got to its first formula
    hung: int | None  # the run timed out in this formula
    log: str


def _run(snippets: list[str], seconds: float) -> _Run:
    """Typeset the snippets in one run and read what happened to each."""
    # Markers no formula can know in advance (a formula cannot fake its own verdict).
    mark = "KB" + os.urandom(6).hex()
    with tempfile.TemporaryDirectory(prefix="kexue-formulas-") as tmp:
        shutil.copy(STY, Path(tmp) / STY.name)
        (Path(tmp) / "check.tex").write_text(_document(snippets, mark), encoding="utf-8")
        hung = None
        try:
            subprocess.run(["xelatex", "-no-shell-escape", "-interaction=nonstopmode", "-no-pdf", "check.tex"],
                           cwd=tmp, capture_output=True, timeout=seconds, env=tex_sandbox_env(),
                           stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            now = (Path(tmp) / NOW).read_text().strip() if (Path(tmp) / NOW).is_file() else "0"
            hung = int(now) if now.isdigit() else 0
        log_path = Path(tmp) / "check.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
    records, began = _read_log(log, mark, len(snippets))
    return _Run(records, began or hung is not None, hung, log)


BATCH = 1000  # formulas per run (a run costs about a second to start; a rerun typesets at most this many again)


def _judge(snippets: list[str]) -> list[Verdict]:
    """Verdicts for a list of snippets.  A run judges its formulas in order while TeX's state is
    as the document left it: each that ends with no error passes, one with an error fails;
    the first that does not end, or ends with TeX's levels changed, fails and the run's later
    formulas are checked again in a new run.  A formula in which a run hangs fails too."""
    verdicts: list[Verdict] = []
    hung: set[int] = set()  # formulas (indexes into snippets) in which a run timed out
    while len(verdicts) < len(snippets):
        first = len(verdicts)
        if first in hung:
            verdicts.append(Verdict(False, f"xelatex did not finish in {RUN_SECONDS} s"))
            continue
        stop = min([len(snippets), first + BATCH, *[h for h in hung if h > first]])
        run = _run(snippets[first:stop], RUN_SECONDS + 0.05 * (stop - first))
        if not run.began:
            tail = "\n".join(run.log.splitlines()[-12:]) or "no log"
            raise FormulaCheckError(f"the formula check document fails before its first formula:\n{tail}")
        if run.hung is not None:
            hung.add(first + run.hung)
        for i, record in enumerate(run.records):
            if first + i in hung:
                break  # judged in the next round (what the log says before it is kept)
            if record.ended:
                verdicts.append(Verdict(record.error is None, record.error or ""))
                if record.clean:
                    continue
                if record.error is None:
                    verdicts[-1] = Verdict(False, "the formula leaves a TeX group or conditional open")
            elif record.started:
                verdicts.append(Verdict(False, record.error or "xelatex stopped in this formula"))
            elif i == 0 and run.hung is None:
                verdicts.append(Verdict(False, "xelatex stopped before this formula"))
            break
    return verdicts


def formula_verdicts(formulas: list[Formula], build_dir: Path, jobs: int | None = None,
                     progress=None) -> list[Verdict]:
    """A verdict for each formula (cached ones are not checked again)."""
    cache = VerdictCache(build_dir)
    verdicts: list[Verdict | None] = [None] * len(formulas)
    todo: dict[str, list[int]] = {}
    for i, formula in enumerate(formulas):
        refused = _refused(formula)
        if refused is not None:
            verdicts[i] = refused
            continue
        key = formula_key(formula)
        cached = cache.get(key)
        if cached is not None:
            verdicts[i] = cached
        else:
            todo.setdefault(key, []).append(i)
    if todo and shutil.which("xelatex") is not None:
        keys = list(todo)
        snippets = [book_latex(formulas[todo[k][0]]) for k in keys]
        workers = max(1, min(jobs or os.cpu_count() or 1, (len(keys) + 199) // 200))
        size = -(-len(keys) // workers)
        chunks = [list(range(s, min(s + size, len(keys)))) for s in range(0, len(keys), size)]
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda chunk: _judge([snippets[j] for j in chunk]), chunks))
        for chunk, judged in zip(chunks, results):
            for j, verdict in zip(chunk, judged):
                cache.put(keys[j], verdict)
                for i in todo[keys[j]]:
                    verdicts[i] = verdict
        if progress:
            progress(f"checked {len(keys)} new formulas with xelatex in {time.monotonic() - start:.1f} s")
    cache.save()
    # Without xelatex there is no PDF to build: unchecked formulas count as typeset.
    return [v if v is not None else Verdict(True) for v in verdicts]
