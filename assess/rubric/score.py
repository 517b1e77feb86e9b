"""Grade each rubric category from the facts and findings, then decide the verdict.

A category is ``disabled`` (switched off by the target), ``not-applicable`` (no site of the kinds it
is about: no database, no service), ``not-measured`` (its evidence is missing or failed), or
``graded``. Neither of the first three is silently a pass or an F; each says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assess.model import Evidence, Fact, Role, Status
from assess.model.findings import Finding, Severity
from assess.model.grades import GRADES, CategoryGrade, Decision, Grade, SignalGrade, Verdict, VerdictRule
from assess.model.patterns import PatternsData
from assess.model.project import ProjectModel
from assess.rubric import POINTS, Category, Rubric, Signal

DECISION_ORDER: dict[Decision, int] = {"NO-GO": 0, "NEEDS_WORK": 1, "GO": 2}
SEVERITY_RANK = {s.value: n for n, s in enumerate(Severity)}


@dataclass(frozen=True)
class Derived:
    value: float | None
    source: str
    note: str | None = None


def _fact(facts: Mapping[str, Fact], key: str) -> float | None:
    fact = facts.get(key)
    return float(fact.value) if fact is not None and isinstance(fact.value, int | float) else None


def _share(facts: Mapping[str, Fact], parts: Sequence[str], whole: Sequence[str]) -> float | None:
    values = [_fact(facts, k) for k in (*parts, *whole)]
    if any(v is None for v in values):
        return None
    top = sum(v for v in values[: len(parts)] if v is not None)
    bottom = sum(v for v in values[len(parts) :] if v is not None)
    return 100 * top / bottom if bottom else None


DERIVED = {
    "derived.tests.pass_rate": (("tests.passed",), ("tests.passed", "tests.failed", "tests.error")),
    "derived.tests.integration_share": (
        ("inventory.tests.integration", "inventory.tests.e2e"),
        ("inventory.tests.definitions",),
    ),
    "derived.chaos.pass_share": (("chaos.families.passed",), ("chaos.families.passed", "chaos.families.failed")),
    "derived.complexity.share_over_10": (("complexity.over_10",), ("complexity.functions",)),
}
"""Derived signals: 100 * sum(first keys) / sum(second keys), None when any is missing or the whole is 0."""


def signal_value(facts: Mapping[str, Fact], key: str) -> Derived:
    """A signal's value and where it came from."""
    if key in DERIVED:
        parts, whole = DERIVED[key]
        source = f"100 * ({' + '.join(parts)}) / ({' + '.join(whole)})"
        missing = [k for k in (*parts, *whole) if _fact(facts, k) is None]
        note = facts[missing[0]].note if missing and missing[0] in facts else None
        return Derived(_share(facts, parts, whole), source, note)
    fact = facts.get(key)
    if fact is None:
        return Derived(None, key, "no such fact in this run")
    return Derived(_fact(facts, key), fact.source, fact.note)


def grade_of(points: float) -> Grade:
    """The best grade whose points do not exceed ``points``."""
    return next(g for g in GRADES if points >= POINTS[g] - 1e-9)


def _sites(evidence: Mapping[str, Evidence], project: ProjectModel | None) -> set[str] | None:
    """The kinds of site seen in the production code (with a project model: not in tooling, examples or tests)."""
    ev = evidence.get("patterns")
    if ev is None or ev.status is not Status.OK or not isinstance(ev.data, PatternsData):
        return None
    data = ev.data
    if project is None:
        return {site.kind for site in data.sites}
    return {site.kind for site in data.sites if project.is_production(site.path)
            and data.role_of(site.path) not in (Role.TEST, Role.TEST_SUPPORT)}  # fmt: skip


def _findings_evidence(category: Category, evidence: Mapping[str, Evidence]) -> str | None:
    """Why the findings this category counts cannot be trusted to be complete, or None."""
    kind = category.findings_evidence
    ev = evidence.get(kind)
    if ev is None:
        return f"no {kind} evidence in this run"
    if ev.status is Status.ERROR:
        return f"the {kind} stage failed: {ev.reason}"
    return None


