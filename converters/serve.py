"""`kexue-book serve`: the HTML served, converted and built again in seconds after each edit.

sphinx-autobuild starts a new Python for every rebuild: it imports Sphinx and every extension
again and loads the whole book's environment from disk (7 MB at 1,000 articles) before it
reads the one changed page, which takes longer than reading and writing that page.  Here one
process keeps both: the converter's imports and state, and one Sphinx application whose
environment stays in memory from build to build (Sphinx's own tests build one application
many times).  What changed is found by the same means as in `kexue-book build`: convert reads
only the changed source (incremental.py) and writes only the pages that changed; Sphinx reads
only pages newer than their doctrees.  The Sphinx application is made again when the book's
configuration changes (kexue-book.yaml, conf.py, _static/) or a build failed.

The pieces of the server are sphinx-autobuild's dependencies: watchfiles watches, starlette
serves the folder, and sphinx-autobuild's middleware puts its reload script in each page,
which reloads when the websocket says a build finished.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

from .book import is_generated
from .config import CONFIG_NAME, load_config
from .convert import convert_book
from .diagnostics import KexueBookError


class LiveBuild:
    """Convert and build the HTML, keeping one Sphinx application between builds."""

    def __init__(self, project: Path, sources: list[Path], jobs: int = 1,
                 say: Callable[[str], None] = print) -> None:
        self.project, self.sources, self.jobs, self.say = project, sources, jobs, say
        self.book = project / "book"
        self.outdir = project / "_build" / "html"
        self.app = None
        self.app_inputs: tuple | None = None
        self.app_context = ExitStack()
        self.lock = threading.Lock()

    def _configuration(self) -> tuple:
        """What the Sphinx application is made from; a change makes a new one."""
        files = [self.project / CONFIG_NAME, self.project / "conf.py"]
        static = self.project / "_static"
        if static.is_dir():
            files += sorted(p for p in static.rglob("*") if p.is_file())
        return tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in files)

    def _sphinx(self):
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        inputs = self._configuration()
        if self.app is None or inputs != self.app_inputs:
            # Extensions register their directives and roles in docutils, for the process: as
            # sphinx-build does, each application gets its own registrations, given back when
            # it is replaced (a second one otherwise warns about each as already registered,
            # and keeps those of an extension conf.py no longer loads).
            self.app_context.close()
            self.app_context = ExitStack()
            self.app_context.enter_context(patch_docutils(self.project))
            self.app_context.enter_context(docutils_namespace())
            self.app = Sphinx(str(self.book), str(self.project), str(self.outdir),
                              str(self.project / "_build" / "doctrees" / "html"), "html",
                              status=None, warning=sys.stderr, freshenv=False, keep_going=True,
                              parallel=self.jobs)
            self.app_inputs = inputs
            self.assets = [list(assets) for assets in self._assets()]
        else:
            # Extensions add a page's own scripts while it is written (`app.add_js_file` in
            # html-page-context); Sphinx keeps them in its registry, where the next build of
            # the same application would give them to every page: back to the lists of a new one.
            for assets, kept in zip(self._assets(), self.assets):
                assets[:] = kept
        return self.app

    def _assets(self) -> list[list]:
        registry, builder = self.app.registry, self.app.builder
        return [registry.js_files, registry.css_files, getattr(builder, "_js_files", []),
                getattr(builder, "_css_files", [])]

    def __call__(self) -> bool:
        """One convert and build; False when it failed (the last good pages stay served)."""
        with self.lock:
            started = time.monotonic()
            try:
                config = load_config(self.project / CONFIG_NAME)
                result = convert_book(self.sources, config, self.book, self.project / "_build")
                for diagnostic in result.diagnostics if not result.skipped else []:
                    self.say(str(diagnostic))
                app = self._sphinx()
                # The doctrees read by the last build are cached in memory; pages read again
                # must be written from their new doctrees (Sphinx's own test application, which
                # builds one application many times, clears the cache the same way).
                app.env._pickled_doctree_cache.clear()
                app.build()
            except KexueBookError as exc:
                self.say(f"error: {exc}")
                return False
            except Exception:  # noqa: BLE001 - a live preview reports and waits for the next edit
                self.say(traceback.format_exc())
                self.app = None
                return False
            self.say(f"built in {time.monotonic() - started:.1f} s")
            return True


class Watcher:
    """Builds after each change of a source, the configuration or a page of yours in book/;
    tells the pages shown in browsers to reload (the websocket route)."""

    def __init__(self, build: LiveBuild, paths: list[Path]) -> None:
        self.build = build
        self.paths = [p.resolve() for p in paths if p.exists()]
        self.generation = 0  # builds done; each page's websocket compares it with what it saw

    def _matters(self, path: Path) -> bool:
        try:
            path.relative_to(self.build.project / "_build")
            return False
        except ValueError:
            pass
        # convert's own pages change because a source did: not a reason to build again
        return not (path.suffix in (".md", ".bib") and path.is_file() and self._in_book(path) and is_generated(path))

    def _in_book(self, path: Path) -> bool:
        try:
            path.relative_to(self.build.book.resolve())
            return True
        except ValueError:
            return False

    async def watch(self) -> None:
        import watchfiles

        async for changes in watchfiles.awatch(*self.paths, debounce=400, step=30):
            paths = [Path(p) for _, p in changes]
            if not any(self._matters(p) for p in paths):
                continue
            self.build.say(f"changed: {', '.join(sorted({p.name for p in paths})[:5])}")
            if await asyncio.to_thread(self.build):
                self.generation += 1

    async def __call__(self, scope, receive, send) -> None:
        """The websocket of one page shown in a browser: "refresh" after each build."""
        from starlette.websockets import WebSocket

        ws = WebSocket(scope, receive, send)
        await ws.accept()

        async def refresh() -> None:
            seen = self.generation
            while True:
                await asyncio.sleep(0.1)
                if self.generation != seen:
                    seen = self.generation
                    await ws.send_text("refresh")

        async def closed() -> None:
            async for _ in ws.iter_text():
                pass
        tasks = [asyncio.create_task(refresh()), asyncio.create_task(closed())]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()


def serve(project: Path, sources: list[Path], host: str, port: int, jobs: int,
          say: Callable[[str], None] = print) -> None:
    import uvicorn
    from contextlib import asynccontextmanager
    from sphinx_autobuild.middleware import JavascriptInjectorMiddleware
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    if port == 0:
        from sphinx_autobuild.utils import find_free_port
        port = find_free_port()
    build = LiveBuild(project, sources, jobs, say)
    build()  # the first build, before anything is served
    outdir = build.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    watcher = Watcher(build, [*sources, project / CONFIG_NAME, project / "conf.py", project / "_static",
                              build.book])

    @asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(watcher.watch())
        yield
        task.cancel()

    app = Starlette(routes=[WebSocketRoute("/websocket-reload", watcher, name="reload"),
                            Mount("/", app=StaticFiles(directory=outdir, html=True), name="static")],
                    middleware=[Middleware(JavascriptInjectorMiddleware, ws_url=f"{host}:{port}")],
                    lifespan=lifespan)
    say(f"serving http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
