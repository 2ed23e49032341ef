"""The navigation sidebar: the book's chapters, and the articles of the current chapter only.

The theme's sidebar resolves the whole table of contents on every page: at a thousand articles
each page carried all of them (190 KB) and rendering it grew with the square of the book.  This
sidebar is made from the book's two-level toctree (landing page → chapters → articles), read
once before the pages are written: a page costs its chapter's length plus the number of
chapters.  It keeps the theme's markup (classes, the open `<details>` of the current chapter),
so it looks and behaves as the theme's did.  Titles are text, escaped here.

A page's sidebar shows its chapter's titles, so when an article's title changes, the other
pages of its chapter (and its neighbours, whose previous/next links name it) are written again
(`env-get-updated`); an article whose title did not change costs only its own page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

# The theme's disclosure of the current chapter's articles; its <summary> shows only an icon, so
# it is named for screen readers (axe's `summary-name`).
_TOGGLE = ('<details open="open"><summary aria-label="本章文章"><span class="toctree-toggle" role="presentation">'
           '<i class="fa-solid fa-chevron-down"></i></span></summary>')


@dataclass
class Outline:
    """The book's shape: chapters in order, each with its articles, and every page's title."""

    chapters: list[tuple[str, list[str]]] = field(default_factory=list)
    chapter_of: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    # A book of many series groups its chapters into parts: a chapter page's front matter `part`.
    part_of: dict[str, str] = field(default_factory=dict)


def _part(env, docname: str) -> str | None:
    part = env.metadata.get(docname, {}).get("part")
    if part is None:
        return None
    return str(part).strip() or None


def _title(env, docname: str) -> str:
    title = env.titles.get(docname)
    return title.astext() if isinstance(title, nodes.Node) else docname


def outline(env, root: str) -> Outline:
    shape = Outline()
    for chapter in env.toctree_includes.get(root, []):
        articles = [a for a in env.toctree_includes.get(chapter, []) if a in env.all_docs]
        if chapter not in env.all_docs:
            continue
        shape.chapters.append((chapter, articles))
        shape.titles[chapter] = _title(env, chapter)
        if _part(env, chapter):
            shape.part_of[chapter] = _part(env, chapter)
        for article in articles:
            shape.chapter_of[article] = chapter
            shape.titles[article] = _title(env, article)
    return shape


def sidebar_html(shape: Outline, pagename: str, root: str, root_title: str, pathto) -> str:
    current_chapter = pagename if any(c == pagename for c, _ in shape.chapters) else shape.chapter_of.get(pagename)
    home = " current active" if pagename == root else ""
    out = ['<nav class="bd-links bd-docs-nav" aria-label="Main"><div class="bd-toc-item navbar-nav active">',
           f'<ul class="nav bd-sidenav bd-sidenav__home-link"><li class="toctree-l1{home}">'
           f'<a class="reference internal" href="{escape(pathto(root))}">{escape(root_title)}</a></li></ul>',
           '<ul class="nav bd-sidenav">']
    part = None
    for chapter, articles in shape.chapters:
        if shape.part_of.get(chapter, part) != part:
            # A part's title as the theme writes a toctree's caption, then a new list.
            part = shape.part_of[chapter]
            out.append('</ul><p aria-level="2" class="caption" role="heading">'
                       f'<span class="caption-text">{escape(part)}</span></p><ul class="nav bd-sidenav">')
        link = f'<a class="reference internal" href="{escape(pathto(chapter))}">{escape(shape.titles[chapter])}</a>'
        if chapter != current_chapter:
            out.append(f'<li class="toctree-l1">{link}</li>')
            continue
        classes = "toctree-l1 current active" + (" has-children" if articles else "")
        out.append(f'<li class="{classes}">{link}')
        if articles:
            out.append(_TOGGLE + '<ul class="current">')
            for article in articles:
                # Bare items (the theme's CSS styles them by position, not class): a chapter
                # of a hundred articles is in every one of its pages.
                here = ' class="toctree-l2 current active"' if article == pagename else ""
                out.append(f'<li{here}><a href="{escape(pathto(article))}">{escape(shape.titles[article])}</a></li>')
            out.append("</ul></details>")
        out.append("</li>")
    out.append("</ul></div></nav>")
    return "".join(out)


def _is_web(app: Sphinx) -> bool:
    return app.builder.format == "html" and not app.builder.name.startswith("epub")


def read_outline(app: Sphinx, builder) -> None:
    # Before the pages are written (and before parallel writers fork): one pass over the toctree.
    if _is_web(app):
        app.kexue_outline = outline(app.env, app.config.root_doc)


def page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    shape = getattr(app, "kexue_outline", None)
    if shape is None or not _is_web(app):
        return
    context["kexue_nav"] = sidebar_html(shape, pagename, app.config.root_doc,
                                        _title(app.env, app.config.root_doc), context["pathto"])


def remember_titles(app: Sphinx, env, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """Before changed pages are read again: their titles and neighbours as they were."""
    env.kexue_old_titles = {d: _title(env, d) for d in changed | removed if d in env.titles}
    env.kexue_old_titles.update({d: None for d in added})  # a new page: its neighbours' links change
    shape = outline(env, app.config.root_doc)
    env.kexue_old_chapters = {d: shape.chapter_of.get(d) for d in changed | removed}
    env.kexue_old_parts = dict(shape.part_of)
    return []


def dependents(app: Sphinx, env) -> list[str]:
    """Pages to write again because a page they show the title of changed it (or came or went)."""
    old_titles = getattr(env, "kexue_old_titles", {})
    old_chapters = getattr(env, "kexue_old_chapters", {})
    shape = outline(env, app.config.root_doc)
    if shape.part_of != getattr(env, "kexue_old_parts", shape.part_of):
        env.kexue_old_titles, env.kexue_old_chapters, env.kexue_old_parts = {}, {}, {}
        return sorted(env.all_docs)  # the parts changed: every page's sidebar shows them
    members = dict(shape.chapters)
    order = [d for chapter, articles in shape.chapters for d in (chapter, *articles)]
    position = {d: i for i, d in enumerate(order)}
    again: set[str] = set()
    for docname, title in old_titles.items():
        if docname in env.titles and _title(env, docname) == title and \
                shape.chapter_of.get(docname) == old_chapters.get(docname):
            continue
        for chapter in {shape.chapter_of.get(docname), old_chapters.get(docname)} - {None}:
            again.update([chapter, *members.get(chapter, [])])
        if docname in position:
            i = position[docname]
            again.update(order[max(0, i - 1):i + 2])
    env.kexue_old_titles, env.kexue_old_chapters = {}, {}
    return sorted(d for d in again if d in env.all_docs)


def latex_parts(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """In the book's PDF, `\\part{…}` before the first chapter of each part (the part's title is
    a blog category: escaped).  A chapter's own PDF has no parts."""
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    from ..escaping import latex

    part = None
    for start in list(doctree.findall(addnodes.start_of_file)):
        chapter_part = _part(app.env, start["docname"]) if start["docname"].endswith("/index") else None
        if chapter_part and chapter_part != part:
            part = chapter_part
            start.parent.insert(start.parent.index(start),
                                nodes.raw("", f"\\part{{{latex(part)}}}\n", format="latex"))


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", latex_parts)
    app.connect("write-started", read_outline)
    app.connect("html-page-context", page_context)
    app.connect("env-get-outdated", remember_titles)
    app.connect("env-get-updated", dependents)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
