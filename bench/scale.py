"""The book at scale: N articles made from the corpus, converted and built, every step timed.

    .venv/bin/pip install -e '.[bench]'                  # pandoc 3 (pypandoc-binary), the anchor
    .venv/bin/python bench/scale.py --articles 100
    .venv/bin/python bench/scale.py --articles 1000      # about 15 minutes on 2 cores
    .venv/bin/python bench/scale.py --articles 1000 --skip pdf,epub --json out.json
    .venv/bin/python bench/scale.py --corpus sources ../shared/corpus ../shared/corpus-real

One run makes a throw-away project (`--work`, default a temporary folder) whose sources are N
copies of `../shared/corpus` (bench/corpus_copies.py: distinct titles and urls, series kept,
years spread), or with `--corpus DIR...` the articles of those folders as they are (real
articles: the PDF and EPUB figures of the blog's own TeX), then measures, each step as a new user would run it (`kexue-book …` in a fresh
process):

  convert: cold (no cache, no book/), nothing changed, one article changed
  html:    cold (convert included), nothing changed, one article changed
  pdf, epub: cold (their own build folders empty; convert is then unchanged)
  make book (build --format all) twice: the second is the nothing-changed case
  pandoc 3 converting the same Markdown files in one process (`-t commonmark_x`)

with each step's peak memory (the largest resident size among its processes), the HTML site's
size and the median size of its article pages.  It prints one table, checks the targets of
issue 8 and writes the figures as JSON (default `_build/bench/scale-N.json`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from corpus_copies import write_copies  # noqa: E402
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


def touch_one(project: Path, k: int) -> None:
    """Change one article's text (a new last paragraph), as an author would."""
    source = sorted((project / "sources").glob("*.md"))[0]
    with source.open("a", encoding="utf-8") as f:
        f.write(f"\n\n改动{k}：这一段是基准测试加上的。\n")


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


def measure(n: int, work: Path, skip: set[str], corpus: list[Path] | None = None) -> dict:
    project = new_project(work / "project")
    if corpus:
        sources = copy_corpus(corpus, project / "sources")
        n = len(sources)
    else:
        sources = write_copies(n, project / "sources")
    figures: dict = {"articles": n, "cores": len(os.sched_getaffinity(0)),
                     "corpus": [str(c) for c in corpus] if corpus else None,
                     "load_before": round(os.getloadavg()[0], 2)}
    anchor = pandoc(sources, project)
    if anchor:
        figures["pandoc"] = {"version": anchor["version"], "seconds": anchor["seconds"],
                             "articles_per_s": round(n / anchor["seconds"], 1)}
    steps: dict[str, dict] = {}

    def step(name: str, result: dict) -> dict:
        steps[name] = {k: v for k, v in result.items() if k != "output"}
        print(f"  {name:<24} {result['seconds']:>8.2f} s  {result['peak_mb']:>6} MB", flush=True)
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
    step("html cold", kexue(project, "build", "--format", "html"))
    figures.update(site_sizes(project / "_build" / "html"))
    step("html unchanged", kexue(project, "build", "--format", "html"))
    touch_one(project, 2)
    step("html one changed", kexue(project, "build", "--format", "html"))
    if "pdf" not in skip:
        figures["pdf"] = pdf_facts(step("pdf cold", kexue(project, "build", "--format", "pdf"))["output"])
        logs = list((project / "_build" / "latex").glob("*.log"))
        figures["pdf"]["overfull_vbox_all_documents"] = sum(
            log.read_text(encoding="utf-8", errors="replace").count("Overfull \\vbox") for log in logs)
    if "epub" not in skip:
        step("epub cold", kexue(project, "build", "--format", "epub"))
    if not skip & {"pdf", "epub"}:
        step("make book (after pdf, epub)", kexue(project, "build", "--format", "all"))
        step("make book unchanged", kexue(project, "build", "--format", "all"))
    figures["steps"] = steps
    figures["peak_mb"] = max(s["peak_mb"] for s in steps.values())
    return figures


