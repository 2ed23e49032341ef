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

    by_category, rest = _category_chapters(rest, config, taken_slugs)
    misc = Chapter(config.misc.key, config.misc.title, config.misc.slug, config.misc.intro, rest)
    chapters = [c for c in configured.values() if c.articles] + auto + by_category + ([misc] if rest else [])
    for chapter in chapters:
        chapter.articles.sort(key=_order_key)
    if config.large.by_year:
        chapters = [part for chapter in chapters for part in split_by_year(chapter, config.large.max_articles)]
    return chapters


def _category_chapters(rest: list[Article], config: BookConfig,
                       taken_slugs: set[str]) -> tuple[list[Chapter], list[Article]]:
    """A rest larger than a chapter may be goes by the blog's category; articles without a
    category stay in the rest.  Categories follow each other by their oldest article."""
    if not config.large.by_category or len(rest) <= config.large.max_articles:
        return [], rest
    groups: dict[str, list[Article]] = {}
    uncategorised: list[Article] = []
    for article in rest:
        category = (article.meta.category or "").strip()
        if category:
            groups.setdefault(category, []).append(article)
        else:
            uncategorised.append(article)
    chapters = []
    for name, members in groups.items():
        slug = slugify(name) or f"category-{short_hash(name)}"
        if slug in taken_slugs:
            slug = f"{slug}-{short_hash(name, 4)}"
        taken_slugs.add(slug)
        chapters.append(Chapter(name, name, slug, f"博客「{name}」分类中不属于任何系列的文章，按发表时间排列。",
                                articles=members))
    chapters.sort(key=lambda c: min(_order_key(a)[2:4] for a in c.articles))
    return chapters, uncategorised


def split_by_year(chapter: Chapter, max_articles: int) -> list[Chapter]:
    """A chapter of more than `max_articles` as chapters of consecutive years, each as full as
    the limit allows (a single year above the limit is a chapter of its own); articles whose
    year is unknown close the last one.  The order of the articles is kept within each year."""
    if len(chapter.articles) <= max_articles:
        return [chapter]
    years: dict[int | None, list[Article]] = {}
    for article in chapter.articles:
        date = article.meta.date
        years.setdefault(date.year if date and date.year else None, []).append(article)
    runs: list[tuple[list[int], list[Article]]] = []
    for year in sorted(y for y in years if y is not None):
        if runs and len(runs[-1][1]) + len(years[year]) <= max_articles:
            runs[-1][0].append(year)
            runs[-1][1].extend(years[year])
        else:
            runs.append(([year], list(years[year])))
    if None in years:
        if runs and len(runs[-1][1]) + len(years[None]) <= max_articles:
            runs[-1][1].extend(years[None])
        else:
            runs.append(([], list(years[None])))
    parts = []
    for span, members in runs:
        if not span:
            label, suffix = "年份不详", "undated"
        elif len(span) == 1:
            label, suffix = f"{span[0]}年", str(span[0])
        else:
            label, suffix = f"{span[0]}—{span[-1]}年", f"{span[0]}-{span[-1]}"
        parts.append(Chapter(f"{chapter.key}（{label}）", f"{chapter.title}（{label}）", f"{chapter.slug}-{suffix}",
                             chapter.intro, members, chapter.auto))
    return parts
