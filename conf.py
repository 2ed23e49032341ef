"""Sphinx configuration of the kexue-book book.

The source folder is book/ and this file sits at the top of the project:
    sphinx-build -c . book _build/html
Titles and credits come from kexue-book.yaml, the one file a user edits.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the converters package, also when not installed

from converters import escaping  # noqa: E402
from converters.config import CONFIG_NAME, load_config  # noqa: E402
from sphinx.builders.latex.constants import DEFAULT_SETTINGS as LATEX_DEFAULTS  # noqa: E402
from sphinx.util import texescape  # noqa: E402

_book = load_config(ROOT / CONFIG_NAME).book

project = _book.title
author = _book.author
copyright = f"{_book.author}（文章）；kexue-book（排版）"
language = _book.language
LANGUAGE_TAG = _book.language.replace("_", "-")  # BCP 47 (zh-CN): the EPUB's and the PDF's language
version = release = "1.0"

extensions = [
    "myst_parser",
    "sphinxcontrib.bibtex",
    "converters.sphinx_ext.zh_search",
    "converters.sphinx_ext.equations",
    "converters.sphinx_ext.mathjax_local",
    "converters.sphinx_ext.bibstyle",
    "converters.sphinx_ext.print_book",
    "converters.sphinx_ext.epub_book",
    "converters.sphinx_ext.downloads",
    "converters.sphinx_ext.stale_output",
    "converters.sphinx_ext.template_cache",
    "converters.sphinx_ext.html_safety",
    "converters.sphinx_ext.accessible_html",
    "converters.sphinx_ext.hover_previews",
    "converters.sphinx_ext.progress_lines",
    "converters.sphinx_ext.chapter_nav",
    "sphinx_sitemap",
    "converters.sphinx_ext.sitemap_order",
    "sphinxext.opengraph",
]
exclude_patterns = ["_build", ".venv"]
source_suffix = {".md": "markdown"}
root_doc = "index"

# MyST: only the syntax the writer emits; nothing else may turn text into markup.
myst_enable_extensions = ["dollarmath"]
myst_dmath_double_inline = True
myst_heading_anchors = 3

# Equations: each page numbers its own formulas from (1), as the blog does.
math_eqref_format = "({number})"
html_math_renderer = "mathjax"  # the EPUB uses MathML instead (sphinx_ext/epub_book.py)
math_numfig = False

# Citations: `kexue-book convert` writes book/generated.bib (the cited works, completed
# by the hand-kept book/references.bib).  Each article cites with {footcite} and ends
# with its own {footbibliography}; the closing page has the one {bibliography}.
_generated_bib = ROOT / "book" / "generated.bib"
bibtex_bibfiles = ["book/generated.bib" if _generated_bib.is_file() else "book/references.bib"]
bibtex_default_style = "kexue"
bibtex_reference_style = "label"
bibtex_foot_reference_style = "foot"

# Hosting: where the book is published (the host's own address first), a sitemap for search
# engines, and Open Graph tags so that a shared link shows the article's title and opening.
html_baseurl = (os.environ.get("KEXUE_BOOK_BASE_URL") or os.environ.get("READTHEDOCS_CANONICAL_URL")
                or _book.base_url)
sitemap_url_scheme = "{link}"
sitemap_excludes = ["search.html", "genindex.html"]
ogp_site_url = html_baseurl
ogp_site_name = _book.title
ogp_type = "article"
ogp_description_length = 160
ogp_enable_meta_description = True
ogp_social_cards = {"enable": False}  # cards are drawn with matplotlib and fonts we do not ship

html_theme = "sphinx_book_theme"
html_title = _book.title
html_static_path = ["_static"]
html_css_files = ["kexue-book.css"]
html_search_language = "zh"
# The theme's logo and search button, each in a landmark and named by what it shows (the
# accessibility test, tests/test_accessibility.py): converters/sphinx_ext/templates.
html_sidebars = {"**": ["kexue-logo.html", "kexue-search-button.html", "kexue-nav.html",
                        "kexue-downloads.html"]}
kexue_downloads_dir = str(ROOT / "_build" / "downloads")  # filled by `kexue-book build --format all`
kexue_build_dir = str(ROOT / "_build")  # the PDF's formula verdicts are cached in its cache/formulas/
html_last_updated_fmt = None
html_theme_options = {
    "show_navbar_depth": 1,
    "max_navbar_depth": 2,
    "collapse_navbar": False,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    # One credit line: the theme's author and copyright items would name the author twice more.
    "footer_content_items": ["extra-footer.html"],
    "extra_footer": f'文章作者：{escaping.html(_book.author)}，原载于<a href="{escaping.html(_book.blog_url)}">'
                    f'{escaping.html(_book.blog_name)}</a>；本书由 kexue-book 排版。',
    # One search box: the sidebar's field; the header's copy of it goes.
    "navbar_persistent": [],
    # No advertising slot (Read the Docs' ethical ads) in the sidebar of every page.
    "primary_sidebar_end": [],
}

# --- PDF: xelatex, ctex/xeCJK, Noto CJK (serif text, sans headings) -------------------------
# Noto's CJK fonts carry Latin glyphs drawn to match them, so Latin text uses them too.
FILE_STEM = "kexue-book"
latex_engine = "xelatex"
# Sphinx puts a document's title and author into the .tex as LaTeX: every string built here from
# the config or the sources goes through converters/escaping.py.
latex_documents = [(root_doc, f"{FILE_STEM}.tex", escaping.latex(_book.title), escaping.latex(_book.author),
                    "manual")]
# One PDF per chapter as well (`kexue-book build --split chapters`): the converter names the
# chapters (folder, title) in KEXUE_BOOK_CHAPTER_PDFS.  Titles come from sources: escaped.
# `toctree_only`: the chapter's articles are the document's chapters, its list page is left out.
for _slug, _title in json.loads(os.environ.get("KEXUE_BOOK_CHAPTER_PDFS") or "[]"):
    latex_documents.append((f"{_slug}/index", f"{_slug}.tex", escaping.latex(_title),
                            escaping.latex(_book.author), "manual", True))
latex_toplevel_sectioning = "chapter"
latex_show_urls = "no"
# The PDF's metadata and navigation, set up right after Sphinx loads hyperref (its own key, so
# that the preamble below stays what a formula needs, without hyperref).
PDF_NAVIGATION = r"""
% The PDF's metadata and navigation (hyperref): title, author, subject and language in the
% document information and the XMP packet (hyperxmp), read by readers and assistive software;
% bookmarks for parts, chapters and articles, open at the chapters; the table of contents'
% titles and page numbers both links.  The title and author are the document's own (a chapter
% PDF has its chapter's title), set when the document starts, after \title and \author.
\usepackage{hyperxmp}  % keeppdfinfo: also the Info dictionary, which pdfinfo and most readers read
\hypersetup{keeppdfinfo, pdflang={""" + escaping.latex(LANGUAGE_TAG) + r"""}, linktoc=all, pdfdisplaydoctitle=true,
  bookmarksopen=true, bookmarksopenlevel=0, pdfcreator={kexue-book (Sphinx, XeLaTeX)}}
