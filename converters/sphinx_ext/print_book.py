"""What the PDF (LaTeX) and EPUB builds need beyond Sphinx's defaults.

* LaTeX equation numbers: every labelled formula is written with an explicit
  `\\tag{n}` (the number the HTML shows), so each article counts from (1) and
  `\\ref`s print the same numbers; `\\tag` sits outside `split`, where amsmath
  allows it.
* Formulas LaTeX cannot typeset: before the LaTeX files are written, every
  formula of the book gets a verdict of its own (formula_check.py, with the
  book's TeX layer tex/kexue-mathjax.sty); those that fail are shown verbatim
  in the PDF, and each is reported (article, line, formula, xelatex's error) in
  `latex-formulas.json`, which `kexue-book build` prints as warnings.
* Documents as they are written: the builder writes the book, then each chapter (first
  those holding a page read again),
  and lists each in `latex-written.txt` once it and what it loads are in place, so
  that converters/build.py typesets it while Sphinx writes the next.
* Remote images: PDF and EPUB readers cannot load them, and this machine may
  be offline; a figure whose image is remote becomes a framed placeholder with
  its caption (a local copy under book/images/ is used as a normal image).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders.latex import LaTeXBuilder
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from .. import texrows
from ..escaping import latex
from .equations import ROW_LABELS, ROWS, TAG, latex_label, row_text, tex_label
from .formula_check import MARK, STY, Formula, book_latex, formula_key, formula_verdicts, numbered_display

logger = logging.getLogger(__name__)
REPORT = "latex-formulas.json"  # the formulas shown verbatim: article, line, TeX, xelatex's error
COUNTS = "latex-formula-counts.json"  # per page: formulas typeset and verbatim

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


def _math_nodes(doctree: nodes.Node) -> list[nodes.Element]:
    return [n for n in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))]


def _formula(node: nodes.Element) -> Formula:
    """The formula as the book holds it; `align` & co. with their rows' numbers written out
    (`equations.row_text`), as the PDF has them."""
    display = isinstance(node, nodes.math_block)
    rows = row_text(node, "latex") if display else None
    if rows is not None:
        return Formula(rows, True, rows=True)
    return Formula(node.astext(), display, display and bool(node.get("label")) and node.get("number") is not None,
                   heading=not display and _in_title(node))


# Per page, its formulas as the check needs them: (formula, line, TeX as the page has it).  Kept
# in the environment (pickled with it), so that a build that reads one page again loads that
# page's doctree only; every other page's list stands (a doctree is only ever changed by reading
# its page again, which purges the page's list first).
PAGE_FORMULAS = "kexue_page_formulas"


def _page_formulas(env, docname: str) -> list[tuple[Formula, int | None, str]]:
    return [(_formula(node), node.line, node.astext()) for node in _math_nodes(env.get_doctree(docname))]


def purge_page_formulas(app: Sphinx, env, docname: str) -> None:
    getattr(env, PAGE_FORMULAS, {}).pop(docname, None)


def check_formulas(app: Sphinx, env) -> None:
    if app.builder.format != "latex":
        return
    known = getattr(env, PAGE_FORMULAS, None)
    if known is None:
        known = {}
        setattr(env, PAGE_FORMULAS, known)
    for docname in set(known) - env.found_docs:
        del known[docname]
    formulas: list[Formula] = []
    where: list[tuple[str, int | None, str]] = []  # page, line, the formula as its page has it
    for docname in sorted(env.found_docs):
        if docname not in known:
            known[docname] = _page_formulas(env, docname)
        for formula, line, source in known[docname]:
            formulas.append(formula)
            where.append((docname, line, source))
    verdicts = formula_verdicts(formulas, Path(app.config.kexue_build_dir),
                                progress=lambda line: logger.info(f"kexue-book: {line}"))
    app.env.kexue_bad_formulas = {(f.tex, f.display, f.heading) for f, v in zip(formulas, verdicts) if not v.ok}
    report, counts = [], {}
    for (docname, line, source), formula, verdict in zip(where, formulas, verdicts):
        count = counts.setdefault(docname, {"typeset": 0, "verbatim": 0})
        count["typeset" if verdict.ok else "verbatim"] += 1
        if verdict.ok:
            continue
        title = env.titles[docname].astext() if docname in env.titles else docname
        report.append({"docname": docname, "line": line, "article": title, "formula": source,
                       "error": verdict.error})
        logger.info(f"kexue-book: LaTeX cannot typeset a formula of {title}; shown verbatim: {source}")
    Path(app.outdir).mkdir(parents=True, exist_ok=True)
    (Path(app.outdir) / REPORT).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (Path(app.outdir) / COUNTS).write_text(json.dumps(counts, ensure_ascii=False, indent=1), encoding="utf-8")


def pdf_formula_counts(latex_dir: Path) -> dict[str, dict[str, int]] | None:
    """Per page of the last PDF build: how many formulas are typeset and how many verbatim
    ({docname: {"typeset": n, "verbatim": m}}); None when no PDF was built."""
    path = latex_dir / COUNTS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


# --- LaTeX output of formulas ----------------------------------------------------------------


def verbatim_box(tex: str) -> str:
    """TeX source as typewriter text in a formula's place (math mode), whatever it contains."""
    return r"\text{\parbox{0.8\linewidth}{\raggedright\ttfamily\small " + latex(tex) + "}}"


