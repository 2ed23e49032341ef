"""Reading source files as text without losing the file to one bad byte."""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Code, Reporter, SourceError
from ..model import SourcePos


def read_text(path: Path, shown: str, reporter: Reporter) -> str:
    """The file as text with `\\n` newlines; invalid UTF-8 is replaced and reported."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{shown}: cannot read ({exc.strerror})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reporter.warn(Code.ENCODING,
                      f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); undecodable bytes shown as '\ufffd'",
                      SourcePos(shown, line))
        text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")
