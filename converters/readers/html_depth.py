"""HTML nested deeper than the readers can hold, flattened with its text kept.

libxml2 (lxml's parser) stops at 256 nested elements and drops the rest of the page, the text
after the deep part included; the readers (recursive, as the pages they make) hold less.  A
page nested deeper than `MAX_DEPTH` is written again without the start and end tags of the
elements beyond that depth — their text, and everything after them, stays where it was — and
parsed again; the reader says so once, naming the line where the nesting went too deep.
"""

from __future__ import annotations

from html.parser import HTMLParser

from lxml import etree
from lxml import html as lxml_html

# Elements deeper than this lose their tags (not their text).  Below libxml2's 256 and low
# enough for the readers' and the writer's recursion.
MAX_DEPTH = 100
# Elements without an end tag, never counted as open.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr", "basefont", "bgsound", "frame", "keygen", "isindex", "nextid", "spacer"}
# A start tag of these closes an open element of the same name (`<p>a<p>b`): not nesting.
_SELF_CLOSING_SIBLINGS = {"p", "li", "dt", "dd", "option", "tr", "td", "th"}


class _Flattener(HTMLParser):
    """Markup rewritten token by token: what lies within `MAX_DEPTH` as written, the tags of
    deeper elements left out."""

    def __init__(self, limit: int):
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, kept)
        self.first_line: int | None = None  # where the first tag was left out

    def handle_starttag(self, tag, attrs):
        text = self.get_starttag_text() or ""
        if tag in _VOID:
            self.out.append(text)
            return
        if tag in _SELF_CLOSING_SIBLINGS and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()
        kept = len(self.stack) < self.limit
        self.stack.append((tag, kept))
        if kept:
            self.out.append(text)
        elif self.first_line is None:
            self.first_line = self.getpos()[0]

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag):
        names = [name for name, _ in self.stack]
        if tag not in names:
            self.out.append(f"</{tag}>")
            return
        while self.stack:
            name, kept = self.stack.pop()
            if name == tag:
                if kept:
                    self.out.append(f"</{tag}>")
                return

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def flatten_markup(markup: str, limit: int = MAX_DEPTH) -> tuple[str, int | None]:
    """The markup without the tags of elements nested deeper than `limit`, and the line of
    the first tag left out (None: nothing was that deep)."""
    parser = _Flattener(limit)
    parser.feed(markup)
    parser.close()
    return "".join(parser.out), parser.first_line


def _too_deep(root: etree._Element, parser: etree.HTMLParser, limit: int) -> bool:
    if any("depth" in e.message.lower() for e in parser.error_log):
        return True
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limit + 2:  # html and body around a fragment's own elements
            return True
    return False


def parse_html(markup: str, fragment: bool = False) -> tuple[etree._Element, int | None]:
    """A page (or a fragment in one `<div>`) parsed by lxml, flattened first when it nests too
    deep; with the line where flattening began (None: it did not)."""
    def parse(text: str) -> tuple[etree._Element, etree.HTMLParser]:
        parser = lxml_html.HTMLParser()
        if fragment:
            return lxml_html.fragment_fromstring(text or "", create_parent="div", parser=parser), parser
        return lxml_html.document_fromstring(text or "<html></html>", parser=parser), parser

    root, parser = parse(markup)
    if not _too_deep(root, parser, MAX_DEPTH):
        return root, None
    flat, line = flatten_markup(markup)
    root, _ = parse(flat)
    return root, line or 1
