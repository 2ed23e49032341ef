"""One line per build phase, for logs that are not a terminal (CI).

On a terminal `kexue-book build` shows Sphinx's own status lines (they redraw one line with the
percentage done).  In a log those would be a thousand lines, or none with `-q`; when
`KEXUE_BOOK_PROGRESS=lines` is set (build.py sets it when standard output is not a terminal),
this extension prints one line when reading ends and one when writing ends, with counts and
times, straight to standard output (Sphinx's `-q` silences its logger, not this), marked so that
`kexue-book` can tell them from anything else an extension prints there.
"""

from __future__ import annotations

import os
import sys
import time

from sphinx.application import Sphinx

ENV = "KEXUE_BOOK_PROGRESS"
MARK = "kexue-book-phase: "  # build.py forwards the lines that start so, and only those


class _Phases:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.phase_started = self.started
        self.to_read = 0

    def line(self, app: Sphinx, text: str) -> None:
        now = time.monotonic()
        print(f"{MARK}{app.builder.name}: {text} in {now - self.phase_started:.1f} s", file=sys.stdout, flush=True)
        self.phase_started = now


def setup(app: Sphinx) -> dict:
    if os.environ.get(ENV) == "lines":
        phases = _Phases()

        def before_read(app, env, docnames):
            phases.to_read = len(docnames)
            phases.phase_started = time.monotonic()

        def updated(app, env):
            phases.line(app, f"read {phases.to_read} of {len(env.found_docs)} pages")

        def write_started(app, builder):
            phases.phase_started = time.monotonic()

        def finished(app, exception):
            if exception is None:
                phases.line(app, "wrote the output")

        app.connect("env-before-read-docs", before_read)
        app.connect("env-updated", updated)
        app.connect("write-started", write_started)
        app.connect("build-finished", finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
