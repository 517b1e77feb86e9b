"""How a file's code runs: on an event loop, on threads, in processes; whether it listens on a socket, consumes a
queue, or parses a command line. The project model (:mod:`assess.project`) reads these to tell what the project is
(a service, a worker, a CLI) and each module's concurrency model, which decides whether a lock or a race matters.

One site per file and facet, at the first line that shows it (the facet's evidence), so the facts stay few.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from typing import Literal

from assess.knowledge import knowledge, matches
from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor, snippet
from assess.patterns.pyast import PythonFile
from assess.patterns.scripts import ScriptFile

Facet = Literal["asyncio", "threads", "processes", "listen", "consume", "cli"]

THREAD_CALLS = ("threading.Thread", "threading.Timer", "concurrent.futures.ThreadPoolExecutor", "asyncio.to_thread",
                "loop.run_in_executor", "run_in_executor", "_thread.start_new_thread", "anyio.to_thread.run_sync",
                "starlette.concurrency.run_in_threadpool", "run_in_threadpool", "ThreadPoolExecutor")  # fmt: skip
PROCESS_CALLS = ("multiprocessing.Process", "multiprocessing.Pool", "concurrent.futures.ProcessPoolExecutor",
                 "os.fork", "multiprocessing.get_context")  # fmt: skip


@register_site
class RuntimeSite(Site):
    """A fact about how the file's code runs. Line: the first place that shows it."""

    kind: Literal["runtime"] = "runtime"
    facet: Facet
    detail: str
    """What showed it: the call or import (``asyncio.start_server``, ``threading.Thread``, ``brpop``, ``click``)."""


def _site(path: str, lines: list[str], language: str, line: int, facet: Facet, detail: str) -> RuntimeSite:
    return RuntimeSite(path=path, line=line, end_line=line, language=language, snippet=snippet(lines, line, line),
                       facet=facet, detail=detail)  # fmt: skip


def _suffix_match(name: str, candidates: tuple[str, ...]) -> str | None:
    """The candidate ``name`` ends with (``loop.create_server`` for ``self.loop.create_server``), or None; of
    several, the longest."""
    found = _suffixes(candidates).search(name)
    return found.group(0) if found else None


@functools.cache
def _suffixes(candidates: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for every call name (a loop over the candidates for each call cost Django 2 s)."""
    return re.compile(f"(?:{'|'.join(map(re.escape, sorted(candidates, key=len, reverse=True)))})$")


@register_extractor("python")
def python_runtime(pf: PythonFile) -> Iterator[Site]:
    seen: dict[Facet, tuple[int, str]] = {}
    k = knowledge()

    def note(facet: Facet, line: int, detail: str) -> None:
        if facet not in seen or line < seen[facet][0]:
            seen[facet] = (line, detail)

    for fn in pf.of_type(ast.AsyncFunctionDef):
        note("asyncio", fn.lineno, f"async def {fn.name}")
        break
    for call, name in pf.calls():
        line = call.lineno
        if (found := _suffix_match(name, THREAD_CALLS)) is not None:
            note("threads", line, found)
        elif (found := _suffix_match(name, PROCESS_CALLS)) is not None:
            note("processes", line, found)
        elif (found := _suffix_match(name, k.server_calls)) is not None:
            note("listen", line, found)
        elif (found := _suffix_match(name, k.worker_calls)) is not None and "." in name:
            note("consume", line, found)
    for module in pf.imports:
        if matches(module, k.cli_libraries):
            note("cli", _import_line(pf, module), module)
    for facet, (line, detail) in sorted(seen.items()):
        yield _site(pf.path, pf.lines, "Python", line, facet, detail)


def _import_line(pf: PythonFile, module: str) -> int:
    for node in pf.of_type(ast.Import, ast.ImportFrom):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if module in names:
            return node.lineno
    return 1


JS_THREADS = ("worker_threads", "node:worker_threads")
JS_PROCESSES = ("cluster", "node:cluster", "child_process", "node:child_process")


@register_extractor("script")
def script_runtime(sf: ScriptFile) -> Iterator[Site]:
    """JavaScript and TypeScript always run on an event loop; what else the file does."""
    k = knowledge()
    seen: dict[Facet, tuple[int, str]] = {}
    for module in sf.imports:
        if module in JS_THREADS:
            seen.setdefault("threads", (_first_line(sf, module), module))
        elif module in JS_PROCESSES:
            seen.setdefault("processes", (_first_line(sf, module), module))
        elif matches(module, k.cli_libraries):
            seen.setdefault("cli", (_first_line(sf, module), module))
    caps = sf.captures("(call_expression function: [(member_expression) (identifier)] @f)")
    for node in caps.get("f", []):
        name = sf.node_text(node)
        if len(name) > 80:
            continue
        line = node.start_point[0] + 1
        if (found := _suffix_match(name, k.server_calls)) is not None and "listen" not in seen:
            seen["listen"] = (line, found)
        elif (found := _suffix_match(name, k.worker_calls)) is not None and "." in name and "consume" not in seen:
            seen["consume"] = (line, found)
    for facet, (line, detail) in sorted(seen.items()):
        yield _site(sf.path, sf.lines, sf.language, line, facet, detail)


def _first_line(sf: ScriptFile, module: str) -> int:
    return next((n for n, line in enumerate(sf.lines, start=1) if module in line), 1)
