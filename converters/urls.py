"""Which addresses the book follows: shared by the safety transform and the writer."""

from __future__ import annotations

import re

LINK_SCHEMES = ("http", "https", "mailto")
IMAGE_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")


def scheme_of(url: str) -> str | None:
    """The address's scheme in lower case (`JaVaScRiPt:` is `javascript`), or None when relative."""
    m = _SCHEME.match(url)
    return m.group(1).lower() if m else None
