"""Measured facts for the report: each a number from one evidence file, with where it came from.

Facts restate evidence; they never grade. A fact whose evidence is missing has value None and
a note saying why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from statistics import mean
from typing import Literal

from assess.chaos import criteria_in_force
from assess.chaos.judge import judge
from assess.model import (
    ComplexityEvidence,
    CoverageEvidence,
    Evidence,
    Fact,
    InventoryEvidence,
    PatternsEvidence,
    Role,
    Status,
    TestKind,
    TestOutcome,
    TestsEvidence,
)
from assess.model.chaos import ChaosEvidence

Better = Literal["higher", "lower"] | None

HIGH_COMPLEXITY = 10
"""Functions above this cyclomatic complexity are counted (radon ranks 11-20 as C, 'moderate risk')."""


STATIC_COUNT_NOTE = (
    "Read from the test files, not collected by pytest: fixture parametrization, non-literal parametrize "
    "lists, inherited test methods and doctests are not expanded, so pytest may run more (see Tests)."
)

KIND_LABELS = {
    TestKind.UNIT: "Unit",
    TestKind.INTEGRATION: "Integration",
    TestKind.E2E: "End-to-end",
    TestKind.PERFORMANCE: "Performance",
}
OUTCOME_LABELS = {
    TestOutcome.PASSED: "Tests passed",
    TestOutcome.FAILED: "Tests failed",
    TestOutcome.ERROR: "Tests with errors",
    TestOutcome.SKIPPED: "Tests skipped (pytest's xfail included)",
}


def _src(kind: str, pointer: str) -> str:
    return f"evidence/{kind}.json#{pointer}"


def _missing(kind: str, ev: Evidence | None) -> str:
    if ev is None:
        return f"no {kind} evidence"
    return f"{kind} {ev.status.value}: {ev.reason or 'no data'}"


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else 100.0 * ratio


def inventory_facts(ev: InventoryEvidence | None) -> Iterator[Fact]:
    d = ev.data if ev else None
    note = None if d else _missing("inventory", ev)
    roles = Counter(f.role for f in d.files) if d else Counter()
    kinds = Counter(t.kind for t in d.tests) if d else Counter()
    r = d.ratios if d else None

    def fact(
        key: str, label: str, value: float | int | str | None, pointer: str, explain: str | None = None, **kw: str
    ) -> Fact:
        return Fact(
            key=f"inventory.{key}",
            label=label,
            value=value if d else None,
            source=_src("inventory", pointer),
            note=note if d is None else explain,
            **kw,
        )

    yield fact("files", "Files inventoried", len(d.files) if d else None, "/data/files")
    for role in (Role.SOURCE, Role.TEST, Role.TEST_SUPPORT):
        yield fact(
            f"files.{role.value}",
            f"{role.value.replace('_', ' ').capitalize()} files",
            roles[role],
            f"/data/files (role = {role.value})",
        )
    yield fact("source_sloc", "Source lines of code", r.source_sloc if r else None, "/data/ratios/source_sloc")
    yield fact("test_sloc", "Test lines of code", r.test_sloc if r else None, "/data/ratios/test_sloc")
    yield fact(
        "ratio.files",
        "Test files per source file",
        _pct(r.files_ratio) if r else None,
        "/data/ratios/files_ratio",
        unit="%",
        better="higher",
    )
    yield fact(
        "ratio.lines",
        "Test lines per source line",
        _pct(r.lines_ratio) if r else None,
        "/data/ratios/lines_ratio",
        unit="%",
        better="higher",
    )
    yield fact("tests.definitions", "Test functions and methods", d.test_definitions if d else None, "/data/tests")
    yield fact(
        "tests.expanded",
        "Test cases after parametrize (counted statically)",
        d.test_cases_expanded if d else None,
        "/data/tests (expanded)",
        explain=STATIC_COUNT_NOTE,
    )
    yield fact(
        "tests.unknown_expansion",
        "Parametrized tests whose expansion is not a literal list (counted once)",
        d.unknown_expansions if d else None,
        "/data/tests (expanded = null)",
    )
    for kind in TestKind:
        yield fact(
            f"tests.{kind.value}",
            f"{KIND_LABELS[kind]} test definitions",
            kinds[kind],
            f"/data/tests (kind = {kind.value})",
        )


def coverage_facts(ev: CoverageEvidence | None) -> Iterator[Fact]:
    d = ev.data if ev else None
    note = None if d and ev and ev.status is Status.OK else _missing("coverage", ev)
    t = d.totals if d else None
    rows: list[tuple[str, str, float | int | str | None, str, str, str | None]] = [
        ("percent_lines", "Line coverage", t.percent_lines if t else None, "/data/totals/percent_lines", "%", "higher"),
        (
            "percent_branches",
            "Branch coverage",
            t.percent_branches if t else None,
            "/data/totals/percent_branches",
            "%",
            "higher",
        ),
        (
            "percent_covered",
            "Coverage (coverage.py total: lines and branches)",
            t.percent_covered if t else None,
            "/data/totals/percent_covered",
            "%",
            "higher",
        ),
        ("statements", "Statements measured", t.statements if t else None, "/data/totals/statements", "", None),
        ("files", "Source files measured", len(d.files) if d and t else None, "/data/files", "", None),
        (
            "fail_under",
            "The target's own coverage threshold (fail_under)",
            (d.fail_under or "none configured") if t and d else None,
            "/data/fail_under",
            "%",
            None,
        ),
    ]
    for n, (key, label, value, pointer, unit, better) in enumerate(rows):
        yield Fact(
            key=f"coverage.{key}",
            label=label,
            value=value,
            unit=unit,
            better=better,
            source=_src("coverage", pointer),
            note=note if value is None and (n == 0 or t is not None) else None,
        )


def tests_facts(ev: TestsEvidence | None) -> Iterator[Fact]:
    d = ev.data if ev else None
    note = None if d else _missing("tests", ev)
    for outcome in TestOutcome:
        yield Fact(
            key=f"tests.{outcome.value}",
            label=OUTCOME_LABELS[outcome],
            value=d.count(outcome) if d else None,
            source=_src("tests", f"/data/results (outcome = {outcome.value})"),
            note=note,
            better="lower" if outcome in (TestOutcome.FAILED, TestOutcome.ERROR) else None,
        )
    yield Fact(
        key="tests.duration",
        label="Sum of test durations",
        value=d.duration_s if d else None,
        unit="s",
        source=_src("tests", "/data/duration_s"),
        note=note,
    )


def complexity_facts(ev: ComplexityEvidence | None) -> Iterator[Fact]:
    d = ev.data if ev else None
    note = None if d else _missing("complexity", ev)
    funcs = [b for b in d.blocks if b.kind != "class"] if d else []
    mis = [f.mi for f in d.files if f.mi is not None] if d else []
    worst = max(funcs, key=lambda b: b.complexity, default=None)
    values: list[tuple[str, str, float | int | str | None, str, str | None]] = [
        ("functions", "Functions and methods analysed", len(funcs) if d else None, "/data/blocks", None),
        (
            "mean",
            "Mean cyclomatic complexity",
            mean(b.complexity for b in funcs) if funcs else None,
            "/data/blocks (mean of complexity)",
            "lower",
        ),
        ("max", "Highest cyclomatic complexity", worst.complexity if worst else None, "/data/blocks (max)", "lower"),
        (
            "max_at",
            "Most complex function",
            f"{worst.path}:{worst.line} {worst.name}" if worst else None,
            "/data/blocks (max)",
            None,
        ),
        (
            "over_10",
            f"Functions with complexity over {HIGH_COMPLEXITY}",
            sum(1 for b in funcs if b.complexity > HIGH_COMPLEXITY) if d else None,
            "/data/blocks",
            "lower",
        ),
        (
            "mi_mean",
            "Mean maintainability index (Python)",
            mean(mis) if mis else None,
            "/data/files (mean of mi)",
            "higher",
        ),
        (
            "unparsed",
            "Files that could not be analysed",
            sum(1 for f in d.files if f.error) if d else None,
            "/data/files (error)",
            "lower",
        ),
    ]
    for key, label, value, pointer, better in values:
        yield Fact(
            key=f"complexity.{key}",
            label=label,
            value=value,
            better=better,
            source=_src("complexity", pointer),
            note=note if value is None else None,
        )


def patterns_facts(ev: PatternsEvidence | None) -> Iterator[Fact]:
    d = ev.data if ev else None
    note = None if d else _missing("patterns", ev)
    yield Fact(key="patterns.files", label="Source, test and config files scanned for patterns",
               value=len(d.files) if d else None, source=_src("patterns", "/data/files"), note=note)  # fmt: skip
    yield Fact(key="patterns.unparsed", label="Files that could not be parsed",
               value=sum(1 for f in d.files if not f.parsed) if d else None, better="lower",
               source=_src("patterns", "/data/files (parsed = false)"), note=note)  # fmt: skip
    yield Fact(key="patterns.sites", label="Pattern sites recorded", value=len(d.sites) if d else None,
               source=_src("patterns", "/data/sites"), note=note)  # fmt: skip


def chaos_facts(ev: ChaosEvidence | None) -> Iterator[Fact]:
    """Chaos results counted, and each family's verdict against its criteria counted (the verdicts
    come from :func:`assess.chaos.judge.judge`); None with the reason when there is no chaos data."""
    d = ev.data if ev else None
    note = None if d else _missing("chaos", ev)
    results = d.results if d else ()
    verdicts = judge(results, criteria_in_force(d))
    names = {s: [v.family.value for v in verdicts if v.status == s] for s in ("passed", "failed", "not tested")}
    conclusive = [r for r in results if not r.inconclusive]
    worst = max((t for r in conclusive for t in r.recovery_times_s), default=None)
    losses = [r.data_loss for r in conclusive if r.data_loss is not None]

    def fact(key: str, label: str, value: float | int | None, pointer: str, better: Better = None,
             explain: str | None = None, unit: str = "") -> Fact:  # fmt: skip
        return Fact(key=f"chaos.{key}", label=label, value=value if d else None, unit=unit, better=better,
                    source=_src("chaos", pointer), note=note if d is None else explain)  # fmt: skip

    yield fact("results", "Chaos results read", len(results), "/data/results")
    yield fact("unreadable", "Chaos result files that could not be read", len(d.unreadable) if d else None,
               "/data/unreadable", "lower")  # fmt: skip
    yield fact("families", "Scenario families with results", len(verdicts), "/data/results (family)",
               explain=", ".join(v.family.value for v in verdicts) or None)  # fmt: skip
    by_verdict: tuple[tuple[str, str, str, Better], ...] = (
        ("passed", "passed", "Scenario families meeting their success criteria", "higher"),
        ("failed", "failed", "Scenario families below their success criteria", "lower"),
        ("not tested", "not_tested", "Scenario families with only inconclusive results (not tested)", "lower"),
    )
    for status, key, label, better in by_verdict:
        yield fact(f"families.{key}", label, len(names[status]),
                   "/data/results (by family, judged against assess/chaos/criteria.toml)", better,
                   explain=", ".join(names[status]) or None)  # fmt: skip
    yield fact("inconclusive", "Inconclusive results (nothing was tested)", len(results) - len(conclusive),
               "/data/results (inconclusive = true)", "lower")  # fmt: skip
    yield fact("unmapped", "Results not mapped to a scenario family (not judged)",
               sum(1 for r in results if r.family is None), "/data/results (family = null)", "lower")  # fmt: skip
    yield fact("recovery.worst", "Longest recovery measured", worst,
               "/data/results/recovery_times_s (max over conclusive results)", "lower",
               None if worst is not None else "no conclusive result measured a recovery time", unit="s")  # fmt: skip
    yield fact("data_loss", "Records lost (sum over the results that measured it)", sum(losses) if losses else None,
               "/data/results/data_loss (sum over conclusive results)", "lower",
               None if losses else "no conclusive result measured data loss")  # fmt: skip


FACT_BUILDERS: dict[str, Callable[[Evidence | None], Iterator[Fact]]] = {
    "inventory": inventory_facts,  # type: ignore[dict-item]
    "coverage": coverage_facts,  # type: ignore[dict-item]
    "tests": tests_facts,  # type: ignore[dict-item]
    "complexity": complexity_facts,  # type: ignore[dict-item]
    "patterns": patterns_facts,  # type: ignore[dict-item]
    "chaos": chaos_facts,  # type: ignore[dict-item]
}


def facts(evidence: dict[str, Evidence]) -> tuple[Fact, ...]:
    """All facts, in a stable order, from the evidence of one run."""
    return tuple(f for kind, build in FACT_BUILDERS.items() for f in build(evidence.get(kind)))
