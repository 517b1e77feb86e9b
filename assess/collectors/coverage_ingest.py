"""Read existing coverage reports into the coverage model, instead of running the tests.

Formats are recognised by content: coverage.py's data file (SQLite) and JSON report, Cobertura
XML and LCOV. A coverage.py JSON report is copied through :mod:`assess.collectors.coverage_json`,
so a single report gives exactly coverage.py's numbers; the other formats are counted the way
coverage.py counts (statements listed, lines with hits, branch destinations).

Several reports are merged per file: a line is covered when any report covers it, and a branch
when any report takes it. Branches merge exactly when the reports name them the same way
(coverage.py JSON or data: from/to lines; LCOV: block and branch). Cobertura only counts them per
line, and formats that name branches differently cannot be matched, so in those cases the merged
line keeps the larger count of branches and of taken branches (a lower bound of the union).

Anything unreadable raises :class:`CoverageReportError` with a one-line message naming the file.
"""

from __future__ import annotations

import bisect
import json
import math
import posixpath
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree.ElementTree import Element

from assess._xml import ParseError, XmlRefused, parse_xml
from assess.collectors.coverage_json import (
    counts_from_sums,
    files_from_report,
    relative_path,
    sum_counts,
    totals_from_report,
)
from assess.model import CoverageCounts, CoverageData, FileCoverage, RegionCoverage
from assess.model.coverage import ReportSource

MAX_REPORT_BYTES = 256 * 1024 * 1024
MAX_BRANCHES_PER_LINE = 10_000
"""Cobertura's ``condition-coverage`` claims above this are refused rather than expanded."""
DATA_FILE_TIMEOUT_S = 300.0
"""How long coverage.py may take to analyse a data file."""

Format = Literal["coverage.py-data", "coverage.py-json", "cobertura", "lcov"]
SQLITE_MAGIC = b"SQLite format 3\x00"


class CoverageReportError(ValueError):
    """A coverage report is missing, unreadable, malformed or in a format assess cannot read."""


def _first_line(err: BaseException) -> str:
    """``err`` as one short line (pydantic's messages span several)."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0][:200] if lines else ''}"


@dataclass
class _LineBranches:
    """The branches leaving one line: branch name -> taken. ``scheme`` says how they are named."""

    scheme: str
    taken: dict[str, bool]


@dataclass
class _Hits:
    """One file's line and branch hits, in a form that merges across reports."""

    lines: dict[int, bool] = field(default_factory=dict)
    branches: dict[int, _LineBranches] = field(default_factory=dict)
    missing_branches: set[tuple[int, int]] = field(default_factory=set)
    excluded: int = 0

    def cover(self, line: int, hit: bool) -> None:
        self.lines[line] = self.lines.get(line, False) or hit

    def add_branches(self, line: int, incoming: _LineBranches) -> None:
        mine = self.branches.get(line)
        if mine is None:
            self.branches[line] = _LineBranches(incoming.scheme, dict(incoming.taken))
        elif mine.scheme == incoming.scheme and mine.scheme != "count":
            for name, taken in incoming.taken.items():
                mine.taken[name] = mine.taken.get(name, False) or taken
        else:
            total = max(len(mine.taken), len(incoming.taken))
            covered = min(total, max(sum(mine.taken.values()), sum(incoming.taken.values())))
            self.branches[line] = _counted(total, covered)

    def merge(self, other: _Hits) -> None:
        for line, hit in other.lines.items():
            self.cover(line, hit)
        for line, branches in other.branches.items():
            self.add_branches(line, branches)
        self.missing_branches |= other.missing_branches
        self.excluded = max(self.excluded, other.excluded)


def _counted(total: int, covered: int) -> _LineBranches:
    """Branches known only by count (Cobertura's ``condition-coverage``)."""
    return _LineBranches("count", {str(i): i < covered for i in range(total)})