def _verbatim_rows(node: nodes.math_block) -> str:
    """A multi-row block LaTeX cannot typeset: each row verbatim, with its number and label."""
    env = texrows.parse(node.astext())
    rows = []
    for i in env.kept():
        number, label = node[ROWS][i], node[ROW_LABELS][i]
        mark = (f"\\tag{{{number}}}" + (f"\\label{{{latex_label(node, label)}}}" if label else "")
                if number is not None else "\\notag")
        rows.append(verbatim_box(texrows.bare(env.rows[i])) + mark)
    return r"\begin{gather}" + r"\\".join(rows) + r"\end{gather}"


def latex_formulas(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "latex":
        return
    from sphinx.builders.latex.nodes import math_reference
    for ref in doctree.findall(math_reference):
        ref["target"] = tex_label(ref["target"])
    bad = getattr(app.env, "kexue_bad_formulas", set())
    for node in _math_nodes(doctree):
        formula = _formula(node)
        verbatim = (formula.tex, formula.display, formula.heading) in bad
        if formula.rows:  # align & co.: \tag (or \notag) and \label per row, no wrapper
            latex_ = _verbatim_rows(node) if verbatim else row_text(node, "latex", labelled=True)
        elif verbatim and not formula.numbered:
            if formula.display:
                node.replace_self(nodes.literal_block(formula.tex, formula.tex, classes=["formula-verbatim"]))
            else:
                node.replace_self(nodes.literal(formula.tex, formula.tex))
            continue
        elif not formula.display:
            if formula.heading:
                node.replace_self(nodes.raw("", _title_math(formula.tex), format="latex"))
            continue
        elif formula.numbered:
            label = f"equation:{node['docname']}:{tex_label(node['label'])}"
            # A \tag's text is text (equations.py keeps it raw in node["tag"]): it is escaped here.
            tag = latex(node.get("tag", str(node["number"])))
            if verbatim:  # verbatim, but keeping its number and the target of its \eqref
                latex_ = (f"\\begin{{equation}}\\tag{{{tag}}}\\label{{{label}}}"
                          + verbatim_box(TAG.sub("", formula.tex)) + r"\end{equation}")
            else:
                latex_ = numbered_display(formula.tex, tag, label)
            node["label"] = None  # the \label is inside; Sphinx must not add one outside
        else:
            latex_ = book_latex(formula)
        # The marks let a failure of the book's xelatex run be traced to this formula
        # (converters/build.py), which is then shown verbatim.  They are TeX comments that eat
        # their line's end: the typeset page is the same as without them.
        node.children = [nodes.Text(f"{MARK}{formula_key(formula)}\n{latex_.strip()}{MARK}end\n")]
        node["nowrap"] = True


def _in_title(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.title):
            return True
        parent = parent.parent
    return False


def _title_math(tex: str) -> str:
    """A formula in a heading: typeset in the heading (and the contents, the running head), its
    TeX as text in the PDF's bookmark.  Sphinx writes `\\protect\\(…\\protect\\)`, which hyperref
    expands into the bookmark's string: a formula that typesets (`\\cancel{x}`, `\\color{red}{x}`)
    stopped the book's run there, and the trace, placed at the heading's end, blamed the heading's
    last formula, often another one (then shown verbatim in the whole book).  A heading that still
    breaks the run (`\\color{#ccc}` in nameref's label) has all its formulas blamed (heading_formulas)."""
    return f"{_TITLE_MATH_START}{tex}{_TITLE_MATH_END}{latex(tex)}}}"


_TITLE_MATH_START, _TITLE_MATH_END = "\\texorpdfstring{\\protect\\(", "\\protect\\)}{"


def heading_formulas(line: str) -> list[str]:
    """The TeX of each formula of a heading, from the heading's line of the .tex (_title_math)."""
    found = []
    at = line.find(_TITLE_MATH_START)
    while at >= 0:
        end = line.find(_TITLE_MATH_END, at + len(_TITLE_MATH_START))
        if end < 0:
            break
        found.append(line[at + len(_TITLE_MATH_START):end])
        at = line.find(_TITLE_MATH_START, end)
    return found


# --- documents announced as they are written ----------------------------------------------------

WRITTEN = "latex-written.txt"  # the stems of the documents written so far, one a line


class AnnouncingLaTeXBuilder(LaTeXBuilder):
    """Sphinx's LaTeX builder, writing its documents one at a time: after each, everything it
    needs (the TeX layer, Sphinx's message catalog, its images) is in place and its stem is
    appended to `WRITTEN`, so that converters/build.py can start typesetting it while the others
    are still being written (in `_writing_order`)."""

    read_now: set[str] = set()  # the pages this build read (note_read_pages)

    def write_documents(self, _docnames) -> None:
        announce = Path(self.outdir) / WRITTEN
        announce.write_text("", encoding="utf-8")
        _copy_tex_layer(Path(self.outdir))
        self.write_message_catalog()  # Sphinx writes it after all documents (finish)
        documents = self.document_data
        try:
            for entry in _writing_order(documents, self.read_now):
                self.document_data = [entry]
                super().write_documents(_docnames)
                self.copy_image_files()  # the images found so far; a file already there is kept
                with announce.open("a", encoding="utf-8") as out:
                    out.write(Path(entry[1]).stem + "\n")
        finally:
            self.document_data = documents


def _writing_order(documents: list[tuple], read_now: set[str]) -> list[tuple]:
    """After an edit (some chapters hold a page this build read again, others none): those
    chapters first (a chapter is written in seconds, the book in tens of seconds: the edited
    article's chapter PDF comes early), then the whole book, then the others.  Otherwise (a
    cold build) the whole book first (conf.py lists it first; the longest to typeset), then
    the chapters in their order."""
    def touched(entry: tuple) -> bool:
        folder = entry[0].rsplit("/", 1)[0] + "/" if "/" in entry[0] else None
        return folder is not None and any(docname.startswith(folder) for docname in read_now)

    book, chapters = documents[:1], documents[1:]
    edited = [e for e in chapters if touched(e)]
    others = [e for e in chapters if not touched(e)]
    return edited + book + others if edited and others else book + edited + others


def note_read_pages(app: Sphinx, env, docnames: list[str]) -> None:
    if isinstance(app.builder, AnnouncingLaTeXBuilder):
        app.builder.read_now = set(docnames)


def written_documents(latex_dir: Path) -> list[str]:
    """The stems of the documents the running (or last) LaTeX build has written."""
    try:
        text = (latex_dir / WRITTEN).read_text(encoding="utf-8")
    except OSError:
        return []
    return [line for line in text.split("\n")[:-1] if line]  # a line is whole once its end is written


def _copy_tex_layer(outdir: Path) -> None:
    target = outdir / STY.name
    # Copied only when it differs: latexmk compares contents anyway, but an untouched file
    # says to anyone looking at the folder that nothing the documents load changed.
    if not target.is_file() or target.read_bytes() != STY.read_bytes():
        outdir.mkdir(parents=True, exist_ok=True)
        shutil.copy(STY, target)


def copy_tex_layer(app: Sphinx, exception) -> None:
    """The book's preamble loads tex/kexue-mathjax.sty: it sits beside the .tex files."""
    if exception is None and app.builder.format == "latex":
        _copy_tex_layer(Path(app.outdir))


def setup(app: Sphinx) -> dict:
    app.add_builder(AnnouncingLaTeXBuilder, override=True)
    app.add_post_transform(RemoteImagesToPlaceholders)
    app.connect("env-purge-doc", purge_page_formulas)
    app.connect("env-before-read-docs", note_read_pages)
    app.connect("env-updated", check_formulas)
    app.connect("doctree-resolved", latex_formulas, priority=600)
    app.connect("build-finished", copy_tex_layer)
    # _build/, where the formula verdicts are cached (conf.py sets it; tests' projects too)
    app.add_config_value("kexue_build_dir", "_build", "env")
    # env_version: environments pickled without the pages' formulas (PAGE_FORMULAS), or with
    # formulas as an older `_formula` made them, are read afresh (bump it when `_formula` changes).
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
