"""The HTML book as readers who do not use a mouse and a wide screen meet it (issue 18).

One book (seeds + ../shared/corpus, built once for the session) in one headless Chromium:

* axe-core (npm `axe-core`, from node_modules/, injected into the page: nothing from a CDN) on
  the landing page, a chapter page, an article with formulas and an open hover preview, the
  bibliography and a search results page, in the light and the dark scheme: no violation of
  moderate, serious or critical impact;
* formulas read by screen readers: MathJax's assistive MathML, seen in Chromium's
  accessibility tree;
* hover previews reached with Tab, shown with a focus ring, described to assistive technology
  (aria-describedby → role=tooltip), holding nothing to tab to, closed by Escape;
* search result summaries without TeX; printing an article gives the article alone with its
  equation numbers; at 390 px no page scrolls sideways, wide formulas scroll in their own box.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import CHROMIUM, ROOT, serve_html

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"),
]

ARTICLE = "capsule/a5112.html"  # formulas (some wider than a phone), \eqref links, a citation
PAGES = {
    "index": "index.html",
    "chapter": "vae/index.html",
    "article": ARTICLE,
    "bibliography": "bibliography.html",
    "search": "search.html?q=" + quote("变分自编码器"),
}
FAILING_IMPACTS = ("moderate", "serious", "critical")


@pytest.fixture(scope="module")
def site(corpus_book):
    yield from serve_html(corpus_book)


def _open(browser, site: str, path: str, **context):
    """A page of the book in a fresh context; requests leaving the machine (the blog's images)
    are refused."""
    ctx = browser.new_context(**context)
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site) else route.abort())
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site}/{path}")
    page.wait_for_load_state("load")
    page.evaluate("window.MathJax && MathJax.startup && MathJax.startup.promise")
    if path.startswith("search.html"):
        page.wait_for_selector("#search-results .search-summary", timeout=20000)
        page.wait_for_function(QUOTED, timeout=20000)
    return page, errors


# The search page says it is done before the lines under each result arrive (each is fetched).
QUOTED = "[...document.querySelectorAll('#search-results ul.search li')].every(li => li.querySelector('p.context'))"


def _first_preview_link(page):
    return page.query_selector("article a.reference.internal[href^='#equation-']")


def _tab_to(page, link) -> bool:
    """Focus the element before `link` in the tab order, press Tab: does focus land on `link`?"""
    page.evaluate("""(link) => {
        const focusable = [...document.querySelectorAll('a[href], button, input, [tabindex]')]
            .filter(e => e.tabIndex >= 0 && !e.disabled && e.checkVisibility({visibilityProperty: true}));
        for (let i = focusable.indexOf(link) - 1; i >= 0; i--) {   // the nearest that takes focus
            focusable[i].focus();
            if (document.activeElement === focusable[i]) break;
        }
    }""", link)
    page.keyboard.press("Tab")
    return page.evaluate("(link) => document.activeElement === link", link)


# --- axe-core ---------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_axe_finds_no_violation(browser, site, kind: str, scheme: str) -> None:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed at {AXE} (make node_modules)")
    page, errors = _open(browser, site, PAGES[kind], color_scheme=scheme)
    assert page.evaluate("document.documentElement.dataset.theme") == scheme  # the theme follows it
    if kind == "article":  # with a preview open, opened from the keyboard
        assert _tab_to(page, _first_preview_link(page))
        page.wait_for_selector("div.kexue-preview")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    page.context.close()
    found = [f"{v['impact']} {v['id']}: {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:3])}"
             for v in result["violations"] if v["impact"] in FAILING_IMPACTS]
    assert found == [], "\n".join(found)
    assert errors == []


# --- formulas and previews for screen readers -------------------------------------------------

def _ax_tree(page) -> list[dict]:
    cdp = page.context.new_cdp_session(page)
    return cdp.send("Accessibility.getFullAXTree")["nodes"]


def test_formulas_are_mathml_in_the_accessibility_tree(browser, site) -> None:
    page, errors = _open(browser, site, ARTICLE)
    formulas = page.evaluate("""() => [...document.querySelectorAll('article mjx-container')].map(c => ({
        drawnHidden: c.querySelector('mjx-math').getAttribute('aria-hidden') === 'true',
        mathml: c.querySelector('mjx-assistive-mml > math') !== null}))""")
    served = page.evaluate("MathJax.config.options.menuOptions.settings.assistiveMml")
    tree = _ax_tree(page)
    page.context.close()
    math = [n for n in tree if n.get("role", {}).get("value") in ("math", "MathMLMath") and not n.get("ignored")]
    identifiers = [n for n in tree if n.get("role", {}).get("value") == "MathMLIdentifier"]
    assert errors == [] and served is True
    assert formulas and all(f["mathml"] and f["drawnHidden"] for f in formulas)  # read once, as MathML
    assert len(math) >= len(formulas) and identifiers


def test_a_preview_opens_and_closes_from_the_keyboard(browser, site) -> None:
    page, errors = _open(browser, site, ARTICLE)
    link = _first_preview_link(page)
    number = page.inner_text(f"[id='{link.get_attribute('href')[1:]}'] span.eqno").strip().rstrip("#").strip()
    assert _tab_to(page, link), "the equation link is not in the tab order"
    page.wait_for_selector("div.kexue-preview")
    shown = page.evaluate("""(link) => {
        const tip = document.getElementById(link.getAttribute('aria-describedby'));
        const style = getComputedStyle(link);
        return {role: tip && tip.getAttribute('role'), text: tip && tip.textContent,
                ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
                tabbable: tip ? [...tip.querySelectorAll('a[href], [tabindex]')]
                                .filter(e => e.tabIndex >= 0).length : -1};
    }""", link)
    description = _description(page, link)
    page.keyboard.press("Escape")
    page.wait_for_selector("div.kexue-preview", state="detached", timeout=5000)
    after = page.evaluate("(link) => ({focused: document.activeElement === link, "
                          "described: link.hasAttribute('aria-describedby')})", link)
    page.context.close()
    assert errors == []
    assert shown["role"] == "tooltip" and number in shown["text"]
    assert shown["ring"], "the focused link shows no focus ring"
    assert shown["tabbable"] == 0, "the preview holds elements Tab would stop at"
    assert number in description  # what a screen reader announces with the link
    assert after == {"focused": True, "described": False}


def _description(page, link) -> str:
    """The accessible description Chromium computes for `link`."""
    cdp = page.context.new_cdp_session(page)
    page.evaluate("(link) => link.setAttribute('data-kexue-probe', '')", link)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-kexue-probe]"})["nodeId"]
    ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"]
    page.evaluate("(link) => link.removeAttribute('data-kexue-probe')", link)
    return next((n.get("description", {}).get("value", "") for n in ax if n.get("role", {}).get("value") == "link"), "")


# --- reading comfort --------------------------------------------------------------------------

TEX = re.compile(r"\\[A-Za-z]+|\\[\[\(\]\)]|\$")


def test_search_summaries_show_prose_not_tex(browser, site) -> None:
    """Words that stand next to formulas: their summaries show `…` where a formula is."""
    quotes: list[str] = []
    for query in ("变分自编码器", "先验分布", "后验分布"):
        page, errors = _open(browser, site, "search.html?q=" + quote(query))
        quotes += [p.inner_text() for p in page.query_selector_all("#search-results ul.search li p.context")]
        page.context.close()
        assert errors == []
    assert quotes
    assert [q for q in quotes if TEX.search(q)] == []
    assert any("…" in q for q in quotes)  # a formula was there, and is marked


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "printed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


PRINTED = "misc/a10563.html"  # formulas wider than an A4 column
A4_COLUMN = 673  # px: 210 mm less the print stylesheet's margins (2 × 16 mm), at 96 px per inch


def test_printing_an_article_gives_the_article_alone(browser, site, tmp_path) -> None:
    page, errors = _open(browser, site, PRINTED, viewport={"width": 1280, "height": 900})
    title = page.inner_text("article h1").strip().rstrip("#").strip()
    numbers = [n.strip().rstrip("#").strip() for n in page.eval_on_selector_all(
        "article span.eqno", "spans => spans.map(s => s.textContent)")]
    chrome = page.evaluate("""() => [
        ...[...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.textContent.trim()),
        ...[...document.querySelectorAll('.prev-next-footer a .prev-next-title')].map(a => a.textContent.trim()),
        document.querySelector('footer.bd-footer-content').innerText.trim()]""")
    page.emulate_media(media="print")
    text = _pdf_text(page.pdf(format="A4", print_background=False), tmp_path)
    page.set_viewport_size({"width": A4_COLUMN, "height": 900})  # the printed column, to measure
    cut = page.evaluate("""() => [...document.querySelectorAll('article div.math')].filter(div => {
        const box = div.querySelector('mjx-container') || div;
        return box.scrollWidth > box.clientWidth + 1 || div.scrollWidth > div.clientWidth + 1
               || box.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5;
    }).map(div => div.textContent.slice(0, 60))""")
    page.context.close()
    flat = re.sub(r"\s+", "", text)
    assert errors == [] and title.replace(" ", "") in flat
    assert numbers and [n for n in numbers if n.replace(" ", "") not in flat] == []
    positions = [flat.find(n.replace(" ", "")) for n in numbers]
    assert positions == sorted(positions), "equation numbers out of order"
    others = [c for c in chrome if c and c != title and re.sub(r"\s+", "", c) not in re.sub(r"\s+", "", title)]
    assert others and [c for c in others if re.sub(r"\s+", "", c) in flat] == []  # no sidebar, links, footer
    assert "搜索" not in flat and "下载本书" not in flat
    assert cut == [], "formulas cut at the edge of the paper"


@pytest.mark.parametrize("path", [ARTICLE, "vae/a8404.html", "index.html", "search.html?q=" + quote("变分自编码器")])
def test_a_phone_never_scrolls_the_page_sideways(browser, site, path: str) -> None:
    page, errors = _open(browser, site, path, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                         is_mobile=True, has_touch=True)
    layout = page.evaluate("""() => ({
        page: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
        formulas: [...document.querySelectorAll('article div.math')].map(m => {
            const box = m.querySelector('mjx-container') || m;   // MathJax's box scrolls, or the div
            return {right: Math.max(m.getBoundingClientRect().right, box.getBoundingClientRect().right),
                    wide: box.scrollWidth > box.clientWidth + 1,
                    scrolls: ['auto', 'scroll'].includes(getComputedStyle(box).overflowX)};
        })})""")
    page.context.close()
    assert errors == []
    assert layout["page"] <= layout["width"] == 390
    assert all(f["right"] <= 390 + 0.5 for f in layout["formulas"])
    assert all(f["scrolls"] for f in layout["formulas"] if f["wide"])
    if path == ARTICLE:
        assert any(f["wide"] for f in layout["formulas"])  # the page does hold a formula wider than a phone
