"""Chapters by series: configured rules first, then series the titles reveal.

Rules and patterns are data (kexue-book.yaml); this module only applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import BookConfig, SeriesRule
from ..model import Article, Chapter
from ..textutil import parse_numeral, short_hash, slugify, title_key


def _matches(rule: SeriesRule, key: str) -> bool:
    return any(key.startswith(title_key(p)) for p in rule.prefixes) or \
        any(title_key(k) in key for k in rule.keywords)


# The blog writes a title's punctuation full- or half-width; patterns are written half-width
# and read a copy of the title folded character for character, so that a match's spans are
# the original title's.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# What may surround a series name in one style and not in another (【名称】, 《名称》, 名称：).
_BRACKETS = "【】《》〈〉[]<>「」『』"
_TRAILING = ":：、,，;；-—―~～·⋅• \t"  # what joins a name to its part; a name may end in ？ or ！


@dataclass(frozen=True)
class SeriesMatch:
    name: str  # the series' name as this title writes it, brackets and trailing punctuation off
    key: str  # the name's comparison form: the styles of one series meet here
    part: int
    pattern: str  # the name of the pattern that matched


def clean_series_name(name: str, trailing: str = _TRAILING) -> str:
    """`【中文分词系列】` → `中文分词`, `名称 ：` → `名称`: the name as a chapter title."""
    name = " ".join(name.split()).strip(trailing)
    while len(name) > 2 and name[0] in _BRACKETS and name[-1] in _BRACKETS:
        name = name[1:-1].strip()
    if name.endswith("系列") and len(name) > 2:
        name = name[:-2]
    return name.strip(trailing).strip(_BRACKETS).strip()


def series_key(name: str) -> str:
    """A series name's comparison form: width, brackets, spaces, quotes, case and trailing
    punctuation do not count, so `【名称】`, `《名称》系列`, `名称` and `名称 ：` are one series."""
    return title_key(clean_series_name(title_key(name), _TRAILING + ".．!！?？"))


# A series title is a line of a few dozen characters (under 80 in tests/data/real_titles.txt);
# a longer "title" is none.  The patterns are regular expressions searched in the title, some
# taking time square in its length (`名称——…(3)` tries every dash against every later
# parenthesis): without this bound one title of 100,000 dashes held `convert` for minutes.
LONGEST_SERIES_TITLE = 200


def title_series(title: str, config: BookConfig) -> SeriesMatch | None:
    """The series a title names and its part, by the first pattern of the config that reads it."""
    if len(title) > LONGEST_SERIES_TITLE:
        return None
    folded = title.translate(_WIDTH)
    for pattern in config.auto_series.patterns:
        # The title as written too: a pattern of an older config spells `（）：` full-width.
        m = pattern.regex.search(folded) or (pattern.regex.search(title) if folded != title else None)
        if not m:
            continue
        part = parse_numeral(m.group("part"))
        start, end = m.span("name")
        name = clean_series_name(title[start:end])
        if part is not None and name and series_key(name):
            return SeriesMatch(name, series_key(name), part, pattern.name)
    return None


def _order_key(article: Article) -> tuple:
    date = article.meta.date
    return (article.meta.part is None, article.meta.part or 0,
            date is None or date.year is None, date.sort_key() if date else (0, 0, 0),
            article.meta.title)


def _overrides(config: BookConfig) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(series key → the key it is merged into, key → chapter title, ignored keys)."""
    auto = config.auto_series
    merged = {series_key(name): series_key(target) for target, names in auto.merge for name in names}
    titles = {series_key(target): target for target, _ in auto.merge}
    titles.update({series_key(name): title for name, title in auto.rename})
    return merged, titles, {series_key(name) for name in auto.ignore}


def build_chapters(articles: list[Article], config: BookConfig) -> list[Chapter]:
    configured = {rule.key: Chapter(rule.key, rule.title, rule.slug, rule.intro, patterns=("configured",))
                  for rule in config.series}
    merged, titles, ignored = _overrides(config)
    found: dict[str, list[tuple[Article, SeriesMatch]]] = {}
    rest: list[Article] = []
    for article in articles:
        key = title_key(article.meta.title)
        numbered = title_series(article.meta.title, config)
        rule = next((r for r in config.series if _matches(r, key)), None)
        if rule is not None:
            article.meta.series = rule.key
            article.meta.part = numbered.part if numbered else None
            configured[rule.key].articles.append(article)
        elif numbered is not None and not article.untitled and \
                merged.get(numbered.key, numbered.key) not in ignored and numbered.key not in ignored:
            found.setdefault(merged.get(numbered.key, numbered.key), []).append((article, numbered))
        else:
            rest.append(article)

    taken_slugs = {rule.slug for rule in config.series} | {config.misc.slug}
    auto: list[Chapter] = []
    for key, members in found.items():
        if len({match.part for _, match in members}) < config.auto_series.min_parts:
            rest.extend(article for article, _ in members)
            continue
        # The name as its first part writes it, unless the config names the series.
        first = min(members, key=lambda m: (m[1].part, _order_key(m[0])[2:]))[1]
        name = titles.get(key, first.name)
        for article, match in members:
            article.meta.series, article.meta.part = name, match.part
        slug = slugify(name) or f"series-{short_hash(name)}"
        if slug in taken_slugs:
            slug = f"{slug}-{short_hash(name, 4)}"
        taken_slugs.add(slug)
        patterns = tuple(dict.fromkeys(match.pattern for _, match in members))
        auto.append(Chapter(name, name, slug, articles=[a for a, _ in members], auto=True, patterns=patterns))
    # Found series follow the configured ones, oldest series first.
    auto.sort(key=lambda c: min(_order_key(a)[2:4] for a in c.articles))

    series_count = sum(1 for c in configured.values() if c.articles) + len(auto)
    by_category, rest = _category_chapters(rest, config, taken_slugs)
    misc = Chapter(config.misc.key, config.misc.title, config.misc.slug, config.misc.intro, rest)
    chapters = [c for c in configured.values() if c.articles] + auto + by_category + ([misc] if rest else [])
    for chapter in chapters:
        chapter.articles.sort(key=_order_key)
    in_parts = series_count > config.large.parts_above_series
    if in_parts:
        misc.part = config.large.other_part  # the rest closes the book, whatever its categories
    if config.large.by_year:
        chapters = [part for chapter in chapters for part in split_by_year(chapter, config.large.max_articles)]
    return group_into_parts(chapters, config.large.other_part) if in_parts else chapters


def _main_category(chapter: Chapter) -> str | None:
    """The blog category most of a chapter's articles have (the earliest such article breaks a tie)."""
    counts: dict[str, int] = {}
    for article in chapter.articles:
        category = (article.meta.category or "").strip()
        if category:
            counts[category] = counts.get(category, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


def group_into_parts(chapters: list[Chapter], other: str) -> list[Chapter]:
    """Chapters in parts by the blog's category, so that a book of many series keeps a table of
    contents one can read: each chapter goes to its articles' main category, a part follows
    another in the order its first chapter had, and the chapters keep their order within it.
    The rest (其他文章) and chapters without a category close the book in the part `other`."""
    parts: dict[str, list[Chapter]] = {}
    for chapter in chapters:
        chapter.part = chapter.part or _main_category(chapter) or other
        parts.setdefault(chapter.part, []).append(chapter)
    if other in parts:
        parts[other] = parts.pop(other)
    return [chapter for members in parts.values() for chapter in members]


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
                             chapter.intro, members, chapter.auto, chapter.patterns, chapter.part))
    return parts
