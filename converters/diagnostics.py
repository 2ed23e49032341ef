"""Typed diagnostics: a code, a message and a source position.

Library code reports problems here and carries on (no silent loss, no crash);
only the CLI decides how they are printed and what the exit status is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .model import SourcePos


class Code(Enum):
    """Warning codes, stable so that users can grep for them and tests can assert them."""

    ENCODING = "KB101"  # a source was not valid UTF-8; undecodable bytes replaced
    UNTITLED = "KB102"  # an entry had no title; one was made from its opening words
    UNBALANCED_DOLLAR = "KB103"  # a `$` without its partner: kept as literal text
    UNCLOSED_ENVIRONMENT = "KB104"  # \begin{equation} without \end{equation}
    DUPLICATE_LABEL = "KB105"  # the same \label twice in one article
    UNKNOWN_LABEL = "KB106"  # \eqref to a label the article does not define
    EMPTY_ARTICLE = "KB107"  # an entry with no text at all (only a title)
    FRONT_MATTER = "KB108"  # front matter (or a page's date) missing, unreadable or of the wrong shape
    UNREADABLE = "KB109"  # a source file that no reader accepts
    MISSING_IMAGE = "KB110"  # a figure whose image is not available
    LATEX_FORMULA = "KB111"  # a formula xelatex cannot typeset: verbatim in the PDF
    BINARY_SOURCE = "KB112"  # a source that is not text (NUL bytes, no encoding reads it): skipped
    UNSAFE_LINK = "KB113"  # a link or image whose scheme the book does not follow (javascript:, file:…)
    UNSAFE_TEX = "KB114"  # a formula using a TeX primitive that reads or writes files: shown as code
    PAGE_REJECTED = "KB115"  # Sphinx rejected a generated page: rebuilt with its body as literal text
    MACRO_BOMB = "KB116"  # a formula whose page macros expand beyond its size budget: kept as its source
    PAGE_KEPT = "KB117"  # a file of yours stands where convert would write a page: kept, the page not written
    EPUB_FORMULA = "KB121"  # a formula MathJax rejects: shown as its TeX in the EPUB
    EPUB_MATH_ENGINE = "KB122"  # node or MathJax missing: the EPUB's MathML made by latex2mathml
    CONTENT_LEFT_OUT = "KB130"  # a reader left out content of the source (a drawing, <noscript> text…): named, counted by check
    NESTING_FLATTENED = "KB131"  # nesting deeper than a parser or the book's pages hold: flattened, its text kept


@dataclass(frozen=True)
class Diagnostic:
    code: Code
    message: str
    pos: SourcePos | None = None

    def __str__(self) -> str:
        where = f"{self.pos}: " if self.pos else ""
        return f"{where}warning: {self.message} [{self.code.value}]"

    def as_record(self) -> list:
        """JSON-ready, for a stamp that repeats a skipped step's warnings."""
        return [self.code.value, self.message, self.pos.path if self.pos else None,
                self.pos.line if self.pos else None]

    @classmethod
    def from_record(cls, record: list) -> "Diagnostic":
        code, message, path, line = record
        return cls(Code(code), message, SourcePos(path, line) if path is not None else None)


@dataclass
class Reporter:
    """Collects diagnostics during a run, in the order they were raised."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def warn(self, code: Code, message: str, pos: SourcePos | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, pos))

    def codes(self) -> list[Code]:
        return [d.code for d in self.diagnostics]


class KexueBookError(Exception):
    """A failure that stops the run; its message is one line for the user."""


class ConfigError(KexueBookError):
    pass


class SourceError(KexueBookError):
    pass


class BuildError(KexueBookError):
    pass


class SkippedSource(KexueBookError):
    """A source that is not text: the run goes on without it (readers turn this into a warning)."""
