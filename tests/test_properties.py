"""Property tests: for any text, title, code-fence info string, link and source, the written
MyST holds no markup the writer did not make, and shows the source's text.

The properties and strategies live in tests/properties.py; bench/fuzz.py runs the same ones with
ten thousand examples.  Here a few hundred per run, derandomized so that `make test` is stable.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from converters.config import CONFIG_NAME, load_config

import properties as p
from conftest import ROOT

CONFIG = load_config(ROOT / CONFIG_NAME)
FAST = settings(max_examples=150, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(p.words)
def test_any_text_is_text(text: str) -> None:
    p.check_paragraph(text)


@FAST
@given(p.one_line, p.words)
def test_any_fence_info_is_a_language_or_nothing(info: str, body: str) -> None:
    p.check_code_block(info, body)


@FAST
@given(p.urls, p.one_line)
def test_any_link_is_a_web_link_or_text(url: str, label: str) -> None:
    p.check_link(url, label)


@FAST
@given(p.one_line, p.one_line, p.one_line)
def test_any_title_tag_and_category_are_text(title: str, tag: str, category: str) -> None:
    p.check_title(title, tag, category)


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(p.markdown_sources, p.seed_sources)
def test_any_source_gives_pages_without_foreign_markup(markdown: str, seed: str) -> None:
    p.check_sources(markdown, seed, CONFIG)


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(p.one_line, p.urls, p.html_bodies)
def test_any_page_or_feed_item_gives_pages_without_foreign_markup(title: str, url: str, body: str) -> None:
    p.check_web_sources(title, url, body, CONFIG)


@given(st.sampled_from(["{eval-rst}", "{include} /etc/passwd", "{raw} html", "{code-cell} python", "python {x}"]))
def test_known_directive_fences_stay_code(info: str) -> None:
    p.check_code_block(info, ".. raw:: html\n\n   <script>alert(1)</script>")


def test_unparseable_addresses_never_crash() -> None:
    # Found by bench/fuzz.py: urljoin raised "Invalid IPv6 URL" for an article url `http://[`.
    p.check_sources("---\nurl: 'http://\\['\n---\n\n[a](/archives/1) ![b](http://[x/a.png) [c](https://[)\n",
                    "", CONFIG)


def test_an_exclamation_mark_before_a_link_stays_text() -> None:
    # Found by bench/fuzz.py: `[\![](http://x)` was written as `\[![](http://x)`, an image.
    p.check_sources("---\ntitle: t\n---\n\n[\\![](http://x.y/{eval-rst})\n\n感叹！[链接](http://x.y/)\n", "", CONFIG)


@settings(max_examples=80, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(p.one_line, p.urls, p.html_trees)
def test_any_html_tree_gives_pages_without_foreign_markup(title: str, url: str, body: str) -> None:
    # Issue 20: bodies built element by element, as blogs write them (inline code with line
    # breaks, <br> in cells, nested inline markup, entities), as a page and as a feed item.
    p.check_web_sources(title, url, body, CONFIG)


@pytest.mark.parametrize("page, kind", [
    # A directive hidden in a figure's caption (MyST splits a body at U+2028), in a nested
    # writer directive, in an admonition's title; options a source slipped into a body.
    ("```{figure} https://x.org/a.png\n:alt: a\n\n图注 `x\u2028```{eval-rst}\u2028.. raw:: html\u2028```\u2028y`\n```\n",
     "directive"),
    ("`````{only} not latex\n````{container} c\n```{include} /etc/passwd\n```\n````\n`````\n", "directive"),
    ("```{admonition} 摘录 <img src=x onerror=alert(1)>\n:class: excerpt-note\n\n正文\n```\n", "html"),
    ("```{container} article-meta\n:name: evil\n\n苏剑林\n```\n", "option"),
    ("```{figure} https://x.org/a.png\n:class: evil\n:target: https://x.org/\n\n图注\n```\n", "option"),
])
def test_the_validator_reads_directive_bodies_and_options(page: str, kind: str) -> None:
    from converters.validate import foreign_markup
    assert kind in {m.kind for m in foreign_markup(page)}, foreign_markup(page)


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(p.nested_unknown_html)
def test_known_text_around_unknown_and_deeply_nested_elements_reaches_the_page(body: str) -> None:
    p.check_nested_html(body, CONFIG)


@settings(max_examples=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(p.nested_markdown)
def test_known_text_in_deeply_nested_markdown_reaches_the_page(source: str) -> None:
    p.check_nested_markdown(source, CONFIG)
