"""Analyse many files across worker processes, streaming records back as they are done.

Workers are spawned (not forked: collectors may run in threads, and forking a threaded process
can deadlock the child) and each loads the extractors once. Files go out in small chunks so uneven
files balance. A worker that dies (a parser crashing the interpreter, the kernel's OOM killer)
breaks the pool; the files not yet done are then retried one at a time in a single fresh worker,
so the file that kills it again is named and recorded as not analysed, and the rest still are.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from assess.static.record import FileAnalysis
from assess.static.worker import Analyser

CHUNK_FILES = 16
"""Files per task: small enough to balance uneven files, large enough to amortise pickling."""
MIN_FILES_FOR_POOL = 40
"""Below this many files, starting worker processes (about a second each) costs more than it saves."""
MAX_CRASHES = 20
"""After this many files have killed a worker, the rest are given up on rather than retried."""
WORKER_NICENESS = 10
"""Workers give way to the target's test suite, which runs beside the static analysis in ``assess run`` and
is usually its critical path; alone they still have every core. Measured on click 8.1.7's suite (two cores,
a cold analysis of Jinja2 beside it): 6.9-7.4 s with workers at the suite's priority, 5.9-6.0 s niced,
4.7-5.5 s alone."""
IN_FLIGHT_PER_WORKER = 4
"""Chunks submitted ahead per worker: enough to keep them busy, few enough to bound memory."""

Outcome = FileAnalysis | str | None
"""A record; a path the analysis crashed on (str); or None for a file that could not be read."""

_ANALYSER: Analyser | None = None


def _init(root: str, linked: frozenset[tuple[int, int]]) -> None:
    global _ANALYSER
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    _ANALYSER = Analyser(Path(root), linked)


def _chunk(paths: Sequence[str]) -> list[FileAnalysis | None]:
    assert _ANALYSER is not None
    return [_ANALYSER.analyse(rel) for rel in paths]


def default_jobs() -> int:
    """One worker per core the process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


Task = Callable[[Sequence[str]], list[FileAnalysis | None]]


def analyse_paths(
    root: Path, paths: Sequence[str], jobs: int, warnings: list[str], task: Task = _chunk,
    linked: frozenset[tuple[int, int]] = frozenset(),
) -> Iterator[tuple[str, Outcome]]:  # fmt: skip
    """(path, outcome) for every path, in no particular order. ``task`` is what a worker runs on a
    chunk (a parameter so that tests can make a worker die); problems with the pool go to ``warnings``.
    ``linked``: the hard-linked files that may be read (:class:`Analyser`)."""
    if not paths:  # a warm run: every record came from the cache, so no parser or extractor is loaded
        return
    if jobs <= 1 or len(paths) < MIN_FILES_FOR_POOL:
        yield from _in_process(root, paths, linked)
        return
    pending = list(paths)
    crashes = 0
    workers, chunk = jobs, CHUNK_FILES
    while pending:
        done: set[str] = set()
        try:
            for rel, outcome in _run_pool(root, pending, workers, chunk, task, linked):
                done.add(rel)
                yield rel, outcome
            return
        except BrokenProcessPool:
            rest = [rel for rel in pending if rel not in done]
        except OSError as err:  # no processes at all (no semaphores, process limit): do the rest here
            rest = [rel for rel in pending if rel not in done]
            warnings.append(f"worker processes could not start ({err}); {len(rest)} file(s) analysed in-process")
            yield from _in_process(root, rest, linked)
            return
        if workers > 1 or chunk > 1:  # find the culprit: one file at a time, in one worker
            pending, workers, chunk = rest, 1, 1
            continue
        crashes += 1
        yield rest[0], rest[0]  # one file at a time: the first not done is the one that killed the worker
        if crashes >= MAX_CRASHES:
            yield from ((rel, rel) for rel in rest[1:])
            return
        pending, workers, chunk = rest[1:], jobs, CHUNK_FILES


def _in_process(root: Path, paths: Sequence[str], linked: frozenset[tuple[int, int]]) -> Iterator[tuple[str, Outcome]]:
    analyser = Analyser(root, linked)
    for rel in paths:
        yield rel, analyser.analyse(rel)


def _run_pool(
    root: Path, paths: Sequence[str], workers: int, chunk: int, task: Task, linked: frozenset[tuple[int, int]]
) -> Iterator[tuple[str, Outcome]]:
    """Analyse ``paths`` in a pool, in order of submission, with a bounded number of chunks in flight."""
    chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    ctx = get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init, initargs=(str(root), linked)
    ) as pool:
        queue: list[tuple[Sequence[str], Future[list[FileAnalysis | None]]]] = []
        submitted = 0
        while submitted < len(chunks) or queue:
            while submitted < len(chunks) and len(queue) < workers * IN_FLIGHT_PER_WORKER:
                queue.append((chunks[submitted], pool.submit(task, chunks[submitted])))
                submitted += 1
            batch, future = queue.pop(0)
            yield from zip(batch, future.result(), strict=True)
