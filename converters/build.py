"""Running Sphinx and LaTeX: argument lists, never shell strings.

Each format lands in `_build/` under a stable name:
    html  _build/html/index.html
    pdf   _build/pdf/kexue-book.pdf    (Sphinx's LaTeX in _build/latex, then latexmk + xelatex)
    epub  _build/epub/kexue-book.epub
PDF and EPUB are also copied into `_build/downloads/`, which the HTML build links.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import BuildError, Code, Diagnostic
from .model import SourcePos

FORMATS = ("html", "pdf", "epub")
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

    def summary(self) -> str:
        facts = [f"{self.seconds:.1f} s"]
        if self.pages is not None:
            facts.insert(0, f"{self.pages} pages")
        if self.overfull is not None:
            facts.append(f"{self.overfull} Overfull \\hbox")
        if self.format == "pdf":
            facts.append(f"{len(self.diagnostics)} formulas verbatim")
        return f"{self.format}: {self.output} ({', '.join(facts)})"


def sphinx_command(project: Path, builder: str, outdir: Path, doctrees: Path, strict: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "sphinx", "-b", builder, "-c", str(project), "-d", str(doctrees),
           str(project / "book"), str(outdir), "-q", "--keep-going"]
    if strict:
        cmd.insert(3, "-W")
    return cmd


def _sphinx(project: Path, fmt: str, build_dir: Path, strict: bool) -> tuple[Path, list[str]]:
    builder = BUILDERS[fmt]
    outdir = build_dir / ("latex" if fmt == "pdf" else fmt)
    if fmt == "epub" and outdir.exists():
        # Sphinx's EPUB builder lists files left by the previous run a second time in the spine
        # (epubcheck RSC-005); the doctrees are elsewhere, so only the writing starts afresh.
        shutil.rmtree(outdir)
    proc = subprocess.run(sphinx_command(project, builder, outdir, build_dir / "doctrees" / builder, strict),
                          cwd=project, capture_output=True, text=True)
    messages = [line for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode != 0:
        first = next((m for m in messages if "WARNING" in m or "ERROR" in m), messages[-1] if messages else "")
        raise BuildError(f"sphinx-build ({builder}) failed with {len(messages)} message(s); first: {first}")
    return outdir, messages


def _latex_pdf(latex_dir: Path) -> tuple[Path, int | None, int]:
    for tool in ("latexmk", "xelatex"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} not found; the PDF needs: apt-get install -y {PDF_PACKAGES} "
                             f"(or run scripts/debian-deps book as root)")
    proc = subprocess.run(["latexmk", "-pdfxe", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                           f"{STEM}.tex"], cwd=latex_dir, capture_output=True, text=True)
    log_path = latex_dir / f"{STEM}.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
    if proc.returncode != 0 or not (latex_dir / f"{STEM}.pdf").is_file():
        error = next((line for line in log.splitlines() if line.startswith(("!", "./"))), "see the log")
        raise BuildError(f"xelatex failed ({log_path}): {error}")
    pages = re.search(r"Output written on .*?\((\d+) pages?", log)
    return latex_dir / f"{STEM}.pdf", int(pages.group(1)) if pages else None, log.count("Overfull \\hbox")


def _verbatim_formulas(latex_dir: Path) -> list[Diagnostic]:
    report = latex_dir / "latex-formulas.json"
    if not report.is_file():
        return []
    out = []
    for item in json.loads(report.read_text(encoding="utf-8")):
        formula = " ".join(item["formula"].split())
        out.append(Diagnostic(Code.LATEX_FORMULA,
                              f"LaTeX cannot typeset this formula of 《{item['article']}》; "
                              f"shown verbatim in the PDF: {formula}",
                              SourcePos(f"book/{item['docname']}.md", item.get("line") or 1)))
    return out


def build_format(project: Path, fmt: str, build_dir: Path, strict: bool = True) -> BuildResult:
    if fmt not in FORMATS:
        raise BuildError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)}, all)")
    start = time.monotonic()
    outdir, messages = _sphinx(project, fmt, build_dir, strict)
    downloads = build_dir / "downloads"
    if fmt == "html":
        return BuildResult(fmt, outdir / "index.html", messages, seconds=time.monotonic() - start)
    if fmt == "epub":
        epub = outdir / f"{STEM}.epub"
        downloads.mkdir(parents=True, exist_ok=True)
        shutil.copy2(epub, downloads / epub.name)
        return BuildResult(fmt, epub, messages, seconds=time.monotonic() - start)
    pdf, pages, overfull = _latex_pdf(outdir)
    target = build_dir / "pdf" / pdf.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pdf, target)
    downloads.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pdf, downloads / pdf.name)
    return BuildResult(fmt, target, messages, _verbatim_formulas(outdir), time.monotonic() - start, pages, overfull)


def formats_for(choice: str) -> list[str]:
    """`all` builds the PDF and EPUB before the HTML, so that the HTML can link them."""
    return ["pdf", "epub", "html"] if choice == "all" else [choice]