\def\kbbooktitle{""" + escaping.latex(_book.title) + r"""}
\makeatletter
\AtBeginDocument{\hypersetup{pdftitle={\@title}, pdfauthor={\@author}}%
  \ifx\@title\kbbooktitle\hypersetup{pdfsubject={""" + escaping.latex(_book.description or _book.subtitle) + r"""}}%
  \else\hypersetup{pdfsubject={《\kbbooktitle》中的一章}}\fi}
\makeatother
"""
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "11pt",
    "extraclassoptions": "openany,oneside",
    "babel": "",
    "polyglossia": "",
    "fontenc": "",
    "fncychap": "",
    "fontpkg": r"""
\usepackage[UTF8,heading=true,scheme=chinese,fontset=none]{ctex}
% Text is typeset as written: no TeX ligatures (fontspec's default for the main and sans fonts
% turns "x" into ”x”, `` into “, -- into –).  Sphinx's own fontenc key, which this book leaves
% empty, says the same.
\defaultfontfeatures[\rmfamily,\sffamily,\ttfamily]{}
\setmainfont{Noto Serif CJK SC}[BoldFont={* Bold},AutoFakeSlant=0.2]
\setsansfont{Noto Sans CJK SC}[BoldFont={* Bold},AutoFakeSlant=0.2]
\setmonofont{Noto Sans Mono CJK SC}[Scale=0.9,AutoFakeSlant=0.2]
\setCJKmainfont{Noto Serif CJK SC}[BoldFont={* Bold},AutoFakeSlant=0.2]
\setCJKsansfont{Noto Sans CJK SC}[BoldFont={* Bold},AutoFakeSlant=0.2]
\setCJKmonofont{Noto Sans Mono CJK SC}[AutoFakeSlant=0.2]
\ctexset{chapter/format+=\sffamily, section/format+=\sffamily, subsection/format+=\sffamily}
""",
    "preamble": r"""
