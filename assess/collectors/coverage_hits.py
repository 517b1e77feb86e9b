"""One file's line and branch hits as a coverage report gives them, merged across reports, and made into
coverage.py's counts: shared by the readers of each format (coverage.py's JSON and data file in
:mod:`assess.collectors.coverage_ingest`, :mod:`assess.collectors.cobertura`, :mod:`assess.collectors.lcov`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assess.collectors.coverage_json import counts_from_sums
from assess.model import CoverageCounts, FileCoverage, RegionCoverage
from assess.model.coverage import ReportSource

MiB = 1024 * 1024
MAX_COVERAGE_ENTRIES = 150_000
"""Reports with more files, plus functions and classes where the report has them, are refused:
each becomes a model of about 2.2 KB (:class:`FileCoverage`, :class:`RegionCoverage`) however few
bytes it took (a file of one line in LCOV: 25 bytes, 93 bytes of memory a byte measured), so this
bounds them to about 330 MB, 0.5 GB at most with the rest of such a report. With a format's
densest lines beside them, the worst report stays about 1 GiB. A codebase of a million statements
has some 10,000 files and 100,000 functions and classes. The readers look it up here when they read
(``coverage_hits.MAX_COVERAGE_ENTRIES``), so one change (a test, bench_reports.py's ``--ignore-caps``)
applies to every format."""


class CoverageReportError(ValueError):
    """A coverage report is missing, unreadable, malformed or in a format assess cannot read."""


def first_line(err: BaseException) -> str:
    """``err`` as one short line (pydantic's messages span several)."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0][:200] if lines else ''}"


@dataclass(slots=True)
class LineBranches:
    """The branches leaving one line. ``scheme`` says how they are named: for coverage.py's and
    LCOV's, ``taken`` maps each name to whether it was taken; ``count`` (Cobertura's
    ``condition-coverage``) knows only how many there are and how many were taken, in ``counted``
    (a line may claim thousands: they are not made one by one)."""

    scheme: str
    taken: dict[str, bool]
    counted: tuple[int, int] = (0, 0)
    """(branches, taken), for the ``count`` scheme."""

    @property
    def total(self) -> int:
        return self.counted[0] if self.scheme == "count" else len(self.taken)

    @property
    def covered(self) -> int:
        return self.counted[1] if self.scheme == "count" else sum(self.taken.values())


@dataclass
class Hits:
    """One file's line and branch hits, in a form that merges across reports."""

    lines: dict[int, bool] = field(default_factory=dict)
    branches: dict[int, LineBranches] = field(default_factory=dict)
    missing_branches: set[tuple[int, int]] = field(default_factory=set)
    excluded: int = 0

    def cover(self, line: int, hit: bool) -> None:
        self.lines[line] = self.lines.get(line, False) or hit

    def add_branches(self, line: int, incoming: LineBranches) -> None:
        mine = self.branches.get(line)
        if mine is None:
            self.branches[line] = LineBranches(incoming.scheme, dict(incoming.taken), incoming.counted)
        elif mine.scheme == incoming.scheme and mine.scheme != "count":
            for name, taken in incoming.taken.items():
                mine.taken[name] = mine.taken.get(name, False) or taken
        else:
            total = max(mine.total, incoming.total)
            self.branches[line] = counted(total, min(total, max(mine.covered, incoming.covered)))

    def merge(self, other: Hits) -> None:
        for line, hit in other.lines.items():
            self.cover(line, hit)
        for line, branches in other.branches.items():
            self.add_branches(line, branches)
        self.missing_branches |= other.missing_branches
        self.excluded = max(self.excluded, other.excluded)


def counted(total: int, covered: int) -> LineBranches:
    """Branches known only by count (Cobertura's ``condition-coverage``); ``covered`` is at most ``total``."""
    return LineBranches("count", {}, (total, covered))


def counts(hits: Hits, branch: bool, lines: Iterable[int] | None = None) -> CoverageCounts:
    """coverage.py's counts for ``hits`` (restricted to ``lines`` when given)."""
    # per region, only the region's lines are looked at: a file's regions must not cost lines x regions
    wanted = hits.lines.keys() if lines is None else {n for n in lines if n in hits.lines}
    covered = sum(1 for n in wanted if hits.lines[n])
    if not branch:
        return counts_from_sums(len(wanted), covered, hits.excluded if lines is None else 0)
    per_line = [(n, hits.branches[n]) for n in wanted if n in hits.branches]
    return counts_from_sums(
        statements=len(wanted),
        covered=covered,
        excluded=hits.excluded if lines is None else 0,
        branches=sum(b.total for _, b in per_line),
        covered_branches=sum(b.covered for _, b in per_line),
        # coverage.py: a partial branch is a line that ran but did not take all its branches
        partial=sum(1 for n, b in per_line if hits.lines[n] and b.covered < b.total),
    )


def file_coverage(path: str, hits: Hits, branch: bool, regions: tuple[RegionCoverage, ...] = ()) -> FileCoverage:
    return FileCoverage(
        path=path,
        counts=counts(hits, branch),
        executed_lines=tuple(sorted(n for n, hit in hits.lines.items() if hit)),
        missing_lines=tuple(sorted(n for n, hit in hits.lines.items() if not hit)),
        missing_branches=tuple(sorted(hits.missing_branches)),
        regions=regions,
    )


@dataclass
class Report:
    """One report read: its files (coverage as the report says, and hits for merging)."""

    source: ReportSource
    branch: bool
    files: dict[str, tuple[FileCoverage, Hits | None]] = field(default_factory=dict)
    """Hits are None when the report is read alone: nothing is merged, and they cost more than the coverage."""
    dropped: set[str] = field(default_factory=set)
    totals: CoverageCounts | None = None
    """coverage.py's own totals, for its JSON report and data file."""
