"""The equation numbers the blog shows, asked of MathJax itself (test helper).

The blog typesets its articles with MathJax and AMS numbering (`tags: 'ams'`).  `blog_numbers`
gives an article's Markdown text, as the blog serves it, to the MathJax the book ships (the same
MathJax 3), configured that way, in headless Chromium, and returns the numbers it shows, in page
order: an oracle that shares no code with the converter.
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import re
import threading
from pathlib import Path

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script>window.MathJax = {{tex: {{tags: 'ams', inlineMath: [['$', '$']], displayMath: [['$$', '$$']]}},
  startup: {{typeset: false}}}};</script>
<script defer src="{mathjax}"></script></head><body>{articles}</body></html>"""

# Every number MathJax shows: the label of a labelled row, in the MathML it built.
_LABEL = re.compile(r"<mlabeledtr[^>]*>\s*<mtd[^>]*>\s*<mtext[^>]*>([^<]*)</mtext>")


def article_body(markdown: str) -> str:
    """A Markdown source without its front matter and code blocks."""
    body = markdown.split("\n---\n", 1)[1] if markdown.startswith("---") else markdown
    return re.sub(r"^```.*?^```", "", body, flags=re.S | re.M)


def blog_numbers(browser, html_dir: Path, sources: dict[str, str]) -> dict[str, list[str]]:
    """For each name → Markdown text, the numbers MathJax (`tags: 'ams'`) shows, in order.
    `html_dir` is a built HTML book: its copy of MathJax is used (nothing is fetched)."""
    articles = "".join(f'<div class="article" id="a{i}">{html.escape(article_body(text))}</div>'
                       for i, text in enumerate(sources.values()))
    page_file = html_dir / "_blog_numbers.html"
    page_file.write_text(PAGE.format(mathjax="_static/mathjax/tex-chtml-full.js", articles=articles),
                         encoding="utf-8")
    with serve(html_dir) as site:
        page = browser.new_page()
        page.goto(f"{site}/{page_file.name}")
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("MathJax.startup.promise")
        # Each article restarts at (1), as each of the blog's pages does: one MathJax pass per article.
        found = page.evaluate("""async (count) => {
            const out = [];
            for (let i = 0; i < count; i++) {
                const item = document.getElementById('a' + i);
                MathJax.texReset();
                MathJax.typesetClear([item]);
                await MathJax.typesetPromise([item]);
                out.push(MathJax.startup.document.getMathItemsWithin(item)
                         .map(m => MathJax.startup.toMML(m.root)));
            }
            return out;
        }""", len(sources))
        page.close()
    page_file.unlink()
    return {name: [label.strip() for mml in mmls for label in _LABEL.findall(mml)]
            for name, mmls in zip(sources, found)}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """A local web server for `directory` (MathJax loads its fonts and parts over HTTP)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
