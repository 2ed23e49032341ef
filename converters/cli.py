"""The `kexue-book` command.  Only this module prints and chooses exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .book import recover_rejected
from .convert import CACHE_DIR, ConvertResult, convert_book
from .formats import FORMATS, SPLIT_ABOVE
from .config import CONFIG_NAME, load_config
from .diagnostics import KexueBookError, Reporter
from .images import IMAGE_FOLDER, fetch_images
from .model import Book, MathBlock, walk
from .transforms.citations import cited_keys
from .transforms.series import title_series
from .pipeline import load_book


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kexue-book", description=__doc__)
    parser.add_argument("--project", type=Path, default=Path("."),
                        help=f"the project folder (holds {CONFIG_NAME}, conf.py, book/); default: .")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_sources(p: argparse.ArgumentParser) -> None:
        p.add_argument("sources", nargs="*", type=Path,
                       help="source files or folders (default: the project's sources/)")
        p.add_argument("-q", "--quiet", action="store_true", help="print warnings only")

    with_sources(sub.add_parser("convert", help="write the book's MyST pages into book/"))
    build = sub.add_parser("build", help="convert, then build the book with Sphinx")
    with_sources(build)
    build.add_argument("--format", choices=[*FORMATS, "all"], default="html",
                       help="html, pdf, epub, or all three (PDF and EPUB first, so the HTML links them)")
    build.add_argument("--no-strict", action="store_true", help="do not turn Sphinx warnings into errors")
    build.add_argument("--split", choices=["auto", "chapters", "none"], default="auto",
                       help=f"chapters: one PDF per chapter as well as the whole book (auto: when the book "
                            f"has over {SPLIT_ABOVE} articles)")
    build.add_argument("-j", "--jobs", default="auto",
                       help="Sphinx's parallel processes, and the PDFs typeset at once (default auto: one per core; "
                            "1 for a serial build)")
    with_sources(sub.add_parser("fetch-images", help="download the articles' images into book/images/ "
                                "(needs the network; the book then uses the copies)"))
    check = sub.add_parser("check", help="convert, build the HTML and report, per article, whether the "
                           "pages show every paragraph, formula, code block, figure, link and citation "
                           "(exit status 1 when anything was lost)")
    with_sources(check)
    check.add_argument("--json", action="store_true", help="the report as JSON")
    check.add_argument("--format", choices=[*FORMATS, "all"], default="html",
                       help="also build and check the PDF (formulas typeset or verbatim) and/or the EPUB "
                            "(formulas as MathML or as TeX); default: html only")
    check.add_argument("--allow-verbatim", action="store_true",
                       help="a formula shown as TeX in the PDF or the EPUB is reported, not counted as lost")
    serve = sub.add_parser("serve", help="live preview: convert, serve the HTML and rebuild it when a source, "
                           "a page or the config changes (one process keeps the book between builds); Ctrl-C stops it")
    with_sources(serve)
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000; 0 picks a free port")
    listing = sub.add_parser("list", help="list the articles as the book would hold them")
    with_sources(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per article, as a list")
    listing.add_argument("--series", action="store_true",
                         help="the series found instead: name, parts, the title patterns that matched, chapter")
    return parser


def _article_records(book: Book) -> list[dict]:
    records = []
    for chapter in book.chapters:
        for a in chapter.articles:
            records.append({
                "title": a.meta.title,
                "chapter": chapter.title,
                "series": a.meta.series,
                "part": a.meta.part,
                "date": a.meta.date.iso() if a.meta.date else None,
                "author": a.meta.author,
                "readers": a.meta.readers,
                "url": a.meta.url,
                "docname": a.docname,
                "sources": [str(p) for p in a.sources],
                "excerpt": a.excerpt,
                "untitled": a.untitled,
                "equations": sum(sum(1 for r in n.rows if r.numbered) if n.rows is not None else 1
                                 for n in walk(a.body) if isinstance(n, MathBlock) and n.numbered),
                "citations": cited_keys(a),
            })
    return records


def _series_records(book: Book, config) -> list[dict]:
    """One record per series of the book (a chapter split by years is one series), then the
    series names that some titles show but that are no chapter (too few parts, or ignored),
    with `chapters` empty: what an author may want to merge, rename or leave."""
    records: dict[str, dict] = {}
    for chapter in book.chapters:
        if not chapter.patterns:
            continue  # a category or the rest: no series
        name = chapter.articles[0].meta.series if chapter.articles else chapter.key
        record = records.setdefault(name, {"name": name, "parts": [], "articles": 0, "patterns": list(chapter.patterns),
                                           "chapters": [], "part_of_book": chapter.part})
        record["parts"] += [a.meta.part for a in chapter.articles if a.meta.part is not None]
        record["articles"] += len(chapter.articles)
        record["chapters"].append({"slug": chapter.slug, "title": chapter.title})
    single: dict[str, dict] = {}
    for article in book.articles:
        match = title_series(article.meta.title, config) if article.meta.series is None else None
        if match is not None:
            record = single.setdefault(match.key, {"name": match.name, "parts": [], "articles": 0, "patterns": [],
                                                   "chapters": [], "part_of_book": None})
            record["parts"].append(match.part)
            record["articles"] += 1
            record["patterns"] = list(dict.fromkeys(record["patterns"] + [match.pattern]))
    for record in [*records.values(), *single.values()]:
        record["parts"] = sorted(set(record["parts"]))
    return list(records.values()) + list(single.values())


def _sources(args, project: Path) -> list[Path]:
    return args.sources or [project / "sources"]


def _load(args, project: Path, reporter: Reporter):
    """The book config and the book read from the command's sources; prints the warnings."""
    config = load_config(project / CONFIG_NAME)
    book = load_book(_sources(args, project), config, reporter, project / "book",
                     project.joinpath("_build", *CACHE_DIR))
    for d in reporter.diagnostics:
        print(d, file=sys.stderr)
    return config, book


