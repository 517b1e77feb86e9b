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

Memory: Cobertura XML and LCOV are read a piece at a time, and only one file's hits (plus the
coverage already computed) are held; JSON has no streaming decoder, so its decoded size is
estimated from its text (:func:`assess._json.decoded_size`) and a document over budget is refused
undecoded. Each format has a size cap (:data:`MAX_FORMAT_BYTES`) that keeps the worst case under
about 1 GiB, checked before the file is read.
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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO
from xml.etree.ElementTree import Element

from assess._files import read_bounded
from assess._json import decoded_size
from assess._xml import ParseError, XmlRefused, walk_xml
from assess.collectors.coverage_json import (
    counts_from_sums,
    files_from_report,
    relative_path,
    sum_counts,
    totals_from_report,
)
from assess.model import CoverageCounts, CoverageData, FileCoverage, RegionCoverage
from assess.model.coverage import ReportSource

MiB = 1024 * 1024
Format = Literal["coverage.py-data", "coverage.py-json", "cobertura", "lcov"]

MAX_REPORT_BYTES = 256 * MiB
"""No report larger is opened, whatever its format. A coverage.py data file may be this large:
coverage.py reads it in its own process (62 MB at most for 200 MB of data, measured with
benchmarks/bench_reports.py), and the JSON report it writes from it is held to the JSON caps."""
MAX_FORMAT_BYTES: dict[Format, int] = {
    # Decoded whole, so MAX_JSON_DECODED_BYTES decides what is read; this bounds the text held
    # beside the document while it is decoded.
    "coverage.py-json": 64 * MiB,
    # Streamed: what stays is each file's hits, then its coverage. Measured at 2.4 bytes of memory
    # a byte of coverage.py's Cobertura, 3.2 for lines without whitespace and 5.3 for branch lines
    # without it (the worst): 128 MiB stays under 0.8 GB with the interpreter.
    "cobertura": 128 * MiB,
    # Streamed, but a line is 8 bytes (DA:12,1) where Cobertura takes 30. Measured at 8.8 bytes a
    # byte of coverage.py's LCOV, 7.2 for DA lines alone and 18.6 for BRDA lines alone, a branch
    # a line (the worst): 32 MiB stays under 0.7 GB.
    "lcov": 32 * MiB,
}
"""Per format, reports larger than this are refused unread; each comment says why."""
MAX_JSON_DECODED_BYTES = 448 * MiB
"""A JSON report whose decoded size (:func:`assess._json.decoded_size`, an estimate on the high
side) is larger is refused undecoded: hostile JSON takes up to 35 times its size. coverage.py's
JSON estimates at 11 bytes a byte and takes 8, so its reports are read up to about 43 MB (some
2 million statements with branches and function regions), at 0.4 GB."""
MAX_COVERAGE_ENTRIES = 150_000
"""Reports with more files, plus functions and classes where the report has them, are refused:
each becomes a model of about 2.2 KB (:class:`FileCoverage`, :class:`RegionCoverage`) however few
bytes it took (a file of one line in LCOV: 25 bytes, 93 bytes of memory a byte measured), so this
bounds them to about 330 MB, 0.5 GB at most with the rest of such a report. With a format's
densest lines beside them, the worst report stays about 1 GiB. A codebase of a million statements
has some 10,000 files and 100,000 functions and classes."""
MAX_BRANCHES_PER_LINE = 10_000
"""Cobertura's ``condition-coverage`` claims above this are refused rather than expanded."""
DATA_FILE_TIMEOUT_S = 300.0
"""How long coverage.py may take to analyse a data file."""
SQLITE_MAGIC = b"SQLite format 3\x00"


class CoverageReportError(ValueError):
    """A coverage report is missing, unreadable, malformed or in a format assess cannot read."""


