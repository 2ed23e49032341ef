"""What the PDF (LaTeX) and EPUB builds need beyond Sphinx's defaults.

* LaTeX equation numbers: every labelled formula is written with an explicit
  `\\tag{n}` (the number the HTML shows), so each article counts from (1) and
  `\\ref`s print the same numbers; `\\tag` sits outside `split`, where amsmath
  allows it.
* Formulas LaTeX cannot typeset: before the LaTeX files are written, all
  formulas of the book are typeset once in a scratch document; those that fail
  are shown verbatim in the PDF, and each is reported (article and formula) in
  `latex-formulas.json`, which `kexue-book build` prints as warnings.
* Remote images: PDF and EPUB readers cannot load them, and this machine may
  be offline; a figure whose image is remote becomes a framed placeholder with
  its caption (a local copy under book/images/ is used as a normal image).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from .. import texrows
from ..escaping import latex
from ..texsafety import tex_sandbox_env, unsafe_tex
from .equations import ROW_LABELS, ROWS, TAG, latex_label, row_text

logger = logging.getLogger(__name__)
REPORT = "latex-formulas.json"

# MathJax accepts these; LaTeX needs them defined (measured on the corpus: see README).
MATH_SHIMS = r"""
\providecommand{\lt}{<}
\providecommand{\gt}{>}
\providecommand{\argmin}{\mathop{\mathrm{argmin}}}
\providecommand{\argmax}{\mathop{\mathrm{argmax}}}
\providecommand{\bm}[1]{\boldsymbol{#1}}
\providecommand{\unicode}[1]{?}
\providecommand{\require}[1]{}
"""


# --- remote images -------------------------------------------------------------------------


class RemoteImagesToPlaceholders(SphinxPostTransform):
    """Runs before Sphinx would try to download remote images (priority 100)."""

    default_priority = 90
    formats = ("latex", "epub")

    def is_supported(self) -> bool:
        return self.app.builder.format == "latex" or self.app.builder.name.startswith("epub")

    def run(self, **kwargs) -> None:
        for image in list(self.document.findall(nodes.image)):
            uri = image.get("uri", "")
            if "://" not in uri:
                continue
            outer = image.parent if isinstance(image.parent, nodes.reference) else image  # a figure's :target:
            figure = outer.parent if isinstance(outer.parent, nodes.figure) else None
            caption = next(iter(figure.findall(nodes.caption)), None) if figure is not None else None
            text = caption.astext() if caption is not None else image.get("alt", "")
            box = nodes.container(classes=["figure-placeholder"])
            para = nodes.paragraph()
            para += nodes.strong(text="［图］")
            para += nodes.Text(" " + text)
            box += para
            box += nodes.paragraph(text="（原图见在线版：" + uri + "）")
            (figure if figure is not None else outer).replace_self(box)


# --- formulas LaTeX cannot typeset ----------------------------------------------------------


# xdvipdfmx holds 256 levels of boxes in a page (DVI_STACK_DEPTH_MAX) and stops, leaving no PDF
# of the book at all, when a page needs more; xelatex, and so the formula check, see nothing
# wrong.  A formula's boxes nest at least as deep as its groups (`x^{x^{…}}` 300 deep needed 314),
# so a formula nested deeper than this is verbatim; real formulas nest about ten deep.
MAX_NESTING = 100
_NESTING_TOKEN = re.compile(r"\\(?:left|begin|right|end)(?![A-Za-z])|\\[A-Za-z]+|\\.|[{}]", re.S)


def _nesting(tex: str) -> int:
    """How deep groups, `\\left…\\right` and environments nest in `tex`."""
    depth = deepest = 0
    for m in _NESTING_TOKEN.finditer(tex):
        token = m.group(0)
        if token in ("{", "\\left", "\\begin"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("}", "\\right", "\\end"):
            depth -= 1
    return deepest


def _balanced(tex: str) -> bool:
    depth = 0
    escaped = False
    for ch in tex:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _check_document(formulas: list[tuple[str, bool]]) -> str:
    body = []
    for i, (tex, display) in enumerate(formulas):
        content = TAG.sub("", tex)
        if display and texrows.parse(tex) is not None:  # align & co., as the PDF has them (no `split`)
            math = r"\begin{minipage}{30em}" + tex + r"\end{minipage}"
        elif display:
            math = (r"\begin{minipage}{30em}\begin{equation*}\begin{split}" + content +
                    r"\end{split}\end{equation*}\end{minipage}")
        else:
            math = "$" + content + "$"
        body.append(f"\\typeout{{KBFORMULA {i}}}\\setbox0=\\hbox{{{math}}}\n")
    return ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,amsfonts,bm}\n"
            "\\usepackage[UTF8,scheme=plain,fontset=none]{ctex}\n"
            "\\setCJKmainfont{Noto Serif CJK SC}\\setCJKsansfont{Noto Sans CJK SC}\n"
            + MATH_SHIMS + "\\begin{document}\n" + "".join(body) + "\\typeout{KBFORMULA END}\n\\end{document}\n")


def failing_formulas(formulas: list[tuple[str, bool]], cache_dir: Path) -> set[int]:
    """Indexes of the formulas xelatex reports an error for (cached by content)."""
    # Unbalanced braces would swallow the check document; a formula that reaches files is never run
    # (the converter already shows such formulas as code: this covers hand-written pages too).
    bad = {i for i, (tex, _) in enumerate(formulas)
           if not _balanced(tex) or _nesting(tex) > MAX_NESTING or unsafe_tex(tex)}
    todo = [(i, f) for i, f in enumerate(formulas) if i not in bad]
    if not todo or shutil.which("xelatex") is None:
        return bad
    digest = hashlib.sha1(json.dumps([f for _, f in todo]).encode()).hexdigest()
    cache = cache_dir / f"formula-check-{digest}.json"
    if cache.is_file():
        failed = set(json.loads(cache.read_text()))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            tex = Path(tmp) / "check.tex"
            tex.write_text(_check_document([f for _, f in todo]), encoding="utf-8")
            # No terminal to wait on: TeX in error-stop mode reads its answer from standard input.
            subprocess.run(["xelatex", "-no-shell-escape", "-interaction=nonstopmode", "-no-pdf", "check.tex"],
                           cwd=tmp, capture_output=True, stdin=subprocess.DEVNULL, timeout=600,
                           env=tex_sandbox_env())
            log = (Path(tmp) / "check.log").read_text(encoding="utf-8", errors="replace")
        failed = set()
        for segment in re.split(r"^KBFORMULA ", log, flags=re.M)[1:]:
            index, _, rest = segment.partition("\n")
            if index.strip().isdigit() and re.search(r"^! ", rest, re.M):
                failed.add(int(index))
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(sorted(failed)))
    return bad | {todo[i][0] for i in failed if i < len(todo)}


def _math_nodes(doctree: nodes.Node) -> list[nodes.Element]:
    return [n for n in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))]


def check_formulas(app: Sphinx, env) -> None:
    if app.builder.format != "latex":
        return
    formulas: list[tuple[str, bool]] = []
    where: list[tuple[str, int | None, str]] = []  # page, line, the formula as its page has it
    for docname in sorted(env.found_docs):
        for node in _math_nodes(env.get_doctree(docname)):
            formulas.append((_checked_text(node), isinstance(node, nodes.math_block)))
            where.append((docname, node.line, node.astext()))
    failed = failing_formulas(formulas, Path(app.doctreedir))
    app.env.kexue_bad_formulas = {formulas[i][0] for i in failed}
    report = []
    for i in sorted(failed):
        docname, line, formula = where[i]
        title = env.titles[docname].astext() if docname in env.titles else docname
        report.append({"docname": docname, "line": line, "article": title, "formula": formula})
        logger.info(f"kexue-book: LaTeX cannot typeset a formula of {title}; shown verbatim: {formula}")
    Path(app.outdir).mkdir(parents=True, exist_ok=True)
    (Path(app.outdir) / REPORT).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


# --- LaTeX output of formulas ----------------------------------------------------------------


def verbatim_tex(tex: str) -> str:
    """TeX source shown as typewriter text, whatever it contains (balanced or not)."""
    return latex(tex)


_SAFE_LABEL = re.compile(r"[A-Za-z0-9_.:/-]+")


def tex_label(label: str) -> str:
    """A formula's label as LaTeX may read it inside `\\label{…}`/`\\ref{…}`: our pages' labels are
    slugs and stay; a hand-written page's label (MyST takes anything up to `)`) is replaced by a hash
    of it, the same for the formula and every reference to it."""
    if _SAFE_LABEL.fullmatch(label):
        return label
    return "x" + hashlib.sha1(label.encode("utf-8")).hexdigest()[:16]


def _checked_text(node: nodes.Element) -> str:
    """What the formula check typesets: the formula, or a multi-row block's rows with their
    numbers written out as the PDF will have them."""
    return (row_text(node, "latex") if isinstance(node, nodes.math_block) else None) or node.astext()


def _verbatim_rows(node: nodes.math_block) -> str:
    """A multi-row block LaTeX cannot typeset: each row verbatim, with its number and label."""
    env = texrows.parse(node.astext())
    rows = []
    for i in env.kept():
        number, label = node[ROWS][i], node[ROW_LABELS][i]
        mark = (f"\\tag{{{number}}}" + (f"\\label{{{latex_label(node, label)}}}" if label else "")
                if number is not None else "\\notag")
        rows.append(r"\text{\parbox{0.8\linewidth}{\raggedright\ttfamily\small "
                    + verbatim_tex(texrows.bare(env.rows[i])) + "}}" + mark)
    return r"\begin{gather}" + r"\\".join(rows) + r"\end{gather}"


def latex_formulas(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "latex":
        return
    from sphinx.builders.latex.nodes import math_reference
    for ref in doctree.findall(math_reference):
        ref["target"] = tex_label(ref["target"])
    bad = getattr(app.env, "kexue_bad_formulas", set())
    for node in _math_nodes(doctree):
        rows = row_text(node, "latex", labelled=True) if isinstance(node, nodes.math_block) else None
        if rows is not None:  # align & co.: \tag (or \notag) and \label per row, no wrapper
            node.children = [nodes.Text(_verbatim_rows(node) if _checked_text(node) in bad else rows)]
            node["nowrap"] = True
            continue
        if node.get("label"):
            node["label"] = tex_label(node["label"])
        text = node.astext()
        numbered = isinstance(node, nodes.math_block) and node.get("label") and node.get("number") is not None
        if text in bad and not numbered:
            if isinstance(node, nodes.math_block):
                node.replace_self(nodes.literal_block(text, text, classes=["formula-verbatim"]))
            else:
                node.replace_self(nodes.literal(text, text))
            continue
        if numbered:
            label = f"equation:{node['docname']}:{node['label']}"
            if text in bad:  # verbatim, but keeping its number and the target of its \eqref
                body = (r"\text{\parbox{0.8\linewidth}{\raggedright\ttfamily\small "
                        + verbatim_tex(TAG.sub("", text)) + "}}")
            else:
                body = r"\begin{split}" + TAG.sub("", text).strip() + r"\end{split}"
            # A \tag's text is text (equations.py keeps it raw in node["tag"]): it is escaped here.
            tag = latex(node.get("tag", str(node["number"])))
            latex_ = f"\\begin{{equation}}\\tag{{{tag}}}\\label{{{label}}}{body}\\end{{equation}}"
            node.children = [nodes.Text(latex_)]
            node["nowrap"] = True
            node["label"] = None  # the \label is inside; Sphinx must not add one outside


def setup(app: Sphinx) -> dict:
    app.add_post_transform(RemoteImagesToPlaceholders)
    app.connect("env-updated", check_formulas)
    app.connect("doctree-resolved", latex_formulas, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
