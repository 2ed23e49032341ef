"""N-article books made from the corpus (`../shared/corpus`), for the scale benchmark.

Copy k of an article gets a distinct title (「…（副本k）」 appended, so a series title keeps
its series), a distinct url (`/archives/<id><k>`), a year moved back by k mod 12 (so that
a large chapter spans many years, as the blog does), and links to the other corpus articles
rewritten to the same copy's urls (so the copies link to each other as the originals do).
Copy 0 is the article itself.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
_ARCHIVE = re.compile(r"(kexue\.fm/archives/)(\d+)")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def _copy(text: str, article_id: str, k: int, ids: set[str]) -> str:
    front, body = _FRONT.match(text).group(1), text[_FRONT.match(text).end():]
    if k == 0:
        return text

    def field(m: re.Match) -> str:
        key, value = m.group(1), m.group(2)
        if key == "title":
            return f'title: "{value[1:-1]}（副本{k}）"'
        if key == "date":
            year = max(2009, int(value[1:5]) - k % 12)
            return f'date: "{year}{value[5:]}'
        if key == "url":
            return f'url: "https://kexue.fm/archives/{article_id}{k:03d}"'
        return m.group(0)

    front = re.sub(r"^(\w+): (.*)$", field, front, flags=re.MULTILINE)
    body = _ARCHIVE.sub(lambda m: m.group(1) + (f"{m.group(2)}{k:03d}" if m.group(2) in ids else m.group(2)),
                        body)
    return f"---\n{front}\n---\n{body}"


def write_copies(n: int, dest: Path, corpus: Path = CORPUS) -> list[Path]:
    """Write `n` Markdown sources into `dest`; returns their paths."""
    originals = sorted(corpus.glob("*.md"))
    if not originals:
        raise SystemExit(f"no corpus at {corpus} (it lives in shared/)")
    ids = {p.stem for p in originals}
    texts = {p.stem: p.read_text(encoding="utf-8") for p in originals}
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        k, original = divmod(i, len(originals))
        stem = originals[original].stem
        path = dest / f"{stem}-{k:03d}.md"
        path.write_text(_copy(texts[stem], stem, k, ids), encoding="utf-8")
        written.append(path)
    return written