% The TeX the blog's MathJax accepts (converters/sphinx_ext/tex/kexue-mathjax.sty; the formula
% check loads it too).
\usepackage{kexue-mathjax}
\usepackage{xurl}
\setlength{\emergencystretch}{3em}
% A thousand articles make four-digit page numbers and three-digit section numbers: the table
% of contents keeps room for both (LaTeX's defaults overflow the line).
\makeatletter
\renewcommand{\@pnumwidth}{2.6em}\renewcommand{\@tocrmarg}{3.6em}
\renewcommand*{\l@section}{\@dottedtocline{1}{1.5em}{3.4em}}
\renewcommand*{\l@subsection}{\@dottedtocline{2}{4.9em}{4.2em}}
\makeatother
% A code block split across pages ends its first part with 「（续下页）」, whose Chinese glyphs
% are taller than a line of small text: where a code block broke, framed.sty's split left the page
% 1-3pt too full (13-22 Overfull \vbox a chapter PDF at 1,000 articles).  The hint gets the
% height and depth of a line of small text.
\renewcommand*{\sphinxstylecodecontinues}[1]{{\footnotesize\raisebox{0pt}[\ht\strutbox][\dp\strutbox]{(#1)}}}
% Links between articles stay upright: slanted Chinese is not a typographic style.
\protected\def\sphinxcrossref#1{#1}
% Running heads: the chapter on the left, the article (section) on the right.  Their CJK
% sans-serif line is 13.2pt high: fancyhdr's 12pt would overfill the head box on many pages.
\setlength{\headheight}{14pt}\addtolength{\topmargin}{-2pt}
\makeatletter
% A long title is cut with "…" to its share of the line (chapter 35 %, article 60 %): both
% marks at full length printed over each other.
\usepackage[breakall]{truncate}\renewcommand*{\TruncateMarker}{…}
\fancypagestyle{normal}{\fancyhf{}\fancyhead[L]{\small\sffamily\truncate{0.35\headwidth}{\nouppercase{\leftmark}}}
  \fancyhead[R]{\small\sffamily\truncate{0.6\headwidth}{\nouppercase{\rightmark}}}\fancyfoot[C]{\small\thepage}
  \renewcommand{\headrulewidth}{0.4pt}\renewcommand{\footrulewidth}{0pt}}
\makeatother
% A figure whose image is not in the book: a framed box with its caption.
\newsavebox{\kbplaceholder}
\newenvironment{sphinxclassfigure-placeholder}
  {\par\medskip\begin{center}\begin{lrbox}{\kbplaceholder}\begin{minipage}{0.8\linewidth}\centering\small}
  {\end{minipage}\end{lrbox}\fbox{\usebox{\kbplaceholder}}\end{center}\medskip}
\newenvironment{sphinxclassarticle-meta}{\par\small\sffamily}{\par}
""",
    "maketitle": r"""
\makeatletter
\begin{titlepage}
\centering\vspace*{0.25\textheight}
{\sffamily\bfseries\Huge \@title\par}\vspace{1.5em}
{\Large \ifx\@title\kbbooktitle """ + escaping.latex(_book.subtitle) + r""" \else 《\kbbooktitle》中的一章\fi\par}\vspace{4em}
{\large 作者：""" + escaping.latex(_book.author) + r"""\par}\vspace{1em}
{\normalsize 原载于博客「""" + escaping.latex(_book.blog_name).replace("|", r"\textbar{}") + r"""」\\ \url{"""
    + escaping.latex_url(_book.blog_url) + r"""}\par}
\vfill
{\small 由 kexue-book 从博客文章整理排版 \quad \today\par}
\end{titlepage}
\makeatother
""",
    "fvset": r"\fvset{fontsize=\small,formatcom=\xeCJKVerbAddon}",
    # A code line of Chinese text has no space to wrap at: wrap it anywhere rather than let it
    # run off the page.
    "sphinxsetup": "verbatimforcewraps=true",
    "printindex": "",
    "hyperref": LATEX_DEFAULTS["hyperref"] + PDF_NAVIGATION,
}
latex_use_xindy = False

# --- EPUB 3 ----------------------------------------------------------------------------------
epub_basename = FILE_STEM
epub_title = _book.title
epub_author = _book.author
epub_publisher = _book.blog_name
epub_language = LANGUAGE_TAG
epub_description = _book.description or _book.subtitle
epub_contributor = "kexue-book（排版）"
epub_identifier = "kexue-book"
epub_uid = "kexue-book"  # the NCX must carry the same identifier as the OPF (epubcheck NCX-001)
epub_scheme = "URL"
epub_show_urls = "no"
epub_exclude_files = ["search.html"]
# The book's toctrees are hidden (chapter pages list their articles themselves); without this
# the EPUB's table of contents would hold the landing page only.
epub_tocscope = "includehidden"
kexue_cover_text = (_book.title, _book.subtitle, _book.author, _book.blog_name, _book.blog_url)
