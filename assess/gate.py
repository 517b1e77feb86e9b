"""CI gating: does an assessment pass ``--fail-on`` and ``--baseline``?

The gate only reads assessments; it never scores. A baseline is an earlier ``assessment.json``
(for example the main branch's): the gate fails when a category's grade drops, when a category
that was graded is no longer measured, or when a problem finding at or above a severity appears
that the baseline did not have. Findings are matched by the fingerprint SARIF uses (rule, path
and code, not the line), so moving code does not make its findings new.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assess.model import Assessment
from assess.model.findings import Finding, Severity, finding_fingerprints
from assess.model.grades import Decision
from assess.model.io import ModelFileError, read_model
from assess.rubric import POINTS

DECISIONS: tuple[Decision, ...] = ("GO", "NEEDS_WORK", "NO-GO")
"""Best first."""
SEVERITIES: tuple[Severity, ...] = tuple(Severity)
"""Worst first."""


@dataclass(frozen=True)
class GateResult:
    failures: tuple[str, ...] = ()
    """Why the gate fails, one line each; empty when it passes."""
    notes: tuple[str, ...] = ()
    """What the gate checked, for the log."""

    @property
    def passed(self) -> bool:
        return not self.failures


def read_baseline(path: Path) -> Assessment:
    """The baseline assessment; raises ModelFileError with a one-line reason."""
    return read_model(Assessment, path, follow=True)  # the user's own file


def _at_least(severity: Severity, floor: Severity) -> bool:
    return SEVERITIES.index(severity) <= SEVERITIES.index(floor)


def _where(f: Finding) -> str:
    return f"{f.path}:{f.line}" if f.path and f.line else (f.path or "the repository")


def grade_drops(current: Assessment, baseline: Assessment) -> list[str]:
    """Categories graded in the baseline whose grade is now lower, or which are no longer measured."""
    before = {g.category: g for g in baseline.grades}
    drops = []
    for now in current.grades:
        old = before.get(now.category)
        if old is None or old.grade is None:
            continue
        if now.grade is None:
            if now.status == "not-measured":
                drops.append(f"{now.category}: {old.grade} -> not measured ({now.reason or 'no evidence'})")
        elif POINTS[now.grade] < POINTS[old.grade]:
            drops.append(f"{now.category}: {old.grade} -> {now.grade}")
    return drops


def new_findings(current: Assessment, baseline: Assessment, floor: Severity) -> list[Finding]:
    """Problems that count (confirmed, the service's own code, unwaived) at or above ``floor`` whose fingerprint the
    baseline's problems lack."""
    old_problems = [f for f in baseline.findings if f.kind == "problem"]
    known = set(finding_fingerprints(old_problems))
    problems = [f for f in current.findings if f.kind == "problem"]
    return [
        f
        for f, fp in zip(problems, finding_fingerprints(problems), strict=True)
        if fp not in known and f.counts and _at_least(f.severity, floor)
    ]


def check(
    assessment: Assessment,
    fail_on: Decision | None = None,
    baseline: Assessment | None = None,
    new_severity: Severity = Severity.HIGH,
) -> GateResult:
    failures: list[str] = []
    notes: list[str] = []
    if fail_on is not None:
        verdict = assessment.verdict
        if verdict is None:
            failures.append(f"no verdict ({assessment.scoring_error or 'not scored'}); --fail-on {fail_on} needs one")
        elif DECISIONS.index(verdict.decision) >= DECISIONS.index(fail_on):
            failures.append(f"verdict {verdict.decision} (--fail-on {fail_on}): {'; '.join(verdict.reasons)}")
        else:
            notes.append(f"verdict {verdict.decision} passes --fail-on {fail_on}")
    if baseline is not None:
        drops = grade_drops(assessment, baseline)
        failures.extend(f"grade dropped: {d}" for d in drops)
        added = new_findings(assessment, baseline, new_severity)
        failures.extend(f"new {f.severity.value} finding: {f.rule} at {_where(f)}: {f.title or f.message}"
                        for f in added)  # fmt: skip
        notes.append(
            f"against baseline run {baseline.run.run_id}: {len(drops)} grade drop(s), "
            f"{len(added)} new finding(s) at or above {new_severity.value}"
        )
    return GateResult(tuple(failures), tuple(notes))


__all__ = ["DECISIONS", "GateResult", "ModelFileError", "check", "grade_drops", "new_findings", "read_baseline"]
