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

import json
import math
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from assess._files import read_bounded
from assess._json import decoded_size
from assess._sandbox import allowed_env
from assess.collectors import coverage_hits
from assess.collectors.cobertura import read_cobertura
from assess.collectors.coverage_hits import (
    CoverageReportError,
    Hits,
    LineBranches,
    MiB,
    Report,
    file_coverage,
    first_line,
)
from assess.collectors.coverage_json import files_from_report, relative_path, sum_counts, totals_from_report
from assess.collectors.lcov import read_lcov
from assess.model import CoverageData, FileCoverage
from assess.model.coverage import ReportSource

__all__ = ["CoverageReportError", "ingest_reports"]

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
DATA_FILE_TIMEOUT_S = 300.0
"""How long coverage.py may take to analyse a data file."""
SQLITE_MAGIC = b"SQLite format 3\x00"


# --- coverage.py JSON report and data file ---------------------------------------------------


def _json_hits(entry: Mapping[str, Any]) -> Hits:
    hits = Hits(excluded=int(entry["summary"].get("excluded_lines", 0)))
    for line in entry.get("executed_lines", ()):
        hits.cover(int(line), True)
    for line in entry.get("missing_lines", ()):
        hits.cover(int(line), False)
    arcs = [(a, True) for a in entry.get("executed_branches", ())] + [
        (a, False) for a in entry.get("missing_branches", ())
    ]
    for (src, dst), taken in arcs:
        hits.add_branches(int(src), LineBranches("coverage.py", {str(dst): taken}))
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
) -> Report:
    name = source.path
    if not (isinstance(report, dict) and isinstance(report.get("meta"), dict) and "format" in report["meta"]):
        raise CoverageReportError(f"{name}: JSON but not a coverage.py JSON report (no meta.format)")
    if not isinstance(report.get("files"), dict) or not isinstance(report.get("totals"), dict):
        raise CoverageReportError(f"{name}: coverage.py JSON report without 'files' and 'totals'")
    count = _json_entries(report["files"])
    if count > (limit := coverage_hits.MAX_COVERAGE_ENTRIES):
        raise CoverageReportError(f"{name}: {count} files, functions and classes, over the {limit} limit for a report")
    try:
        kept, _ = files_from_report(report, target, keep)
        result = Report(source, bool(report["meta"].get("branch_coverage", False)), totals=totals_from_report(report))
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
        raise CoverageReportError(f"{name}: malformed coverage.py JSON report ({first_line(err)})") from err
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
        raise CoverageReportError(f"{name}: not valid JSON ({first_line(err)})") from err


def _read_json(path: Path, source: ReportSource, target: Path, keep: Callable[[str], bool], merging: bool) -> Report:
    decoder = json.JSONDecoder(parse_float=_finite, parse_constant=_finite)
    try:
        report = decoder.decode(_json_text(path, source.path))
    except CoverageReportError:
        raise
    except RecursionError:
        raise CoverageReportError(f"{source.path}: not a coverage.py JSON report (nested too deeply)") from None
    except ValueError as err:  # JSONDecodeError, non-finite numbers
        raise CoverageReportError(f"{source.path}: not valid JSON ({first_line(err)})") from err
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
) -> Report:
    with tempfile.TemporaryDirectory(prefix="assess-coverage-") as tmp:
        out = Path(tmp) / "coverage.json"
        cmd = [sys.executable, "-I", "-c", _JSON_FROM_DATA, str(path.resolve()), str(out)]
        try:
            proc = subprocess.run(cmd, cwd=target, env=allowed_env(), capture_output=True, timeout=DATA_FILE_TIMEOUT_S,
                                  check=False)  # fmt: skip
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


# --- detection and merging ----------------------------------------------------------------------


Reader = Callable[[Path, ReportSource, Path, Callable[[str], bool], bool], Report]
"""(report, its source, target, keep, merging) -> the report read; merging says whether to keep hits."""
READERS: dict[Format, Reader] = {
    "coverage.py-data": _read_data_file,
    "coverage.py-json": _read_json,
    "cobertura": read_cobertura,
    "lcov": read_lcov,
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


def _read_report(path: Path, target: Path, keep: Callable[[str], bool], merging: bool) -> Report:
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


def _merge(reports: list[Report], branch: bool) -> tuple[FileCoverage, ...]:
    seen: dict[str, list[tuple[Report, FileCoverage, Hits | None]]] = {}
    for report in reports:
        for rel, (cov, hits) in report.files.items():
            seen.setdefault(rel, []).append((report, cov, hits))
    files = []
    for rel, parts in sorted(seen.items()):
        if len(parts) == 1 and parts[0][0].branch == branch:
            files.append(parts[0][1])  # as the report says, regions included
            continue
        hits = Hits()
        for _, _, part in parts:
            assert part is not None, "hits are kept whenever there are reports to merge"
            hits.merge(part)
        files.append(file_coverage(rel, hits, branch))
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
