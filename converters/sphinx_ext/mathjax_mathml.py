"""TeX → MathML for the EPUB by MathJax 3's own TeX input, the engine the HTML book runs.

The HTML shows what MathJax makes of a formula; the EPUB should show the same, and MathJax can
write MathML without a browser.  `tex2mathml.js` (beside this file) runs MathJax under node and
answers one JSON line per formula; the book's formulas go through one such process per build, or
one per core when they are many (`NodeEngine.convert_all`: a cold build of a large book).  MathJax
comes from the npm package mathjax-full, installed by `make node_modules` (`npm ci` from the
committed package.json / package-lock.json) into `node_modules/` of the repository; node is
Debian's (`scripts/debian-deps`).  Nothing is fetched at build time.

MathJax's MathML is made fit for an EPUB (`for_epub`): attributes that are not MathML, are empty
or carry source text into the page (`data-*`, `class`, `style`, `id`, non-web `href`) are dropped,
MathJax's private `mathvariant`s become MathML ones, `mlabeledtr` (not in MathML Core, which
e-readers and browsers implement) becomes an `mtr` with its label as the last cell, and the
formula's TeX becomes the `alttext`.  What MathML Core does not draw is said in what it does:
`mathvariant` letters as Unicode's mathematical letters (𝔼, ℒ, 𝒙), table rules as cell borders,
column alignment (`align`'s right/left pairs) as the cells' `text-align`,
the thin space after an operator name as the `rspace` of its U+2061.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

SCRIPT = Path(__file__).with_name("tex2mathml.js")
REPO = Path(__file__).resolve().parents[2]
PACKAGE = "mathjax-full"
JS_DIR_ENV = "KEXUE_BOOK_MATHJAX"  # another mathjax-full `js` folder (tests, a system copy)
NODE_ENV = "KEXUE_BOOK_NODE"  # another node executable
INSTALL_HINT = "install node and MathJax with: scripts/debian-deps book && make node_modules"

NS = "http://www.w3.org/1998/Math/MathML"
ElementTree.register_namespace("", NS)
_TOKENS = {f"{{{NS}}}{t}" for t in ("mi", "mn", "mo", "mtext", "ms")}
# MathJax's own mathvariants (its TeX fonts) and the MathML ones closest to them.
_VARIANTS = {"-tex-calligraphic": "script", "-tex-bold-calligraphic": "bold-script", "-tex-mathit": "italic",
             "-tex-oldstyle": "normal", "-tex-bold-oldstyle": "bold", "-tex-variant": "normal"}
_DROPPED = {"class", "style", "id"}
# Attributes whose value a reader fetches or follows: `\mmlToken{mglyph}[src='http://…']{}` would
# make the EPUB load a remote image (or a file: of the reader's machine); only `href` to a web
# address is kept.
_ADDRESSES = {"src", "altimg", "definitionURL", "xlink:href", "cd", "cdgroup"}
# `\require{…}` loads code in the browser; here every package is loaded already.
_REQUIRE = re.compile(r"\\require\s*\{[^{}]*\}")


def mathjax_js_dir() -> Path | None:
    """mathjax-full's `js` folder: $KEXUE_BOOK_MATHJAX, else node_modules/ of the repository."""
    configured = os.environ.get(JS_DIR_ENV)
    candidates = [Path(configured)] if configured else [REPO / "node_modules" / PACKAGE / "js"]
    for folder in candidates:
        if (folder / "mathjax.js").is_file():
            return folder
    return None


def node_executable() -> str | None:
    return os.environ.get(NODE_ENV) or shutil.which("node") or shutil.which("nodejs")


def engine_id(js_dir: Path | None) -> str:
    """Names what makes the MathML (for caches): MathJax's version, this module and the script."""
    if js_dir is None:
        return "latex2mathml"
    package = js_dir.parent / "package.json"
    version = json.loads(package.read_text(encoding="utf-8")).get("version", "?") if package.is_file() else "?"
    code = hashlib.sha256(SCRIPT.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]
    return f"mathjax {version} {code}"