class _ReadProgress:
    """Reading the sources: a bar with counts and time left on a terminal; nothing otherwise
    (the one summary line follows)."""

    def __init__(self, shown: bool) -> None:
        self.shown = shown and sys.stderr.isatty()
        self.bar = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.shown or phase != "read":
            return
        if self.bar is None:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc="reading sources", unit=" files", file=sys.stderr, leave=False)
        self.bar.n = done
        self.bar.refresh()
        if done >= total:
            self.bar.close()


def _convert(args, project: Path) -> ConvertResult:
    config = load_config(project / CONFIG_NAME)
    result = convert_book(_sources(args, project), config, project / "book", project / "_build",
                          _ReadProgress(not args.quiet))
    for d in result.diagnostics:
        print(d, file=sys.stderr)
    if not args.quiet:
        if result.skipped:
            print(f"sources: {result.files} files, unchanged since the last convert "
                  f"({result.seconds['check']:.1f} s to check); book/ left as it is")
        else:
            s = result.seconds
            print(f"sources: {result.files} files read in {s['read']:.1f} s ({result.cached} unchanged, "
                  f"from the cache; {result.files - result.cached} parsed"
                  f"{f' on {result.workers} cores' if result.workers > 1 else ''}); "
                  f"book assembled in {s['assemble']:.1f} s, pages written in {s['write']:.1f} s")
        for slug, title, count in result.chapters:
            print(f"{slug + '/':<16} {title}: {count} articles")
        if result.citations:
            works, complete, title_only = result.citations
            print(f"citations: {works} works ({complete} complete, {title_only} title only)")
        print(f"book/: {result.written} written, {result.unchanged} unchanged, "
              f"{result.removed} removed; {len(result.diagnostics)} warning(s)")
    return result


