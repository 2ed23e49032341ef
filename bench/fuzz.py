"""Fuzz the converter with the properties of tests/properties.py, many examples each.

    .venv/bin/python bench/fuzz.py                  # 10,000 examples per property
    .venv/bin/python bench/fuzz.py --examples 500   # quicker
    .venv/bin/python bench/fuzz.py --json out.json  # the figures for a note

For each property it prints how many examples ran and the first failure hypothesis found
(shrunk to a small input), if any; the exit status is 1 when any property failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import properties as p  # noqa: E402
from converters.config import CONFIG_NAME, load_config  # noqa: E402

CONFIG = load_config(ROOT / CONFIG_NAME)
PROPERTIES = {
    "text": ((p.words,), p.check_paragraph),
    "code-fence info": ((p.one_line, p.words), p.check_code_block),
    "link": ((p.urls, p.one_line), p.check_link),
    "title, tag, category": ((p.one_line, p.one_line, p.one_line), p.check_title),
    "whole sources (Markdown + scrape)": ((p.markdown_sources, p.seed_sources),
                                          lambda md, seed: p.check_sources(md, seed, CONFIG)),
    "whole sources (page + feed item)": ((p.one_line, p.urls, p.html_bodies),
                                         lambda title, url, body: p.check_web_sources(title, url, body, CONFIG)),
    "HTML element trees (page + feed item)": ((p.one_line, p.urls, p.html_trees),
                                              lambda title, url, body: p.check_web_sources(title, url, body, CONFIG)),
}


def fuzz(name: str, strategies, check, examples: int) -> dict:
    count = [0]

    def counted(args):
        count[0] += 1
        check(*args)

    test = settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))(given(st.tuples(*strategies))(counted))
    start = time.monotonic()
    failure = None
    try:
        test()
    except Exception as exc:  # hypothesis re-raises the shrunk failure
        failure = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    return {"property": name, "examples": count[0], "seconds": round(time.monotonic() - start, 1),
            "failure": failure}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000, help="examples per property (default 10000)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    results = []
    for name, (strategies, check) in PROPERTIES.items():
        result = fuzz(name, strategies, check, args.examples)
        results.append(result)
        status = "ok" if result["failure"] is None else "FAILED"
        print(f"{name:<36} {result['examples']:>7} examples {result['seconds']:>7.1f} s  {status}", flush=True)
        if result["failure"]:
            print("    " + result["failure"].replace("\n", "\n    "))
    total = sum(r["examples"] for r in results)
    failed = sum(1 for r in results if r["failure"])
    print(f"{total} examples, {failed} propert{'y' if failed == 1 else 'ies'} failed")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
