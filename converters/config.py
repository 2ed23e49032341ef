"""The book configuration (`kexue-book.yaml`) as validated dataclasses.

The file is data a user edits; this module only checks it and gives it types.
A mistake raises ConfigError naming the file and the offending key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .diagnostics import ConfigError
from .model import PartialDate

CONFIG_NAME = "kexue-book.yaml"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class BookInfo:
    title: str
    subtitle: str = ""
    author: str = "苏剑林"
    blog_name: str = "科学空间 | Scientific Spaces"
    blog_url: str = "https://kexue.fm"
    language: str = "zh_CN"
    description: str = ""
    # When the blog's pages were read (ISO date): the `urldate` of each article's 引用本文 entry.
    accessed: str = ""
    # Where the HTML book is published (html_baseurl): sitemap.xml and Open Graph links use it.
    base_url: str = ""


@dataclass(frozen=True)
class SeriesRule:
    key: str
    title: str
    slug: str
    prefixes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    intro: str = ""


@dataclass(frozen=True)
class AutoSeries:
    min_parts: int = 2
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class ChapterInfo:
    key: str
    title: str
    slug: str
    intro: str = ""


@dataclass(frozen=True)
class LargeChapters:
    """How a large book stays readable: chapters of at most `max_articles`."""

    max_articles: int = 100
    by_category: bool = True  # a large rest is grouped by the blog's category
    by_year: bool = True  # a large chapter is split into runs of consecutive years


@dataclass(frozen=True)
class BookConfig:
    book: BookInfo
    series: tuple[SeriesRule, ...]
    auto_series: AutoSeries
    misc: ChapterInfo
    path: Path | None = field(default=None, compare=False)
    large: LargeChapters = LargeChapters()


def _require(mapping: object, key: str, where: str, kind: type = str):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigError(f"{where}: missing key '{key}'")
    value = mapping[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}.{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _strings(mapping: dict, key: str, where: str) -> tuple[str, ...]:
    value = mapping.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}.{key}: expected a list of non-empty strings")
    return tuple(value)


def _slug(mapping: dict, where: str) -> str:
    slug = _require(mapping, "slug", where)
    if not _SLUG.match(slug):
        raise ConfigError(f"{where}.slug: '{slug}' must be lower-case ASCII letters, digits and '-'")
    return slug


def parse_config(data: object, source: str = CONFIG_NAME) -> BookConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    book = _require(data, "book", source, dict)
    known = set(BookInfo.__dataclass_fields__)
    unknown = set(book) - known
    if unknown:
        raise ConfigError(f"{source}: book: unknown key(s) {', '.join(sorted(unknown))}")
    info = BookInfo(**{k: str(v).strip() for k, v in book.items()})
    if info.accessed and not (re.fullmatch(r"\d{4}-\d{2}-\d{2}", info.accessed)
                              and PartialDate.checked(*(int(x) for x in info.accessed.split("-")))):
        raise ConfigError(f"{source}: book: accessed: expected a date like 2026-11-22, not '{info.accessed}'")

    rules: list[SeriesRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("series", []) or []):
        where = f"{source}: series[{i}]"
        rule = SeriesRule(
            key=_require(raw, "key", where),
            title=_require(raw, "title", where),
            slug=_slug(raw, where),
            prefixes=_strings(raw, "prefixes", where),
            keywords=_strings(raw, "keywords", where),
            intro=str(raw.get("intro", "")).strip(),
        )
        if not rule.prefixes and not rule.keywords:
            raise ConfigError(f"{where}: a rule needs 'prefixes' or 'keywords'")
        for name in (rule.key, rule.slug):
            if name in seen:
                raise ConfigError(f"{where}: '{name}' is used by another chapter")
            seen.add(name)
        rules.append(rule)

    auto_raw = data.get("auto_series", {}) or {}
    patterns = []
    for i, text in enumerate(_strings(auto_raw, "patterns", f"{source}: auto_series")):
        try:
            pattern = re.compile(text)
        except re.error as exc:
            raise ConfigError(f"{source}: auto_series.patterns[{i}]: {exc}") from None
        if not {"name", "part"} <= set(pattern.groupindex):
            raise ConfigError(f"{source}: auto_series.patterns[{i}]: needs groups 'name' and 'part'")
        patterns.append(pattern)
    min_parts = auto_raw.get("min_parts", 2)
    if not isinstance(min_parts, int) or min_parts < 1:
        raise ConfigError(f"{source}: auto_series.min_parts: expected a positive integer")

    misc_raw = _require(data, "misc", source, dict)
    misc = ChapterInfo(
        key=_require(misc_raw, "key", f"{source}: misc"),
        title=_require(misc_raw, "title", f"{source}: misc"),
        slug=_slug(misc_raw, f"{source}: misc"),
        intro=str(misc_raw.get("intro", "")).strip(),
    )
    if misc.slug in seen or misc.key in seen:
        raise ConfigError(f"{source}: misc: '{misc.slug}' is used by a series chapter")
    return BookConfig(info, tuple(rules), AutoSeries(min_parts, tuple(patterns)), misc,
                      large=_large(data.get("large_chapters", {}) or {}, source))


def _large(raw: object, source: str) -> LargeChapters:
    where = f"{source}: large_chapters"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    unknown = set(raw) - set(LargeChapters.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    size = raw.get("max_articles", LargeChapters.max_articles)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ConfigError(f"{where}.max_articles: expected a positive integer")
    flags = {}
    for key in ("by_category", "by_year"):
        value = raw.get(key, True)
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.{key}: expected true or false")
        flags[key] = value
    return LargeChapters(size, **flags)


def load_config(path: Path) -> BookConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the book configuration ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    except (ValueError, RecursionError) as exc:  # a value YAML cannot construct (date 2019-13-01, 5,000 digits)
        raise ConfigError(f"{path}: a value cannot be read ({exc})") from None
    config = parse_config(data, str(path))
    return BookConfig(config.book, config.series, config.auto_series, config.misc, path, config.large)
