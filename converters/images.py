"""Images: the blog's remote images, and the local folder that can hold copies.

The HTML shows a remote image as it is; when `book/images/` holds a copy
(filled by `kexue-book fetch-images` on a machine that is online), the book
uses the copy, which PDF and EPUB need.  An image that is neither remote nor
found on disk becomes a placeholder with its caption, and a warning.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .diagnostics import Code, Reporter
from .model import Article, Figure, walk_blocks

IMAGE_FOLDER = "images"  # inside book/


def is_remote(src: str) -> bool:
    return urlsplit(src).scheme in ("http", "https")


def local_name(url: str) -> str:
    """`https://kexue.fm/usr/uploads/a.png` → `kexue.fm/usr/uploads/a.png` (under book/images/)."""
    parts = urlsplit(url)
    host = parts.netloc.replace(":", "-")
    path = unquote(parts.path).lstrip("/")
    safe = "/".join(p for p in path.split("/") if p not in ("", ".", ".."))
    return f"{host}/{safe}" if safe else host


def figures(article: Article) -> list[Figure]:
    return [node for node in walk_blocks(article.body) if isinstance(node, Figure)]  # figures are blocks


def localize_images(articles: list[Article], book_dir: Path | None, reporter: Reporter) -> None:
    """Point figures at local copies where they exist; placeholders for missing local files."""
    for article in articles:
        for figure in figures(article):
            if figure.src is None:
                continue
            if is_remote(figure.src):
                if book_dir is not None and (book_dir / IMAGE_FOLDER / local_name(figure.src)).is_file():
                    figure.href = figure.href or figure.src
                    figure.src = f"/{IMAGE_FOLDER}/{local_name(figure.src)}"
                continue
            reporter.warn(Code.MISSING_IMAGE, f"image '{figure.src}' is not a web address and is not in "
                          f"book/{IMAGE_FOLDER}/; shown as a placeholder", figure.pos or article.pos)
            figure.src = None


@dataclass
class FetchReport:
    fetched: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def fetch_images(articles: list[Article], book_dir: Path, reporter: Reporter, timeout: float = 20.0) -> FetchReport:
    report = FetchReport()
    seen: set[str] = set()
    for article in articles:
        for figure in figures(article):
            url = figure.href if figure.src and figure.src.startswith(f"/{IMAGE_FOLDER}/") else figure.src
            if not url or not is_remote(url) or url in seen:
                continue
            seen.add(url)
            target = book_dir / IMAGE_FOLDER / local_name(url)
            if target.is_file():
                report.present.append(url)
                continue
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http/https only)
                    data = response.read()
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reporter.warn(Code.MISSING_IMAGE, f"could not fetch {url} ({getattr(exc, 'reason', exc)})",
                              figure.pos or article.pos)
                report.failed.append(url)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            report.fetched.append(url)
    return report
