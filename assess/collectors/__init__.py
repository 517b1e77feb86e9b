"""Collectors: each gathers one kind of evidence about the target. Facts only, never grades.

A collector is a function from a :class:`CollectContext` to an :class:`~assess.model.Evidence`,
registered with :func:`register_collector`. :func:`run_collector` runs one, turns any
exception into an ``error`` evidence, and writes the evidence file.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assess.model import Evidence, RunParameters, Status
from assess.model.evidence import EVIDENCE_TYPES
from assess.model.io import ModelFileError, read_evidence, write_evidence

BUILTIN_MODULES = ("inventory", "coverage", "tests", "complexity", "patterns", "chaos")


@dataclass(frozen=True)
class CollectContext:
    """What a collector gets: the run's parameters and the run folder to write into."""

    params: RunParameters
    run_dir: Path

    @property
    def target(self) -> Path:
        return Path(self.params.target)

    @property
    def leave_out(self) -> tuple[str, ...]:
        """assess's own run folders inside the target, relative to it (see
        :func:`assess.collectors.listing.run_folders_inside`): never listed, never taken for the tests' writes."""
        from assess.collectors.listing import run_folders_inside

        return run_folders_inside(self.target, self.run_dir)

    def evidence_path(self, kind: str) -> Path:
        return self.run_dir / "evidence" / f"{kind}.json"

    def work_dir(self, kind: str) -> Path:
        """A folder in the run for a collector's raw outputs (coverage data, JUnit files ...)."""
        path = self.run_dir / "raw" / kind
        path.mkdir(parents=True, exist_ok=True)
        return path

    def read(self, kind: str) -> Evidence | None:
        """Evidence an earlier stage wrote in this run, or None if absent or unreadable."""
        try:
            return read_evidence(self.evidence_path(kind), root=self.run_dir)
        except ModelFileError:
            return None


CollectFn = Callable[[CollectContext], Evidence]


@dataclass(frozen=True)
class Collector:
    kind: str
    collect: CollectFn
    depends_on: tuple[str, ...] = ()
    """Kinds whose evidence must exist before this one runs."""
    title: str = ""


COLLECTORS: dict[str, Collector] = {}


def register_collector(
    kind: str, *, depends_on: tuple[str, ...] = (), title: str = ""
) -> Callable[[CollectFn], CollectFn]:
    """Decorator registering ``fn`` as the collector of ``kind`` evidence."""

    def deco(fn: CollectFn) -> CollectFn:
        COLLECTORS[kind] = Collector(kind=kind, collect=fn, depends_on=depends_on, title=title or kind)
        return fn

    return deco


def load_builtin_collectors() -> dict[str, Collector]:
    for name in BUILTIN_MODULES:
        importlib.import_module(f"assess.collectors.{name}")
    return COLLECTORS


def error_evidence(kind: str, reason: str, **extra: object) -> Evidence:
    cls = EVIDENCE_TYPES[kind]
    return cls(status=Status.ERROR, reason=reason, **extra)


def run_collector(kind: str, ctx: CollectContext) -> Evidence:
    """Run the collector for ``kind`` and write its evidence file, whatever happens.

    An unexpected exception becomes an ``error`` evidence whose reason names it; the traceback
    goes to ``raw/<kind>/traceback.txt`` in the run folder.
    """
    if kind not in COLLECTORS and kind in BUILTIN_MODULES:
        importlib.import_module(f"assess.collectors.{kind}")
    collector = COLLECTORS[kind]
    start = time.monotonic()
    try:
        evidence = collector.collect(ctx)
    except Exception as err:  # a collector bug must not stop the run; it is reported instead
        trace = ctx.work_dir(kind) / "traceback.txt"
        trace.write_text(traceback.format_exc(), encoding="utf-8")
        reason = f"{type(err).__name__}: {err} (traceback in {trace.relative_to(ctx.run_dir)})"
        evidence = error_evidence(kind, reason)
    return write_evidence(evidence, round(time.monotonic() - start, 3), ctx.evidence_path(kind))