def _first_line(err: BaseException) -> str:
    """``err`` as one short line (pydantic's messages span several)."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0][:200] if lines else ''}"


@dataclass(slots=True)
class _LineBranches:
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
            self.branches[line] = _LineBranches(incoming.scheme, dict(incoming.taken), incoming.counted)
        elif mine.scheme == incoming.scheme and mine.scheme != "count":
            for name, taken in incoming.taken.items():
                mine.taken[name] = mine.taken.get(name, False) or taken
        else:
            total = max(mine.total, incoming.total)
            self.branches[line] = _counted(total, min(total, max(mine.covered, incoming.covered)))

    def merge(self, other: _Hits) -> None:
        for line, hit in other.lines.items():
            self.cover(line, hit)
        for line, branches in other.branches.items():
            self.add_branches(line, branches)
        self.missing_branches |= other.missing_branches
        self.excluded = max(self.excluded, other.excluded)


def _counted(total: int, covered: int) -> _LineBranches:
    """Branches known only by count (Cobertura's ``condition-coverage``); ``covered`` is at most ``total``."""
    return _LineBranches("count", {}, (total, covered))


def _counts(hits: _Hits, branch: bool, lines: Iterable[int] | None = None) -> CoverageCounts:
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
    files: dict[str, tuple[FileCoverage, _Hits | None]] = field(default_factory=dict)
    """Hits are None when the report is read alone: nothing is merged, and they cost more than the coverage."""
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


def _json_entries(files: Mapping[str, Any]) -> int:
    """How many files, functions and classes a coverage.py JSON report's ``files`` holds."""
    total = len(files)
    for entry in files.values():
        if isinstance(entry, dict):
            total += sum(len(entry[key]) for key in ("functions", "classes") if isinstance(entry.get(key), dict))
    return total


def _from_json_report(
    report: Any, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool
) -> _Report:
    name = source.path
    if not (isinstance(report, dict) and isinstance(report.get("meta"), dict) and "format" in report["meta"]):
        raise CoverageReportError(f"{name}: JSON but not a coverage.py JSON report (no meta.format)")
    if not isinstance(report.get("files"), dict) or not isinstance(report.get("totals"), dict):
        raise CoverageReportError(f"{name}: coverage.py JSON report without 'files' and 'totals'")
    count = _json_entries(report["files"])
    if count > MAX_COVERAGE_ENTRIES:
        raise CoverageReportError(
            f"{name}: {count} files, functions and classes, over the {MAX_COVERAGE_ENTRIES} limit for a report"
        )
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
        for f in kept:
            hits = _json_hits(entries[f.path])  # made even when not kept: a malformed entry is refused either way
            result.files[f.path] = (f, hits if merging else None)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as err:
        raise CoverageReportError(f"{name}: malformed coverage.py JSON report ({_first_line(err)})") from err
    return result


def _finite(text: str) -> float:
    """A JSON number that must be finite (coverage.py never writes NaN, Infinity or 1e999)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is not finite")
    return value


def _json_text(path: Path, name: str) -> str:
    """The text of the JSON report at ``path``, decoded as json.loads decodes bytes.

    Raises CoverageReportError when the file is over its cap, cannot be read, is not in the
    encoding it looks like, or would take more than :data:`MAX_JSON_DECODED_BYTES` to decode.
    """
    cap = MAX_FORMAT_BYTES["coverage.py-json"]
    try:  # bounded by its size too: a read allocates all it may return (an empty size: /proc, a device)
        data = read_bounded(path, min(cap, path.stat().st_size) or cap)
    except OSError as err:  # FileTooLarge too: past the cap, or grown since its size was read
        raise CoverageReportError(f"{name}: cannot read ({err.strerror or err})") from err
    estimate = decoded_size(data)
    if estimate > MAX_JSON_DECODED_BYTES:
        raise CoverageReportError(
            f"{name}: {len(data)} bytes of JSON that would take about {estimate // MiB} MiB to decode, "
            f"over the {MAX_JSON_DECODED_BYTES // MiB} MiB limit; not decoded"
        )
    try:  # as json.loads(bytes) does, but here, so that the bytes are gone before the document is built
        return data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError as err:
        raise CoverageReportError(f"{name}: not valid JSON ({_first_line(err)})") from err


def _read_json(path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool) -> _Report:
    decoder = json.JSONDecoder(parse_float=_finite, parse_constant=_finite)
    try:
        report = decoder.decode(_json_text(path, source.path))
    except CoverageReportError:
        raise
    except RecursionError:
        raise CoverageReportError(f"{source.path}: not a coverage.py JSON report (nested too deeply)") from None
    except ValueError as err:  # JSONDecodeError, non-finite numbers
        raise CoverageReportError(f"{source.path}: not valid JSON ({_first_line(err)})") from err
    return _from_json_report(report, source, target, keep, merging)


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


def _read_data_file(
    path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool
) -> _Report:
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
        size, cap = out.stat().st_size, MAX_FORMAT_BYTES["coverage.py-json"]
        if size > cap:
            raise CoverageReportError(
                f"{path}: coverage.py's JSON report of this data file is {size} bytes, "
                f"over the {cap} byte ({cap // MiB} MiB) limit for a coverage.py JSON report"
            )
        return _read_json(out, source, target, keep, merging)


# --- Cobertura XML ------------------------------------------------------------------------------

_CONDITION = re.compile(r"\((\d+)/(\d+)\)")


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


@dataclass
class _CoberturaScan:
    """What one pass over a Cobertura file finds.

    Classes are resolved to files only at the end, since a ``<source>`` may come after them, so
    their lines are gathered by file name as they come (classes of one file merge: a line covered
    in any is covered). A class's problem, no file name or a bad line, is raised at the end if the
    class counts, the first in the order the classes start (``root.iter``), as when the tree was
    walked: so each name keeps its first class's problem, and a class without a name ends the look.
    """

    path: Path
    root: str | None = None
    packages: bool = False
    """Whether the root has a ``<packages>`` child."""
    sources: list[str | None] = field(default_factory=list)
    """Their text, in document order."""
    by_name: dict[str, _Hits] = field(default_factory=dict)
    problems: dict[str | None, tuple[int, CoverageReportError]] = field(default_factory=dict)
    """File name (None: no name) -> (the number of the first class with a problem, its error)."""
    classes: int = 0
    open_sources: list[int] = field(default_factory=list)
    open_classes: list[tuple[str | None, int]] = field(default_factory=list)
    """Each open class's file name, None when its lines are not read (no name, or a bad line); its number."""

    def start(self, element: Element, parents: list[Element]) -> None:
        tag = element.tag
        if self.root is None:
            self.root = tag
        if self.root != "coverage":
            return  # not Cobertura: parsed to the end only so that malformed XML is said first
        if tag == "packages" and len(parents) == 1:
            self.packages = True
        elif tag == "source":
            self.open_sources.append(len(self.sources))
            self.sources.append(None)
        elif tag == "class":
            self.classes += 1
            self.open_classes.append((self._class(element.attrib.get("filename")), self.classes))
        elif tag == "line" and len(parents) > 1 and parents[-1].tag == "lines" and parents[-2].tag == "class":
            self._line(element)

    def _class(self, name: str | None) -> str | None:
        """The name whose hits the class's lines go to, None for none."""
        if None in self.problems:
            return None  # a class without a file name started before: nothing starting after it counts
        if not name:
            self.problems[None] = (self.classes, CoverageReportError(f"{self.path}: <class> without a filename"))
            return None
        if name not in self.by_name:
            if len(self.by_name) >= MAX_COVERAGE_ENTRIES:
                raise CoverageReportError(f"{self.path}: more than {MAX_COVERAGE_ENTRIES} files; not read further")
            self.by_name[name] = _Hits()
        return name

    def _line(self, element: Element) -> None:
        name, number = self.open_classes[-1]
        if name is None:
            return
        try:
            _cobertura_line(element, self.by_name[name], self.path)
        except CoverageReportError as err:
            self.open_classes[-1] = (None, number)
            if number < self.problems.get(name, (number + 1, err))[0]:
                self.problems[name] = (number, err)

    def end(self, element: Element) -> None:
        if self.root != "coverage":
            return
        if element.tag == "source":
            self.sources[self.open_sources.pop()] = element.text
        elif element.tag == "class":
            self.open_classes.pop()


def _scan_cobertura(path: Path) -> _CoberturaScan:
    """Raises CoverageReportError for malformed or refused XML, an unreadable file, or too many files."""
    scan = _CoberturaScan(path)
    try:
        for event, element, parents in walk_xml(path, lambda element, parent: False):
            if event == "start":
                scan.start(element, parents)
            else:
                scan.end(element)
    except XmlRefused as err:
        raise CoverageReportError(f"{path}: XML with entity or DTD tricks refused ({type(err).__name__})") from err
    except ParseError as err:
        raise CoverageReportError(f"{path}: not well-formed XML ({err})") from err
    except OSError as err:
        raise CoverageReportError(f"{path}: cannot read ({err.strerror or err})") from err
    return scan


def _read_cobertura(
    path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool
) -> _Report:
    scan = _scan_cobertura(path)
    if scan.root != "coverage" or not scan.packages:
        raise CoverageReportError(f"{path}: XML but not a Cobertura report (root element <{scan.root}>)")
    sources = [text.strip() for text in scan.sources if text and text.strip()]
    rels = {name: _resolve_cobertura(name, sources, target) for name in scan.by_name}
    for name, (_, error) in sorted(scan.problems.items(), key=lambda item: item[1][0]):
        if name is None or ((rel := rels[name]) is not None and keep(rel)):
            raise error
    by_file: dict[str, _Hits] = {}
    report = _Report(source, branch=False)
    for name, hits in scan.by_name.items():
        rel = rels[name]
        if rel is None or not keep(rel):
            report.dropped.add(rel or name)
        elif rel in by_file:
            by_file[rel].merge(hits)  # names of one file (a.py, ./a.py): a line covered in any is covered
        else:
            by_file[rel] = hits
    scan.by_name.clear()
    report.branch = any(h.branches for h in by_file.values())
    for rel in list(by_file):  # each file's hits go once its coverage is made, unless they are to be merged
        hits = by_file.pop(rel)
        report.files[rel] = (_file_coverage(rel, hits, report.branch), hits if merging else None)
    return report


# --- LCOV ---------------------------------------------------------------------------------------


@dataclass
class _LcovRecord:
    name: str
    hits: _Hits = field(default_factory=_Hits)
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
        record.hits.add_branches(line, _LineBranches("lcov", {interned.name(name): count > 0}))
    elif key == "FN":
        _lcov_function(record, value, interned)


def _lcov_function(record: _LcovRecord, value: str, interned: _Interned) -> None:
    # lcov 1: FN:first,name; lcov 2 and coverage.py: FN:first,last,name (names may hold commas)
    parts = value.split(",", 2)
    if len(parts) < 2 or not parts[-1]:
        raise _LcovError(f"FN needs line[,end],name; got {value!r}")
    first = _lcov_ints(parts[0], 1, interned)[0]
    if len(record.functions) >= MAX_COVERAGE_ENTRIES:
        raise _LcovError(f"more than {MAX_COVERAGE_ENTRIES} functions in the record for {record.name}")
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


def _text_lines(fh: TextIO) -> Iterator[str]:
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


def _read_lcov(path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool) -> _Report:
    report = _Report(source, branch=False)
    merged: dict[str, _LcovRecord] = {}
    entries = 0  # files and functions kept
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for record in _lcov_records(path, _text_lines(fh)):
                report.branch = report.branch or bool(record.hits.branches)  # dropped records count too
                rel = relative_path(record.name, target)
                if rel is None or not keep(rel):
                    report.dropped.add(rel or record.name)
                    continue
                known = merged.get(rel)
                before = len(known.functions) if known else -1  # a new file is one entry more
                _merge_record(merged, rel, record)
                entries += len(merged[rel].functions) - before
                if entries > MAX_COVERAGE_ENTRIES:
                    raise CoverageReportError(f"{path}: more than {MAX_COVERAGE_ENTRIES} files and functions")
    except OSError as err:
        raise CoverageReportError(f"{path}: cannot read ({err.strerror or err})") from err
    for rel in list(merged):  # each file's hits go once its coverage is made, unless they are to be merged
        record = merged.pop(rel)
        cov = _file_coverage(rel, record.hits, report.branch, _lcov_regions(record, report.branch))
        report.files[rel] = (cov, record.hits if merging else None)
    return report


# --- detection and merging ----------------------------------------------------------------------


Reader = Callable[[Path, ReportSource, Path, Callable[[str], bool], bool], _Report]
"""(report, its source, target, keep, merging) -> the report read; merging says whether to keep hits."""
READERS: dict[Format, Reader] = {
    "coverage.py-data": _read_data_file,
    "coverage.py-json": _read_json,
    "cobertura": _read_cobertura,
    "lcov": _read_lcov,
}
FORMAT_NAMES: dict[Format, str] = {
    "coverage.py-data": "a coverage.py data file",
    "coverage.py-json": "a coverage.py JSON report",
    "cobertura": "a Cobertura report",
    "lcov": "an LCOV report",
}


def _format(path: Path, head: bytes) -> Format:
    """The format of the report whose first bytes are ``head``; raises CoverageReportError if none."""
    if head.startswith(SQLITE_MAGIC):
        return "coverage.py-data"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise CoverageReportError(f"{path}: the file is empty")
    if start.startswith(b"{"):
        return "coverage.py-json"
    if start.startswith(b"<"):
        return "cobertura"
    if re.match(rb"(TN|SF|VER):", start):
        return "lcov"
    raise CoverageReportError(
        f"{path}: unknown format (expected a coverage.py data file or JSON report, Cobertura XML or LCOV)"
    )


def _read_report(path: Path, target: Path, keep: Callable[[str], bool], merging: bool) -> _Report:
    """Read one report of any supported format, recognised by its content; hits are kept if ``merging``."""
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
    fmt = _format(path, head)
    cap = MAX_FORMAT_BYTES.get(fmt, MAX_REPORT_BYTES)
    if size > cap:
        raise CoverageReportError(
            f"{path}: {size} bytes, over the {cap} byte ({cap // MiB} MiB) limit for {FORMAT_NAMES[fmt]}"
        )
    return READERS[fmt](path, ReportSource(path=str(path), format=fmt), target, keep, merging)


def _merge(reports: list[_Report], branch: bool) -> tuple[FileCoverage, ...]:
    seen: dict[str, list[tuple[_Report, FileCoverage, _Hits | None]]] = {}
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
            assert part is not None, "hits are kept whenever there are reports to merge"
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
    reports = [_read_report(Path(p), target, keep, len(paths) > 1) for p in paths]
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
