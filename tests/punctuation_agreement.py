"""How often the seeds' punctuation agrees with the blog's: paragraphs of the plain-text scrapes
that the corpus holds in full are aligned character by character, and every `,:;?!()` (of
either width) outside formulas is compared.  Used by tests/test_punctuation.py."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from converters.diagnostics import Reporter
from converters.model import Paragraph, plain_text
from converters.readers import read_sources
from converters.textutil import title_key

MARKS = set(",:;?!()，：；？！（）")


@dataclass
class Agreement:
    paragraphs: int = 0
    marks: int = 0
    agree: int = 0
    differences: list[tuple[str, str]] = field(default_factory=list)  # (seed, blog) snippets

    @property
    def share(self) -> float:
        return self.agree / self.marks if self.marks else 1.0


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _paragraphs(article) -> list[str]:
    return ["".join(plain_text(b.inlines).split()) for b in article.body if isinstance(b, Paragraph)]


def measure(seeds: Path, corpus: Path) -> Agreement:
    result = Agreement()
    blog = {title_key(a.meta.title): a for a in read_sources([corpus], Reporter())}
    for article in read_sources([seeds], Reporter()):
        full = blog.get(title_key(article.meta.title))
        if full is None:
            continue
        known = {_fold(p): p for p in _paragraphs(full)}
        for seed in _paragraphs(article):
            theirs = known.get(_fold(seed))
            if theirs is None or len(theirs) != len(seed):
                continue
            result.paragraphs += 1
            in_math = False
            for k, (mine, blogs) in enumerate(zip(seed, theirs)):
                if mine == "$":
                    in_math = not in_math
                if in_math or mine not in MARKS:
                    continue
                result.marks += 1
                if mine == blogs:
                    result.agree += 1
                else:
                    result.differences.append((seed[max(0, k - 8):k + 8], theirs[max(0, k - 8):k + 8]))
    return result