def _counts(hits: _Hits, branch: bool, lines: Iterable[int] | None = None) -> CoverageCounts:
    """coverage.py's counts for ``hits`` (restricted to ``lines`` when given)."""
    # per region, only the region's lines are looked at: a file's regions must not cost lines x regions
    wanted = set(hits.lines) if lines is None else {n for n in lines if n in hits.lines}
    covered = sum(1 for n in wanted if hits.lines[n])
    if not branch:
        return counts_from_sums(len(wanted), covered, hits.excluded if lines is None else 0)
    per_line = [(n, hits.branches[n].taken) for n in wanted if n in hits.branches]
    return counts_from_sums(
        statements=len(wanted),
        covered=covered,
        excluded=hits.excluded if lines is None else 0,
        branches=sum(len(t) for _, t in per_line),
        covered_branches=sum(sum(t.values()) for _, t in per_line),
        # coverage.py: a partial branch is a line that ran but did not take all its branches
        partial=sum(1 for n, t in per_line if hits.lines[n] and not all(t.values())),
    )


def _file_coverage(path: str, hits: _Hits, branch: bool, regions: tuple[RegionCoverage, ...] = ()) -> FileCoverage:
    return FileCoverage(
        path=path,
        counts=_counts(hits, branch),
        executed_lines=tuple(sorted(n for n, hit in hits.lines.items() if hit)),
        missing_lines=tuple(sorted(n for n, hit in hits.lines.items() if not hit)),
        missing_branches=tuple(sorted(hits.missing_branches)),
        regions=regions,
    )


@dataclass
class _Report:
    """One report read: its files (coverage as the report says, and hits for merging)."""

    source: ReportSource
    branch: bool
    files: dict[str, tuple[FileCoverage, _Hits]] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    totals: CoverageCounts | None = None
    """coverage.py's own totals, for its JSON report and data file."""


# --- coverage.py JSON report and data file ---------------------------------------------------


def _json_hits(entry: Mapping[str, Any]) -> _Hits:
    hits = _Hits(excluded=int(entry["summary"].get("excluded_lines", 0)))
    for line in entry.get("executed_lines", ()):
        hits.cover(int(line), True)
    for line in entry.get("missing_lines", ()):
        hits.cover(int(line), False)
    arcs = [(a, True) for a in entry.get("executed_branches", ())] + [
        (a, False) for a in entry.get("missing_branches", ())
    ]
    for (src, dst), taken in arcs:
        hits.add_branches(int(src), _LineBranches("coverage.py", {str(dst): taken}))
    hits.missing_branches = {(int(a), int(b)) for a, b in entry.get("missing_branches", ())}
    return hits


def _from_json_report(report: Any, source: ReportSource, target: Path, keep: Callable[[str], bool]) -> _Report:
    name = source.path
    if not (isinstance(report, dict) and isinstance(report.get("meta"), dict) and "format" in report["meta"]):
        raise CoverageReportError(f"{name}: JSON but not a coverage.py JSON report (no meta.format)")
    if not isinstance(report.get("files"), dict) or not isinstance(report.get("totals"), dict):
        raise CoverageReportError(f"{name}: coverage.py JSON report without 'files' and 'totals'")
    try:
        kept, _ = files_from_report(report, target, keep)
        result = _Report(source, bool(report["meta"].get("branch_coverage", False)), totals=totals_from_report(report))
        entries: dict[str, Any] = {}
        for path, entry in report["files"].items():
            rel = relative_path(path, target)
            if rel is None or not keep(rel):
                result.dropped.add(rel or path)
            else:
                entries[rel] = entry
        result.files = {f.path: (f, _json_hits(entries[f.path])) for f in kept}
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as err:
        raise CoverageReportError(f"{name}: malformed coverage.py JSON report ({_first_line(err)})") from err
    return result


def _finite(text: str) -> float:
    """A JSON number that must be finite (coverage.py never writes NaN, Infinity or 1e999)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is not finite")
    return value


def _read_json(path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool]) -> _Report:
    try:
        report = json.loads(path.read_bytes(), parse_float=_finite, parse_constant=_finite)
    except RecursionError:
        raise CoverageReportError(f"{source.path}: not a coverage.py JSON report (nested too deeply)") from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, non-finite numbers
        raise CoverageReportError(f"{source.path}: not valid JSON ({_first_line(err)})") from err
    return _from_json_report(report, source, target, keep)


# The data file is analysed in a child process with the target as its folder: coverage.py reports
# names relative to the process's folder (a global it sets), and data written with relative_files
# only resolves from there. -I keeps a module in the target from shadowing coverage itself.
_JSON_FROM_DATA = """
import sys
import coverage
from coverage.exceptions import CoverageException
cov = coverage.Coverage(data_file=sys.argv[1], config_file=False)
try:
    cov.load()
    cov.json_report(outfile=sys.argv[2])
