"""Random edit sequences: after each edit, convert (incremental.py when it can) equals a fresh
whole-book convert of the same sources, every file of book/ and every warning in order.

    .venv/bin/python bench/incremental_fuzz.py                   # seeds 1-3, 25 edits each
    .venv/bin/python bench/incremental_fuzz.py --seeds 10 --steps 40

An edit appends a piece of text (a paragraph, a heading, a labelled formula and its \\eqref, an
unknown \\eqref, a work named with or without a link, another article named in text or linked,
a missing image, an unclosed fence, refused TeX, a control character), deletes a line or swaps
two lines of a random source of ../shared/corpus and two listing scrapes (tests/test_incremental.py
sets the project up).  The first difference stops the run and keeps the sources in a folder it names.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import new_project  # noqa: E402
from test_incremental import _files, _project  # noqa: E402

from converters.config import CONFIG_NAME, load_config  # noqa: E402
from converters.convert import convert_book  # noqa: E402

PIECES = ["\n\n加上的一段文字。\n", "\n\n## 新小节\n\n正文。\n", "\n\n$$x=y\\label{eq:z{n}}$$\n\n由\\eqref{eq:z{n}}。\n",
          "\n\n见\\eqref{eq:nowhere}。\n", "\n\n另见《On Unifying Deep Generative Models》。\n",
          "\n\n另见《变分自编码器（五）：VAE + BN = 更好的VAE》。\n", "\n\n图![x](images/none.png)\n",
          "\n\n[《A Batch Normalized Inference Network Keeps the KL Vanishing Away》](https://papers.cool/arxiv/2004.12585)\n",
          "\n\n《Dynamic Routing Between Capsules》\n", "\n\n<div>\n", "\n\n```\ncode\n", "\n\n$$\\input{/etc/passwd}$$\n",
          "\n\n\x01控制字符\n", "\n\n[《变分自编码器（一）：原来是这么一回事》](https://kexue.fm/archives/5253)\n"]


def convert(project: Path):
    os.chdir(project)  # sources are named relative to the working directory
    return convert_book([project / "sources"], load_config(project / CONFIG_NAME), project / "book",
                        project / "_build")


def edit(source: Path, rnd: random.Random, step: int) -> str:
    text = source.read_text(encoding="utf-8", errors="surrogateescape")
    lines = text.split("\n")
    kind = rnd.random()
    if kind < 0.6:
        text += rnd.choice(PIECES).replace("{n}", str(step))
        what = "append"
    elif kind < 0.8:
        del lines[rnd.randrange(len(lines))]
        text, what = "\n".join(lines), "delete a line"
    else:
        i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        text, what = "\n".join(lines), "swap two lines"
    source.write_text(text, encoding="utf-8", errors="surrogateescape")
    return what


def run(seed: int, steps: int, work: Path) -> bool:
    rnd = random.Random(seed)
    project = _project(work / f"seed{seed}")
    convert(project)
    for step in range(steps):
        source = rnd.choice(sorted((project / "sources").iterdir()))
        what = edit(source, rnd, step)
        result = convert(project)
        fresh = new_project(work / f"fresh{seed}-{step}")
        shutil.copytree(project / "sources", fresh / "sources")
        cold = convert(fresh)
        mine, theirs = _files(project / "book"), _files(fresh / "book")
        different = sorted(set(mine) ^ set(theirs)) + [n for n in mine if n in theirs and mine[n] != theirs[n]]
        same_warnings = [str(d) for d in result.diagnostics] == [str(d) for d in cold.diagnostics]
        print(f"seed {seed} edit {step}: {what} in {source.name}: "
              f"{'changed sources only' if result.incremental else 'whole book'}", flush=True)
        if different or not same_warnings:
            print(f"  DIFFERENT: files {different}, warnings {'same' if same_warnings else 'differ'}; "
                  f"sources kept in {project / 'sources'}")
            return False
        shutil.rmtree(fresh)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="incremental-fuzz-"))
    ok = all(run(seed, args.steps, work) for seed in range(1, args.seeds + 1))
    if ok:
        shutil.rmtree(work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
