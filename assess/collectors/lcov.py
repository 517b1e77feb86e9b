"""LCOV (lcov, istanbul, coverage.py's LCOV report), read a line at a time.

Records (``SF`` to ``end_of_record``) give line hits (``DA``), branches named by block and branch
(``BRDA``) and functions (``FN``), which become regions when their last line is given. Records of one
file merge. Anything unreadable raises :class:`CoverageReportError` naming the line.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from assess.collectors import coverage_hits
from assess.collectors.coverage_hits import CoverageReportError, Hits, LineBranches, Report, counts, file_coverage
from assess.collectors.coverage_json import relative_path
from assess.model import RegionCoverage
from assess.model.coverage import ReportSource


@dataclass
class _LcovRecord:
    name: str
    hits: Hits = field(default_factory=Hits)
    functions: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    """Function name -> (first line, last line if given)."""


class _LcovError(Exception):
    """A malformed LCOV line; the message says all but where."""


@dataclass
class _Interned:
    """One report's line numbers and branch names, each value made once and shared: they repeat
    from file to file, and every copy would cost 30 to 50 bytes for a few bytes of LCOV."""

    numbers: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def number(self, text: str) -> int:
        """``int(text)``; raises ValueError as int does."""
        value = self.numbers.get(text)
        if value is None:
            value = int(text)
            if len(self.numbers) < MAX_INTERNED:
                self.numbers[text] = value
        return value

    def name(self, text: str) -> str:
        if len(self.names) < MAX_INTERNED:
            return self.names.setdefault(text, text)
        return self.names.get(text, text)


MAX_INTERNED = 1 << 16
"""Values of each kind shared; beyond, new values are not (a hostile report has no repeats)."""


def _lcov_ints(value: str, n: int, interned: _Interned) -> list[int]:
    """The first ``n`` comma-separated integers of ``value`` (LCOV may append more, e.g. a checksum)."""
    parts = value.split(",")
    try:
        if len(parts) < n:
            raise ValueError(value)
        return [interned.number(p) for p in parts[:n]]
    except ValueError as err:
        raise _LcovError(f"expected {n} numbers, got {value!r}") from err


def _lcov_line(record: _LcovRecord, key: str, value: str, interned: _Interned) -> None:
    if key == "DA":
        line, count = _lcov_ints(value, 2, interned)
        record.hits.cover(line, count > 0)
    elif key == "BRDA":
        parts = value.split(",", 2)
        if len(parts) < 3 or "," not in parts[2]:
            raise _LcovError(f"BRDA needs line,block,branch,taken; got {value!r}")
        line = _lcov_ints(parts[0], 1, interned)[0]
        name, taken = parts[1] + "," + parts[2].rsplit(",", 1)[0], parts[2].rsplit(",", 1)[1]
        count = 0 if taken.strip() == "-" else _lcov_ints(taken, 1, interned)[0]
        record.hits.add_branches(line, LineBranches("lcov", {interned.name(name): count > 0}))
    elif key == "FN":
        _lcov_function(record, value, interned)


def _lcov_function(record: _LcovRecord, value: str, interned: _Interned) -> None:
    # lcov 1: FN:first,name; lcov 2 and coverage.py: FN:first,last,name (names may hold commas)
    parts = value.split(",", 2)
    if len(parts) < 2 or not parts[-1]:
        raise _LcovError(f"FN needs line[,end],name; got {value!r}")
    first = _lcov_ints(parts[0], 1, interned)[0]
    if len(record.functions) >= coverage_hits.MAX_COVERAGE_ENTRIES:
        raise _LcovError(f"more than {coverage_hits.MAX_COVERAGE_ENTRIES} functions in the record for {record.name}")
    if len(parts) == 3 and parts[1].strip().isdigit():
        record.functions[parts[2]] = (first, int(parts[1]))
    else:
        record.functions[value.split(",", 1)[1]] = (first, None)


def _lcov_regions(record: _LcovRecord, branch: bool) -> tuple[RegionCoverage, ...]:
    """Regions for functions whose last line is given (``FN:first,last,name``); nested defs count in both."""
    regions = []
    lines = sorted(record.hits.lines)
    for name, (first, last) in sorted(record.functions.items(), key=lambda kv: (kv[1][0], kv[0])):
        if last is None:
            continue
        span = lines[bisect.bisect_left(lines, first) : bisect.bisect_right(lines, last)]
        regions.append(
            RegionCoverage(
                name=name,
                kind="function",
                start_line=first,
                counts=counts(record.hits, branch, span),
                missing_lines=tuple(sorted(n for n in span if not record.hits.lines[n])),
            )
        )
    return tuple(regions)


_LCOV_KEY = re.compile(r"^([A-Z][A-Z0-9_]*):(.*)$")


def _lcov_step(
    current: _LcovRecord | None, line: str, interned: _Interned
) -> tuple[_LcovRecord | None, _LcovRecord | None]:
    """(the record open after ``line``, a non-blank line; the record it closed, if any)."""
    if line == "end_of_record":
        if current is None:
            raise _LcovError("end_of_record outside a record")
        return None, current
    match = _LCOV_KEY.match(line)
    if match is None:
        raise _LcovError(f"not an LCOV line: {line[:80]!r}")
    key, value = match.groups()
    if key == "SF":
        if current is not None:
            raise _LcovError(f"SF inside the record for {current.name} (end_of_record missing)")
        return _LcovRecord(value.strip()), None
    if key in ("DA", "BRDA", "FN"):
        if current is None:
            raise _LcovError(f"{key} outside a record (no SF before it)")
        _lcov_line(current, key, value, interned)
    # other keys (TN, VER, FNDA, FNF, LF, BRF ...) are totals or metadata that are recomputed
    return current, None


def _lcov_records(path: Path, lines: Iterable[str]) -> Iterator[_LcovRecord]:
    """Each record of the LCOV ``lines`` as soon as it is closed; raises CoverageReportError naming the line."""
    current: _LcovRecord | None = None
    interned = _Interned()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            current, closed = _lcov_step(current, line, interned)
        except _LcovError as err:
            raise CoverageReportError(f"{path}, line {number}: {err}") from err
        if closed is not None:
            yield closed
    if current is not None:
        raise CoverageReportError(f"{path}: the record for {current.name} has no end_of_record (file truncated?)")


def text_lines(fh: TextIO) -> Iterator[str]:
    """The lines of the text file ``fh``, cut where ``str.splitlines`` would cut its whole text.

    The file is read a line at a time; ``splitlines`` also cuts at \\v, \\f, \\x1c to \\x1e, \\x85,
    \\u2028 and \\u2029, which the file's own lines do not, so each line is cut again.
    """
    for line in fh:
        yield from line.splitlines()


def _merge_record(merged: dict[str, _LcovRecord], rel: str, record: _LcovRecord) -> None:
    if rel in merged:
        merged[rel].hits.merge(record.hits)
        merged[rel].functions.update(record.functions)
    else:
        merged[rel] = record


def read_lcov(path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool) -> Report:
    report = Report(source, branch=False)
    merged: dict[str, _LcovRecord] = {}
    entries = 0  # files and functions kept
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for record in _lcov_records(path, text_lines(fh)):
                report.branch = report.branch or bool(record.hits.branches)  # dropped records count too
                rel = relative_path(record.name, target)
                if rel is None or not keep(rel):
                    report.dropped.add(rel or record.name)
                    continue
                known = merged.get(rel)
                before = len(known.functions) if known else -1  # a new file is one entry more
                _merge_record(merged, rel, record)
                entries += len(merged[rel].functions) - before
                if entries > coverage_hits.MAX_COVERAGE_ENTRIES:
                    raise CoverageReportError(
                        f"{path}: more than {coverage_hits.MAX_COVERAGE_ENTRIES} files and functions"
                    )
    except OSError as err:
        raise CoverageReportError(f"{path}: cannot read ({err.strerror or err})") from err
    for rel in list(merged):  # each file's hits go once its coverage is made, unless they are to be merged
        record = merged.pop(rel)
        cov = file_coverage(rel, record.hits, report.branch, _lcov_regions(record, report.branch))
        report.files[rel] = (cov, record.hits if merging else None)
    return report