def targets(figures: dict) -> list[tuple[str, bool]]:
    s = figures["steps"]
    checks = []
    if "pandoc" in figures:
        checks.append((f"convert cold ≥ 3× pandoc's articles/s ({s['convert cold']['articles_per_s']} vs "
                       f"{figures['pandoc']['articles_per_s']})",
                       s["convert cold"]["articles_per_s"] >= 3 * figures["pandoc"]["articles_per_s"]))
    checks.append(("convert unchanged ≤ 1 s", s["convert unchanged"]["seconds"] <= 1))
    if figures["articles"] >= 1000:
        checks.append(("html cold ≤ 2 min", s["html cold"]["seconds"] <= 120))
    checks.append(("median page ≤ 60 KB", (figures["median_page_kb"] or 0) <= 60))
    if "make book unchanged" in s:
        checks.append(("make book unchanged ≤ 3 s", s["make book unchanged"]["seconds"] <= 3))
    if "pdf" in figures:
        checks.append(("PDF 0 Overfull \\hbox", figures["pdf"]["overfull"] == 0))
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--corpus", type=Path, nargs="+", metavar="DIR",
                        help="measure these folders' articles as they are instead of --articles copies")
    parser.add_argument("--work", type=Path, help="where the project is made (default: a temporary folder)")
    parser.add_argument("--skip", default="", help="comma-separated: pdf, epub")
    parser.add_argument("--json", type=Path, help="default: _build/bench/scale-N.json")
    parser.add_argument("--compare", type=Path, help="a JSON of a 100-article run: check 1,000 ≤ 11× its HTML time")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    work = args.work or Path(tempfile.mkdtemp(prefix="kexue-scale-"))
    if args.work and args.work.exists():
        shutil.rmtree(args.work)
    print(f"{' '.join(map(str, args.corpus)) if args.corpus else args.articles} articles in {work}", flush=True)
    figures = measure(args.articles, work, skip, args.corpus)
    checks = targets(figures)
    if args.compare:
        small = json.loads(args.compare.read_text(encoding="utf-8"))
        ratio = figures["steps"]["html cold"]["seconds"] / small["steps"]["html cold"]["seconds"]
        figures["html_cold_ratio"] = round(ratio, 1)
        checks.append((f"html cold ≤ 11× the {small['articles']}-article time ({ratio:.1f}×)", ratio <= 11))
    figures["targets"] = [{"target": t, "met": ok} for t, ok in checks]

    print()
    print(f"| step ({figures['articles']} articles, {figures['cores']} cores) | seconds | peak MB |")
    print("| --- | ---: | ---: |")
    if "pandoc" in figures:
        p = figures["pandoc"]
        print(f"| {p['version']} on the same Markdown (one process) | {p['seconds']} | |")
    for name, s in figures["steps"].items():
        print(f"| {name} | {s['seconds']} | {s['peak_mb']} |")
    print()
    print(f"convert cold: {figures['steps']['convert cold']['articles_per_s']} articles/s"
          + (f" (pandoc {figures['pandoc']['articles_per_s']})" if "pandoc" in figures else ""))
    print(f"HTML site: {figures['site_mb']} MB, {figures['article_pages']} pages, median page "
          f"{figures['median_page_kb']} KB, largest {figures['largest_page_kb']} KB")
    if "pdf" in figures:
        print(f"PDF: {figures['pdf']['pages']} pages, {figures['pdf']['overfull']} Overfull \\hbox, "
              f"{figures['pdf']['chapter_pdfs']} chapter PDFs, {figures['pdf']['formulas_verbatim']} formulas verbatim")
    for target, ok in checks:
        print(f"{'met   ' if ok else 'MISSED'} {target}")
    print(f"load average before: {figures['load_before']}, after: {round(os.getloadavg()[0], 2)}")
    name = "corpus" if args.corpus else args.articles
    out = args.json or ROOT / "_build" / "bench" / f"scale-{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures: {out}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
