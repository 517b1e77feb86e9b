"""The HTML report: one self-contained file, no external requests, everything escaped.

Rendering formats and orders what the assessment and evidence say; it never measures or scores.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import jinja2

from assess._files import atomic_write_text
from assess.model import (
    Assessment,
    ComplexityEvidence,
    CoverageEvidence,
    Evidence,
    Fact,
    Finding,
    InventoryEvidence,
    TestOutcome,
    TestsEvidence,
)
from assess.model.chaos import ChaosEvidence, ChaosResult, ScenarioFamily, UnreadableResult

TOP_N = 15
GROUP_TITLES = {"chaos": "Chaos experiments"}
"""Section headings that are not just the fact group's name capitalised."""

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("assess.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def fmt(value: object, unit: str = "") -> str:
    """A fact's value as shown: None is 'not measured', floats get one or two decimals."""
    if value is None:
        return "not measured"
    if isinstance(value, str):
        return value
    decimals = 1 if unit == "%" else 2
    text = f"{value:.{decimals}f}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip() if unit and unit != "%" else text + unit


_ENV.filters["fmt"] = fmt


@dataclass
class ReportView:
    """Everything the template shows, already sorted and cut to size."""

    assessment: Assessment
    fact_groups: dict[str, list[Fact]]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    problems: dict[str, list[Finding]] = field(default_factory=dict)
    """Problems found, by category (categories in order of their worst problem)."""
    good: dict[str, list[Finding]] = field(default_factory=dict)
    """Good practices found, by category."""
    chaos: ChaosView | None = None
    """The chaos results, when there is chaos data."""
    titles: dict[str, str] = field(default_factory=lambda: dict(GROUP_TITLES))


@dataclass(frozen=True)
class ChaosRow:
    """One chaos result as shown: every text is the target's or the tool's, escaped by the template."""

    family: str
    title: str
    trials: int
    successes: int
    outcome: str
    recovery: str
    data_loss: str
    source: str
    href: str | None
    """A link relative to assessment.html for results this run made (origin ``run``); never for
    the target's own files or paths given on the command line."""


@dataclass(frozen=True)
class ChaosView:
    rows: list[ChaosRow]
    unreadable: tuple[UnreadableResult, ...]
    searched: tuple[str, ...]


def _by_category(findings: list[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:  # already most severe first
        groups.setdefault(f.category, []).append(f)
    return groups


def _coverage_table(ev: CoverageEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    rows = sorted(ev.data.files, key=lambda f: (f.counts.percent_lines is None, f.counts.percent_lines or 0, f.path))
    return {
        "title": "Coverage by file (lowest first)",
        "columns": ["File", "Statements", "Missing", "Lines %", "Branches %"],
        "rows": [
            [
                f.path,
                f.counts.statements,
                f.counts.missing_lines,
                fmt(f.counts.percent_lines, "%"),
                "no branches" if f.counts.branches == 0 else fmt(f.counts.percent_branches, "%"),
            ]
            for f in rows
        ],
    }


def _test_run_table(ev: CoverageEvidence | None) -> dict[str, Any] | None:
    run = ev.data.test_run if ev and ev.data else None
    if run is None:
        return None
    exit_text = "killed at the timeout" if run.timed_out else str(run.exit_code)
    return {
        "title": "The test run",
        "columns": ["", ""],
        "rows": [
            ["Command", " ".join(run.command)],
            ["Interpreter", run.interpreter],
            ["Exit code", exit_text],
            ["Duration", f"{run.duration_s:.1f} s (limit {run.timeout_s:g} s)"],
            ["Output", run.output_log],
        ],
        "tail": run.output_tail,
    }


def _complexity_table(ev: ComplexityEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    blocks = sorted((b for b in ev.data.blocks if b.kind != "class"), key=lambda b: (-b.complexity, b.path, b.line))
    return {
        "title": f"Most complex functions (top {TOP_N})",
        "columns": ["Function", "Location", "Complexity", "Tool"],
        "rows": [[b.name, f"{b.path}:{b.line}", b.complexity, b.tool] for b in blocks[:TOP_N]],
    }


def _tests_table(ev: TestsEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    failing = [r for r in ev.data.results if r.outcome in (TestOutcome.FAILED, TestOutcome.ERROR)]
    shown = failing[:TOP_N] + [r for r in ev.data.slowest(TOP_N) if r not in failing]
    more = f"; {len(failing) - TOP_N} more failing tests are not shown (see evidence/tests.json)" * (
        len(failing) > TOP_N
    )
    return {
        "title": f"Failing tests (first {TOP_N}) and slowest tests{more}",
        "columns": ["Test", "Outcome", "Seconds", "Message"],
        "rows": [
            [
                f"{r.classname}::{r.name}" if r.classname else r.name,
                r.outcome.value,
                f"{r.duration_s:.3f}",
                r.message or "",
            ]
            for r in shown
        ],
    }


def _inventory_table(ev: InventoryEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    by_role = Counter((f.role.value, f.language or "-") for f in ev.data.files)
    sloc: Counter[tuple[str, str]] = Counter()
    for f in ev.data.files:
        sloc[(f.role.value, f.language or "-")] += f.sloc or 0
    return {
        "title": "Files by role and language",
        "columns": ["Role", "Language", "Files", "Source lines"],
        "rows": [[role, lang, n, sloc[(role, lang)]] for (role, lang), n in sorted(by_role.items())],
    }


def run_link(source: str) -> str | None:
    """``source`` as a relative URL inside the run folder; None unless it is a plain relative path
    that stays inside it (no scheme, no absolute path, no ``..``)."""
    parts = PurePosixPath(source).parts
    if not parts or source.startswith("/") or "\\" in source or ".." in parts or ":" in parts[0]:
        return None
    return quote(source, safe="/")


def _recovery(times: tuple[float, ...]) -> str:
    if not times:
        return fmt(None)
    worst = fmt(max(times), "s")
    return worst if len(times) == 1 else f"{worst} (worst of {len(times)})"


def _chaos_row(r: ChaosResult) -> ChaosRow:
    return ChaosRow(
        family=r.family.value if r.family else f"unmapped ({r.family_reason})",
        title=r.title,
        trials=r.trials,
        successes=r.successes,
        outcome=f"inconclusive: {r.outcome_reason}" if r.inconclusive else r.outcome_reason,
        recovery=_recovery(r.recovery_times_s),
        data_loss=fmt(r.data_loss),
        source=r.source,
        href=run_link(r.source) if r.origin == "run" else None,
    )


def _chaos_view(ev: ChaosEvidence | None) -> ChaosView | None:
    if not ev or not ev.data:
        return None
    order = {f: n for n, f in enumerate(ScenarioFamily)}
    results = sorted(ev.data.results, key=lambda r: (order[r.family] if r.family else len(order), r.source, r.title))
    return ChaosView([_chaos_row(r) for r in results], ev.data.unreadable, ev.data.searched)


def build_view(assessment: Assessment, evidence: dict[str, Evidence]) -> ReportView:
    groups: dict[str, list[Fact]] = {}
    for f in assessment.facts:
        groups.setdefault(f.key.split(".", 1)[0], []).append(f)
    coverage = evidence.get("coverage")
    tables = {
        "inventory": [_inventory_table(evidence.get("inventory"))],  # type: ignore[arg-type]
        "coverage": [_coverage_table(coverage), _test_run_table(coverage)],  # type: ignore[arg-type]
        "tests": [_tests_table(evidence.get("tests"))],  # type: ignore[arg-type]
        "complexity": [_complexity_table(evidence.get("complexity"))],  # type: ignore[arg-type]
    }
    return ReportView(
        assessment,
        groups,
        {k: [t for t in v if t] for k, v in tables.items()},
        problems=_by_category([f for f in assessment.findings if f.kind == "problem"]),
        good=_by_category([f for f in assessment.findings if f.kind == "good"]),
        chaos=_chaos_view(evidence.get("chaos")),  # type: ignore[arg-type]
    )


def render_html(view: ReportView) -> str:
    return _ENV.get_template("report.html.j2").render(view=view, a=view.assessment)


def write_html(assessment: Assessment, evidence: dict[str, Evidence], path: Path) -> None:
    """Render and write atomically: a failure leaves no partial file."""
    atomic_write_text(path, render_html(build_view(assessment, evidence)))
