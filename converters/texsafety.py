"""What TeX from a source may do: typeset, never touch files or the shell.

Used by the converter (formulas that could reach files become code) and by the PDF build (the
formula check skips such formulas again, and every xelatex run is sandboxed by kpathsea's own
settings), so that a page written by hand is held to the same rule.

The check reads the formula as TeX does, control word by control word (`\\\\input` is a line
break followed by the letters `input`, not `\\input`), and refuses:

* the commands that read or write files, run programs, or reach the PDF's own code (`\\input`,
  `\\openin`, `\\write18`, `\\special`, `\\XeTeXpicfile`, `\\filedump`, hyperref's forms…);
* every way TeX has of building a control sequence from characters, so that no spelling hides one
  of those: `\\csname`, `^^5c` notation (refused whatever follows it), `\\catcode`,
  `\\scantokens`, `\\lowercase`, LaTeX's `\\UseName`, and `\\begin{…}`/`\\end{…}`, which run
  `\\csname` on their argument: that argument must be a plain name (`\\begin{input}` is `\\input`);
* the commands that turn tokens into characters (`\\string`, `\\detokenize`, `\\Uchar`…), which
  could write `\\input` into an auxiliary file that the next run reads back, and the commands that
  write such files (`\\addtocontents`, `\\index`…); a `\\label` only with a plain name (the rows of
  `align` & co. carry theirs in the formula: texrows.py), as that name is written to the `.aux` file;
* `\\href`/`\\url` to anything but an http(s) or mail address (hyperref's `run:` launches programs);
* what acts beyond the formula on the rest of the book, which the formula check cannot see (the
  formula typesets without an error): global assignments (`\\global\\def\\sin{…}` changed every later
  `\\sin` of the PDF), LaTeX's counters (`\\setcounter{page}{900}`), page colour and numbering, the
  document's hooks (`\\AtEndDocument`, `\\AddToHook`: text on every page), and TeX's interaction mode
  (after `\\errorstopmode` the next error waits for an answer on the terminal: a build that hangs).

None of these is TeX that MathJax (the blog's renderer) typesets, so refusing them costs no formula
the blog shows.
"""

from __future__ import annotations

import os
import re

# Control words (without the backslash) that reach files, the shell or the PDF's code, or that
# build control sequences or file text from characters.
DENIED = frozenset("""
    input include includeonly InputIfFileExists IfFileExists endinput openin openout read readline
    write immediate newwrite newread closein closeout special shipout outer
    filecontents VerbatimOut verbatimwrite typeout message errmessage wlog
    catcode lccode uccode sfcode mathcode delcode escapechar endlinechar newlinechar
    csname ifcsname endcsname UseName ExpandArgs NewCommandCopy RenewCommandCopy DeclareCommandCopy
    scantokens lowercase uppercase string meaning detokenize unexpanded fontname jobname
    Uchar Ucharcat
    usepackage RequirePackage documentclass LoadClass PassOptionsToPackage
    includegraphics includepdf graphicspath verbatiminput lstinputlisting inputminted VerbatimInput
    XeTeXpicfile XeTeXpdffile XeTeXinputencoding XeTeXdefaultencoding
    filedump filesize filemoddate mdfivesum pdffiledump pdffilesize pdffilemoddate pdfmdfivesum
    pdfximage pdfrefximage pdfobj pdfrefobj pdfliteral pdfannot pdfstartlink
    directlua latelua luaexec ShellEscape pdfshellescape write18 system
    font fontspec setmainfont setsansfont setmonofont setmathfont newfontfamily newfontface
    fontencoding fontfamily usefont selectfont DeclareFontFamily DeclareFontShape
    setCJKmainfont setCJKsansfont setCJKmonofont setCJKfamilyfont newCJKfontfamily CJKfontspec
    addtocontents addcontentsline index glossary makeindex makeglossary printindex
    bibliography bibliographystyle addbibresource bibdata bibstyle
    pdfbookmark bookmark currentpdfbookmark subpdfbookmark belowpdfbookmark
    hyperimage hypersetup hyperbaseurl Acrobatmenu TextField CheckBox ChoiceMenu PushButton Submit Reset Form
    loop repeat makeatletter makeatother ExplSyntaxOn ExplSyntaxOff
    gdef edef xdef globaldefs output everymath everydisplay everyhbox everyvbox everypar everycr everyeof
    everyjob afterassignment
    errorstopmode scrollmode nonstopmode batchmode interactionmode pausing
    global setcounter addtocounter stepcounter refstepcounter newcounter deadcycles
    pagecolor nopagecolor pagenumbering
    AtBeginDocument AtEndDocument AtBeginShipout AtBeginShipoutNext AtBeginDvi AtEndOfPackage AtEndOfClass
    AddToHook AddToHookNext AddToHookWithArguments AddEverypageHook afterpage
    gappto xappto gpreto xpreto csgdef csxdef glet gletcs
""".split())

# `\begin{x}` runs `\csname x\endcsname`, `\end{x}` also `\csname endx\endcsname`.
_NAMED = ("begin", "end")
_ENV_NAME = re.compile(r"[ \t\n]*\{[ \t\n]*([A-Za-z]+)(\*?)[ \t\n]*\}")
_LINKS = ("href", "url", "nolinkurl", "hyperref")
_LINK_TARGET = re.compile(r"[ \t\n]*\{((?:https?://|mailto:)(?:[^{}\\\s]|\\[#%&_~])*)\}", re.I)
# `\label{…}` writes its argument into the `.aux` file: a plain name only (`eq:kl`, `a8404-eq3`).
_LABEL = re.compile(r"[ \t\n]*\{[ \t]*[A-Za-z0-9_.:/ -]{1,200}\}")
# A control word (letters) or a control symbol (a backslash and any one character).
_TOKEN = re.compile(r"\\([A-Za-z]+)|\\.", re.S)


def unsafe_tex(tex: str) -> str | None:
    """The first construct of `tex` that may touch files or the shell, or None."""
    if "^^" in tex:  # `^^5c` is `\`: any command can be written this way
        return "^^"
    for m in _TOKEN.finditer(tex):
        name = m.group(1)
        if name is None:
            continue
        if name in DENIED:
            return "\\" + name
        if name in _NAMED:
            env = _ENV_NAME.match(tex, m.end())
            if env is None:
                return f"\\{name} with a name TeX computes"
            word = env.group(1)
            if word in DENIED or (name == "end" and "end" + word in DENIED):
                return f"\\{name}{{{word}{env.group(2)}}}"
        elif name == "label" and _LABEL.match(tex, m.end()) is None:
            return "\\label with a name that is not plain text"
        elif name in _LINKS and _LINK_TARGET.match(tex, m.end()) is None:
            return f"\\{name} to an address that is not http(s) or mailto"
    return None


def tex_sandbox_env() -> dict[str, str]:
    """The environment for xelatex/latexmk: no shell escape at all, and reading or writing only
    files below the working folder (kpathsea's `paranoid` mode; environment beats texmf.cnf)."""
    env = dict(os.environ)
    env.update({"shell_escape": "f", "openin_any": "p", "openout_any": "p"})
    return env
