"""The run's static analysis: list, look up in the cache, analyse the rest in parallel, stream to disk.

The three collectors run in separate notebook kernels, possibly at the same time. Whichever asks
first does the analysis while holding a lock on the run's ``raw/static`` folder; the others wait
for it and read its result, so the work is done once per run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assess._files import atomic_write_text
from assess.collectors import CollectContext
from assess.collectors.listing import Listing, list_files
from assess.model import Model
from assess.model.patterns import read_scan
from assess.static.cache import Cache, entry_key
from assess.static.pool import analyse_paths, default_jobs
from assess.static.record import LINES, SCAN_GROUP, FileAnalysis, join_groups, record_lines
from assess.static.worker import OPTIONS, crashed_record, digest_of, read_file

FOLDER = "static"
PARTS = {"inventory": (0, 1), "complexity": (0, 2), "patterns": (0, 3)}
"""The groups of a record (:data:`assess.static.record.GROUPS`) each collector reads."""


class StaticSummary(Model):
    """How the run's static analysis went; written beside the records."""

    listing: str
    """``git`` or ``walk``."""
    files: int
    listing_skipped: tuple[str, ...] = ()
    """Entries the listing left out: symlinks (which may lead outside the target), special files."""
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
    """Of the target's files when they were analysed (names, sizes, modification times)."""


@dataclass(frozen=True)
class StaticAnalysis:
    """The run's static analysis: its summary and, streamed from disk, its records."""

    folder: Path
    summary: StaticSummary

    def records(self, part: str | None = None) -> Iterator[FileAnalysis]:
        """Every record, or with ``part`` (a collector's kind) only the groups of fields that collector reads:
        the others (sites, above all) are then neither parsed nor built."""
        groups = PARTS.get(part or "", range(LINES))
        with (self.folder / "files.jsonl").open(encoding="utf-8") as fh:
            for lines in zip(*[fh] * LINES, strict=True):  # a record's lines, one group per line
                if groups[-1] != SCAN_GROUP:
                    yield FileAnalysis.model_validate_json(join_groups([lines[g] for g in groups]))
                    continue
                record = FileAnalysis.model_validate_json(join_groups([lines[g] for g in groups[:-1]]))
                yield record.model_copy(update=read_scan(lines[SCAN_GROUP]))


def analyse(
    root: Path, listing: Listing, out: Path, *, jobs: int | None = None, cache: Cache | None = None
) -> StaticSummary:
    """Analyse every listed file, writing one JSON record per line to ``out``; the summary."""
    start = time.monotonic()
    jobs = jobs or default_jobs()
    unreadable: list[str] = []
    crashed: list[str] = []
    pool_warnings: list[str] = []
    with out.open("w", encoding="utf-8") as fh:
        keys = _keys(root, listing.paths, unreadable) if cache is not None else {}
        misses = []
        for rel in listing.paths:
            record = cache.get(keys[rel][0]) if cache is not None and rel in keys else None
            if record is not None:
                fh.write(record + "\n")
            elif cache is None or rel in keys:
                misses.append(rel)
        for rel, outcome in analyse_paths(root, misses, jobs, pool_warnings):
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
    return StaticSummary(
        listing=listing.method,
        files=len(listing.paths),
        listing_skipped=listing.skipped,
        unreadable=tuple(sorted(unreadable)),
        crashed=tuple(sorted(crashed)),
        warnings=(*_warnings(listing, unreadable, crashed, cache), *pool_warnings),
        excluded=len(listing.excluded),
        jobs=jobs,
        seconds=round(time.monotonic() - start, 3),
        **_cache_figures(cache),
    )


def _keys(root: Path, paths: Iterable[str], unreadable: list[str]) -> dict[str, tuple[str, str]]:
    """Path -> (cache key, the content digest it was made from), for each file that can be read."""
    keys = {}
    for rel in paths:
        try:
            size, data, whole = read_file(root / rel)
        except OSError:
            unreadable.append(rel)
            continue
        digest = digest_of(size, data, whole)
        keys[rel] = (entry_key(rel, digest, OPTIONS), digest)
    return keys


def _warnings(listing: Listing, unreadable: list[str], crashed: list[str], cache: Cache | None) -> list[str]:
    warnings = list(listing.warnings)
    if unreadable:
        warnings.append(f"{len(unreadable)} listed file(s) could not be read: {_some(sorted(unreadable))}")
    if crashed:
        warnings.append(f"{len(crashed)} file(s) killed the analysing process and are not analysed: {_some(crashed)}")
    if cache is not None and cache.write_error:
        warnings.append(cache.write_error)
    if cache is not None and cache.ignored:
        warnings.append(f"{cache.ignored} cache entries could not be trusted and were recomputed")
    return warnings


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


def _run_options(ctx: CollectContext) -> dict[str, Any]:
    params = ctx.params
    return {"jobs": params.jobs, "cache": Cache(Path(params.cache_dir)) if params.cache_dir else None}


def shared_analysis(ctx: CollectContext) -> StaticAnalysis:
    """The run's static analysis, done now unless another collector of this run has done it on the
    target as it is (same files, sizes and modification times)."""
    folder = ctx.work_dir(FOLDER)
    summary_file = folder / "summary.json"
    with (folder / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, even if this process dies
        listing = list_files(ctx.target)
        fingerprint = _fingerprint(listing)
        with contextlib.suppress(ValueError, OSError):
            done = StaticSummary.model_validate_json(summary_file.read_text("utf-8"))
            if done.fingerprint == fingerprint:
                return StaticAnalysis(folder, done)
        tmp = folder / "files.jsonl.partial"
        summary = analyse(ctx.target, listing, tmp, **_run_options(ctx))
        summary = summary.model_copy(update={"fingerprint": fingerprint})
        tmp.replace(folder / "files.jsonl")
        atomic_write_text(summary_file, summary.model_dump_json(indent=1))
        return StaticAnalysis(folder, summary)


def _fingerprint(listing: Listing) -> str:
    """sha256 over the listed files' names, sizes and modification times (as the listing saw them): the
    target as it is now."""
    h = hashlib.sha256(listing.method.encode())
    for rel in listing.paths:
        size, mtime = listing.stats.get(rel, (-1, -1))
        h.update(f"\0{rel}\0{size}\0{mtime}".encode())
    return h.hexdigest()