except CoverageException as err:
    sys.stderr.write(f"{type(err).__name__}: {err}\\n")
    sys.exit(3)
"""


def _read_data_file(path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool]) -> _Report:
    with tempfile.TemporaryDirectory(prefix="assess-coverage-") as tmp:
        out = Path(tmp) / "coverage.json"
        cmd = [sys.executable, "-I", "-c", _JSON_FROM_DATA, str(path.resolve()), str(out)]
        try:
            proc = subprocess.run(cmd, cwd=target, capture_output=True, timeout=DATA_FILE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as err:
            raise CoverageReportError(f"{path}: coverage.py took over {DATA_FILE_TIMEOUT_S:.0f} s to read it") from err
        except OSError as err:
            raise CoverageReportError(f"{path}: cannot start coverage.py in {target} ({err.strerror or err})") from err
        if proc.returncode != 0:
            lines = proc.stderr.decode("utf-8", errors="replace").strip().splitlines() or ["no message"]
            hint = " (the measured source files must exist)" if lines[-1].startswith("NoSource") else ""
            raise CoverageReportError(f"{path}: coverage.py cannot read this data file: {lines[-1]}{hint}")
        return _read_json(out, source, target, keep)


# --- Cobertura XML ------------------------------------------------------------------------------

_CONDITION = re.compile(r"\((\d+)/(\d+)\)")


def _parse_xml(path: Path) -> Element:
    try:
        return parse_xml(path)
    except XmlRefused as err:
        raise CoverageReportError(f"{path}: XML with entity or DTD tricks refused ({type(err).__name__})") from err
    except ParseError as err:
        raise CoverageReportError(f"{path}: not well-formed XML ({err})") from err
    except OSError as err:
        raise CoverageReportError(f"{path}: cannot read ({err.strerror or err})") from err


def _resolve_cobertura(filename: str, sources: list[str], target: Path) -> str | None:
    """The file's path relative to the target, trying each ``<source>``; None if outside."""
    if Path(filename).is_absolute():
        return relative_path(filename, target)
    joined = [Path(s) / filename for s in sources]
    candidates = [p if p.is_absolute() else target / p for p in joined] + [target / filename]
    for candidate in candidates:
        try:
            found = candidate.is_file()
        except (OSError, ValueError):  # a name too long for the file system, or with a NUL
            found = False
        if found:
            return relative_path(str(candidate), target)
    # Nothing on disk (a report from another machine): the name is taken as relative to the target.
    rel = posixpath.normpath(Path(filename).as_posix())
    return None if rel == ".." or rel.startswith("../") else rel


def _cobertura_line(line: Element, hits: _Hits, report: Path) -> None:
    try:
        number = int(line.attrib["number"])
        count = float(line.attrib.get("hits", "0"))
        if not math.isfinite(count):
            raise ValueError(f"hits={line.attrib['hits'][:40]!r}")
    except (KeyError, ValueError) as err:
        raise CoverageReportError(f"{report}: <line> without a valid number and hits ({_first_line(err)})") from err
    hits.cover(number, count >= 1)
    match = _CONDITION.search(line.attrib.get("condition-coverage", ""))
    if line.attrib.get("branch") == "true" and match:
        covered, total = int(match.group(1)), int(match.group(2))
        if total > MAX_BRANCHES_PER_LINE:
            raise CoverageReportError(f"{report}: line {number} claims {total} branches (over {MAX_BRANCHES_PER_LINE})")
        hits.add_branches(number, _counted(total, min(covered, total)))
        # coverage.py adds the destinations it missed; other tools do not
        for dest in filter(None, line.attrib.get("missing-branches", "").split(",")):
            if dest.strip().lstrip("-").isdigit():
                hits.missing_branches.add((number, int(dest)))


