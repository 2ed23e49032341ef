"""The corpus as the blog serves it: article pages and a feed, made from the Markdown articles.

A test helper for the round-trip tests of the HTML and feed readers.  Bodies are rendered as
the blog's server renders them for MathJax: every formula stays TeX text inside the HTML
(`$…$`, `$$…$$`, environments), with `<` and `&` escaped.  `mathjax=2` renders the page as a
browser saves it after MathJax 2 ran: the glyphs MathJax drew (which no reader may read) and
the TeX kept in `<script type="math/tex">`.  Around the body stands the blog's chrome:
navigation, a by-line, tags, a copyright line, comments and a sidebar (`page_html`, the classic
layout), or the chrome kexue.fm's current layout puts inside the article's own container
(`current_page_html`).
"""

from __future__ import annotations

import html
import re
from datetime import date
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from converters.readers.markdown import _ESCAPED_DOLLAR as ESCAPED_DOLLAR
from converters.readers.markdown import make_parser

SITE = "科学空间|Scientific Spaces"
_FRONT = re.compile(r"\A---\n(.*?\n)---\n", re.S)
_TEXT_ENV = re.compile(r"\\begin\{(equation\*?|align\*?|gather\*?|eqnarray\*?|multline\*?)\}.*?\\end\{\1\}", re.S)