# A node process takes about 0.2 s to load MathJax and then about 1.5 ms per formula: a second
# process pays off from a few hundred formulas on (a cold build of a large book has tens of
# thousands, all new; a later build sends only the new ones, usually one process's worth).
FORMULAS_PER_PROCESS = 300
PROCESSES_ENV = "KEXUE_BOOK_MATHJAX_PROCESSES"  # at most this many node processes at once


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def processes_for(formulas: int) -> int:
    """How many node processes convert `formulas` formulas: one per FORMULAS_PER_PROCESS, at most
    one per core this process may run on ($KEXUE_BOOK_MATHJAX_PROCESSES lowers or raises it)."""
    configured = os.environ.get(PROCESSES_ENV, "")
    limit = int(configured) if configured.isdigit() and int(configured) > 0 else _cores()
    return max(1, min(limit, -(-formulas // FORMULAS_PER_PROCESS)))


class EngineMissing(RuntimeError):
    """node or MathJax is not installed."""


class NodeEngine:
    """MathJax under node.  `convert_all` sends a batch through one process, or a long one through
    one process per core; `convert_one` keeps a process open for formulas that come later (none
    in a normal build)."""

    def __init__(self, js_dir: Path | None = None, node: str | None = None) -> None:
        self.js_dir = js_dir or mathjax_js_dir()
        self.node = node or node_executable()
        if self.node is None:
            raise EngineMissing(f"node not found; {INSTALL_HINT}")
        if self.js_dir is None:
            where = os.environ.get(JS_DIR_ENV) or REPO / "node_modules"
            raise EngineMissing(f"the npm package {PACKAGE} is not in {where}; {INSTALL_HINT}")
        self._open: subprocess.Popen | None = None

    def _command(self) -> list[str]:
        return [self.node, str(SCRIPT), str(self.js_dir)]

    @staticmethod
    def _request(tex: str, display: bool) -> str:
        return json.dumps({"tex": _REQUIRE.sub("", tex), "display": display}, ensure_ascii=False) + "\n"

    @staticmethod
    def _answer(line: str) -> str | None:
        answer = json.loads(line)
        return answer.get("mathml")

    def convert_all(self, items: list[tuple[str, bool]], processes: int | None = None) -> list[str | None]:
        """MathJax's MathML of each (tex, display), None where MathJax reports an error.  A long
        list is cut into consecutive runs, one node process each (`processes`, default
        `processes_for`), all at once: each answer depends on its formula alone (see
        tex2mathml.js), so the answers are the same however the list is cut."""
        count = processes or processes_for(len(items))
        size = -(-len(items) // max(1, count))  # ceiling: `count` runs at most, the last one shorter
        runs = [items[start:start + size] for start in range(0, len(items), size)] if items else []
        if len(runs) <= 1:
            return self._convert_run(items)
        with ThreadPoolExecutor(max_workers=len(runs)) as pool:  # threads wait; the node processes work
            answers = list(pool.map(self._convert_run, runs))
        return [answer for run in answers for answer in run]

    def _convert_run(self, items: list[tuple[str, bool]]) -> list[str | None]:
        """The answers of one node process to `items`, in order."""
        if not items:
            return []
        proc = subprocess.run(self._command(), input="".join(self._request(t, d) for t, d in items),
                              capture_output=True, text=True, encoding="utf-8")
        # JSON lines end in "\n" only: str.splitlines would also cut an answer at a U+0085 or
        # U+2028 that JSON leaves raw (MathJax's error messages quote the formula).
        lines = proc.stdout.split("\n")
        if lines[-1] == "":
            lines.pop()
        if proc.returncode != 0 or len(lines) != len(items):
            raise RuntimeError(f"MathJax (node) stopped after {len(lines)} of {len(items)} formulas: "
                               f"{proc.stderr.strip()[-500:]}")
        return [self._answer(line) for line in lines]

    def convert_one(self, tex: str, display: bool) -> str | None:
        if self._open is None or self._open.poll() is not None:
            self._open = subprocess.Popen(self._command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        self._open.stdin.write(self._request(tex, display))
        self._open.stdin.flush()
        return self._answer(self._open.stdout.readline())


_APPLY = "\u2061"
_BASES = {f"{{{NS}}}{t}" for t in ("msub", "msup", "msubsup", "munder", "mover", "munderover")}
_OPENING = set("([{|\u2016\u27e8\u2308\u230a")
# MathJax counts a multi-letter `mi` as an operator name (its TeX class OP), as it counts
# `\lim`, `\max`, … (an `mo` with movable limits).
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[\u2006\u2009 ][A-Za-z]+)?$")


def _is_operator_name(element) -> bool:
    text = (element.text or "").strip()
    if element.tag == f"{{{NS}}}mi":
        return len(text) > 1 and bool(_NAME.match(text)) and element.get("mathvariant") in (None, "normal")
    if element.tag == f"{{{NS}}}mo":
        return len(text) > 1 and bool(_NAME.match(text))
    return False


def _wants_argument(following) -> bool:
    """Whether what follows an operator name is its argument (an operand or an opening fence,
    not a relation, a sign, punctuation or a closing fence)."""
    if following.tag == f"{{{NS}}}mo":
        return (following.text or "").strip() in _OPENING and following.get("data-mjx-texclass") != "CLOSE"
    return True


def apply_functions(root) -> None:
    r"""U+2061 FUNCTION APPLICATION after each operator name that has an argument, as MathJax
    itself writes it after `\sin` but not (in version 3) after `\operatorname{…}`, `\lim`,
    `\max`: readers space and speak `cos x` as a function of x, not as the letters `cosx`."""
    parents = {child: parent for parent in root.iter() for child in parent}
    for element in [e for e in root.iter() if _is_operator_name(e)]:
        node = element
        while node in parents and parents[node].tag in _BASES and parents[node][0] is node:
            node = parents[node]  # `\lim_{x}`: the argument follows the whole munder
        parent = parents.get(node)
        if parent is None:
            continue
        index = list(parent).index(node)
        if index + 1 >= len(parent):
            continue
        following = parent[index + 1]
        if following.tag == f"{{{NS}}}mo" and (following.text or "").strip() == _APPLY:
            continue
        if _wants_argument(following):
            apply = ElementTree.Element(f"{{{NS}}}mo")
            apply.text = _APPLY
            parent.insert(index + 1, apply)


# --- what MathML Core (Chromium, and e-readers built on it) does not draw ---------------------

# mathvariant → Unicode's Mathematical Alphanumeric Symbols: MathML Core draws `mathvariant`
# only as "normal", so `\mathbb{E}`, `\mathcal{L}`, `\boldsymbol{x}` would show as plain letters.
_LATIN = {"bold": 0x1D400, "italic": 0x1D434, "bold-italic": 0x1D468, "script": 0x1D49C,
          "bold-script": 0x1D4D0, "fraktur": 0x1D504, "double-struck": 0x1D538, "bold-fraktur": 0x1D56C,
          "sans-serif": 0x1D5A0, "bold-sans-serif": 0x1D5D4, "sans-serif-italic": 0x1D608,
          "sans-serif-bold-italic": 0x1D63C, "monospace": 0x1D670}
_LATIN_HOLES = {  # letters Unicode had before the block (Letterlike Symbols)
    "italic": {"h": 0x210E},
    "script": {"B": 0x212C, "E": 0x2130, "F": 0x2131, "H": 0x210B, "I": 0x2110, "L": 0x2112, "M": 0x2133,
               "R": 0x211B, "e": 0x212F, "g": 0x210A, "o": 0x2134},
    "fraktur": {"C": 0x212D, "H": 0x210C, "I": 0x2111, "R": 0x211C, "Z": 0x2128},
    "double-struck": {"C": 0x2102, "H": 0x210D, "N": 0x2115, "P": 0x2119, "Q": 0x211A, "R": 0x211D, "Z": 0x2124},
}
_GREEK = {"bold": 0x1D6A8, "italic": 0x1D6E2, "bold-italic": 0x1D71C, "bold-sans-serif": 0x1D756,
          "sans-serif-bold-italic": 0x1D790}
_GREEK_ORDER = ("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡϴΣΤΥΦΧΨΩ∇αβγδεζηθικλμνξοπρςστυφχψω∂ϵϑϰϕϱϖ")
_DIGITS = {"bold": 0x1D7CE, "double-struck": 0x1D7D8, "sans-serif": 0x1D7E2, "bold-sans-serif": 0x1D7EC,
           "monospace": 0x1D7F6}


def _styled(char: str, variant: str) -> str | None:
    if "A" <= char <= "Z" or "a" <= char <= "z":
        hole = _LATIN_HOLES.get(variant, {}).get(char)
        if hole:
            return chr(hole)
        if variant in _LATIN:
            offset = ord(char) - ord("A") if char <= "Z" else 26 + ord(char) - ord("a")
            return chr(_LATIN[variant] + offset)
    elif "0" <= char <= "9":
        if variant in _DIGITS:
            return chr(_DIGITS[variant] + ord(char) - ord("0"))
        return char if variant in ("italic", "bold-italic") else None  # TeX keeps digits upright
    elif char in _GREEK_ORDER and variant in _GREEK:
        return chr(_GREEK[variant] + _GREEK_ORDER.index(char))
    return None


def _apply_variant(element) -> None:
    variant = element.get("mathvariant")
    if variant in (None, "normal") or element.tag not in (f"{{{NS}}}mi", f"{{{NS}}}mn") or not element.text:
        return
    styled = [_styled(c, variant) for c in element.text]
    if all(styled):
        element.text = "".join(styled)
        del element.attrib["mathvariant"]


# Table rules and column alignment: MathML Core draws neither `columnlines`/`rowlines`/`menclose`
# nor `columnalign`; the same lines as CSS borders of the cells and the alignment as their
# `text-align` (the attributes stay for readers that draw them, at the same place).
_RULE = "0.06em {}"
_SIDES = {"top": "top", "bottom": "bottom", "left": "left", "right": "right"}


def _add_style(element, declarations: list[str]) -> None:
    if declarations:
        element.set("style", "; ".join(filter(None, [element.get("style", ""), *declarations])))


def _draw_rules(root) -> None:
    for table in root.iter(f"{{{NS}}}mtable"):
        columns = table.get("columnlines", "").split()
        rows = table.get("rowlines", "").split()
        table_rows = [r for r in table if r.tag in (f"{{{NS}}}mtr", f"{{{NS}}}mlabeledtr")]
        aligns = table.get("columnalign", "").split()
        for r, row in enumerate(table_rows):
            cells = [c for c in row if c.tag == f"{{{NS}}}mtd"]
            row_aligns = row.get("columnalign", "").split() or aligns
            for c, cell in enumerate(cells):
                css = []
                align = cell.get("columnalign") or (row_aligns[min(c, len(row_aligns) - 1)] if row_aligns else "")
                if align in ("left", "right"):  # Chromium aligns a cell by its prefixed keyword only
                    css += [f"text-align: {align}", f"text-align: -webkit-{align}"]
                if columns and c < len(cells) - 1:
                    line = columns[min(c, len(columns) - 1)]
                    if line in ("solid", "dashed"):
                        css.append(f"border-right: {_RULE.format(line)}")
                if rows and r < len(table_rows) - 1:
                    line = rows[min(r, len(rows) - 1)]
                    if line in ("solid", "dashed"):
                        css.append(f"border-bottom: {_RULE.format(line)}")
                _add_style(cell, css)
    for box in root.iter(f"{{{NS}}}menclose"):
        notation = box.get("notation", "").split()
        sides = ["top", "bottom", "left", "right"] if "box" in notation else [n for n in notation if n in _SIDES]
        _add_style(box, [f"border-{side}: {_RULE.format('solid')}" for side in sides])


def _space_applications(root) -> None:
    r"""TeX's thin space after an operator name (`\cos x`, not before `(`): MathML Core gives
    U+2061 no width, so `cos x` would read `cosx`."""
    for parent in root.iter():
        children = list(parent)
        for index, child in enumerate(children):
            if child.tag != f"{{{NS}}}mo" or (child.text or "").strip() != _APPLY:
                continue
            following = children[index + 1] if index + 1 < len(children) else None
            opening = following is not None and following.tag == f"{{{NS}}}mo" \
                and (following.text or "").strip() in _OPENING
            child.set("lspace", "0em")
            child.set("rspace", "0em" if opening else "0.1667em")


def _safe_href(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def for_epub(mathml: str, tex: str) -> str | None:
    """MathJax's MathML as the EPUB carries it (see the module's doc), with `alttext`; None when
    it is no XML an XHTML page can hold: `\\unicode{xFFFF}`, `\\unicode{1}` or `\\unicode{xD800}`
    make MathJax write a character XML forbids; `x^{x^{…}}` 500 deep, MathML nested deeper than
    ElementTree's (recursive) serializer writes.  The formula is then shown as its TeX."""
    try:
        return _for_epub(ElementTree.fromstring(mathml), tex)
    except (ElementTree.ParseError, UnicodeError, RecursionError):
        return None


def _for_epub(root, tex: str) -> str:
    apply_functions(root)
    for element in root.iter():
        for name in list(element.attrib):
            value = element.attrib[name]
            # An empty value (MathJax's `frame=""`, `rowlines=""`) is invalid MathML: no lines.
            if name.startswith("data-") or name in _DROPPED or not value.strip() \
                    or name in _ADDRESSES or (name == "href" and not _safe_href(value)):
                del element.attrib[name]
            elif name == "mathvariant" and value.startswith("-tex-"):
                if value in _VARIANTS:
                    element.attrib[name] = _VARIANTS[value]
                else:
                    del element.attrib[name]
        if element.tag == f"{{{NS}}}mlabeledtr" and len(element):
            label = element[0]
            element.remove(label)
            space = ElementTree.Element(f"{{{NS}}}mspace", width="2em")
            label.insert(0, space)
            element.append(label)
            element.tag = f"{{{NS}}}mtr"
        if element.tag not in _TOKENS:  # the serializer's indentation, not content
            if element.text is not None and not element.text.strip():
                element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    for element in root.iter():
        _apply_variant(element)
    _space_applications(root)
    _draw_rules(root)
    root.attrib["alttext"] = " ".join(tex.split())
    return ElementTree.tostring(root, encoding="unicode")
