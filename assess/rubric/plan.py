"""The plan (findings as P0/P1/P2 with effort, and the time to production-ready) and the critical
untested areas (functions ranked by CRAP, and reliability code no test executes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from assess.model import ComplexityData, CoverageData, Evidence
from assess.model.findings import Finding, Severity
from assess.model.grades import CriticalArea, Plan, PlanItem, Priority, UntestedReliabilityCode
from assess.rubric import Rubric

REPEAT_FACTOR = 0.25
"""Each further finding of a rule adds this share of the rule's effort (the fix is known by then)."""
HOURS_PER_DAY = 6.0
ESTIMATE_RANGE = (0.75, 1.5)
"""The time to production-ready is the P0 hours times these factors (estimates are rough)."""
CRAP_THRESHOLD = 30.0
"""Savoia's threshold: a method with a CRAP score above 30 is risky to change."""
MAX_AREAS = 10
RELIABILITY_CATEGORIES = ("Error Handling", "Reliability Patterns", "Data Durability", "Dependency Resilience")


def priority_of(finding: Finding, critical_categories: set[str]) -> tuple[Priority, str] | None:
    """P0 before production, P1 within a month, P2 within a quarter; None for info problems."""
    sev = finding.severity
    if sev is Severity.CRITICAL or (sev is Severity.HIGH and finding.category in critical_categories):
        why = "critical severity" if sev is Severity.CRITICAL else "high severity in a critical category"
        return "P0", why
    if sev is Severity.HIGH or (sev is Severity.MEDIUM and finding.category in critical_categories):
        return "P1", "high severity" if sev is Severity.HIGH else "medium severity in a critical category"
    if sev in (Severity.MEDIUM, Severity.LOW):
        return "P2", f"{sev.value} severity"
    return None


def make_plan(findings: Iterable[Finding], rubric: Rubric) -> Plan:
    critical = {name for c in rubric.categories if c.critical for name in (c.name, *c.findings_from)}
    groups: dict[tuple[Priority, str], list[Finding]] = {}
    whys: dict[tuple[Priority, str], str] = {}
    for f in findings:
        if not f.counts:  # to review, outside the service, waived: not in the plan
            continue
        decided = priority_of(f, critical)
        if decided is None:
            continue
        key = (decided[0], f.rule)
        groups.setdefault(key, []).append(f)
        whys[key] = decided[1]
    items = []
    for (priority, rule), group in sorted(groups.items()):
        first = group[0]
        effort = first.effort_hours * (1 + REPEAT_FACTOR * (len(group) - 1))
        locations = tuple(f"{f.path}:{f.line}" if f.line else (f.path or "repository") for f in group[:10])
        items.append(PlanItem(priority=priority, rule=rule, title=first.title or rule, category=first.category,
                              count=len(group), effort_hours=round(effort, 2), locations=locations,
                              why=whys[(priority, rule)]))  # fmt: skip
    hours = {p: round(sum(i.effort_hours for i in items if i.priority == p), 2) for p in ("P0", "P1", "P2")}
    low, high = (hours["P0"] * f / HOURS_PER_DAY for f in ESTIMATE_RANGE)
    assumptions = (
        "Production-ready means every P0 item done; P1 within a month, P2 within a quarter after.",
        "Effort per rule comes from the rules data (assess/rules/*.toml); each further finding of the same "
        f"rule adds {REPEAT_FACTOR:.0%} of it.",
        f"One engineer, {HOURS_PER_DAY:g} focused hours a day; the range is {ESTIMATE_RANGE[0]:g}x to "
        f"{ESTIMATE_RANGE[1]:g}x the summed estimate.",
        "Waived findings, info-level problems and categories switched off are not in the plan.",
    )
    return Plan(items=tuple(items), hours=hours, ready_low_days=round(low, 1), ready_high_days=round(high, 1),
                assumptions=assumptions)  # fmt: skip


def block_coverage(coverage: CoverageData | None, path: str, start: int, end: int) -> float | None:
    """The share (0..1) of the statements on lines ``start``..``end`` of ``path`` that the tests
    executed, from coverage.py's executed and missing lines; None when coverage says nothing there.
    CRAP, the critical areas and the hotspot chart all join complexity to coverage through it."""
    if coverage is None or coverage.totals is None:
        return None
    entry = next((f for f in coverage.files if f.path == path), None)
    if entry is None:
        return None
    span = range(start, end + 1)
    executed = sum(1 for n in entry.executed_lines if n in span)
    missing = sum(1 for n in entry.missing_lines if n in span)
    return executed / (executed + missing) if executed + missing else None


def crap(complexity: int, coverage: float) -> float:
    """Change Risk Anti-Patterns: cc^2 * (1 - coverage)^3 + cc."""
    return complexity**2 * (1 - coverage) ** 3 + complexity


def critical_areas(evidence: Mapping[str, Evidence]) -> tuple[CriticalArea, ...]:
    """Functions ranked by CRAP, highest first: those above the threshold, and those of complexity 5
    or more the tests do not fully execute; with no coverage, the functions of complexity over 10."""
    comp = evidence.get("complexity")
    cov = evidence.get("coverage")
    blocks = comp.data.blocks if comp and isinstance(comp.data, ComplexityData) else ()
    coverage = cov.data if cov and isinstance(cov.data, CoverageData) else None
    areas = []
    for b in blocks:
        if b.kind == "class":
            continue
        share = block_coverage(coverage, b.path, b.line, b.end_line)
        score = crap(b.complexity, share) if share is not None else None
        if score is not None and share is not None and (score > CRAP_THRESHOLD or (share < 1 and b.complexity >= 5)):
            verdict = f"> {CRAP_THRESHOLD:g}, risky to change" if score > CRAP_THRESHOLD else f"<= {CRAP_THRESHOLD:g}"
            reason = (f"complexity {b.complexity} with {share:.0%} of its statements executed by the tests: "
                      f"CRAP {score:.1f} {verdict}")  # fmt: skip
        elif score is None and b.complexity > 10 and (coverage is None or coverage.totals is None):
            reason = f"complexity {b.complexity}; coverage not measured, so its risk is unknown"
        else:
            continue
        areas.append(CriticalArea(path=b.path, line=b.line, name=b.name, complexity=b.complexity,
                                  coverage=share, crap=round(score, 2) if score is not None else None,
                                  reason=reason))  # fmt: skip
    areas.sort(key=lambda a: (-(a.crap if a.crap is not None else a.complexity), a.path, a.line))
    return tuple(areas[:MAX_AREAS])


def untested_reliability_code(findings: Sequence[Finding]) -> tuple[UntestedReliabilityCode, ...]:
    """Error handling, retries and persistence sites the tests never execute (from the findings' join)."""
    out = {
        (f.path, f.line, f.rule): UntestedReliabilityCode(path=f.path, line=f.line, rule=f.rule,
                                                          title=f.title or f.rule, category=f.category)
        for f in findings
        if f.tested is False and f.path and f.line and f.category in RELIABILITY_CATEGORIES
    }  # fmt: skip
    return tuple(v for _, v in sorted(out.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or 0, kv[0][2])))