def _read_cobertura(
    root: Element, path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool]
) -> _Report:
    sources = [s.text.strip() for s in root.iter("source") if s.text and s.text.strip()]
    by_file: dict[str, _Hits] = {}
    report = _Report(source, branch=False)
    for cls in root.iter("class"):
        filename = cls.attrib.get("filename")
        if not filename:
            raise CoverageReportError(f"{path}: <class> without a filename")
        rel = _resolve_cobertura(filename, sources, target)
        if rel is None or not keep(rel):
            report.dropped.add(rel or filename)
            continue
        hits = by_file.setdefault(rel, _Hits())
        for line in cls.findall("lines/line"):
            _cobertura_line(line, hits, path)
    report.branch = any(h.branches for h in by_file.values())
    report.files = {rel: (_file_coverage(rel, h, report.branch), h) for rel, h in by_file.items()}
    return report


# --- LCOV ---------------------------------------------------------------------------------------


@dataclass
class _LcovRecord:
    name: str
    hits: _Hits = field(default_factory=_Hits)
    functions: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    """Function name -> (first line, last line if given)."""


def _lcov_ints(value: str, n: int, where: str) -> list[int]:
    """The first ``n`` comma-separated integers of ``value`` (LCOV may append more, e.g. a checksum)."""
    parts = value.split(",")
    try:
        if len(parts) < n:
            raise ValueError(value)
        return [int(p) for p in parts[:n]]
    except ValueError as err:
        raise CoverageReportError(f"{where}: expected {n} numbers, got {value!r}") from err


def _lcov_line(record: _LcovRecord, key: str, value: str, where: str) -> None:
    if key == "DA":
        line, count = _lcov_ints(value, 2, where)
        record.hits.cover(line, count > 0)
    elif key == "BRDA":
        parts = value.split(",", 2)
        if len(parts) < 3 or "," not in parts[2]:
            raise CoverageReportError(f"{where}: BRDA needs line,block,branch,taken; got {value!r}")
        line = _lcov_ints(parts[0], 1, where)[0]
        name, taken = parts[1] + "," + parts[2].rsplit(",", 1)[0], parts[2].rsplit(",", 1)[1]
        count = 0 if taken.strip() == "-" else _lcov_ints(taken, 1, where)[0]
        record.hits.add_branches(line, _LineBranches("lcov", {name: count > 0}))
    elif key == "FN":
        # lcov 1: FN:first,name; lcov 2 and coverage.py: FN:first,last,name (names may hold commas)
        parts = value.split(",", 2)
        if len(parts) < 2 or not parts[-1]:
            raise CoverageReportError(f"{where}: FN needs line[,end],name; got {value!r}")
        first = _lcov_ints(parts[0], 1, where)[0]
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
                counts=_counts(record.hits, branch, span),
                missing_lines=tuple(sorted(n for n in span if not record.hits.lines[n])),
            )
        )
    return tuple(regions)


_LCOV_KEY = re.compile(r"^([A-Z][A-Z0-9_]*):(.*)$")


def _lcov_records(path: Path, text: str) -> list[_LcovRecord]:
    records: list[_LcovRecord] = []
    current: _LcovRecord | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{path}, line {number}"
        if not line:
            continue
        if line == "end_of_record":
            if current is None:
                raise CoverageReportError(f"{where}: end_of_record outside a record")
            records.append(current)
            current = None
            continue
        match = _LCOV_KEY.match(line)
        if match is None:
            raise CoverageReportError(f"{where}: not an LCOV line: {line[:80]!r}")
        key, value = match.groups()
        if key == "SF":
            if current is not None:
                raise CoverageReportError(f"{where}: SF inside the record for {current.name} (end_of_record missing)")
            current = _LcovRecord(value.strip())
        elif key in ("DA", "BRDA", "FN"):
            if current is None:
                raise CoverageReportError(f"{where}: {key} outside a record (no SF before it)")
            _lcov_line(current, key, value, where)
        # other keys (TN, VER, FNDA, FNF, LF, BRF ...) are totals or metadata that are recomputed
    if current is not None:
        raise CoverageReportError(f"{path}: the record for {current.name} has no end_of_record (file truncated?)")
    return records