def split_article(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    m = _FRONT.match(text)
    return (yaml.safe_load(m.group(1)), text[m.end():]) if m else ({}, text)


class _Glyphs:
    """MathJax 2's output for one formula: rendered glyphs, then the TeX in a script."""

    def __init__(self):
        self.count = 0

    def __call__(self, tex: str, display: bool) -> str:
        self.count += 1
        n = self.count
        # What MathJax draws: letters of the formula, scrambled, which must never be read as text.
        glyphs = html.escape("".join(reversed(re.sub(r"\\[A-Za-z]+|[{}\s]", "", tex))))[:40]
        frame = (f'<span class="MathJax_Preview" style="color: inherit;"></span>'
                 f'<span class="MathJax" id="MathJax-Element-{n}-Frame" tabindex="0">'
                 f'<nobr><span class="math"><span class="mi">{glyphs}</span></span></nobr>'
                 f'<span class="MJX_Assistive_MathML"><math><mi>{glyphs}</mi></math></span></span>')
        if display:
            return (f'<div class="MathJax_Display" style="text-align: center;">{frame}</div>'
                    f'<script type="math/tex; mode=display" id="MathJax-Element-{n}">{tex}</script>')
        return f'{frame}<script type="math/tex" id="MathJax-Element-{n}">{tex}</script>'


def body_html(markdown: str, mathjax: int | None = None) -> str:
    """The article's body as the blog's HTML (MathJax-2-saved when `mathjax == 2`)."""
    md = make_parser()  # the blog's dialect (CJK emphasis, math) as the Markdown reader reads it
    glyphs = _Glyphs()

    def tex(content: str, display: bool, delimiter: str) -> str:
        if mathjax == 2:
            return glyphs(content, display)
        return html.escape(f"{delimiter}{content}{delimiter}", quote=False)

    def text(renderer, tokens, idx, options, env):
        # An escaped dollar is `\$` for MathJax (processEscapes), a dollar sign to the reader.
        content = tokens[idx].content.replace(ESCAPED_DOLLAR, "\\$")
        if mathjax != 2:
            return html.escape(content, quote=False)
        out, pos = [], 0
        for m in _TEXT_ENV.finditer(content):  # environments written in the text are display math too
            out.append(html.escape(content[pos:m.start()], quote=False))
            out.append(glyphs(m.group(0), True))
            pos = m.end()
        out.append(html.escape(content[pos:], quote=False))
        return "".join(out)

    md.add_render_rule("math_inline", lambda r, t, i, o, e: tex(t[i].content, False, "$"))
    md.add_render_rule("math_inline_double", lambda r, t, i, o, e: tex(t[i].content, True, "$$"))
    md.add_render_rule("math_block", lambda r, t, i, o, e: f"<p>{tex(t[i].content, True, '$$')}</p>\n")
    # An environment is display math by itself, without `$$`.
    md.add_render_rule("amsmath", lambda r, t, i, o, e: f"<p>{tex(t[i].content, True, '')}</p>\n")
    md.add_render_rule("text", text)
    return md.render(markdown)


def _byline(data: dict) -> str:
    return (f'<p class="PostDate">By {html.escape(str(data.get("author") or "苏剑林"))} | '
            f'{data.get("date", "")} | <a href="#cite">引用</a></p>')


def _head(title: str, url: str) -> str:
    """The start of an article page up to `<body>`, in both layouts (title and url escaped)."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="UTF-8">
<title>{title} - {SITE}</title>
<link rel="canonical" href="{url}">
<script type="text/javascript">window.MathJax = {{tex2jax: {{inlineMath: [['$','$']]}}}};</script>
</head><body>
"""


def page_html(path: Path, mathjax: int | None = None) -> str:
    """One article page of the blog, with the site's chrome around the article."""
    data, markdown = split_article(path)
    title = html.escape(str(data["title"]))
    url = html.escape(str(data.get("url") or ""))
    tags = "".join(f'<a href="https://kexue.fm/tag/{html.escape(t)}/">{html.escape(t)}</a>, '
                   for t in data.get("tags") or [])
    category = html.escape(str(data.get("category") or ""))
    return _head(title, url) + f"""<div id="Header"><h1><a href="https://kexue.fm/">{SITE}</a></h1>
<ul id="nav"><li><a href="https://kexue.fm/">首页</a></li><li><a href="https://kexue.fm/archives.html">归档</a></li></ul></div>
<div id="Main"><div class="Post">
<div class="PostHead"><h1 class="PostTitle"><a href="{url}">{title}</a></h1>
{_byline(data)}</div>
<div id="PostContent">
{body_html(markdown, mathjax)}
</div>
<div class="PostCategory">分类：<a href="https://kexue.fm/category/{category}/">{category}</a></div>
<p class="PostTags">标签：{tags}</p>
<div class="copyright">转载到请包括本文地址：<a href="{url}">{url}</a></div>
<div id="comments"><h3>发表评论</h3><p>这篇文章写得很好！$a$</p></div>
</div></div>
<div id="Sidebar"><h3>最近评论</h3><ul><li><a href="https://kexue.fm/archives/1#comment-1">某读者</a>：谢谢</li></ul>
<h3>分类</h3><ul><li><a href="https://kexue.fm/category/other/">其他分类</a></li></ul></div>
<div id="Footer">Copyright © 2009-2026 {SITE}</div>
</body></html>
"""


def _heading_anchors(body: str) -> str:
    """Headings as the current layout serves them: an id and an anchor `#` linking to it."""
    count = 0

    def one(m: re.Match) -> str:
        nonlocal count
        count += 1
        return f'<{m.group(1)} id="h{count}">{m.group(2)}<a href="#h{count}" class="anchor">#</a></{m.group(1)}>'
    return re.sub(r"<(h[2-6])>(.*?)</\1>", one, body)


def current_page_html(path: Path, mathjax: int | None = None) -> str:
    """One article page in the layout kexue.fm serves today: `#PostContent` holds, around the
    article's text, the head (title, by-line `date | author | N位读者`, the buttons Kimi | 引用 |
    打印 | 分享), the reprint notices, tips, 打赏 QR codes, the blog's own 引用本文 with its BibTeX,
    category and tags, similar articles, previous/next, the comment form and the comments."""
    data, markdown = split_article(path)
    title = html.escape(str(data["title"]))
    url = html.escape(str(data.get("url") or ""))
    author = html.escape(str(data.get("author") or "苏剑林"))
    tags = ", ".join(f'<a href="https://kexue.fm/tag/{html.escape(t)}/">{html.escape(t)}</a>'
                     for t in data.get("tags") or [])
    category = html.escape(str(data.get("category") or ""))
    day = str(data.get("date", ""))
    faq = "https://kexue.fm/archives/6508#%E6%96%87%E7%AB%A0%E5%A6%82%E4%BD%95%E8%BD%AC%E8%BD%BD/%E5%BC%95%E7%94%A8"
    return _head(title, url) + f"""<div id="Header"><div class="logo"><a href="https://kexue.fm/">{SITE}</a></div>
<ul id="nav"><li><a href="https://kexue.fm/">首页</a></li><li><a href="https://kexue.fm/archives.html">归档</a></li></ul>
<form id="search" action="https://kexue.fm/search"><input name="s"><button>搜索</button></form></div>
<div id="Main"><div class="Post">
<div id="PostContent">
<div class="PostHead">
<div class="title-wrap"><h1><a href="{url}">{title}</a></h1></div>
<div class="date-wrap"><span class="submitted">{day} | {author} | 14733位读者</span></div>
<div class="title_button"><a id="kimi" href="https://kimi.moonshot.cn/?url={url}">Kimi</a> |
<a id="to_cite" href="#how_to_cite">引用</a> | <a id="print" href="javascript:window.print();">打印</a> |
<a id="share" href="javascript:;">分享</a><div id="share_position"><span>分享到微博</span><span>分享到微信</span></div></div>
</div>
<div class="clear"></div>
{_heading_anchors(body_html(markdown, mathjax))}
<p style="color: #FF8800"><strong>转载到请包括本文地址：</strong><a href="{url}">{url}</a></p>
<p style="color: #FF8800"><strong>更详细的转载事宜请参考：</strong><a href="{faq}" title="《科学空间FAQ》">《科学空间FAQ》</a></p>
<div id="content_tips"><p><strong>如果您还有什么疑惑或建议，欢迎在下方评论区继续讨论。</strong></p>
<p><strong>如果您觉得本文还不错，欢迎分享/打赏本文。打赏并非要从中获得收益，而是希望知道科学空间获得了多少读者的真心关注。</strong></p></div>
<div id="pay"><p>打赏</p><div id="QR"><div><img src="https://kexue.fm/usr/themes/geekg/payment/wx.png" alt="科学空间"><p>微信打赏</p></div>
<div><img src="https://kexue.fm/usr/themes/geekg/payment/zfb.png" alt="科学空间"><p>支付宝打赏</p></div></div>
<p>因为网站后台对打赏并无记录，因此欢迎在打赏时候备注留言。</p></div>
<div id="how_to_cite"><p>如果您需要引用本文，请参考：</p>
<p>{author}. ({day}). 《{title}》[Blog post]. Retrieved from {url}</p>
<p>@online{{kexuefm-cite,</p><pre class="cite_style">        title={{{title}}},
        author={{{author}}},
        year={{{day[:4]}}},
        url={{\\url{{{url}}}}},
}}</pre></div>
<div id="tools"><span class="cat">分类：<a href="https://kexue.fm/category/{category}/">{category}</a></span>
<span class="tag">标签：{tags}</span></div>
<div id="similar"><h3>你也许还对下面的内容感兴趣</h3><ul><li><a href="https://kexue.fm/archives/1">不相干的文章</a></li></ul></div>
<div id="entrynavigation"><div>上一篇：<a href="https://kexue.fm/archives/2">上一篇文章</a></div>
<div>下一篇：<a href="https://kexue.fm/archives/3">下一篇文章</a></div></div>
<div id="PostComment"><h3>发表你的看法</h3><form action="https://kexue.fm/comment"><label>昵称</label><input name="author">
<textarea name="text">评论框里的字</textarea><button type="submit">提交评论</button></form></div>
<div class="AllComments"><ol><li class="ComListLi"><p>某读者：这篇文章写得很好！$a$</p>
<div class="comment_reply"><a href="#reply">回复评论</a></div></li></ol></div>
</div>
</div></div>
<div id="Sidebar"><h3>最近评论</h3><ul><li><a href="https://kexue.fm/archives/1#comment-1">某读者</a>：谢谢</li></ul>
<h3>分类</h3><ul><li><a href="https://kexue.fm/category/other/">其他分类</a></li></ul></div>
<div id="Footer">Copyright © 2009-2026 {SITE}</div>
</body></html>
"""


# The chrome strings of the current layout: none may reach an article page of the book.
CURRENT_CHROME = ("14733位读者", "Kimi", "打印", "分享到微博", "转载到请包括本文地址", "更详细的转载事宜请参考",
                  "科学空间FAQ", "如果您还有什么疑惑或建议", "打赏", "如果您需要引用本文", "Blog post", "kexuefm-cite",
                  "你也许还对下面的内容感兴趣", "不相干的文章", "上一篇", "下一篇", "发表你的看法", "昵称", "评论框里的字",
                  "提交评论", "这篇文章写得很好", "回复评论", "最近评论", "其他分类", "Copyright", "搜索")


def _pub_date(value) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return format_datetime(datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone(timedelta(hours=8))))


def feed_xml(paths: list[Path]) -> str:
    """One RSS 2.0 feed holding every article, its full text in `content:encoded`."""
    items = []
    for path in paths:
        data, markdown = split_article(path)
        categories = [f"<category><![CDATA[{data['category']}]]></category>"] if data.get("category") else []
        categories += [f'<category domain="tag"><![CDATA[{t}]]></category>' for t in data.get("tags") or []]
        items.append(f"""<item>
<title>{html.escape(str(data['title']))}</title>
<link>{html.escape(str(data.get('url') or ''))}</link>
<guid>{html.escape(str(data.get('url') or ''))}</guid>
<pubDate>{_pub_date(data['date'])}</pubDate>
<dc:creator>{html.escape(str(data.get('author') or '苏剑林'))}</dc:creator>
{''.join(categories)}
<description><![CDATA[{html.escape(markdown[:120])}]]></description>
<content:encoded><![CDATA[{body_html(markdown)}]]></content:encoded>
</item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{SITE}</title>
<link>https://kexue.fm/</link>
<description>渴望成为一个小飞侠</description>
{chr(10).join(items)}
</channel>
</rss>
"""
