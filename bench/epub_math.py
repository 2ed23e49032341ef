r"""Which TeX → MathML engine for the EPUB?  Every formula of real articles through each engine.

    .venv/bin/pip install -e '.[bench]'          # pandoc (texmath) for the comparison
    make node_modules                            # MathJax 3 (mathjax-full), as the book uses it
    npm install --prefix /tmp/mj4 @mathjax/src@4 # optional: MathJax 4 for the comparison
    .venv/bin/python bench/epub_math.py --mathjax4 /tmp/mj4/node_modules/@mathjax/src/cjs
    .venv/bin/python bench/epub_math.py ../shared/corpus-real          # other sources

The formulas are those the converter hands to Sphinx (page macros expanded), read from the
sources given (default: ../shared/corpus-real and ../shared/corpus).  For each engine:

  failed      formulas it rejects (the EPUB would show their TeX)
  raw TeX     failed, or MathML whose text still holds a TeX command (`\hdashline`) or an merror
  rows        multi-line formulas (eqnarray, align, array, gathered, cases, … with a `\\` between
              rows) whose MathML keeps two rows or more
  col spec    arrays whose column spec (`cc:cc`) is printed as text
  ⁡ after fn  function names (\sin, \log, \operatorname{…} …) with an argument (an operand
              or an opening fence follows them) that are followed by U+2061 function application;
              limit-like names (\lim, \max, \sup …) are counted apart
  seconds     wall time for all formulas (node engines: one process, start-up included)

Measured 2026-11-30 on ../shared/corpus-real + ../shared/corpus (2,010 formulas, 316 display, 96
multi-line; 2 shared cores, so seconds vary ±50 % with the machine's load):

  engine                            | failed | raw TeX | rows kept     | col spec shown | ⁡ after fn      | ⁡ after lim-like | s
  MathJax 3.2 (mathjax-full)        | 0      | 0       | 96/96 (100 %) | 0/8            | 220/245 (90 %)  | 0/22 (0 %)       | 2.7
  MathJax 3.2 + for_epub (the book) | 0      | 0       | 96/96 (100 %) | 0/8            | 245/245 (100 %) | 22/22 (100 %)    | 2.6
  MathJax 4 (@mathjax/src 4.1.3)    | 0      | 0       | 96/96 (100 %) | 0/8            | 245/245 (100 %) | 0/22 (0 %)       | 4.5
  latex2mathml (before)             | 0      | 11      | 85/96 (89 %)  | 2/8            | 0/242 (0 %)     | 0/22 (0 %)       | 0.6
  pandoc 3.9 texmath                | 21     | 21      | 83/96 (86 %)  | 6/8            | 208/247 (84 %)  | 9/36 (25 %)      | 0.5

MathJax 3.2.2 is the book's choice: it is the engine and version the HTML runs (django-static-mathjax
3.2.2), it keeps every row and array, and what it lacks (U+2061 after `\operatorname` and `\lim`-like
names) `mathjax_mathml.for_epub` adds.  MathJax 4 is as good on these measures, but would make the
EPUB differ from the HTML and weighs twice as much in node_modules (118 MB against 53 MB).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from converters.config import CONFIG_NAME, load_config  # noqa: E402
from converters.diagnostics import Reporter  # noqa: E402
from converters.model import Math, MathBlock, walk  # noqa: E402
from converters.pipeline import load_book  # noqa: E402
from converters.sphinx_ext import mathjax_mathml  # noqa: E402

NS = "{http://www.w3.org/1998/Math/MathML}"
FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
             "coth", "log", "ln", "lg", "exp", "det", "dim", "ker", "hom", "arg", "deg", "gcd", "Pr"}
LIMITS = {"lim", "max", "min", "sup", "inf", "liminf", "limsup", "argmax", "argmin"}
MULTILINE_ENVS = ("eqnarray", "align", "alignat", "aligned", "alignedat", "array", "gather", "gathered",
                  "matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "cases", "split", "multline")
_MULTILINE = re.compile(r"\\begin\{(" + "|".join(MULTILINE_ENVS) + r")\*?\}")
_TRAILING_BREAK = re.compile(r"\\\\\s*(\[[^\]]*\])?\s*(\\hline\s*|\\hdashline\s*)*\\end\{")
_ARRAY_SPEC = re.compile(r"\\begin\{array\}\{([^{}]*)\}")
_OPERATORNAME = re.compile(r"\\operatorname\*?\{([^{}]*)\}")
_CONTAINERS = {NS + t for t in ("msub", "msup", "msubsup", "munder", "mover", "munderover")}


def formulas(sources: list[Path]) -> list[tuple[str, bool]]:
    book = load_book(sources, load_config(ROOT / CONFIG_NAME), Reporter())
    found = []
    for article in book.articles:
        for node in walk(article.body):
            if isinstance(node, MathBlock):
                found.append((node.tex, True))
            elif isinstance(node, Math):
                found.append((node.tex, False))
    return found


def is_multiline(tex: str) -> bool:
    return bool(_MULTILINE.search(tex)) and "\\\\" in _TRAILING_BREAK.sub(r"\\end{", tex)


def _text(root) -> str:
    return "".join(root.itertext())


def _followed_by_apply(element, parents: dict) -> bool | None:
    """True/False: the operator name is/is not followed by U+2061; None: it has no argument
    (nothing follows it in its row, as in `\\eta_{\\max}`, or a relation, sign, punctuation or
    closing fence does)."""
    node = element
    while node in parents and ((parents[node].tag in _CONTAINERS and list(parents[node])[0] is node)
                               or (parents[node].tag == NS + "mrow" and len(parents[node]) == 1)):
        node = parents[node]
    parent = parents.get(node)
    if parent is None or parent.tag in _CONTAINERS:  # alone in a script (`\\eta_{\\max}`)
        return None
    siblings = list(parent)
    after = siblings[siblings.index(node) + 1:]
    if not after:
        return None
    text = (after[0].text or "").strip()
    if after[0].tag == NS + "mo" and text == "\u2061":
        return True
    if after[0].tag == NS + "mo" and text not in "([{|\u2016\u27e8":
        return None
    return False


class Tally:
    def __init__(self, name: str) -> None:
        self.name = name
        self.total = self.failed = self.raw = 0
        self.multiline = self.rows_kept = 0
        self.arrays = self.specs_shown = 0
        self.functions = self.functions_applied = 0
        self.limits = self.limits_applied = 0
        self.seconds = 0.0
        self.examples: dict[str, list[str]] = {}

    def example(self, kind: str, tex: str) -> None:
        self.examples.setdefault(kind, [])
        if len(self.examples[kind]) < 3:
            self.examples[kind].append(tex[:100])

    def add(self, tex: str, mathml: str | None) -> None:
        self.total += 1
        root = None
        if mathml is not None:
            try:
                root = ElementTree.fromstring(mathml)
            except ElementTree.ParseError:
                root = None
        if root is None:
            self.failed += 1
            self.raw += 1
            self.example("failed", tex)
        else:
            tokens = [e for e in root.iter() if e.tag in {NS + "mi", NS + "mo", NS + "mtext", NS + "mn"}]
            if any(re.search(r"\\[A-Za-z]", e.text or "") for e in tokens) or root.find(f".//{NS}merror") is not None:
                self.raw += 1
                self.example("raw TeX", tex)
        if is_multiline(tex):
            self.multiline += 1
            rows = 0 if root is None else sum(1 for e in root.iter() if e.tag in (NS + "mtr", NS + "mlabeledtr"))
            if rows >= 2:
                self.rows_kept += 1
            else:
                self.example("rows lost", tex)
        specs = [s for s in _ARRAY_SPEC.findall(tex) if len(s.replace(" ", "")) >= 2]
        if specs:
            self.arrays += 1
            if root is not None and any(s in _text(root) for s in specs):
                self.specs_shown += 1
                self.example("column spec shown", tex)
        if root is None:
            tex_names = re.findall(r"\\(" + "|".join(sorted(FUNCTIONS | LIMITS, key=len, reverse=True)) + r")(?![A-Za-z])", tex)
            self.functions += sum(1 for n in tex_names if n in FUNCTIONS) + len(_OPERATORNAME.findall(tex))
            self.limits += sum(1 for n in tex_names if n in LIMITS)
            return
        names = FUNCTIONS | {n.strip() for n in _OPERATORNAME.findall(tex)}
        parents = {child: parent for parent in root.iter() for child in parent}
        for e in root.iter():
            if e.tag not in (NS + "mi", NS + "mo"):
                continue
            text = (e.text or "").strip().replace("\u2006", "").replace("\u2009", "")
            if text in names:
                applied = _followed_by_apply(e, parents)
                if applied is not None:
                    self.functions += 1
                    self.functions_applied += applied
            elif text in LIMITS:
                applied = _followed_by_apply(e, parents)
                if applied is not None:
                    self.limits += 1
                    self.limits_applied += applied

    def row(self) -> list[str]:
        pct = lambda a, b: f"{a}/{b} ({100 * a / b:.0f} %)" if b else "–"  # noqa: E731
        return [self.name, str(self.failed), str(self.raw), pct(self.rows_kept, self.multiline),
                f"{self.specs_shown}/{self.arrays}", pct(self.functions_applied, self.functions),
                pct(self.limits_applied, self.limits), f"{self.seconds:.1f}"]


def run_node(js_dir: Path, items: list[tuple[str, bool]]) -> list[str | None]:
    return mathjax_mathml.NodeEngine(js_dir).convert_all(items)


def run_latex2mathml(items: list[tuple[str, bool]]) -> list[str | None]:
    from converters.sphinx_ext.epub_book import latex2mathml_or_none
    return [latex2mathml_or_none(tex, display) for tex, display in items]


def run_texmath(items: list[tuple[str, bool]]) -> list[str | None]:
    """pandoc's texmath: one document of one paragraph per formula (pandoc's JSON, so nothing
    is parsed as Markdown); a formula texmath rejects stays TeX in a `span.math`."""
    import pypandoc
    from lxml import html

    blocks = [{"t": "Para", "c": [{"t": "Math", "c": [{"t": "DisplayMath" if d else "InlineMath"}, tex]}]}
              for tex, d in items]
    doc = {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": blocks}
    proc = subprocess.run([pypandoc.get_pandoc_path(), "-f", "json", "-t", "html5", "--mathml"],
                          input=json.dumps(doc), capture_output=True, text=True, check=True)
    out: list[str | None] = []
    for p in html.fromstring(f"<div>{proc.stdout}</div>").findall("p"):
        math = p.find("math")
        if math is None:
            out.append(None)
            continue
        math.attrib["xmlns"] = "http://www.w3.org/1998/Math/MathML"
        out.append(html.tostring(math, encoding="unicode").replace("<math ", "<math ", 1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="*", type=Path,
                        default=[ROOT.parent / "shared" / "corpus-real", ROOT.parent / "shared" / "corpus"])
    parser.add_argument("--mathjax3", type=Path, default=None, help="mathjax-full's js folder (default: the book's)")
    parser.add_argument("--mathjax4", type=Path, help="@mathjax/src's cjs folder (skipped when not given)")
    parser.add_argument("--examples", action="store_true", help="print up to 3 formulas per problem")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    sources = [s for s in args.sources if s.exists()]
    if not sources:
        print("no sources found", file=sys.stderr)
        return 2
    items = formulas(sources)
    multiline = sum(1 for tex, _ in items if is_multiline(tex))
    print(f"{len(items)} formulas ({sum(d for _, d in items)} display, {multiline} multi-line) "
          f"from {', '.join(map(str, sources))}")
    engines = []
    js3 = args.mathjax3 or mathjax_mathml.mathjax_js_dir()
    if js3 is not None:
        engines.append(("MathJax 3.2 (mathjax-full)", lambda: run_node(js3, items)))
        engines.append(("MathJax 3.2 + for_epub (the book)", lambda: [
            None if m is None else mathjax_mathml.for_epub(m, tex) for m, (tex, _) in zip(run_node(js3, items), items)]))
    if args.mathjax4:
        engines.append(("MathJax 4 (@mathjax/src)", lambda: run_node(args.mathjax4, items)))
    engines.append(("latex2mathml", lambda: run_latex2mathml(items)))
    try:
        import pypandoc  # noqa: F401
        engines.append(("pandoc texmath", lambda: run_texmath(items)))
    except ImportError:
        print("pandoc (texmath) skipped: pip install -e '.[bench]'", file=sys.stderr)
    tallies = []
    for name, convert in engines:
        tally = Tally(name)
        start = time.perf_counter()
        results = convert()
        tally.seconds = time.perf_counter() - start
        for (tex, _), mathml in zip(items, results, strict=True):
            tally.add(tex, mathml)
        tallies.append(tally)
    header = ["engine", "failed", "raw TeX", "rows kept", "col spec shown", "⁡ after fn", "⁡ after lim-like", "seconds"]
    rows = [header, *[t.row() for t in tallies]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
    if args.examples:
        for t in tallies:
            for kind, texs in t.examples.items():
                for tex in texs:
                    print(f"{t.name}: {kind}: {tex}")
    if args.json:
        args.json.write_text(json.dumps([dict(zip(header, t.row())) for t in tallies], ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
