"""Sphinx configuration of the kexue-book book.

The source folder is book/ and this file sits at the top of the project:
    sphinx-build -c . book _build/html
Titles and credits come from kexue-book.yaml, the one file a user edits.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the converters package, also when not installed

from converters.config import CONFIG_NAME, load_config  # noqa: E402

_book = load_config(ROOT / CONFIG_NAME).book

project = _book.title
author = _book.author
copyright = f"{_book.author}（文章）；kexue-book（排版）"
language = _book.language
version = release = "1.0"

extensions = [
    "myst_parser",
    "sphinxcontrib.bibtex",
    "converters.sphinx_ext.zh_search",
    "converters.sphinx_ext.equations",
    "converters.sphinx_ext.mathjax_local",
    "converters.sphinx_ext.bibstyle",
]
exclude_patterns = ["_build", ".venv", "**/.gitignore"]
source_suffix = {".md": "markdown"}
root_doc = "index"

# MyST: only the syntax the writer emits; nothing else may turn text into markup.
myst_enable_extensions = ["dollarmath"]
myst_dmath_double_inline = True
myst_heading_anchors = 3

# Equations: each page numbers its own formulas from (1), as the blog does.
math_eqref_format = "({number})"
math_numfig = False

# Citations: `kexue-book convert` writes book/generated.bib (the cited works, completed
# by the hand-kept book/references.bib).  Each article cites with {footcite} and ends
# with its own {footbibliography}; the closing page has the one {bibliography}.
_generated_bib = ROOT / "book" / "generated.bib"
bibtex_bibfiles = ["book/generated.bib" if _generated_bib.is_file() else "book/references.bib"]
bibtex_default_style = "kexue"
bibtex_reference_style = "label"
bibtex_foot_reference_style = "foot"

html_theme = "sphinx_book_theme"
html_title = _book.title
html_static_path = ["_static"]
html_css_files = ["kexue-book.css"]
html_search_language = "zh"
html_last_updated_fmt = None
html_theme_options = {
    "show_navbar_depth": 1,
    "max_navbar_depth": 2,
    "collapse_navbar": False,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    "extra_footer": f'文章作者：{_book.author}，原载于<a href="{_book.blog_url}">{_book.blog_name}</a>。',
}