def _signal_grades(signals: Iterable[Signal], facts: Mapping[str, Fact], zero: bool) -> list[SignalGrade]:
    out = []
    for s in signals:
        d = signal_value(facts, s.key)
        value = 0.0 if d.value is None and zero else d.value
        out.append(
            SignalGrade(
                key=s.key,
                label=s.label,
                value=value,
                unit=s.unit or _unit(facts, s.key),
                grade=s.grade(value) if value is not None else None,
                source=d.source if value is not None or not d.note else f"{d.source} (not measured: {d.note})",
                thresholds=s.describe(),
            )
        )
    return out


def _unit(facts: Mapping[str, Fact], key: str) -> str:
    if key.startswith("derived."):
        return "%"
    fact = facts.get(key)
    return fact.unit if fact else ""


def _finding_notes(problems: Sequence[Finding], goods: Sequence[Finding]) -> list[str]:
    notes = []
    if problems:
        by = Counter(f.severity.value for f in problems)
        counts = ", ".join(f"{by[s.value]} {s.value}" for s in Severity if by[s.value])
        worst = sorted(problems, key=lambda f: (SEVERITY_RANK[f.severity.value], f.path or "", f.line or 0))
        shown = "; ".join(f"{f.title or f.rule} ({f.path}:{f.line})" if f.path and f.line else (f.title or f.rule)
                          for f in worst[:3])  # fmt: skip
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        notes.append(f"{len(problems)} problem finding(s) ({counts}): {shown}{more}.")
    else:
        notes.append("No problem findings.")
    if goods:
        titles = sorted({f.title or f.rule for f in goods})
        notes.append(f"Good practice found: {'; '.join(titles[:4])}{'; ...' if len(titles) > 4 else ''}.")
    return notes


def _not_applicable(
    category: Category, sites: set[str] | None, facts: Mapping[str, Fact], kinds: tuple[str, ...] | None
) -> bool:
    """Not the kind of project the category is about (with a project model), or no site of the kinds it is about
    (without one); and no fact that makes it apply anyway."""
    if any((_fact(facts, key) or 0) > 0 for key in category.applies_if_facts):
        return False
    if category.applies_if_kinds and kinds is not None:
        return not set(kinds) & set(category.applies_if_kinds)
    return bool(category.applies_if_sites) and sites is not None and not sites.intersection(category.applies_if_sites)


def grade_category(
    category: Category,
    facts: Mapping[str, Fact],
    findings: Sequence[Finding],
    evidence: Mapping[str, Evidence],
    rubric: Rubric,
    project: ProjectModel | None = None,
) -> CategoryGrade:
    base = {"category": category.name, "critical": category.critical, "weight": category.weight}
    if category.disabled:
        return CategoryGrade(**base, status="disabled", reason=category.disabled)
    sites = _sites(evidence, project)
    if _not_applicable(category, sites, facts, project.kinds if project else None):
        return CategoryGrade(**base, status="not-applicable", reason=category.not_applicable)
    ours = [f for f in findings if f.category in category.findings_from]
    problems = [f for f in ours if f.counts]
    goods = [f for f in ours if f.kind == "good"]
    chaos = evidence.get("chaos")
    zero = category.absent_is_zero and chaos is not None and chaos.status is Status.SKIPPED and chaos.data is not None
    signals = _signal_grades(category.signals, facts, zero)
    measured = [s for s in signals if s.grade is not None]
    if category.signals and not measured:
        why = next((s.source for s in signals), "no signal measured")
        return CategoryGrade(**base, status="not-measured", signals=tuple(signals), reason=why)
    if not category.signals:
        broken = _findings_evidence(category, evidence)
        if broken:
            return CategoryGrade(**base, status="not-measured", reason=broken)
    points = sum(POINTS[s.grade] for s in measured if s.grade) / len(measured) if measured else POINTS["A"]
    if category.penalize:
        points = max(0.0, points - sum(rubric.penalties.get(sev, 0.0) for sev in _worst_per_rule(problems).values()))
    if category.penalize and any(f.severity is Severity.CRITICAL for f in problems):
        points = min(points, POINTS[rubric.critical_cap])
    notes = [f"{s.label}: {_fmt(s.value, s.unit)}, grade {s.grade}." for s in measured]
    if zero:
        notes.append(f"{(chaos.reason if chaos else None) or 'No chaos results were found'}: "
                     "no fault injection is practised.")  # fmt: skip
    notes.extend(_finding_notes(problems, goods) if category.findings_from else [])
    waived = sum(1 for f in ours if f.waived)
    if waived:
        notes.append(f"{waived} finding(s) waived by the target's config.")
    return CategoryGrade(
        **base, status="graded", grade=grade_of(points), points=round(points, 3), signals=tuple(signals),
        findings=len(problems), notes=tuple(notes),
    )  # fmt: skip


