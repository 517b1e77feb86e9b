"""Turn coverage.py's JSON report (format 3) into the coverage model.

The numbers are copied, not recomputed, so what assess reports equals what coverage.py reports
for the same data. Only when files are left out of the measured set are totals re-summed, with
coverage.py's own formula (:func:`counts_from_sums`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assess.model import CoverageCounts, FileCoverage, RegionCoverage


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def counts_from_summary(summary: Mapping[str, Any], branch: bool) -> CoverageCounts:
    """Counts from a coverage.py JSON ``summary`` block (totals, file, function or class)."""
    statements = int(summary["num_statements"])
    covered = int(summary["covered_lines"])
    branches = int(summary.get("num_branches", 0)) if branch else None
    covered_branches = int(summary.get("covered_branches", 0)) if branch else None
    return CoverageCounts(
        statements=statements,
        covered_lines=covered,
        missing_lines=int(summary["missing_lines"]),
        excluded_lines=int(summary.get("excluded_lines", 0)),
        branches=branches,
        covered_branches=covered_branches,
        partial_branches=int(summary.get("num_partial_branches", 0)) if branch else None,
        percent_lines=summary.get("percent_statements_covered", _pct(covered, statements)) if statements else None,
        percent_branches=(summary.get("percent_branches_covered") if branches else None),
        percent_covered=float(summary["percent_covered"]) if statements or branches else None,
    )


def counts_from_sums(
    statements: int,
    covered: int,
    excluded: int = 0,
    branches: int | None = None,
    covered_branches: int | None = None,
    partial: int | None = None,
) -> CoverageCounts:
    """Counts from raw sums, with coverage.py's formula for the combined percentage."""
    num = covered + (covered_branches or 0)
    den = statements + (branches or 0)
    return CoverageCounts(
        statements=statements,
        covered_lines=covered,
        missing_lines=statements - covered,
        excluded_lines=excluded,
        branches=branches,
        covered_branches=covered_branches,
        partial_branches=partial,
        percent_lines=_pct(covered, statements),
        percent_branches=_pct(covered_branches or 0, branches) if branches else None,
        percent_covered=_pct(num, den),
    )


def sum_counts(counts: list[CoverageCounts], branch: bool) -> CoverageCounts:
    return counts_from_sums(
        statements=sum(c.statements for c in counts),
        covered=sum(c.covered_lines for c in counts),
        excluded=sum(c.excluded_lines for c in counts),
        branches=sum(c.branches or 0 for c in counts) if branch else None,
        covered_branches=sum(c.covered_branches or 0 for c in counts) if branch else None,
        partial=sum(c.partial_branches or 0 for c in counts) if branch else None,
    )


def _regions(entry: Mapping[str, Any], branch: bool) -> tuple[RegionCoverage, ...]:
    regions: list[RegionCoverage] = []
    for key, kind in (("functions", "function"), ("classes", "class")):
        for name, region in sorted((entry.get(key) or {}).items()):
            if not name:  # coverage.py's "" region is the module-level code outside any def/class
                continue
            regions.append(
                RegionCoverage(
                    name=name,
                    kind=kind,
                    start_line=region.get("start_line"),
                    counts=counts_from_summary(region["summary"], branch),
                    missing_lines=tuple(region.get("missing_lines", ())),
                )
            )
    return tuple(regions)


def relative_path(name: str, target: Path) -> str | None:
    """``name`` (absolute or relative to the target) relative to ``target``; None if outside, or if it
    cannot be resolved (a symlink loop: RuntimeError on Python 3.11; a name too long, or with a NUL)."""
    path = Path(name)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(target.resolve()).as_posix()
    except (ValueError, RuntimeError, OSError):
        return None


def files_from_report(
    report: Mapping[str, Any], target: Path, keep: Callable[[str], bool]
) -> tuple[tuple[FileCoverage, ...], int]:
    """(files kept, number left out) from a coverage.py JSON report.

    ``keep(relpath)`` decides the measured set; files outside the target are left out too.
    """
    branch = bool(report.get("meta", {}).get("branch_coverage", False))
    kept: list[FileCoverage] = []
    dropped = 0
    for name, entry in sorted(report.get("files", {}).items()):
        rel = relative_path(name, target)
        if rel is None or not keep(rel):
            dropped += 1
            continue
        kept.append(
            FileCoverage(
                path=rel,
                counts=counts_from_summary(entry["summary"], branch),
                executed_lines=tuple(entry.get("executed_lines", ())),
                missing_lines=tuple(entry.get("missing_lines", ())),
                missing_branches=tuple(tuple(b) for b in entry.get("missing_branches", ())),
                regions=_regions(entry, branch),
            )
        )
    kept.sort(key=lambda f: f.path)
    return tuple(kept), dropped


def totals_from_report(report: Mapping[str, Any]) -> CoverageCounts:
    branch = bool(report.get("meta", {}).get("branch_coverage", False))
    return counts_from_summary(report["totals"], branch)