def _read_lcov(path: Path, text: str, source: ReportSource, target: Path, keep: Callable[[str], bool]) -> _Report:
    records = _lcov_records(path, text)
    report = _Report(source, branch=any(r.hits.branches for r in records))
    merged: dict[str, _LcovRecord] = {}
    for record in records:
        rel = relative_path(record.name, target)
        if rel is None or not keep(rel):
            report.dropped.add(rel or record.name)
        elif rel in merged:
            merged[rel].hits.merge(record.hits)
            merged[rel].functions.update(record.functions)
        else:
            merged[rel] = record
    for rel, record in merged.items():
        cov = _file_coverage(rel, record.hits, report.branch, _lcov_regions(record, report.branch))
        report.files[rel] = (cov, record.hits)
    return report


# --- detection and merging ----------------------------------------------------------------------


def _read_report(path: Path, target: Path, keep: Callable[[str], bool]) -> _Report:
    """Read one report of any supported format, recognised by its content."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise CoverageReportError(f"{path}: {size} bytes, over the {MAX_REPORT_BYTES} byte limit for a report")
        with path.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError as err:
        raise CoverageReportError(f"{path}: no such file") from err
    except OSError as err:
        raise CoverageReportError(f"{path}: cannot read ({err.strerror or err})") from err

    def source(fmt: Format) -> ReportSource:
        return ReportSource(path=str(path), format=fmt)

    if head.startswith(SQLITE_MAGIC):
        return _read_data_file(path, source("coverage.py-data"), target, keep)
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise CoverageReportError(f"{path}: the file is empty")
    if start.startswith(b"{"):
        return _read_json(path, source("coverage.py-json"), target, keep)
    if start.startswith(b"<"):
        root = _parse_xml(path)
        if root.tag != "coverage" or root.find("packages") is None:
            raise CoverageReportError(f"{path}: XML but not a Cobertura report (root element <{root.tag}>)")
        return _read_cobertura(root, path, source("cobertura"), target, keep)
    if re.match(rb"(TN|SF|VER):", start):
        text = path.read_bytes().decode("utf-8", errors="replace")
        return _read_lcov(path, text, source("lcov"), target, keep)
    raise CoverageReportError(
        f"{path}: unknown format (expected a coverage.py data file or JSON report, Cobertura XML or LCOV)"
    )


def _merge(reports: list[_Report], branch: bool) -> tuple[FileCoverage, ...]:
    seen: dict[str, list[tuple[_Report, FileCoverage, _Hits]]] = {}
    for report in reports:
        for rel, (cov, hits) in report.files.items():
            seen.setdefault(rel, []).append((report, cov, hits))
    files = []
    for rel, parts in sorted(seen.items()):
        if len(parts) == 1 and parts[0][0].branch == branch:
            files.append(parts[0][1])  # as the report says, regions included
            continue
        hits = _Hits()
        for _, _, part in parts:
            hits.merge(part)
        files.append(_file_coverage(rel, hits, branch))
    return tuple(files)


def ingest_reports(paths: Sequence[Path], target: Path, keep: Callable[[str], bool]) -> CoverageData:
    """Coverage of ``target`` from existing reports; ``keep(relpath)`` decides the measured set.

    Files outside the target or not kept are left out and counted in ``omitted_files``.
    Totals are coverage.py's own for a single coverage.py report with nothing left out, and
    re-summed otherwise. Raises :class:`CoverageReportError` for a missing, oversized,
    malformed or unknown report.
    """
    if not paths:
        raise CoverageReportError("no coverage reports given")
    reports = [_read_report(Path(p), target, keep) for p in paths]
    branch = any(r.branch for r in reports)
    files = _merge(reports, branch)
    dropped = set[str]().union(*(r.dropped for r in reports)) - {f.path for f in files}
    only = reports[0]
    if len(reports) == 1 and only.totals is not None and not dropped:
        totals = only.totals
    else:
        totals = sum_counts([f.counts for f in files], branch)
    return CoverageData(
        origin="ingest",
        branch=branch,
        totals=totals,
        files=files,
        reports=tuple(r.source for r in reports),
        omitted_files=len(dropped),
    )