def _worst_per_rule(problems: Iterable[Finding]) -> dict[str, str]:
    """Rule -> the most severe severity among its findings."""
    worst: dict[str, str] = {}
    for f in problems:
        if f.rule not in worst or SEVERITY_RANK[f.severity.value] < SEVERITY_RANK[worst[f.rule]]:
            worst[f.rule] = f.severity.value
    return worst


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    text = f"{value:.1f}" if unit == "%" or not float(value).is_integer() else f"{value:g}"
    return f"{text} {unit}".strip() if unit != "%" else f"{text} %"


def grade_all(
    facts: Sequence[Fact], findings: Sequence[Finding], evidence: Mapping[str, Evidence], rubric: Rubric,
    project: ProjectModel | None = None,
) -> tuple[CategoryGrade, ...]:
    """Every category's grade, in the context of the project model when there is one (what kind of project it is,
    and which code is production code: see :mod:`assess.project`)."""
    by_key = {f.key: f for f in facts}
    return tuple(grade_category(c, by_key, findings, evidence, rubric, project) for c in rubric.categories)


def _at_or_below(grade: Grade | None, worst: Grade) -> bool:
    return grade is not None and GRADES.index(grade) >= GRADES.index(worst)


def _absent_practice(grade: CategoryGrade, rubric: Rubric, findings: Sequence[Finding]) -> bool:
    """Whether ``grade`` is a practice category (load tests, chaos experiments) graded only on the practice's
    absence: every measured signal is zero and no finding counts against it but one that states the absence."""
    try:
        category = rubric.category(grade.category)
    except KeyError:
        return False
    if not category.practice:
        return False
    measured = [s for s in grade.signals if s.value is not None]
    others = [f for f in findings if f.counts and f.category in category.findings_from
              and f.rule not in category.absence_rules]  # fmt: skip
    return bool(measured) and all(s.value == 0 for s in measured) and not others


def decide(
    grades: Sequence[CategoryGrade], findings: Sequence[Finding], facts: Sequence[Fact], rubric: Rubric
) -> Verdict:
    """The verdict: the worst decision of the rules that fire (never an average of grades)."""
    by_key = {f.key: f for f in facts}
    rules: list[VerdictRule] = []
    for spec in rubric.verdict:
        hits: list[str] = []
        if spec.worst_grade is not None:
            hits = [
                f"{g.category} is graded {g.grade}" + (" (critical category)" if g.critical else "")
                for g in grades
                if g.status == "graded" and (g.critical or not spec.critical_only)
                and _at_or_below(g.grade, spec.worst_grade)
                and (spec.absent_practice or not _absent_practice(g, rubric, findings))
            ]  # fmt: skip
        elif spec.severities:
            bad = [f for f in findings if f.counts and f.severity.value in spec.severities]
            hits = [f"{f.title or f.rule} at {f.path}:{f.line}" if f.path else (f.title or f.rule) for f in bad]
            if hits:
                hits = [f"{len(bad)} unwaived {'/'.join(spec.severities)} finding(s): {'; '.join(hits[:3])}"
                        + ("; ..." if len(hits) > 3 else "")]  # fmt: skip
        elif spec.rule == "failing-tests":
            failed = (_fact(by_key, "tests.failed") or 0) + (_fact(by_key, "tests.error") or 0)
            hits = [f"{failed:g} of the target's tests fail or error"] if failed else []
        elif spec.rule == "critical-category-not-measured":
            hits = [f"{g.category} was not measured ({g.reason})" for g in grades
                    if g.critical and g.status == "not-measured"]  # fmt: skip
        message = "; ".join(hits) if hits else spec.when
        rules.append(VerdictRule(rule=spec.rule, decision=spec.decision, fired=bool(hits), message=message))
    fired = [r for r in rules if r.fired]
    decision: Decision = min((r.decision for r in fired), key=DECISION_ORDER.__getitem__, default="GO")
    reasons = tuple(r.message for r in fired if r.decision == decision) or ("no verdict rule fired",)
    return Verdict(decision=decision, reasons=reasons, rules=tuple(rules))
