"""Chapters by series: configured rules first, then series the titles reveal.

Rules and patterns are data (kexue-book.yaml); this module only applies them.
"""

from __future__ import annotations

from ..config import BookConfig, SeriesRule
from ..model import Article, Chapter
from ..textutil import parse_numeral, short_hash, slugify, title_key


def _matches(rule: SeriesRule, key: str) -> bool:
    return any(key.startswith(title_key(p)) for p in rule.prefixes) or \
        any(title_key(k) in key for k in rule.keywords)


def title_series(title: str, config: BookConfig) -> tuple[str, int] | None:
    """(series name, part) when the title has the form `名称（N）：…` or `名称：N. …`."""
    for pattern in config.auto_series.patterns:
        m = pattern.match(title)
        if m:
            part = parse_numeral(m.group("part"))
            if part is not None:
                return m.group("name").strip(), part
    return None


def _order_key(article: Article) -> tuple:
    date = article.meta.date
    return (article.meta.part is None, article.meta.part or 0,
            date is None or date.year is None, date.sort_key() if date else (0, 0, 0),
            article.meta.title)


def build_chapters(articles: list[Article], config: BookConfig) -> list[Chapter]:
    configured = {rule.key: Chapter(rule.key, rule.title, rule.slug, rule.intro) for rule in config.series}
    found: dict[str, list[Article]] = {}
    rest: list[Article] = []
    for article in articles:
        key = title_key(article.meta.title)
        numbered = title_series(article.meta.title, config)
        rule = next((r for r in config.series if _matches(r, key)), None)
        if rule is not None:
            article.meta.series = rule.key
            article.meta.part = numbered[1] if numbered else None
            configured[rule.key].articles.append(article)
        elif numbered is not None and not article.untitled:
            article.meta.series, article.meta.part = numbered
            found.setdefault(numbered[0], []).append(article)
        else:
            rest.append(article)

    taken_slugs = {rule.slug for rule in config.series} | {config.misc.slug}
    auto: list[Chapter] = []
    for name, members in found.items():
        if len({a.meta.part for a in members}) < config.auto_series.min_parts:
            for article in members:
                article.meta.series = article.meta.part = None
            rest.extend(members)
            continue
        slug = slugify(name) or f"series-{short_hash(name)}"
        if slug in taken_slugs:
            slug = f"{slug}-{short_hash(name, 4)}"
        taken_slugs.add(slug)
        auto.append(Chapter(name, name, slug, articles=members, auto=True))
    # Found series follow the configured ones, oldest series first.
    auto.sort(key=lambda c: min(_order_key(a)[2:4] for a in c.articles))

    misc = Chapter(config.misc.key, config.misc.title, config.misc.slug, config.misc.intro, rest)
    chapters = [c for c in configured.values() if c.articles] + auto + ([misc] if rest else [])
    for chapter in chapters:
        chapter.articles.sort(key=_order_key)
    return chapters
