"""Reading source files as text: any encoding a Chinese scrape comes in, nothing lost.

The order of evidence, most certain first:
1. a byte-order mark (UTF-32 before UTF-16, whose mark is a prefix of UTF-32-LE's);
2. strict UTF-8 — a Chinese text in a legacy encoding is never valid UTF-8 by accident;
3. a UTF-8 file with a few damaged bytes stays UTF-8 (damage replaced and reported), because a
   detector would otherwise "explain" the damage by decoding the whole file as mojibake;
4. charset-normalizer, restricted to the encodings Chinese text is saved in (GB18030 ⊃ GBK ⊃ GB2312,
   Big5, and BOM-less UTF-16/32), chooses by how coherent the decoded text is.
A file that none of these reads, or that holds NUL bytes as no text encoding does, is binary.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from ..diagnostics import Code, Reporter, SkippedSource, SourceError
from ..model import SourcePos

_BOMS = [  # longest first
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
]
# What charset-normalizer may choose from.  Big5 and GB18030 both decode most byte strings,
# so the choice must be by coherence of the text, which is what the detector measures.
_LEGACY = ["gb18030", "big5", "utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be"]
_NAMES = {"gb18030": "GB18030", "big5": "Big5", "utf_16_le": "UTF-16LE", "utf_16_be": "UTF-16BE",
          "utf_32_le": "UTF-32LE", "utf_32_be": "UTF-32BE"}
# A UTF-8 file is "damaged" rather than "in another encoding" when its valid multi-byte
# characters outnumber the invalid bytes this many times (text in GB18030 or Big5 forms a valid
# UTF-8 sequence only by rare chance, so there nearly every character is an error).
_VALID_PER_DAMAGED = 4


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # as named in messages: UTF-8, GB18030, Big5, UTF-16, …


def _control_share(text: str) -> float:
    """The share of characters no text file holds (C0 controls other than tab/newline, NUL)."""
    if not text:
        return 0.0
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return bad / len(text)


def _plausible_share(text: str) -> float:
    """The share of characters a Chinese article is made of: ASCII, common CJK ideographs,
    CJK and full-width punctuation, general punctuation, Greek.  A wrong legacy decoding
    scatters rare ideographs, private-use and compatibility characters instead."""
    if not text:
        return 1.0
    good = 0
    for ch in text:
        o = ord(ch)
        if (32 <= o < 127 or ch in "\t\n\r" or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F
                or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F or 0x0391 <= o <= 0x03C9 or 0xA0 <= o <= 0xFF):
            good += 1
    return good / len(text)


def _best_legacy(data: bytes) -> Decoded | None:
    """The legacy encoding that reads `data` strictly into the most plausible text; ties broken
    by charset-normalizer's measure of chaos (it alone is unreliable on short Chinese texts)."""
    candidates = []
    for codec in _LEGACY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        share = _plausible_share(text)
        if share >= 0.9 and _control_share(text) < 0.001:
            candidates.append((share, codec, text))
    if not candidates:
        return None
    top = max(share for share, _, _ in candidates)
    finalists = [c for c in candidates if c[0] >= top - 0.02]
    if len(finalists) > 1:
        chaos = {m.encoding: m.chaos for m in from_bytes(data, cp_isolation=[c[1] for c in finalists],
                                                           threshold=1.0)}
        finalists.sort(key=lambda c: (chaos.get(c[1], 1.0), -c[0], _LEGACY.index(c[1])))
    else:
        finalists.sort(key=lambda c: -c[0])
    _, codec, text = finalists[0]
    return Decoded(text, _NAMES[codec])


def decode(data: bytes, shown: str, reporter: Reporter) -> Decoded:
    """Decode a source file's bytes, or raise SkippedSource when they are not text."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom):].decode(codec), name)
            except UnicodeDecodeError:
                break  # a mark, then bytes that do not follow it: let the evidence below decide
    if not data:
        return Decoded("", "UTF-8")
    if b"\x00" not in data:
        try:
            return Decoded(data.decode("utf-8"), "UTF-8")
        except UnicodeDecodeError as exc:
            first_error = exc.start
        replaced = data.decode("utf-8", errors="replace")
        damaged = replaced.count("\ufffd")
        valid = sum(1 for ch in replaced if ord(ch) >= 0x80) - damaged
        if valid >= _VALID_PER_DAMAGED * damaged:
            line = data[:first_error].count(b"\n") + 1
            reporter.warn(Code.ENCODING, f"not valid UTF-8 (byte 0x{data[first_error]:02x}); "
                          "undecodable bytes shown as '\ufffd'", SourcePos(shown, line))
            return Decoded(data.decode("utf-8", errors="replace"), "UTF-8")
    best = _best_legacy(data)
    if best is not None:
        return best
    raise SkippedSource(f"{shown}: not a text file (binary data, or no known text encoding reads it); skipped")


def read_text(path: Path, shown: str, reporter: Reporter) -> str:
    """The file as text with `\\n` newlines.  Not UTF-8: decoded all the same and reported.

    Raises SkippedSource for a binary file, SourceError for one that cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{shown}: cannot read ({exc.strerror})") from None
    decoded = decode(data, shown, reporter)
    if decoded.encoding not in ("UTF-8",):
        reporter.warn(Code.ENCODING, f"not UTF-8: read as {decoded.encoding}; save it as UTF-8 to silence this",
                      SourcePos(shown, 1))
    return decoded.text.replace("\r\n", "\n").replace("\r", "\n")
