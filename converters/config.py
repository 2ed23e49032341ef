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
class SeriesExample:
    """A title a pattern must read, and what it must find (None: not a series title)."""

    title: str
    series: str | None
    part: int | None = None


@dataclass(frozen=True)
class SeriesPattern:
    name: str
    regex: re.Pattern[str]
    examples: tuple[SeriesExample, ...] = ()


@dataclass(frozen=True)
class AutoSeries:
    min_parts: int = 2
    patterns: tuple[SeriesPattern, ...] = ()
    # Overrides, each keyed by a series name in any of the blog's spellings (compared by
    # `series_key`): a chapter title for a found series, names that are one series, names ignored.
    rename: tuple[tuple[str, str], ...] = ()
    merge: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ignore: tuple[str, ...] = ()


# In a pattern, `{part}` stands for the part number: Arabic digits or a Chinese numeral
# (一 … 十一 … 二十), as the blog writes them.
PART = r"(?P<part>[0-9]{1,3}|[一二三四五六七八九十百零〇两]{1,4})"


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
    # A book of more series chapters than this groups its chapters into parts by the blog's category.
    parts_above_series: int = 12
    other_part: str = "其他"  # the last part: the rest and chapters without a category


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

    auto = _auto_series(data.get("auto_series", {}) or {}, f"{source}: auto_series")

    misc_raw = _require(data, "misc", source, dict)
    misc = ChapterInfo(
        key=_require(misc_raw, "key", f"{source}: misc"),
        title=_require(misc_raw, "title", f"{source}: misc"),
        slug=_slug(misc_raw, f"{source}: misc"),
        intro=str(misc_raw.get("intro", "")).strip(),
    )
    if misc.slug in seen or misc.key in seen:
        raise ConfigError(f"{source}: misc: '{misc.slug}' is used by a series chapter")
    return BookConfig(info, tuple(rules), auto, misc,
                      large=_large(data.get("large_chapters", {}) or {}, source))


def _pattern(raw: object, where: str, index: int) -> SeriesPattern:
    if isinstance(raw, str):  # a bare regular expression, as older configs wrote them
        raw = {"name": f"pattern-{index + 1}", "regex": raw}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with 'name', 'regex' and 'examples'")
    unknown = set(raw) - {"name", "regex", "examples"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = _require(raw, "name", where)
    text = _require(raw, "regex", where)
    try:
        regex = re.compile(text.replace("{part}", PART))
    except re.error as exc:
        raise ConfigError(f"{where}.regex: {exc}") from None
    if not {"name", "part"} <= set(regex.groupindex):
        raise ConfigError(f"{where}.regex: needs a group 'name' and a part ('{{part}}' or a group 'part')")
    examples = []
    for k, example in enumerate(raw.get("examples", []) or []):
        at = f"{where}.examples[{k}]"
        if not isinstance(example, dict) or not isinstance(example.get("title"), str):
            raise ConfigError(f"{at}: expected a mapping with 'title', 'series' and 'part'")
        series, part = example.get("series"), example.get("part")
        if series is not None and not (isinstance(series, str) and isinstance(part, int)):
            raise ConfigError(f"{at}: 'series' is a name and 'part' a number (or 'series: null')")
        examples.append(SeriesExample(example["title"], series, part if series is not None else None))
    return SeriesPattern(name, regex, tuple(examples))


def _names(raw: object, where: str) -> tuple[str, ...]:
    if isinstance(raw, str) and raw.strip():
        return (raw,)
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise ConfigError(f"{where}: expected a series name or a list of them")
    return tuple(raw)


def _auto_series(raw: object, where: str) -> AutoSeries:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    unknown = set(raw) - {"min_parts", "patterns", "rename", "merge", "ignore"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    patterns_raw = raw.get("patterns", []) or []
    if not isinstance(patterns_raw, list):
        raise ConfigError(f"{where}.patterns: expected a list")
    patterns = tuple(_pattern(p, f"{where}.patterns[{i}]", i) for i, p in enumerate(patterns_raw))
    names = [p.name for p in patterns]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}.patterns: two patterns have the same name")
    min_parts = raw.get("min_parts", 2)
    if not isinstance(min_parts, int) or isinstance(min_parts, bool) or min_parts < 1:
        raise ConfigError(f"{where}.min_parts: expected a positive integer")
    rename_raw = raw.get("rename", {}) or {}
    if not isinstance(rename_raw, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                   for k, v in rename_raw.items()):
        raise ConfigError(f"{where}.rename: expected a mapping of series name to chapter title")
    merge_raw = raw.get("merge", {}) or {}
    if not isinstance(merge_raw, dict) or not all(isinstance(k, str) for k in merge_raw):
        raise ConfigError(f"{where}.merge: expected a mapping of series name to the names merged into it")
    merge = tuple((k, _names(v, f"{where}.merge.{k}")) for k, v in merge_raw.items())
    ignore = _names(raw.get("ignore", []) or [], f"{where}.ignore") if raw.get("ignore") else ()
    return AutoSeries(min_parts, patterns, tuple(rename_raw.items()), merge, ignore)


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
    parts_above = raw.get("parts_above_series", LargeChapters.parts_above_series)
    if not isinstance(parts_above, int) or isinstance(parts_above, bool) or parts_above < 0:
        raise ConfigError(f"{where}.parts_above_series: expected a number of series (0 or more)")
    flags = {}
    for key in ("by_category", "by_year"):
        value = raw.get(key, True)
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.{key}: expected true or false")
        flags[key] = value
    other = raw.get("other_part", LargeChapters.other_part)
    if not isinstance(other, str) or not other.strip():
        raise ConfigError(f"{where}.other_part: expected a part title")
    return LargeChapters(size, parts_above_series=parts_above, other_part=other.strip(), **flags)


def load_config(path: Path) -> BookConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the book configuration ({exc.strerror})") from None
    try:
        # libyaml's loader where PyYAML has it: the same safe loader, 10× faster (a convert after
        # an edit reads this file and one source).
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (safe)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    except (ValueError, RecursionError) as exc:  # a value YAML cannot construct (date 2019-13-01, 5,000 digits)
        raise ConfigError(f"{path}: a value cannot be read ({exc})") from None
    config = parse_config(data, str(path))
    return BookConfig(config.book, config.series, config.auto_series, config.misc, path, config.large)
