"""Hover previews: a reference shows what it points at without taking the reader away.

An `\\eqref` link shows the formula with its number, a citation its bibliography entry, a link
to a heading that heading and its first lines: all three point into the same page, so the
browser copies the target's rendered HTML (MathJax's output included) into the preview.  A link
to another article shows that article's title, by-line and opening lines: those are collected
from each page's doctree while Sphinx reads it (kept in the environment, merged after parallel
reads) and written into each page for the articles it links to only, so a page's size does not
grow with the book.  The script is ours (`static/kexue-previews.js`, served from the book; no
CDN, no request at all); EPUB and PDF are untouched.

Why not sphinx-tippy: it needs tippy.js and Popper, which no Debian or Python package ships
(only npm), fetches Wikipedia and DOI data, and collects its tips in the write phase, which
`-j` forks and whose results it would lose.
"""

from __future__ import annotations

import json
import posixpath

from docutils import nodes
from sphinx.application import Sphinx

from . import HTML_BUILDERS, serve_static

SCRIPT = "kexue-previews.js"
OPENING = 120  # characters of an article's opening shown in its preview
SUMMARY = 160  # characters of it in the page's Open Graph description


def _text(node: nodes.Node) -> str:
    return " ".join(node.astext().split())


def collect(app: Sphinx, doctree: nodes.document) -> None:
    """Title, by-line and opening lines of the page just read."""
    docname = app.env.docname
    title = next(iter(doctree.findall(nodes.title)), None)
    meta = next((c for c in doctree.findall(nodes.container) if "article-meta" in c["classes"]), None)
    opening = ""
    for para in doctree.findall(nodes.paragraph):
        if meta is not None and para.parent is meta or any(
                isinstance(a, (nodes.admonition, nodes.literal_block)) for a in _ancestors(para)):
            continue
        opening += _text(para)
        if len(opening) >= SUMMARY:
            break
    if opening:
        # The same opening is what a shared link shows (sphinxext-opengraph reads the page's
        # metadata first; without this it would quote the by-line).
        app.env.metadata[docname].setdefault("og:description", opening[:SUMMARY])
    if len(opening) > OPENING:
        opening = opening[:OPENING].rstrip() + "……"
    previews = _store(app.env)
    previews[docname] = {"title": _text(title) if title is not None else docname,
                         "meta": _text(meta).replace(" · 原文", "") if meta is not None else "",
                         "text": opening}


def _ancestors(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


def _store(env) -> dict:
    if not hasattr(env, "kexue_previews"):
        env.kexue_previews = {}
    return env.kexue_previews


def purge(app: Sphinx, env, docname: str) -> None:
    _store(env).pop(docname, None)


def merge(app: Sphinx, env, docnames: set[str], other) -> None:
    _store(env).update({d: v for d, v in _store(other).items() if d in docnames})


def page_previews(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Write into the page the previews of the pages it links to."""
    if doctree is None or app.builder.name not in HTML_BUILDERS:
        return
    previews = _store(app.env)
    found: dict[str, dict] = {}
    here = posixpath.dirname(pagename)
    suffix = app.builder.out_suffix
    for ref in doctree.findall(nodes.reference):
        uri = ref.get("refuri") or ""
        path = uri.split("#", 1)[0]
        if not ref.get("internal") or not path.endswith(suffix) or path in found:
            continue
        docname = posixpath.normpath(posixpath.join(here, path))[:-len(suffix)]
        if docname in previews and docname != pagename:
            found[path] = previews[docname]
    if found:
        # `<` as \u003c: the JSON can never close the script element it stands in.
        data = json.dumps(found, ensure_ascii=False).replace("<", "\\u003c")
        context["body"] = context.get("body", "") + \
            f'<script type="application/json" id="kexue-previews">{data}</script>'


def add_script(app: Sphinx) -> None:
    if serve_static(app):
        app.add_js_file(SCRIPT, loading_method="defer")


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", add_script)
    app.connect("doctree-read", collect)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("html-page-context", page_previews)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
