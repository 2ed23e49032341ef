"""Measure two ways of giving every article its own reference list (issue: citations).

A: {footcite} + {footbibliography} on each page, one {bibliography} :all: at the end.
B: {cite:p} + a {bibliography} filtered to the page (`:filter: docname in docnames`) on each page.

Three pages cite overlapping works (as articles of a series do).  Each scheme is
built with Sphinx; the script prints the warnings and where each citation links.

    .venv/bin/python bench/citation_schemes.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

BIB = """
@misc{a, title={Paper A}, author={Doe, Jane}, year={2018}}
@misc{b, title={Paper B}, author={Roe, Rick}, year={2019}}
@misc{c, title={Paper C}, author={Poe, Pat}, year={2020}}
"""
PAGES = {"one": ["a", "b"], "two": ["b", "c"], "three": ["a", "c"]}


def project(scheme: str, root: Path) -> Path:
    root.mkdir()
    (root / "refs.bib").write_text(BIB)
    (root / "conf.py").write_text('extensions=["myst_parser","sphinxcontrib.bibtex"]\n'
                                  'bibtex_bibfiles=["refs.bib"]\nbibtex_default_style="unsrt"\n')
    toc = "\n".join(PAGES) + ("\nall" if scheme == "A" else "")
    (root / "index.md").write_text(f"# Book\n\n```{{toctree}}\n{toc}\n```\n")
    for name, keys in PAGES.items():
        if scheme == "A":
            cites = "".join(f"{{footcite}}`{k}`" for k in keys)
            tail = "```{footbibliography}\n```\n"
        else:
            cites = "".join(f"{{cite:p}}`{k}`" for k in keys)
            tail = "```{bibliography}\n:filter: docname in docnames\n```\n"
        (root / f"{name}.md").write_text(f"# {name}\n\nText {cites}.\n\n## References\n\n{tail}")
    if scheme == "A":
        (root / "all.md").write_text("# All\n\n```{bibliography}\n:all:\n```\n")
    return root


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        for scheme in ("A", "B"):
            root = project(scheme, Path(tmp) / scheme)
            proc = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(root), str(root / "_b")],
                                  capture_output=True, text=True)
            warnings = [w for w in proc.stderr.splitlines() if "WARNING" in w]
            html = (root / "_b" / "two.html").read_text()
            targets = sorted(set(re.findall(r'href="([^"]*#[^"]*)"[^>]*>\[?[^<]*\]?</a>', html)))
            print(f"scheme {scheme}: {len(warnings)} warning(s)")
            for w in warnings[:4]:
                print("   ", w.split("WARNING:")[-1].strip()[:110])
            print("    citation links on page two:", [t for t in targets if "two.html" in t or t.startswith("#")][:4]
                  or targets[:4])
    return 0


if __name__ == "__main__":
    sys.exit(main())
