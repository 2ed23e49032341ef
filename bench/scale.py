"""The book at scale: N articles made from the corpus, converted and built, every step timed.

    .venv/bin/pip install -e '.[bench]'                  # pandoc 3 (pypandoc-binary), the anchor
    .venv/bin/python bench/scale.py --articles 100
    .venv/bin/python bench/scale.py --articles 1000      # about 15 minutes on 2 cores
    .venv/bin/python bench/scale.py --articles 1000 --skip pdf,epub,serve --json out.json
    .venv/bin/python bench/scale.py --articles 24 --split chapters   # chapter PDFs below 300 articles
    .venv/bin/python bench/scale.py --corpus sources ../shared/corpus ../shared/corpus-real

One run makes a throw-away project (`--work`, default a temporary folder) whose sources are N
copies of `../shared/corpus` and, by default when it exists, of `../shared/corpus-real` too
(`--no-mix-real`: the corpus alone, as the issue-8 figures were measured).  Copies are made by
bench/corpus_copies.py: distinct titles and urls, series kept, years spread, and distinct formulas
(each copy's formulas end with a constant of their own, so no per-formula cache reuses another
copy's work; the real articles bring the blog's hard TeX).  With `--corpus DIR...` the articles of
those folders are measured as they are (the PDF and EPUB figures of the blog's own TeX).  Each
step is run as a new user would run it (`kexue-book …` in a fresh process):

  convert: cold (no cache, no book/), nothing changed, one article changed
  html:    cold (convert included), nothing changed, one article changed
  serve:   the real `kexue-book serve` (converters/serve.py) on a free port: the time from appending
           a paragraph to one source until that article's page, fetched over HTTP every 0.1 s,
           shows it (120 s at most); the server's process group is stopped after
  pdf:     cold (its build folders empty; convert is then unchanged), then one article changed
           (`build --format pdf` again; which documents latexmk typeset again is read from the
           PDFs' times in _build/latex: the book and, when split, the chapter PDFs)
  epub:    cold
  make book (build --format all) twice: the second is the nothing-changed case
  pandoc 3 converting the same Markdown files in one process (`-t commonmark_x`)

with each step's peak memory (the largest resident size among its processes), the HTML site's
size and the median size of its article pages.  It prints one table, the targets of issues 8 and
19 next to the figures (the issue-19 ones are set for 1,000 articles; at fewer a missed one is
still a miss), and writes the figures as JSON (default `_build/bench/scale-N.json`).
`--skip pdf,epub,serve` leaves those steps out (the PDF's one-changed step goes with pdf).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from corpus_copies import CORPUS, CORPUS_REAL, CopyStats, write_copies  # noqa: E402
from conftest import new_project  # noqa: E402


def run(cmd: list[str], cwd: Path) -> dict:
    """Run a command; its wall time, peak resident memory (its process tree) and output."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{text[-3000:]}")
    # ru_maxrss (KiB) of the child is the largest of it and the descendants it waited for.
    return {"seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024), "output": text}


def kexue(project: Path, *args: str) -> dict:
    return run([sys.executable, "-m", "converters", "--project", str(project), *args], project)


def touch_one(project: Path, k: int) -> Path:
    """Change one article's text (a new last paragraph), as an author would; returns its source."""
    source = sorted((project / "sources").glob("*.md"))[0]
    with source.open("a", encoding="utf-8") as f:
        f.write(f"\n\n改动{k}：这一段是基准测试加上的。\n")
    return source


def docname_of(project: Path, source: Path) -> str:
    """The page (docname) the book makes of a source, as `kexue-book list --json` says."""
    listed = subprocess.run([sys.executable, "-m", "converters", "--project", str(project), "list", "--json"],
                            cwd=project, capture_output=True, text=True, check=True).stdout
    for record in json.loads(listed):
        # Each source as `path:line`, the path as given (relative to the project here).
        if any((project / p.rsplit(":", 1)[0]).resolve() == source.resolve() for p in record["sources"]):
            return record["docname"]
    raise SystemExit(f"no page of {source} in `kexue-book list`")


def pandoc(sources: list[Path], project: Path) -> dict | None:
    try:
        import pypandoc
        binary = pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    result = run([binary, "--quiet", "-f", "markdown", "-t", "commonmark_x", "-o", os.devnull,
                  *[str(s) for s in sources]], project)
    result["version"] = version
    return result


def site_sizes(html: Path) -> dict:
    pages = [p for p in html.rglob("*.html") if p.parent != html and not p.relative_to(html).parts[0].startswith("_")]
    sizes = [p.stat().st_size for p in pages if p.name != "index.html"]
    total = sum(p.stat().st_size for p in html.rglob("*") if p.is_file())
    return {"site_mb": round(total / 1e6, 1), "article_pages": len(sizes),
            "median_page_kb": round(statistics.median(sizes) / 1024, 1) if sizes else None,
            "largest_page_kb": round(max(sizes) / 1024, 1) if sizes else None}


def pdf_facts(output: str) -> dict:
    m = re.search(r"pdf: \S+ \((\d+) pages, [\d.]+ s, (\d+) Overfull", output)
    parts = re.search(r"(\d+) chapter PDFs", output)
    verbatim = re.search(r"(\d+) formulas verbatim", output)
    return {"pages": int(m.group(1)) if m else None, "overfull": int(m.group(2)) if m else None,
            "chapter_pdfs": int(parts.group(1)) if parts else 0,
            "formulas_verbatim": int(verbatim.group(1)) if verbatim else None}


def copy_corpus(folders: list[Path], dest: Path) -> list[Path]:
    """The files of the given folders as the project's sources (names made unique)."""
    dest.mkdir(parents=True)
    copies = []
    for k, folder in enumerate(folders):
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            copies.append(dest / f"{k}-{path.name}")
            shutil.copy(path, copies[-1])
    return copies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


SERVE_START_SECONDS = 900  # the first build of `serve` (convert and Sphinx, both incremental here)
SERVE_EDIT_SECONDS = 120
POLL_SECONDS = 0.1


def serve_edit(project: Path, source: Path, docname: str, log: Path) -> dict:
    """Start `kexue-book serve` on a free port, wait until it serves the article's page, append a
    paragraph with a unique marker to the source, and time until the page shows it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/{docname}.html"
    with log.open("w", encoding="utf-8") as out:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "converters", "--project", str(project), "serve",
                                 "--port", str(port)], cwd=project, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own process group: stopped whole below
        try:
            while _fetch(url) is None:
                if proc.poll() is not None or time.monotonic() - start > SERVE_START_SECONDS:
                    raise SystemExit(f"`kexue-book serve` did not serve {url}; see {log}")
                time.sleep(POLL_SECONDS)
            started = time.monotonic() - start
            # The server may still be finishing a build (the page of the last
            # build is served meanwhile): wait for the log to stop growing before the edit.
            quiet_since, size = time.monotonic(), log.stat().st_size
            while time.monotonic() - quiet_since < 2:
                time.sleep(POLL_SECONDS)
                if log.stat().st_size != size:
                    quiet_since, size = time.monotonic(), log.stat().st_size
            marker = f"serveedit{uuid.uuid4().hex[:12]}"
            edited = time.monotonic()
            with source.open("a", encoding="utf-8") as f:
                f.write(f"\n\n实时预览的改动 {marker}。\n")
            shown = None
            while time.monotonic() - edited < SERVE_EDIT_SECONDS:
                page = _fetch(url)
                if page is not None and marker in page:
                    shown = time.monotonic() - edited
                    break
                time.sleep(POLL_SECONDS)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
    return {"seconds": round(shown, 2) if shown is not None else None, "start_seconds": round(started, 2),
            "timed_out": shown is None, "url_path": f"{docname}.html"}


def _pdf_times(latex: Path) -> dict[str, float]:
    return {p.stem: p.stat().st_mtime_ns for p in latex.glob("*.pdf")}


def measure(n: int, work: Path, skip: set[str], corpus: list[Path] | None = None, mix_real: bool = True,
            split: str = "auto") -> dict:
    project = new_project(work / "project")
    copies: dict[str, CopyStats] = {}
    if corpus:
        sources = copy_corpus(corpus, project / "sources")
        n = len(sources)
    else:
        corpora = [CORPUS, CORPUS_REAL] if mix_real else [CORPUS]
        sources = write_copies(n, project / "sources", corpora=corpora, stats=copies)
    figures: dict = {"articles": n, "cores": len(os.sched_getaffinity(0)),
                     "corpus": [str(c) for c in corpus] if corpus else None,
                     "mix_real": bool(mix_real and not corpus),
                     "load_before": round(os.getloadavg()[0], 2)}
    if copies:
        figures["copies"] = {"formulas_made_distinct": sum(c.changed for c in copies.values()),
                             "formulas_kept": sum(c.kept for c in copies.values()),
                             "formulas_unplaced": sum(len(c.unplaced) for c in copies.values())}
    anchor = pandoc(sources, project)
    if anchor:
        figures["pandoc"] = {"version": anchor["version"], "seconds": anchor["seconds"],
                             "articles_per_s": round(n / anchor["seconds"], 1)}
    steps: dict[str, dict] = {}

    def step(name: str, result: dict) -> dict:
        steps[name] = {k: v for k, v in result.items() if k != "output"}
        peak = f"{result['peak_mb']:>6} MB" if result.get("peak_mb") is not None else ""
        shown = f"{result['seconds']:>8.2f} s" if result["seconds"] is not None else "   (none)"
        print(f"  {name:<28} {shown}  {peak}", flush=True)
        return result

    step("convert cold", kexue(project, "convert", "-q"))
    steps["convert cold"]["articles_per_s"] = round(n / steps["convert cold"]["seconds"], 1)
    step("convert unchanged", kexue(project, "convert", "-q"))
    touch_one(project, 1)
    step("convert one changed", kexue(project, "convert", "-q"))

    shutil.rmtree(project / "_build")
    for generated in (project / "book").iterdir():
        if generated.is_dir() or generated.name in ("index.md", "generated.bib", "bibliography.md"):
            shutil.rmtree(generated) if generated.is_dir() else generated.unlink()
    split_args = ["--split", split]
    step("html cold", kexue(project, "build", "--format", "html", *split_args))
    figures.update(site_sizes(project / "_build" / "html"))
    step("html unchanged", kexue(project, "build", "--format", "html", *split_args))
    edited = touch_one(project, 2)
    step("html one changed", kexue(project, "build", "--format", "html", *split_args))
    docname = docname_of(project, edited)
    figures["edited"] = {"source": edited.name, "docname": docname}
    if "serve" not in skip:
        served = serve_edit(project, edited, docname, work / "serve.log")
        step("serve edit → page", served)
        if served["timed_out"]:
            print(f"  serve: the page never showed the edit within {SERVE_EDIT_SECONDS} s; see {work / 'serve.log'}")
    if "pdf" not in skip:
        figures["pdf"] = pdf_facts(step("pdf cold", kexue(project, "build", "--format", "pdf", *split_args))["output"])
        latex = project / "_build" / "latex"
        logs = list(latex.glob("*.log"))
        figures["pdf"]["overfull_vbox_all_documents"] = sum(
            log.read_text(encoding="utf-8", errors="replace").count("Overfull \\vbox") for log in logs)
        before = _pdf_times(latex)
        touch_one(project, 3)
        started = time.time()
        step("pdf one changed", kexue(project, "build", "--format", "pdf", *split_args))
        after = _pdf_times(latex)
        retypeset = sorted(stem for stem, t in after.items() if before.get(stem) != t)
        chapter = docname.split("/")[0] if "/" in docname else None
        # The chapter's PDF is put in place as soon as it is made (before the book's is):
        # its time is when a reader of that chapter has the edit.
        chapter_pdf = project / "_build" / "pdf" / "chapters" / f"{chapter}.pdf"
        chapter_seconds = round(chapter_pdf.stat().st_mtime - started, 2) \
            if chapter and chapter_pdf.is_file() and chapter in retypeset else None
        figures["pdf_one_changed"] = {"chapter": chapter, "documents": len(after), "retypeset": retypeset,
                                      "chapter_pdf_seconds": chapter_seconds}
        if chapter_seconds is not None:
            steps["pdf one changed: its chapter PDF"] = {"seconds": chapter_seconds, "peak_mb": None}
        print(f"  pdf one changed: {len(retypeset)} of {len(after)} documents typeset again: "
              f"{', '.join(retypeset) or 'none'} (the edited article is in {docname}); its chapter's PDF "
              f"after {chapter_seconds} s", flush=True)
    if "epub" not in skip:
        epub = step("epub cold", kexue(project, "build", "--format", "epub"))["output"]
        as_tex = re.search(r"(\d+) formulas as TeX", epub)
        figures["epub"] = {"formulas_as_tex": int(as_tex.group(1)) if as_tex else None}
    if not skip & {"pdf", "epub"}:
        step("make book (after pdf, epub)", kexue(project, "build", "--format", "all", *split_args))
        step("make book unchanged", kexue(project, "build", "--format", "all", *split_args))
    figures["steps"] = steps
    figures["peak_mb"] = max(s["peak_mb"] for s in steps.values() if s.get("peak_mb") is not None)
    return figures


def targets(figures: dict) -> list[dict]:
    """The targets of issue 8 (a book of 1,000 articles, cold and unchanged) and issue 19 (the
    author's edit path, set for 1,000 articles), each with its figure; a target whose step was
    skipped is left out.  An `aim` is shown but does not make the run fail."""
    s = figures["steps"]
    checks: list[dict] = []

    def check(issue: int, target: str, figure, met: bool, aim: bool = False) -> None:
        checks.append({"issue": issue, "target": target, "figure": figure, "met": bool(met), "aim": aim})

    def seconds(step: str, limit: float, issue: int, target: str) -> None:
        if step in s:
            value = s[step]["seconds"]
            check(issue, target, f"{value} s" if value is not None else "never", value is not None and value <= limit)

    if "pandoc" in figures:
        ours, theirs = s["convert cold"]["articles_per_s"], figures["pandoc"]["articles_per_s"]
        ratio = f"{ours} vs {theirs} articles/s ({ours / theirs:.1f}×)"
        check(8, "convert cold ≥ 3× pandoc's articles/s", ratio, ours >= 3 * theirs)
        check(8, "convert cold ≥ 5× pandoc's articles/s (aim)", ratio, ours >= 5 * theirs, aim=True)
    seconds("convert unchanged", 1, 8, "convert unchanged ≤ 1 s")
    if figures["articles"] >= 1000:
        seconds("html cold", 120, 8, "html cold ≤ 2 min")
    check(8, "median page ≤ 60 KB", f"{figures['median_page_kb']} KB", (figures["median_page_kb"] or 0) <= 60)
    seconds("make book unchanged", 3, 8, "make book unchanged ≤ 3 s")
    if "pdf" in figures:
        check(8, "PDF 0 Overfull \\hbox", figures["pdf"]["overfull"], figures["pdf"]["overfull"] == 0)
    seconds("convert one changed", 0.5, 19, "convert one changed ≤ 0.5 s")
    seconds("html one changed", 2, 19, "HTML one changed ≤ 2 s")
    seconds("serve edit → page", 3, 19, "serve: edit → page shows it ≤ 3 s")
    seconds("pdf cold", 200, 19, "PDF cold ≤ 200 s")
    seconds("pdf one changed: its chapter PDF", 60, 19, "PDF one changed: its chapter PDF ≤ 60 s")
    seconds("epub cold", 30, 19, "EPUB cold ≤ 30 s")
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--corpus", type=Path, nargs="+", metavar="DIR",
                        help="measure these folders' articles as they are instead of --articles copies")
    parser.add_argument("--mix-real", action=argparse.BooleanOptionalAction, default=CORPUS_REAL.is_dir(),
                        help=f"copies of {CORPUS_REAL} mixed in with the corpus' (default: on when it exists)")
    parser.add_argument("--split", choices=["auto", "chapters", "none"], default="auto",
                        help="`build --split` (auto: chapter PDFs above 300 articles)")
    parser.add_argument("--work", type=Path, help="where the project is made (default: a temporary folder)")
    parser.add_argument("--skip", default="", help="comma-separated: pdf, epub, serve")
    parser.add_argument("--json", type=Path, help="default: _build/bench/scale-N.json")
    parser.add_argument("--compare", type=Path, help="a JSON of a 100-article run: check 1,000 ≤ 11× its HTML time")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    if skip - {"pdf", "epub", "serve"}:
        parser.error(f"--skip: unknown step(s) {', '.join(sorted(skip - {'pdf', 'epub', 'serve'}))}")
    if args.mix_real and not args.corpus and not CORPUS_REAL.is_dir():
        parser.error(f"--mix-real: no real articles at {CORPUS_REAL}")
    work = args.work or Path(tempfile.mkdtemp(prefix="kexue-scale-"))
    if args.work and args.work.exists():
        shutil.rmtree(args.work)
    what = (" ".join(map(str, args.corpus)) if args.corpus
            else f"{args.articles} ({'corpus + corpus-real' if args.mix_real else 'corpus'} copies)")
    print(f"{what} articles in {work}", flush=True)
    figures = measure(args.articles, work, skip, args.corpus, args.mix_real, args.split)
    checks = targets(figures)
    if args.compare:
        small = json.loads(args.compare.read_text(encoding="utf-8"))
        ratio = figures["steps"]["html cold"]["seconds"] / small["steps"]["html cold"]["seconds"]
        figures["html_cold_ratio"] = round(ratio, 1)
        checks.append({"issue": 8, "target": f"html cold ≤ 11× the {small['articles']}-article time",
                       "figure": f"{ratio:.1f}×", "met": ratio <= 11, "aim": False})
    figures["targets"] = checks

    print()
    print(f"| step ({figures['articles']} articles, {figures['cores']} cores) | seconds | peak MB |")
    print("| --- | ---: | ---: |")
    if "pandoc" in figures:
        p = figures["pandoc"]
        print(f"| {p['version']} on the same Markdown (one process) | {p['seconds']} | |")
    for name, s in figures["steps"].items():
        shown = s["seconds"] if s["seconds"] is not None else f"never (> {SERVE_EDIT_SECONDS} s)"
        print(f"| {name} | {shown} | {s.get('peak_mb') or ''} |")
    print()
    print(f"convert cold: {figures['steps']['convert cold']['articles_per_s']} articles/s"
          + (f" (pandoc {figures['pandoc']['articles_per_s']})" if "pandoc" in figures else ""))
    if "copies" in figures:
        c = figures["copies"]
        print(f"copies: {c['formulas_made_distinct']} formulas made distinct, {c['formulas_kept']} kept "
              f"(references: \\eqref, $(8)$ of a \\tag; macro definitions only), "
              f"{c['formulas_unplaced']} not found in their source")
    print(f"HTML site: {figures['site_mb']} MB, {figures['article_pages']} pages, median page "
          f"{figures['median_page_kb']} KB, largest {figures['largest_page_kb']} KB")
    if "serve edit → page" in figures["steps"]:
        print(f"serve: first page served after {figures['steps']['serve edit → page']['start_seconds']} s")
    if "pdf" in figures:
        print(f"PDF: {figures['pdf']['pages']} pages, {figures['pdf']['overfull']} Overfull \\hbox, "
              f"{figures['pdf']['chapter_pdfs']} chapter PDFs, {figures['pdf']['formulas_verbatim']} formulas verbatim")
    if "epub" in figures:
        print(f"EPUB: {figures['epub']['formulas_as_tex']} formulas as TeX (no MathML)")
    if "pdf_one_changed" in figures:
        o = figures["pdf_one_changed"]
        print(f"PDF one changed: {len(o['retypeset'])} of {o['documents']} documents typeset again "
              f"({', '.join(o['retypeset']) or 'none'}); the edited article is {figures['edited']['docname']}")
    print()
    print("| issue | target | figure | |")
    print("| --- | --- | --- | --- |")
    for c in checks:
        print(f"| {c['issue']} | {c['target']} | {c['figure']} | "
              f"{'met' if c['met'] else ('not yet (aim)' if c['aim'] else 'MISSED')} |")
    if figures["articles"] < 1000:
        print(f"(the issue-19 targets and html cold ≤ 2 min are set for 1,000 articles; "
              f"this run has {figures['articles']})")
    print(f"load average before: {figures['load_before']}, after: {round(os.getloadavg()[0], 2)}")
    name = "corpus" if args.corpus else args.articles
    out = args.json or ROOT / "_build" / "bench" / f"scale-{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures: {out}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(c["met"] for c in checks if not c["aim"]) else 1


if __name__ == "__main__":
    sys.exit(main())
