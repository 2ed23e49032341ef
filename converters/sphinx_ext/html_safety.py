"""What the reader sees is what the source says, in the parts of the theme that change it.

* sphinx-book-theme puts `pagetitle` (the print header) and `root_title` (the sidebar) into its
  templates as raw `title.astext()`: an article titled `<script>…</script>` would run a script
  in the book.  A handler that runs after the theme's escapes both.
  pydata-sphinx-theme does the same with `docstitle` (the book's title from kexue-book.yaml) in
  the sidebar's logo text and the search page's `<title>`, where Sphinx's own templates escape it
  (`docstitle|e`): it becomes escaped markup (markupsafe.Markup), printed as text by both.
* pydata-sphinx-theme rewrites the text of a link that shows its own address when it points to
  GitHub or GitLab (`https://github.com/bojone/vae/blob/master/x.py` reads `bojone/vae`): the
  reader loses the file the article names.  Wrapping such texts in an inline node, before that
  transform runs, keeps them as written (found by `kexue-book check`).
"""

from __future__ import annotations

from docutils import nodes
from markupsafe import Markup
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..escaping import html

# After sphinx-book-theme's own html-page-context handler (default priority 500).
PRIORITY = 900


def escape_titles(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    titles = app.env.titles
    if pagename in titles:
        context["pagetitle"] = html(titles[pagename].astext())
    if context.get("docstitle") and not isinstance(context["docstitle"], Markup):
        context["docstitle"] = Markup(html(context["docstitle"]))
    root = context.get("root_doc") or app.config.root_doc
    if root in titles:
        context["root_title"] = html(titles[root].astext())


class KeepLinkText(SphinxPostTransform):
    """Links whose text is their address keep that text (see the module's docstring)."""

    default_priority = 390  # before pydata-sphinx-theme's ShortenLinkTransform (400)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        for node in self.document.findall(nodes.reference):
            text = next(iter(node.children), None)
            if isinstance(text, nodes.Text) and str(text) == node.get("refuri"):
                node.children[0] = nodes.inline("", str(text))
                node.children[0].parent = node


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", escape_titles, priority=PRIORITY)
    app.add_post_transform(KeepLinkText)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
