"""The HTML book in a real browser (headless Chromium): search must find Chinese words.

Sphinx 9's Chinese search page breaks in the browser (sphinx#14229) and the
browser does not segment Chinese queries; a build that succeeds proves
neither, so this test types queries into the search page as a reader would.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from conftest import CHROMIUM, serve_html

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"),
]




@pytest.fixture(scope="module")
def site(seed_book):
    yield from serve_html(seed_book)


@pytest.fixture(scope="module")
def corpus_site(corpus_book):
    yield from serve_html(corpus_book)


def results(browser, site: str, query: str) -> tuple[list[str], list[str], list[str]]:
    """What the search page shows for `query`: the titles found, the lines quoted under them,
    and the errors the page's scripts raised."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site}/search.html?q={quote(query)}")
    page.wait_for_selector("#search-results .search-summary", timeout=20000)
    # The page says it is done before the lines under each result arrive (each is fetched).
    page.wait_for_function("[...document.querySelectorAll('#search-results ul.search li')]"
                           ".every(li => li.querySelector('p.context'))", timeout=20000)
    items = page.query_selector_all("#search-results ul.search li")
    titles = [li.query_selector("a").inner_text() for li in items]
    quotes = [p.inner_text() for p in page.query_selector_all("#search-results ul.search li p.context")]
    page.close()
    return titles, quotes, errors


def search(browser, site: str, query: str) -> tuple[list[str], list[str]]:
    titles, _, errors = results(browser, site, query)
    return titles, errors


def test_search_finds_a_chinese_title_word(browser, site) -> None:
    titles, errors = search(browser, site, "变分自编码器")
    assert errors == []
    for part in ("一", "二", "七", "八"):
        assert f"变分自编码器（{part}）" in " ".join(titles)


def test_search_finds_a_phrase_from_body_text(browser, site) -> None:
    # 生成对抗式网络 occurs only in the body of 互怼的艺术 (and of the f-VAEs article).
    titles, errors = search(browser, site, "生成对抗式网络")
    assert errors == []
    assert any(t.startswith("互怼的艺术") for t in titles)
    assert not any(t.startswith("变分自编码器（一）") for t in titles)


def test_search_results_quote_the_article_not_the_page_chrome(browser, site) -> None:
    """Under each result, lines of the article (Sphinx took them from the page's whole main area:
    "System Settings 亮色 暗色 <title> 目录" wherever the query is a word of the title)."""
    _, quotes, _ = results(browser, site, "变分自编码器")
    assert len(quotes) >= 4, quotes
    assert not any("System Settings" in q or "亮色" in q or "目录" in q for q in quotes), quotes
    _, quotes, _ = results(browser, site, "生成对抗式网络")  # in the body only: its sentence is quoted
    assert len(quotes) == 2 and "中文名是生成对抗式网络" in quotes[0], quotes


def test_search_for_absent_words_finds_nothing(browser, site) -> None:
    titles, errors = search(browser, site, "量子引力")
    assert errors == [] and titles == []


def test_formulas_render_offline(browser, site) -> None:
    """MathJax comes from the book itself: formulas typeset with no request leaving the machine."""
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(site) else None)
    page.goto(f"{site}/vae/index.html")
    page.click("text=变分自编码器（七）：球面上的VAE（vMF-VAE）")
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("MathJax.startup.promise")
    rendered = page.evaluate("document.querySelectorAll('mjx-container').length")
    broken = page.evaluate("document.querySelectorAll('mjx-merror').length")
    number = page.inner_text("span.eqno").strip().rstrip("#").strip()
    page.close()
    assert errors == [] and outside == []
    assert rendered >= 1 and broken == 0 and number == "(1)"


def test_mathjax_is_safe_with_formulas_from_sources(browser, site) -> None:
    """The book's MathJax drops `\\href` to a script address and knows no `\\require`."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site}/vae/index.html")
    page.click("text=变分自编码器（七）：球面上的VAE（vMF-VAE）")
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("MathJax.startup.promise")
    result = page.evaluate("""async () => {
        const script = await MathJax.tex2chtmlPromise('\\\\href{javascript:alert(1)}{x} + \\\\href{https://kexue.fm}{y}');
        const required = await MathJax.tex2chtmlPromise('\\\\require{html} x');
        return {hrefs: [...script.querySelectorAll('[href]')].map(e => e.getAttribute('href')),
                requireUndefined: required.querySelector('mjx-merror') !== null
                                  || required.textContent.includes('\\\\require')};
    }""")
    page.close()
    assert errors == []
    assert result["hrefs"] and set(result["hrefs"]) == {"https://kexue.fm"}  # the script address dropped
    assert result["requireUndefined"] is True  # shown as an unknown command, not run


def _hover(page, selector: str) -> str:
    """Hover over the first link matching `selector` and return the preview's HTML."""
    page.hover(selector)
    page.wait_for_selector("div.kexue-preview", timeout=5000)
    html = page.inner_html("div.kexue-preview")
    page.mouse.move(0, 0)
    page.wait_for_selector("div.kexue-preview", state="detached", timeout=5000)
    return html


def test_hover_previews_show_formula_citation_and_article(browser, corpus_site) -> None:
    """On the corpus book: an \\eqref link previews its formula (rendered, with its number), a
    citation its entry, a link to another article its title and opening; nothing is fetched."""
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The articles' figures are the blog's remote images (until `kexue-book fetch-images` copies
    # them): those requests are refused here; anything else leaving the machine fails the test.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(corpus_site)
               else route.abort())
    page.on("request", lambda req: outside.append(req.url)
            if not req.url.startswith(corpus_site) and req.resource_type != "image" else None)
    page.goto(f"{corpus_site}/capsule/a5112.html")
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("MathJax.startup.promise")
    link = page.query_selector("article a.reference.internal[href^='#equation-']")
    target = link.get_attribute("href")[1:]
    number = page.inner_text(f"[id='{target}'] span.eqno").strip().rstrip("#").strip()
    equation = _hover(page, f"article a.reference.internal[href='#{target}']")
    assert "mjx-container" in equation and number in equation
    citation = _hover(page, "article a.footnote-reference")
    assert "Dynamic Routing Between Capsules" in citation
    page.goto(f"{corpus_site}/vae/a8404.html")
    article = _hover(page, "article a.reference.internal[href='a7381.html']")
    assert "变分自编码器（五）" in article and "苏剑林" in article
    page.close()
    assert errors == [] and outside == []


def test_one_search_box_and_one_author_credit(browser, corpus_site) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(corpus_site)
               else route.abort())
    page.goto(f"{corpus_site}/vae/a8404.html")
    fields = [f for f in page.query_selector_all(".search-button-field, form.bd-search input") if f.is_visible()]
    footer = page.inner_text("footer.bd-footer-content")
    cite = page.inner_text("div.highlight-bibtex")
    page.close()
    assert len(fields) == 1
    assert footer.count("苏剑林") == 1
    assert "url={https://kexue.fm/archives/8404}" in cite and "\\url" not in cite and "urldate={" in cite
