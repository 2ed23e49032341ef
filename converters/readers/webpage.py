"""Reader for article pages as the blog serves them (`.html`, saved from a browser or downloaded).

A page is one article inside the site's chrome: navigation, a sidebar (最近评论, 分类), tags, a
copyright line, comments, a footer.  The article's body is found by the containers blogs put it
in (kexue.fm's, then the common `article` / `itemprop=articleBody` / `entry-content` …), else by
a readability-style choice of the element holding the most paragraph text; the chrome inside it
is dropped.  The metadata comes from the page: the title (its heading, `og:title`, `<title>`
without the site's name), the by-line `By 苏剑林 | 2021-05-17 | 147338位读者 | 引用`, the url
(canonical link, `og:url`, the title's link, the browser's `saved from url` mark), tags and
category.  The body itself is read by `html_body`, as the feed reader reads a feed item's.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ..diagnostics import Code, Reporter
from ..model import Article, Meta, PartialDate, SourcePos
from .html_body import BodyContext, HtmlBody
from .html_depth import MAX_DEPTH, parse_html
from .macros import MacroTable, expand_article_macros
from .textio import read_text

# Where blogs keep the article's body, best first (XPath, so that no CSS engine is needed).
BODY_CONTAINERS = (
    "//*[@id='PostContent']", "//*[contains(concat(' ', normalize-space(@class), ' '), ' PostContent ')]",
    "//*[@itemprop='articleBody']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-body ')]",
    "//article", "//main",
)
# Class or id words of the chrome inside or around an article.
_CHROME_WORD = re.compile(r"(?:^|[-_])(comments?|respond|sidebar|share|sharing|related|widgets?|breadcrumbs?|"
                          r"pagination|pager|postmeta|copyright|footer|navigation|navbar|menu|ads?)(?:[-_]|$)", re.I)
_CHROME_TAGS = {"nav", "aside", "footer", "header"}
# The chrome kexue.fm's current layout puts inside `#PostContent` around the article (`#id`,
# `.class`): the head with the title, the by-line and the buttons Kimi | 引用 | 打印 | 分享; after
# the text the tips, the QR codes for 打赏, the blog's own 引用本文 (its BibTeX), category and
# tags, 你也许还对下面的内容感兴趣, 上一篇/下一篇, the comment form and the comments.  Never text;
# the title, by-line, category and tags are read from them first.
CHROME_SELECTORS = (
    ".PostHead", ".title-wrap", ".date-wrap", ".submitted", ".title_button", "#kimi", "#to_cite", "#print",
    "#share", "#share_position", "#content_tips", "#pay", "#QR", "#how_to_cite", ".cite_style", "#tools",
    "#similar", "#entrynavigation", "#PostComment", ".AllComments", ".ComListLi", ".comment_reply",
)
# Where the current layout states the by-line, and the category and tags.
BYLINE_SELECTORS = (".submitted",)
TAXONOMY_SELECTORS = ("#tools",)
# A paragraph starting with one of these is the blog's reprint notice (orange, after the text).
CHROME_OPENINGS = ("转载到请包括本文地址", "更详细的转载事宜请参考")
# Text where the page's chrome begins: nothing from it on is article text.
CHROME_HEADINGS = ("最近评论", "发表评论", "评论列表", "相关文章", "相关日志", "你也许还对下面的内容感兴趣")
# The anchor a heading carries to itself (`<h2 id="小结">小结<a href="#小结">#</a></h2>`).
HEADING_ANCHOR_TEXTS = ("#", "¶", "§", "🔗")
SITE_NAMES = ("科学空间|Scientific Spaces", "科学空间", "Scientific Spaces")
# A count of readers has at most 15 digits: a longer one is no count (int() refuses 4,300 digits,
# and a page with them stopped `convert` with a traceback), as in readers/seed_text.py.
_BYLINE = re.compile(r"By\s+(?P<author>[^|]+?)\s*\|\s*(?P<date>\d{4}-\d{1,2}-\d{1,2})"
                     r"(?:\s*\|\s*(?P<readers>\d{1,15})\s*位读者)?(?:\s*\|\s*引用)?\s*$")
_READERS = re.compile(r"^(\d{1,15})\s*位读者$")
_BYLINE_WORDS = ("引用", "Kimi", "打印", "分享")
_SAVED_FROM = re.compile(r"saved from url=\(\d+\)(\S+)")
_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_TITLE_SEPARATORS = (" - ", " | ", " – ", " — ", " _ ")


def read_page(path: Path, reporter: Reporter, display_path: str | None = None) -> list[Article]:
    shown = display_path or str(path)
    return parse_page(read_text(path, shown, reporter), shown, reporter, path.stem)


def _document(markup: str) -> tuple[etree._Element, int | None]:
    # lxml refuses a text that still declares its byte encoding; the bytes were decoded already.
    markup = re.sub(r"\A\s*<\?xml[^>]*\?>", "", markup)
    return parse_html(markup)


def _xpath(selector: str) -> str:
    """`#id`, `.class` or a tag name as an XPath from an element."""
    if selector.startswith("#"):
        return f".//*[@id='{selector[1:]}']"
    if selector.startswith("."):
        return f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {selector[1:]} ')]"
    return f".//{selector}"


def _select(root: etree._Element, selectors: tuple[str, ...]) -> list[etree._Element]:
    return [el for selector in selectors for el in root.xpath(_xpath(selector))]


def parse_page(markup: str, shown: str, reporter: Reporter, stem: str = "untitled") -> list[Article]:
    """One article from the markup of one page (`stem` titles it when nothing else does)."""
    try:
        doc, flattened_at = _document(markup)
    except (etree.ParserError, ValueError) as exc:
        reporter.warn(Code.UNREADABLE, f"not an HTML page ({exc}); skipped", SourcePos(shown, 1))
        return []
    if flattened_at is not None:
        reporter.warn(Code.NESTING_FLATTENED, f"elements nested more than {MAX_DEPTH} deep: the deeper ones are "
                      "read as plain text inside the last kept one (their text is kept)",
                      SourcePos(shown, flattened_at))
    page = _PageFacts(doc, markup)
    container = _body_container(doc)
    if container is None:
        reporter.warn(Code.UNREADABLE, "no article text found on the page; skipped", SourcePos(shown, 1))
        return []
    title_el = page.title_element(container)
    title = page.title(title_el) or stem
    byline = _byline(doc)
    url = page.url(title_el)
    category, tags = page.category(container, title_el), page.tags(container, title_el)
    _drop_chrome(container, title_el, byline, lambda el, why: reporter.warn(
        Code.CONTENT_LEFT_OUT, why, SourcePos(shown, el.sourceline or 1)))
    converter = HtmlBody(BodyContext(shown, 0, page.base_url(url)), reporter)
    body = converter.convert(container)
    meta = Meta(title=title, url=url, category=category, tags=tags)
    unread_dates: list[str] = []
    if byline is not None:
        author, date_text, readers = _byline_facts(" ".join(byline.text_content().split()))
        meta.author = author or meta.author
        meta.date = _date(date_text)
        if meta.date is None and date_text:
            unread_dates.append(date_text)
        meta.readers = readers
    if meta.date is None:
        meta.date = page.date(unread_dates)
    if meta.date is None and unread_dates:
        reporter.warn(Code.FRONT_MATTER, f"the page's date '{unread_dates[0][:40]}' is not a valid date; "
                      "the article has no date", SourcePos(shown, byline.sourceline if byline is not None
                                                           and byline.sourceline else 1))
    meta.author = meta.author if byline is not None else (page.meta("author") or meta.author)
    line = title_el.sourceline if title_el is not None and title_el.sourceline else 1
    article = Article(meta, body, [SourcePos(shown, line)])
    expand_article_macros(article, MacroTable(), reporter)  # MathJax keeps a \newcommand for the page
    return [article]


def _date(text: str | None) -> PartialDate | None:
    """The first `YYYY-MM-DD` in `text` that is a date of the calendar."""
    for m in _DATE.finditer(text or ""):
        date = PartialDate.checked(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if date is not None:
            return date
    return None


def _words(el: etree._Element) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}"


def _is_chrome(el: etree._Element) -> bool:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    return tag in _CHROME_TAGS or any(_CHROME_WORD.search(w) for w in _words(el).split())


def _text_size(el: etree._Element) -> int:
    """How much paragraph text an element holds directly: the readability measure."""
    size = 0
    for child in el:
        if isinstance(child.tag, str) and child.tag.lower() in ("p", "pre", "blockquote", "ul", "ol", "table",
                                                               "h2", "h3", "h4"):
            size += len(" ".join(child.text_content().split()))
    return size


def _body_container(doc: etree._Element) -> etree._Element | None:
    for query in BODY_CONTAINERS:
        found = [el for el in doc.xpath(query) if not any(_is_chrome(a) for a in el.iterancestors())]
        if found:
            return max(found, key=_text_size) if len(found) > 1 else found[0]
    body = doc.find("body")
    candidates = [el for el in (body.iter() if body is not None else ())
                  if isinstance(el.tag, str) and el.tag.lower() in ("div", "section", "td", "body")
                  and not _is_chrome(el) and not any(_is_chrome(a) for a in el.iterancestors())]
    best = max(candidates, key=_text_size, default=None)
    return best if best is not None and _text_size(best) > 0 else body


def _byline_facts(text: str) -> tuple[str | None, str | None, int | None]:
    """Author, date (as written) and readers of a by-line: `By 苏剑林 | 2021-05-17 | 147338位读者 | 引用`
    (the classic layout) or `2021-05-17 | 苏剑林 | 147338位读者` (the current one)."""
    m = _BYLINE.search(text)
    if m:
        return m.group("author").strip(), m.group("date"), int(m.group("readers")) if m.group("readers") else None
    author = date = None
    readers: int | None = None
    for field in (f.strip() for f in re.split(r"[|｜]", text)):
        if not field or field in _BYLINE_WORDS:
            continue
        if _READERS.match(field):
            readers = int(_READERS.match(field).group(1))
        elif date is None and _DATE.search(field):
            date = _DATE.search(field).group(0)
        elif author is None:
            author = field[3:].strip() if field.startswith("By ") else field
    return author, date, readers


def _byline(doc: etree._Element) -> etree._Element | None:
    """The blog's by-line: the current layout's `.submitted`, else the smallest element whose
    text is the classic one."""
    for el in _select(doc, BYLINE_SELECTORS):
        if _DATE.search(el.text_content()):
            return el
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in ("script", "style", "title"):
            continue
        text = " ".join(el.text_content().split())
        if len(text) < 200 and _BYLINE.search(text) and \
                not any(isinstance(c.tag, str) and _BYLINE.search(" ".join(c.text_content().split())) for c in el):
            return el
    return None


def _prose(el: etree._Element) -> str:
    """The words of `el` outside its links and scripts (what a list of related posts has none of)."""
    words = [el.text or ""] if el.tag.lower() not in ("a", "script", "style") else []
    for child in el:
        if isinstance(child.tag, str):
            words.append(_prose(child))
        words.append(child.tail or "")
    return "".join("".join(words).split())


def _drop_chrome(container: etree._Element, title_el, byline, left_out=None) -> None:
    """Remove from the body what is not the article: its title and by-line (kept as metadata),
    chrome elements, and everything from a comments heading on."""
    for el in (title_el, byline):
        if el is not None and any(a is container for a in el.iterancestors()):
            _remove(el)
    for el in _select(container, CHROME_SELECTORS):
        if el.getparent() is not None and any(a is container for a in el.iterancestors()):
            _remove(el)
    for el in list(container.iter()):
        if el is not container and isinstance(el.tag, str) and el.getparent() is not None and \
                (_is_chrome(el) or _is_taxonomy_line(el) or _is_notice(el)):
            _remove(el)
    for heading in list(container.iter("h1", "h2", "h3", "h4", "h5", "h6")):
        for a in list(heading.iter("a")):
            if (a.get("href") or "").startswith("#") and " ".join(a.text_content().split()) in HEADING_ANCHOR_TEXTS:
                _remove(a)
    for el in list(container.iter()):
        if el is container or not isinstance(el.tag, str) or el.getparent() is None:
            continue
        heading = " ".join(el.text_content().split())
        if heading in CHROME_HEADINGS:
            # this element and everything after it, up to the container
            cut: list[etree._Element] = []
            node = el
            while node is not None and node is not container:
                for sibling in list(node.itersiblings()):
                    cut.append(sibling)
                    _remove(sibling)
                parent = node.getparent()
                if node is el:
                    _remove(node)
                node = parent
            # Chrome after such a heading is lists of links (related posts, recent comments); prose
            # there may be the article's own (an article may have a section called 相关文章).
            prose = sum(len(_prose(c)) for c in cut if isinstance(c.tag, str))
            if prose and left_out is not None:
                left_out(el, f"everything after the heading '{heading}' is taken for the page's chrome "
                             f"(comments, related posts) and left out, {prose} characters of text outside links")
            break


def _is_notice(el: etree._Element) -> bool:
    """The blog's reprint notice after the text (转载到请包括本文地址：…)."""
    return el.tag.lower() in ("p", "div") and " ".join(el.text_content().split()).startswith(CHROME_OPENINGS)


