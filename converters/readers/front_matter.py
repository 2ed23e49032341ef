"""Front matter: the YAML block at the very start of a Markdown file, read so that no shape of
it stops a book.

The block is composed (parsed into YAML nodes) but never constructed into Python objects:
what the book needs from it is text (a title, a url, tags, a date written as text), and a
node's scalar value is exactly what the author wrote.  So an unquoted `2019-13-01` is not a
timestamp that fails to construct, `tags: 2019` is the tag "2019", a `!!python/object` tag
runs nothing, and an alias is a shared node, never an expansion.  Every value of a shape the
book cannot use (a list for a title, a mapping for a tag, a date no calendar has, a repeated
key) gives one warning at the line of its key, and the rest of the article builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from ..diagnostics import Code, Reporter
from ..model import PartialDate, SourcePos

# libyaml when PyYAML was built with it (front matter of a thousand files).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# `---` on the first line, the YAML, `---` (Jekyll's and MyST's form; the block may be empty).
_BLOCK = re.compile(r"\A---[ \t]*\n((?:.*?\n)??)---[ \t]*(?:\n|\Z)", re.S)
_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
# What YAML resolves a plain scalar to by itself: its text is still what the author wrote.
_PLAIN_TAGS = {_STR, _NULL, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
               "tag:yaml.org,2002:timestamp"}
# A value longer than this is not a title, a tag or a date (it is kept out, with a warning).
MAX_VALUE = 2000


def split(text: str) -> tuple[str | None, str, int]:
    """(the YAML between the `---` lines or None, the body after it, the lines before the body)."""
    m = _BLOCK.match(text)
    if not m:
        return None, text, 0
    return m.group(1) or "", text[m.end():], m.group(0).count("\n")


def compose(source: str) -> yaml.Node | None:
    """The YAML nodes of `source`; raises `yaml.YAMLError` (or ValueError, RecursionError) when
    it is not YAML."""
    return yaml.compose(source, Loader=_LOADER)


def generator_of(text: str) -> str | None:
    """The `generator` a file's front matter names, if the file starts with front matter that
    is a mapping holding one as text; None otherwise (a body that mentions one does not count)."""
    source, _, _ = split(text)
    if source is None:
        return None
    try:
        node = compose(source)
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "generator":
            found = value.value if isinstance(value, yaml.ScalarNode) and value.tag in _PLAIN_TAGS else None
    return found


@dataclass
class FrontMatter:
    """The top-level fields of a front matter block, each with the line of its key."""

    shown: str
    reporter: Reporter
    fields: dict[str, tuple[yaml.Node, int]] = field(default_factory=dict)

    def _warn(self, message: str, line: int) -> None:
        self.reporter.warn(Code.FRONT_MATTER, message, SourcePos(self.shown, line))

    def _scalar(self, key: str, node: yaml.Node, line: int, what: str = "") -> str | None:
        """A scalar's text on one line; None (with a warning) for anything else."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _NULL:
                return None
            if node.tag not in _PLAIN_TAGS:
                self._warn(f"front matter '{key}': the YAML tag {node.tag} is ignored; its text is used", line)
            text = " ".join(node.value.split())
            if len(text) > MAX_VALUE:
                self._warn(f"front matter '{key}' is {len(text)} characters long; ignored", line)
                return None
            return text or None
        shape = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        self._warn(f"front matter '{key}'{what} is {shape}, not text; ignored", line)
        return None

    def text(self, key: str) -> str | None:
        """The field as one line of text (a number or a date is its text as written)."""
        if key not in self.fields:
            return None
        node, line = self.fields[key]
        return self._scalar(key, node, line)

    def texts(self, key: str) -> list[str]:
        """A field that may hold several values (tags): a list of texts; a single text is one value."""
        if key not in self.fields:
            return []
        node, line = self.fields[key]
        if not isinstance(node, yaml.SequenceNode):
            value = self._scalar(key, node, line)
            return [value] if value else []
        out: list[str] = []
        for item in node.value:
            value = self._scalar(key, item, item.start_mark.line + 2, what=": an item")
            if value and value not in out:
                out.append(value)
        return out

    def first_text(self, key: str) -> str | None:
        """A field that should hold one value (the category): given a list, its first, with a warning."""
        values = self.texts(key)
        if len(values) > 1:
            self._warn(f"front matter '{key}' has {len(values)} values ({'、'.join(values)}); "
                       f"the first is used", self.fields[key][1])
        return values[0] if values else None

    def date(self, key: str) -> PartialDate | None:
        """A `YYYY-MM-DD` date (a time after it is ignored); one no calendar has gives a warning."""
        text = self.text(key)
        if text is None:
            return None
        line = self.fields[key][1]
        m = _DATE.match(text)
        date = PartialDate.checked(*(int(g) for g in m.groups())) if m else None
        if date is None:
            self._warn(f"front matter '{key}': '{text[:40]}' is not a valid date (YYYY-MM-DD); the article has no {key}",
                       line)
        return date


def read(source: str, shown: str, reporter: Reporter) -> FrontMatter:
    """The fields of the YAML `source` (from `split`); any problem is a warning, never an error."""
    front = FrontMatter(shown, reporter)
    try:
        node = compose(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        reporter.warn(Code.FRONT_MATTER, f"front matter is not valid YAML ({problem}); it is ignored",
                      SourcePos(shown, line))
        return front
    except (ValueError, RecursionError) as exc:
        reporter.warn(Code.FRONT_MATTER, f"front matter cannot be read ({type(exc).__name__}); it is ignored",
                      SourcePos(shown, 1))
        return front
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
        return front
    if not isinstance(node, yaml.MappingNode):
        reporter.warn(Code.FRONT_MATTER, "front matter is not a mapping of 'key: value' lines; it is ignored",
                      SourcePos(shown, node.start_mark.line + 2))
        return front
    for key, value in node.value:
        line = key.start_mark.line + 2
        if not isinstance(key, yaml.ScalarNode):
            front._warn("front matter key that is not text; ignored", line)
            continue
        name = key.value
        if key.tag == "tag:yaml.org,2002:merge":
            front._warn("front matter merge key '<<' is not followed; ignored", line)
            continue
        if name in front.fields:
            front._warn(f"front matter key '{name[:40]}' given twice (first on line "
                        f"{front.fields[name][1]}); the last is used", line)
        front.fields[name] = (value, line)
    return front