def _book_of(result: ConvertResult, args, project: Path) -> Book:
    """The converted book; read again (from the cache) when convert had nothing to do."""
    if result.book is None:
        result.book = load_book(_sources(args, project), load_config(project / CONFIG_NAME), Reporter(),
                                project / "book", project.joinpath("_build", *CACHE_DIR))
    return result.book


def _check(args, project: Path) -> int:
    quiet_convert = argparse.Namespace(**{**vars(args), "quiet": True})
    converted = _convert(quiet_convert, project)
    book = _book_of(converted, args, project)
    literal: set[str] = set()

    def recover(rejections):
        literal.update(r.docname for r in rejections)
        return recover_rejected(book, rejections, project / "book")

    from .build import build_format, epub_formulas_report, formats_for  # Sphinx: imported when building
    from .fidelity import check_book

    printed = [f for f in formats_for(args.format) if f != "html"]
    for fmt in printed:  # before the HTML, which is always built: a page recovered there is known
        result = build_format(project, fmt, project / "_build", strict=True, recover=recover)
        for diagnostic in result.diagnostics:
            print(diagnostic, file=sys.stderr)
    # Always built: the report reads the pages, and a page recovered as literal text must be known.
    result = build_format(project, "html", project / "_build", strict=True, recover=recover, use_stamp=False)
    for diagnostic in result.diagnostics:
        print(diagnostic, file=sys.stderr)
    epub = epub_formulas_report(project / "_build") if "epub" in printed else None
    report = check_book(book, project / "_build" / "html", literal, project / "_build" / "latex", epub,
                        () if args.allow_verbatim else tuple(printed), converted.diagnostics)
    if args.json:
        print(report.as_json())
    else:
        for a in report.articles:
            flags = [f"lost {a.lost}" if a.lost else "", "literal" if a.literal else "",
                     f"{a.left_out} left out" if a.left_out else "", f"{a.flattened} flattened" if a.flattened else "",
                     f"{len(a.unresolved_eqrefs)} unresolved \\eqref" if a.unresolved_eqrefs else ""]
            formats = ""
            if "pdf" in printed and a.pdf_typeset is not None:
                formats += f" pdf ∑{a.pdf_typeset}/{a.formulas.source} typeset"
            if a.epub_mathml is not None:
                formats += f" epub ∑{a.epub_mathml}/{a.epub_mathml + a.epub_fallback} MathML"
            print(f"{a.docname:<40} ¶{a.paragraphs.shown}/{a.paragraphs.source} ∑{a.formulas.shown}/{a.formulas.source} "
                  f"code {a.code.shown}/{a.code.source} fig {a.figures.shown}/{a.figures.source} "
                  f"links {a.links.shown}/{a.links.source} cite {a.citations.shown}/{a.citations.source} "
                  f"eqref {a.eqrefs.shown}/{a.eqrefs.source}{formats} "
                  f"{' '.join(f for f in flags if f)}".rstrip())
            for text in a.missing_text:
                print(f"    not in the page: {text}")
        t = report.totals()
        print(f"{t['articles']} articles: paragraphs {t['paragraphs']['shown']}/{t['paragraphs']['source']}, "
              f"formulas {t['formulas']['shown']}/{t['formulas']['source']}, code {t['code']['shown']}/{t['code']['source']}, "
              f"figures {t['figures']['shown']}/{t['figures']['source']}, links {t['links']['shown']}/{t['links']['source']}, "
              f"citations {t['citations']['shown']}/{t['citations']['source']}, "
              f"\\eqref links {t['eqrefs']['shown']}/{t['eqrefs']['source']}; escaped text runs {t['escaped']}, "
              f"unresolved \\eqref {t['unresolved_eqrefs']}, blog links outside the book {t['external_article_links']}, "
              f"literal pages {t['literal_pages']}, left out {t['left_out']}, flattened {t['flattened']}, "
              f"PDF verbatim formulas "
              f"{t['pdf_verbatim'] if t['pdf_verbatim'] is not None else 'n/a (no PDF built)'}"
              + (f", EPUB formulas as TeX {t['epub_fallback']} (MathML by {t['epub_engine']})"
                 if t['epub_fallback'] is not None else "")
              + (" (verbatim allowed)" if args.allow_verbatim and printed else "") + f"; lost {t['lost']}")
    return 1 if report.lost else 0


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project = args.project.resolve()
    if args.command in ("build", "serve"):  # Sphinx: imported only when building
        from .build import build_format, formats_for
    reporter = Reporter()
    try:
        if args.command == "list":
            config, book = _load(args, project, reporter)
            if args.series:
                series = _series_records(book, config)
                if args.json:
                    print(json.dumps(series, ensure_ascii=False, indent=2))
                else:
                    for r in series:
                        parts = ",".join(str(p) for p in r["parts"]) or "-"
                        chapters = ", ".join(f"{c['slug']}/" for c in r["chapters"]) or "none (too few parts, or ignored)"
                        print(f"{r['name']}: {r['articles']} article{'s' if r['articles'] != 1 else ''}, parts {parts}; "
                              f"pattern {'+'.join(r['patterns'])}; chapter {chapters}")
                    print(f"{sum(1 for r in series if r['chapters'])} series")
                return 0
            records = _article_records(book)
            if args.json:
                print(json.dumps(records, ensure_ascii=False, indent=2))
            else:
                for r in records:
                    print(f"{r['docname']:<40} {r['date'] or '':<10} {r['title']}")
            return 0
        if args.command == "fetch-images":
            _, book = _load(args, project, reporter)
            fetched = fetch_images(book.articles, project / "book", reporter)
            for d in reporter.diagnostics[len(reporter.diagnostics) - len(fetched.failed):]:
                print(d, file=sys.stderr)  # the fetch failures, after the reading warnings
            print(f"book/{IMAGE_FOLDER}/: {len(fetched.fetched)} fetched, {len(fetched.present)} already there, "
                  f"{len(fetched.failed)} failed")
            return 1 if fetched.failed else 0
        if args.command == "check":
            return _check(args, project)
        converted = _convert(args, project)
        if args.command == "serve":
            sources = [s.resolve() for s in _sources(args, project)]
            from .serve import serve
            try:
                serve(project, sources, args.host, args.port, len(os.sched_getaffinity(0)),
                      say=lambda line: print(line, flush=True))
            except KeyboardInterrupt:
                pass
            return 0
        if args.command == "build":
            def recover(rejections):
                return recover_rejected(_book_of(converted, args, project), rejections, project / "book")
            output = None if args.quiet else ("terminal" if sys.stdout.isatty() else "lines")
            split = args.split == "chapters" or (args.split == "auto" and converted.articles > SPLIT_ABOVE)
            for fmt in formats_for(args.format):
                result = build_format(project, fmt, project / "_build", strict=not args.no_strict,
                                      recover=recover, output=output, jobs=args.jobs, split=split and fmt == "pdf",
                                      progress=None if args.quiet else lambda line: print(line, flush=True),
                                      chapters=[(slug, title) for slug, title, _ in converted.chapters])
                for line in result.warnings:
                    print(line, file=sys.stderr)
                for diagnostic in result.diagnostics:
                    print(diagnostic, file=sys.stderr)
                if not args.quiet:
                    print(result.summary(), flush=True)
        return 0
    except KexueBookError as exc:
        print(f"kexue-book: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kexue-book: interrupted", file=sys.stderr)
        return 130


def main() -> None:
    code = run()
    # Leave without freeing the book object by object: at 1,000 articles the interpreter's
    # teardown took 0.4–0.8 s after the work was done.  Everything this process writes is
    # closed by then (files in `with` blocks, worker pools shut down); only the standard
    # streams are buffered.  `run()` itself, which the tests call, returns normally.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