def _is_taxonomy_line(el: etree._Element) -> bool:
    """A line such as `标签：VAE, 生成模型` whose links all go to tag or category pages."""
    links = list(el.iter("a"))
    if not links or el.tag.lower() not in ("p", "div", "span", "ul"):
        return False
    if not all(re.search(r"/(tag|category)/", a.get("href") or "") for a in links):
        return False
    outside = " ".join(el.text_content().split())
    for a in links:
        outside = outside.replace(" ".join(a.text_content().split()), "", 1)
    return len(outside.strip(" ,，、|:：")) <= 8


def _remove(el: etree._Element) -> None:
    """Remove an element but keep the text after it (its tail belongs to the parent)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


class _PageFacts:
    """The metadata a page states about itself."""

    def __init__(self, doc: etree._Element, markup: str):
        self.doc = doc
        self.markup = markup

    def meta(self, *names: str) -> str | None:
        for name in names:
            for el in self.doc.iter("meta"):
                if name in ((el.get("property") or "").lower(), (el.get("name") or "").lower(),
                            (el.get("itemprop") or "").lower()):
                    value = (el.get("content") or "").strip()
                    if value:
                        return value
        return None

    def page_title(self) -> str | None:
        """`og:title`, else `<title>` without the site's name."""
        title = self.meta("og:title")
        if title:
            return title
        el = self.doc.find(".//title")
        if el is None or not (el.text or "").strip():
            return None
        text = " ".join(el.text.split())
        site_names = [n for n in (self.meta("og:site_name"), *SITE_NAMES) if n]
        for sep in _TITLE_SEPARATORS:
            head, found, tail = text.rpartition(sep)
            if found and head and tail.strip() in site_names:
                return head.strip()
        return text

    def title_element(self, container: etree._Element) -> etree._Element | None:
        """The heading that shows the article's title: the one reading the page's title, else
        the first `h1` of the article."""
        wanted = self.page_title()
        headings = [el for el in self.doc.iter("h1", "h2") if not any(_is_chrome(a) for a in el.iterancestors()
                                                                      if a.tag.lower() != "header")]
        if wanted:
            return next((el for el in headings
                         if " ".join(el.text_content().split()) == " ".join(wanted.split())), None)
        inside = list(container.iter("h1"))
        return inside[0] if inside else next((el for el in headings if el.tag == "h1"), None)

    def title(self, title_el) -> str | None:
        if title_el is not None:
            text = " ".join(title_el.text_content().split())
            if text:
                return text
        return self.page_title()

    def url(self, title_el) -> str | None:
        for el in self.doc.iter("link"):
            if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
                return el.get("href").strip()
        url = self.meta("og:url")
        if url:
            return url
        if title_el is not None:
            link = next((a for a in title_el.iter("a") if a.get("href")), None)
            if link is None and title_el.getparent() is not None and title_el.getparent().tag == "a":
                link = title_el.getparent()
            if link is not None and re.match(r"https?://", link.get("href").strip()):
                return link.get("href").strip()
        m = _SAVED_FROM.search(self.markup[:2000])
        return m.group(1) if m else None

    def base_url(self, url: str | None) -> str | None:
        base = next((el.get("href") for el in self.doc.iter("base") if el.get("href")), None)
        return base or url

    def date(self, unread: list[str]) -> PartialDate | None:
        """The date the page states (its meta tags, else a `<time>`); the texts that looked like
        a date but are none (`2019-13-01`) are added to `unread`."""
        published = self.meta("article:published_time", "datepublished", "date")
        values = [published] if published else []
        values += [el.get("datetime") or el.text_content() for el in self.doc.iter("time")]
        for value in values:
            found = _date(value)
            if found:
                return found
            if _DATE.search(value or ""):
                unread.append(" ".join(value.split()))
        return None

    def _post_links(self, container: etree._Element, title_el, word: str) -> list[str]:
        """Texts of links to the blog's `/tag/…` or `/category/…` pages near the article: in
        the smallest element holding both the body and its title, outside sidebars and menus."""
        stated = _select(self.doc, TAXONOMY_SELECTORS)
        if stated:  # the current layout's own place for them (`#tools`)
            links = [a for el in stated for a in el.iter("a")]
            return list(dict.fromkeys(" ".join(a.text_content().split()) for a in links
                                      if f"/{word}/" in (a.get("href") or "") and a.text_content().strip()))
        region = container.getparent() if container.getparent() is not None else container
        if title_el is not None and not any(a is container for a in title_el.iterancestors()):
            title_line = {id(a) for a in title_el.iterancestors()}
            region = next((a for a in container.iterancestors() if id(a) in title_line), region)
        out: list[str] = []
        for a in region.iter("a"):
            href, rel = a.get("href") or "", (a.get("rel") or "").lower().split()
            if any(_is_chrome(x) for x in a.iterancestors() if x is not region and region in x.iterancestors()):
                continue
            if f"/{word}/" in href or (word == "tag" and "tag" in rel) or (word == "category" and "category" in rel):
                text = " ".join(a.text_content().split())
                if text and text not in out:
                    out.append(text)
        return out

    def tags(self, container: etree._Element, title_el) -> list[str]:
        tags = [el.get("content").strip() for el in self.doc.iter("meta")
                if (el.get("property") or "").lower() == "article:tag" and el.get("content")]
        return tags or self._post_links(container, title_el, "tag")

    def category(self, container: etree._Element, title_el) -> str | None:
        section = self.meta("article:section")
        if section:
            return section
        found = self._post_links(container, title_el, "category")
        return found[0] if found else None
