"""The run's static analysis: list, look up in the cache, analyse the rest in parallel, stream to disk.

The three collectors run in separate notebook kernels, possibly at the same time. Whichever asks
first plans the analysis (lists the files and, with a cache, makes each file's key) while holding a
lock on the run's ``raw/static`` folder; the first to read records analyses the files, under the same
lock. The others wait for it and read its result, so the work is done once per run. A collector whose
evidence for this tree is in the evidence cache (:mod:`assess.static.memo`) reads no record at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import Field

from assess._files import atomic_write_text
from assess.collectors import CollectContext
from assess.collectors.listing import Listing, list_files
from assess.model import Evidence, Model, Status
from assess.model.patterns import read_scan
from assess.patterns import Read
from assess.static.cache import Cache, entry_key
from assess.static.memo import EvidenceMemo, tree_key
from assess.static.pool import analyse_paths, default_jobs
from assess.static.record import LINES, SCAN_GROUP, FileAnalysis, join_groups, record_lines
from assess.static.worker import OPTIONS, crashed_record, digest_of, read_file, vouched

FOLDER = "static"
E = TypeVar("E", bound=Evidence)
PARTS = {"inventory": (0, 1), "complexity": (0, 2), "patterns": (0, 3)}
"""The groups of a record (:data:`assess.static.record.GROUPS`) each collector reads."""


class StaticSummary(Model):
    """How the run's static analysis went; written beside the records."""

    listing: str
    """``git`` or ``walk``."""
    files: int
    listing_skipped: tuple[str, ...] = ()
    """Entries the listing left out: symlinks (which may lead outside the target), special files."""
    skipped_why: dict[str, str] = Field(default_factory=dict)
    """Path in ``listing_skipped`` -> why the listing left it out."""
    unreadable: tuple[str, ...] = ()
    """Listed files that could not be read."""
    crashed: tuple[str, ...] = ()
    """Files whose analysis killed its worker process; they are listed with an error."""
    warnings: tuple[str, ...] = ()
    excluded: int = 0
    jobs: int = 1
    cache_dir: str | None = None
    cache_hits: int = 0
    cache_misses: int = 0
    cache_ignored: int = 0
    """Entries found but not trusted (corrupt, truncated, another version's)."""
    seconds: float = 0.0
    fingerprint: str = ""
    """Of the target's files when they were listed (names, sizes, modification times)."""
    tree_key: str = ""
    """sha256 over the listing and every file's cache key (:func:`assess.static.memo.tree_key`); empty without
    a cache."""
    reusable: bool = False
    """Whether the collectors' evidence may be looked up in and stored to the evidence cache
    (:mod:`assess.static.memo`): there is a cache and nothing went wrong (no file unreadable, crashed or
    changed while it was analysed, no cache entry distrusted or unwritable)."""
    streamed: bool = False
    """Whether the records are in ``files.jsonl``. Files are analysed when a collector first reads records,
    which a collector whose evidence is in the evidence cache never does."""


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the run's static folder, released when the file is closed, even if this process dies."""
    with (folder / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@dataclass
class StaticAnalysis:
    """The run's static analysis: its summary and, streamed from disk, its records."""

    folder: Path
    summary: StaticSummary
    ctx: CollectContext | None = None
    """The run, to analyse the files when records are first read; None when they are in ``files.jsonl``."""

    def records(self, part: str | None = None) -> Iterator[FileAnalysis]:
        """Every record, or with ``part`` (a collector's kind) only the groups of fields that collector reads:
        the others (sites, above all) are then neither parsed nor built. The files are analysed first if no
        collector of the run has done so; :attr:`summary` then says how that went."""
        if not self.summary.streamed and self.ctx is not None:
            self.summary = _stream(self.ctx, self.folder)
        return self._read(PARTS.get(part or "", range(LINES)))

    def _read(self, groups: Sequence[int]) -> Iterator[FileAnalysis]:
        with (self.folder / "files.jsonl").open(encoding="utf-8") as fh:
            for lines in zip(*[fh] * LINES, strict=True):  # a record's lines, one group per line
                if groups[-1] != SCAN_GROUP:
                    yield FileAnalysis.model_validate_json(join_groups([lines[g] for g in groups]))
                    continue
                record = FileAnalysis.model_validate_json(join_groups([lines[g] for g in groups[:-1]]))
                yield record.model_copy(update=read_scan(lines[SCAN_GROUP]))

    def evidence(self, kind: str, compute: Callable[[], tuple[E, list[Read]]], read: Callable[[bytes], E]) -> E:
        """``kind``'s evidence from the evidence cache when this tree's is there, else from ``compute`` (which
        returns it with what the repository extractors read), then stored when the analysis allows it."""
        memo = _memo(self.ctx)
        if memo is not None and self.summary.reusable and self.ctx is not None:
            found = memo.get(kind, self.summary.tree_key, self.ctx.target, read)
            if found is not None:
                return cast(E, found)
        evidence, reads = compute()
        if memo is not None and self.summary.reusable and evidence.status is not Status.ERROR:
            memo.put(kind, self.summary.tree_key, evidence, reads)
        if memo is not None and memo.distrusted:
            note = (f"the evidence cache's entry for this tree could not be trusted (damaged, forged or signed with "
                    f"another key) and the {kind} evidence was recomputed")  # fmt: skip
            evidence = evidence.model_copy(update={"warnings": (*evidence.warnings, note)})
        return evidence


@dataclass(frozen=True)
class Plan:
    """What the analysis will do: each file's cache key, and what could not be read."""

    paths: tuple[str, ...]
    keys: dict[str, tuple[str, str]]
    """Path -> (cache key, the content digest it was made from); empty without a cache."""
    unreadable: tuple[str, ...]
    linked: frozenset[tuple[int, int]] = frozenset()
    """(device, inode) of the hard-linked files that may be read (:attr:`Listing.linked`)."""


def plan(root: Path, listing: Listing, cache: Cache | None) -> Plan:
    unreadable: list[str] = []
    keys = _keys(root, listing.paths, unreadable, listing.linked) if cache is not None else {}
    return Plan(listing.paths, keys, tuple(sorted(unreadable)), listing.linked)


def analyse(
    root: Path, listing: Listing, out: Path, *, jobs: int | None = None, cache: Cache | None = None
) -> StaticSummary:
    """Analyse every listed file, writing one JSON record per line to ``out``; the summary."""
    start = time.monotonic()
    todo = plan(root, listing, cache)
    summary = _planned(listing, todo, jobs or default_jobs(), cache)
    return _analyse(root, todo, out, summary, cache, start)


def _planned(listing: Listing, todo: Plan, jobs: int, cache: Cache | None) -> StaticSummary:
    facts = {"listing": listing.method, "skipped": listing.skipped, "excluded": listing.excluded,
             "warnings": listing.warnings, "unreadable": todo.unreadable}  # fmt: skip
    return StaticSummary(
        listing=listing.method,
        files=len(listing.paths),
        listing_skipped=listing.skipped,
        skipped_why=dict(listing.why_skipped),
        unreadable=todo.unreadable,
        warnings=(*listing.warnings, *_unreadable_warning(todo.unreadable)),
        excluded=len(listing.excluded),
        jobs=jobs,
        cache_dir=None if cache is None else str(cache.root),
        tree_key="" if cache is None else tree_key(facts, todo.keys),
        reusable=cache is not None and not todo.unreadable,
    )


def _analyse(
    root: Path, todo: Plan, out: Path, summary: StaticSummary, cache: Cache | None, start: float
) -> StaticSummary:
    """Write the records of the planned files to ``out``: from the cache, or analysed in ``summary.jobs``
    processes; the summary, completed."""
    keys = todo.keys
    unreadable: list[str] = []
    crashed: list[str] = []
    pool_warnings: list[str] = []
    changed = 0
    with out.open("w", encoding="utf-8") as fh:
        misses = []
        for rel in todo.paths:
            record = cache.get(keys[rel][0]) if cache is not None and rel in keys else None
            if record is not None:
                fh.write(record + "\n")
            elif cache is None or rel in keys:
                misses.append(rel)
        for rel, outcome in analyse_paths(root, misses, summary.jobs, pool_warnings, linked=todo.linked):
            if outcome is None:
                unreadable.append(rel)
            elif isinstance(outcome, str):
                crashed.append(rel)
                fh.write(record_lines(crashed_record(root, rel)) + "\n")
            else:
                fh.write(record_lines(outcome) + "\n")
                # cached only under the content it analysed: the file may have changed since its key was made
                if cache is not None and rel in keys and outcome.digest == keys[rel][1]:
                    cache.put(keys[rel][0], outcome)
                elif cache is not None:
                    changed += 1
    warnings = [*summary.warnings, *_unreadable_warning(unreadable)]
    if crashed:
        warnings.append(f"{len(crashed)} file(s) killed the analysing process and are not analysed: {_some(crashed)}")
    if cache is not None and cache.write_error:
        warnings.append(cache.write_error)
    if cache is not None and cache.ignored:
        warnings.append(f"{cache.ignored} cache entries could not be trusted and were recomputed")
    warnings.extend(pool_warnings)
    troubled = bool(unreadable or crashed or pool_warnings or changed) or (
        cache is not None and (cache.write_error is not None or cache.ignored > 0)
    )
    return summary.model_copy(update={
        "unreadable": tuple(sorted((*summary.unreadable, *unreadable))),
        "crashed": tuple(sorted(crashed)),
        "warnings": tuple(warnings),
        "seconds": round(summary.seconds + time.monotonic() - start, 3),
        "reusable": summary.reusable and not troubled,
        "streamed": True,
        **_cache_figures(cache),
    })  # fmt: skip


def _keys(
    root: Path, paths: Iterable[str], unreadable: list[str], linked: frozenset[tuple[int, int]]
) -> dict[str, tuple[str, str]]:
    """Path -> (cache key, the content digest it was made from), for each file that can be read."""
    keys = {}
    base, links = os.fspath(root), vouched(linked)
    for rel in paths:
        try:
            size, data, whole = read_file(base, rel, links)
        except OSError:
            unreadable.append(rel)
            continue
        digest = digest_of(size, data, whole)
        keys[rel] = (entry_key(rel, digest, OPTIONS), digest)
    return keys


def _unreadable_warning(unreadable: Sequence[str]) -> list[str]:
    if not unreadable:
        return []
    return [f"{len(unreadable)} listed file(s) could not be read: {_some(sorted(unreadable))}"]


def _some(paths: list[str], shown: int = 5) -> str:
    return ", ".join(paths[:shown]) + (" ..." if len(paths) > shown else "")


def _cache_figures(cache: Cache | None) -> dict[str, Any]:
    if cache is None:
        return {}
    return {"cache_dir": str(cache.root), "cache_hits": cache.hits, "cache_misses": cache.misses,
            "cache_ignored": cache.ignored}  # fmt: skip


def analyse_in_memory(
    root: Path, *, jobs: int = 1, cache: Cache | None = None
) -> tuple[list[FileAnalysis], StaticSummary]:
    """Analyse the target outside a run (tests, the API): every record, and the summary."""
    with tempfile.TemporaryDirectory(prefix="assess-static-") as tmp:
        summary = analyse(root, list_files(root), Path(tmp) / "files.jsonl", jobs=jobs, cache=cache)
        return list(StaticAnalysis(Path(tmp), summary).records()), summary


def _cache(ctx: CollectContext) -> Cache | None:
    return Cache(Path(ctx.params.cache_dir)) if ctx.params.cache_dir else None


def _memo(ctx: CollectContext | None) -> EvidenceMemo | None:
    return EvidenceMemo(Path(ctx.params.cache_dir)) if ctx is not None and ctx.params.cache_dir else None


def _read_summary(folder: Path) -> StaticSummary | None:
    try:
        return StaticSummary.model_validate_json((folder / "summary.json").read_text("utf-8"))
    except (ValueError, OSError):
        return None


def shared_analysis(ctx: CollectContext) -> StaticAnalysis:
    """The run's static analysis, planned now unless another collector of this run has planned it on the
    target as it is (same files, sizes and modification times). Planning lists the files and, with a cache,
    reads each to make its key; the files are analysed when a collector first reads the records."""
    folder = ctx.work_dir(FOLDER)
    with _locked(folder):
        start = time.monotonic()
        listing = list_files(ctx.target, ctx.leave_out)
        fingerprint = _fingerprint(listing)
        done = _read_summary(folder)
        if done is not None and done.fingerprint == fingerprint:
            return StaticAnalysis(folder, done, ctx)
        cache = _cache(ctx)
        todo = plan(ctx.target, listing, cache)
        summary = _planned(listing, todo, ctx.params.jobs or default_jobs(), cache)
        summary = summary.model_copy(update={"fingerprint": fingerprint, "seconds": round(time.monotonic() - start, 3)})
        (folder / "files.jsonl").unlink(missing_ok=True)
        plan_doc = {"paths": todo.paths, "keys": todo.keys, "unreadable": todo.unreadable,
                    "linked": sorted(todo.linked)}  # fmt: skip
        atomic_write_text(folder / "plan.json", json.dumps(plan_doc))
        atomic_write_text(folder / "summary.json", summary.model_dump_json(indent=1))
        return StaticAnalysis(folder, summary, ctx)


def _stream(ctx: CollectContext, folder: Path) -> StaticSummary:
    """Analyse the planned files into ``files.jsonl`` unless another collector has; the summary."""
    with _locked(folder):
        summary = _read_summary(folder)
        if summary is None:
            raise RuntimeError(f"the static analysis' summary in {folder} is missing or unreadable")
        if summary.streamed:
            return summary
        doc = json.loads((folder / "plan.json").read_text("utf-8"))
        todo = Plan(
            tuple(doc["paths"]),
            {k: (v[0], v[1]) for k, v in doc["keys"].items()},
            tuple(doc["unreadable"]),
            frozenset((int(dev), int(ino)) for dev, ino in doc["linked"]),
        )
        tmp = folder / "files.jsonl.partial"
        summary = _analyse(ctx.target, todo, tmp, summary, _cache(ctx), time.monotonic())
        tmp.replace(folder / "files.jsonl")
        atomic_write_text(folder / "summary.json", summary.model_dump_json(indent=1))
        return summary


def _fingerprint(listing: Listing) -> str:
    """sha256 over the listed files' names, sizes and modification times (as the listing saw them): the
    target as it is now."""
    h = hashlib.sha256(listing.method.encode())
    for rel in listing.paths:
        size, mtime = listing.stats.get(rel, (-1, -1))
        h.update(f"\0{rel}\0{size}\0{mtime}".encode())
    return h.hexdigest()
