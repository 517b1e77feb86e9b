"""The rubric: facts and findings in, grades, verdict, plan and waivers out (golden and table tests)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.config import Waiver, apply_waivers, parse_config
from assess.model import Evidence, Fact, PatternsEvidence, Status
from assess.model.chaos import ChaosData, ChaosEvidence
from assess.model.findings import Finding, Severity
from assess.model.grades import CategoryGrade
from assess.model.patterns import PatternsData
from assess.rubric import apply_overrides, load_rubric
from assess.rubric.plan import crap, make_plan, priority_of
from assess.rubric.score import decide, grade_all, grade_of

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ASSESS_UPDATE_GOLDEN") == "1"
TODAY = dt.date(2026, 11, 22)
SERVICE = {
    "app.py": "import sqlite3\nimport socketserver\nimport urllib.request\n\n\ndef save(db, x):\n"
    "    with sqlite3.connect(db) as c:\n        c.execute('insert into t values (?)', (x,))\n\n\n"
    "def fetch(url):\n    return urllib.request.urlopen(url, timeout=5).read()\n\n\n"
    "server = socketserver.TCPServer(('127.0.0.1', 9), None)\nserver.serve_forever()\n",
}


def fact(key: str, value: float | None, note: str | None = None) -> Fact:
    return Fact(key=key, label=key, value=value, source=f"evidence/x.json#/{key}", note=note)


GOOD_FACTS = [
    fact("coverage.percent_covered", 92.0),
    fact("tests.passed", 200), fact("tests.failed", 0), fact("tests.error", 0),
    fact("inventory.ratio.lines", 110.0),
    fact("inventory.tests.integration", 40), fact("inventory.tests.e2e", 10), fact("inventory.tests.definitions", 200),
    fact("inventory.tests.performance", 6),
    fact("chaos.families", 6), fact("chaos.families.passed", 6), fact("chaos.families.failed", 0),
    fact("complexity.over_10", 1), fact("complexity.functions", 200), fact("complexity.max", 12),
]  # fmt: skip


def finding(rule: str, category: str, severity: Severity, path: str = "app.py", line: int = 5, **kw: object) -> Finding:
    return Finding(rule=rule, category=category, severity=severity, kind=kw.pop("kind", "problem"),
                   title=rule, path=path, line=line, message="m", effort_hours=kw.pop("effort", 2.0), **kw)  # fmt: skip


@pytest.fixture(scope="module")
def service_patterns(tmp_path_factory: pytest.TempPathFactory) -> PatternsData:
    root = tmp_path_factory.mktemp("svc")
    for rel, text in SERVICE.items():
        (root / rel).write_text(text, encoding="utf-8")
    data, _ = scan(root)
    return data


def evidence(patterns: PatternsData | None, chaos: ChaosEvidence | None = None) -> dict[str, Evidence]:
    out: dict[str, Evidence] = {}
    if patterns is not None:
        out["patterns"] = PatternsEvidence(status=Status.OK, data=patterns)
    if chaos is not None:
        out["chaos"] = chaos
    return out


def by_name(grades: tuple[CategoryGrade, ...]) -> dict[str, CategoryGrade]:
    return {g.category: g for g in grades}


def test_golden_good_service(service_patterns: PatternsData) -> None:
    """A well-measured service with a few findings: the exact grades, verdict and plan."""
    rubric = load_rubric()
    findings = (
        finding("reliability.http-no-timeout", "Dependency Resilience", Severity.HIGH),
        finding("reliability.http-no-timeout", "Dependency Resilience", Severity.HIGH, line=9),
        finding("security.weak-random", "Security", Severity.MEDIUM, effort=0.5),
        finding("errors.swallowed-exception", "Error Handling", Severity.LOW, effort=1.0),
        finding("health.deep-check", "Health Monitoring", Severity.INFO, kind="good", effort=0.0),
    )
    ev = evidence(service_patterns, ChaosEvidence(status=Status.OK, data=ChaosData(results=())))
    grades = grade_all(GOOD_FACTS, findings, ev, rubric)
    verdict = decide(grades, findings, GOOD_FACTS, rubric)
    plan = make_plan(findings, rubric)
    document = {
        "grades": [g.model_dump(mode="json") for g in grades],
        "verdict": verdict.model_dump(mode="json"),
        "plan": plan.model_dump(mode="json"),
    }
    path = GOLDEN / "rubric-good-service.json"
    if UPDATE:
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert document == json.loads(path.read_text(encoding="utf-8"))
    # What the golden file says, in words: one high finding's rule keeps a non-critical category at B+-
    assert verdict.decision == "NEEDS_WORK"
    assert verdict.reasons == ("2 unwaived high finding(s): reliability.http-no-timeout at app.py:5; "
                               "reliability.http-no-timeout at app.py:9",)  # fmt: skip
    assert by_name(grades)["Test Coverage"].grade == "A"
    assert by_name(grades)["Dependency Resilience"].grade == "B"  # 4 - 0.8 per rule, not per finding


@pytest.mark.parametrize(
    ("points", "grade"), [(4.0, "A"), (3.99, "B+"), (3.5, "B+"), (3.2, "B"), (2.5, "C+"), (1.0, "D"), (0.99, "F")]
)
def test_points_round_down_to_a_grade(points: float, grade: str) -> None:
    assert grade_of(points) == grade


def test_not_measured_is_neither_pass_nor_fail(service_patterns: PatternsData) -> None:
    facts = [f for f in GOOD_FACTS if not f.key.startswith("coverage.")]
    facts.append(fact("coverage.percent_covered", None, note="coverage skipped: --no-tests"))
    grades = by_name(grade_all(facts, (), evidence(service_patterns), load_rubric()))
    cov = grades["Test Coverage"]
    assert (cov.status, cov.grade) == ("not-measured", None)
    assert cov.reason == "evidence/x.json#/coverage.percent_covered (not measured: coverage skipped: --no-tests)"
    verdict = decide(tuple(grades.values()), (), facts, load_rubric())
    assert verdict.decision == "NEEDS_WORK"
    assert any("Test Coverage was not measured" in r for r in verdict.reasons)


def test_categories_that_do_not_apply(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    patterns, _ = scan(tmp_path)
    grades = by_name(grade_all(GOOD_FACTS, (), evidence(patterns), load_rubric()))
    for name in ("Data Durability", "Dependency Resilience", "Health Monitoring", "Observability", "Chaos Engineering"):
        assert grades[name].status == "not-applicable", name
        assert grades[name].grade is None and grades[name].reason
    assert grades["Security"].status == "graded" and grades["Security"].grade == "A"


def test_a_library_with_chaos_results_is_graded_on_them(tmp_path: Path) -> None:
    """Chaos Engineering applies to services, and to anything that runs chaos experiments anyway."""
    (tmp_path / "lib.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    patterns, _ = scan(tmp_path)
    facts = [f for f in GOOD_FACTS if f.key != "chaos.results"] + [fact("chaos.results", 3)]
    chaos = by_name(grade_all(facts, (), evidence(patterns), load_rubric()))["Chaos Engineering"]
    assert chaos.status == "graded"


def test_findings_only_categories_need_their_evidence() -> None:
    grades = by_name(grade_all(GOOD_FACTS, (), {}, load_rubric()))
    assert grades["Security"].status == "not-measured"
    assert grades["Security"].reason == "no patterns evidence in this run"
    failed = {"patterns": PatternsEvidence(status=Status.ERROR, reason="notebook failed at cell 2")}
    assert by_name(grade_all(GOOD_FACTS, (), failed, load_rubric()))["Security"].reason == (
        "the patterns stage failed: notebook failed at cell 2"
    )


def test_no_chaos_results_is_an_f_not_a_gap(service_patterns: PatternsData) -> None:
    facts = [f for f in GOOD_FACTS if not f.key.startswith("chaos.")]
    facts += [fact("chaos.families", None, "chaos skipped"), fact("chaos.families.passed", None, "chaos skipped"),
              fact("chaos.families.failed", None, "chaos skipped")]  # fmt: skip
    searched = ChaosEvidence(status=Status.SKIPPED, reason="no chaos results found", data=ChaosData(results=()))
    chaos = by_name(grade_all(facts, (), evidence(service_patterns, searched), load_rubric()))["Chaos Engineering"]
    assert (chaos.status, chaos.grade) == ("graded", "F")
    assert any("no fault injection is practised" in n for n in chaos.notes)
    errored = ChaosEvidence(status=Status.ERROR, reason="chaos config: bad")
    gap = by_name(grade_all(facts, (), evidence(service_patterns, errored), load_rubric()))["Chaos Engineering"]
    assert gap.status == "not-measured"


NO_CHAOS = [fact("chaos.families", None, "chaos skipped"), fact("chaos.families.passed", None, "chaos skipped"),
            fact("chaos.families.failed", None, "chaos skipped")]  # fmt: skip
NO_PRACTICES = [f for f in GOOD_FACTS if not f.key.startswith("chaos.") and f.key != "inventory.tests.performance"]
NO_PRACTICES += [*NO_CHAOS, fact("inventory.tests.performance", 0)]
NO_LOAD_TESTS = finding("tests.no-performance-tests", "Performance Testing", Severity.MEDIUM, path=None, line=None)


@pytest.mark.parametrize(
    ("facts", "findings", "decision"),
    [
        # No load tests and no chaos experiments: both F, both in the plan, neither holds the release.
        (NO_PRACTICES, (NO_LOAD_TESTS,), "GO"),
        # A performance problem in the code counts against Performance Testing: the F is no longer mere absence.
        (NO_PRACTICES, (NO_LOAD_TESTS, finding("performance.query-in-loop", "Performance", Severity.MEDIUM)),
         "NEEDS_WORK"),
        # Chaos experiments that ran and failed are evidence, not absence.
        ([f for f in NO_PRACTICES if not f.key.startswith("chaos.")]
         + [fact("chaos.families", 1), fact("chaos.families.passed", 0), fact("chaos.families.failed", 1)],
         (NO_LOAD_TESTS,), "NEEDS_WORK"),
    ],
    ids=["absent-practices", "performance-finding", "failed-experiments"],
)
def test_an_absent_practice_is_a_plan_item_not_a_verdict(
    service_patterns: PatternsData, facts: list[Fact], findings: tuple[Finding, ...], decision: str
) -> None:
    rubric = load_rubric()
    searched = ChaosEvidence(status=Status.SKIPPED, reason="no chaos results found", data=ChaosData(results=()))
    skipped = any(f.key == "chaos.families" and f.value is None for f in facts)
    chaos = searched if skipped else ChaosEvidence(status=Status.OK, data=ChaosData(results=()))
    grades = grade_all(facts, findings, evidence(service_patterns, chaos), rubric)
    assert by_name(grades)["Performance Testing"].grade == "F"
    assert by_name(grades)["Chaos Engineering"].grade == "F"
    verdict = decide(grades, findings, facts, rubric)
    assert verdict.decision == decision, verdict.reasons
    fired = {r.rule for r in verdict.rules if r.fired}
    assert ("any-category-failing" in fired) == (decision == "NEEDS_WORK")


def test_a_critical_finding_caps_and_decides(service_patterns: PatternsData) -> None:
    findings = (finding("security.eval", "Security", Severity.CRITICAL),)
    grades = grade_all(GOOD_FACTS, findings, evidence(service_patterns), load_rubric())
    assert by_name(grades)["Security"].grade == "D"  # 4 - 2 = 2 (C), capped at D
    verdict = decide(grades, findings, GOOD_FACTS, load_rubric())
    assert verdict.decision == "NO-GO"
    assert verdict.reasons == (
        "Security is graded D (critical category)",
        "1 unwaived critical finding(s): security.eval at app.py:5",
    )
    fired = {r.rule for r in verdict.rules if r.fired}
    assert fired == {"critical-category-failing", "blocker-finding", "critical-category-weak"}


def test_a_strong_area_does_not_hide_a_weak_one(service_patterns: PatternsData) -> None:
    facts = [f if f.key != "coverage.percent_covered" else fact(f.key, 35.0) for f in GOOD_FACTS]
    grades = grade_all(facts, (), evidence(service_patterns), load_rubric())
    assert by_name(grades)["Test Coverage"].grade == "F"
    assert decide(grades, (), facts, load_rubric()).decision == "NO-GO"


def test_failing_tests_are_no_go(service_patterns: PatternsData) -> None:
    facts = [f if f.key != "tests.failed" else fact(f.key, 3) for f in GOOD_FACTS]
    verdict = decide(grade_all(facts, (), evidence(service_patterns), load_rubric()), (), facts, load_rubric())
    assert verdict.decision == "NO-GO" and "3 of the target's tests fail or error" in verdict.reasons


def test_waivers_live_and_expired(service_patterns: PatternsData) -> None:
    findings = (
        finding("security.hardcoded-secret", "Security", Severity.HIGH, path="tests/fixtures/keys.py"),
        finding("security.hardcoded-secret", "Security", Severity.HIGH, path="app.py"),
        finding("security.weak-random", "Security", Severity.MEDIUM),
    )
    waivers = (
        Waiver(
            rule="security.hardcoded-secret", path="tests/*", justification="test keys", expires=dt.date(2027, 1, 1)
        ),
        Waiver(rule="security.weak-*", justification="ids only", expires=dt.date(2026, 11, 1)),
    )
    waived, statuses = apply_waivers(findings, waivers, TODAY)
    assert [f.waived for f in waived] == ["test keys (until 2027-01-01)", None, None]
    assert [(s.matched, s.expired) for s in statuses] == [(1, False), (0, True)]
    security = by_name(grade_all(GOOD_FACTS, waived, evidence(service_patterns), load_rubric()))["Security"]
    assert security.findings == 2 and any("1 finding(s) waived" in n for n in security.notes)
    assert make_plan(waived, load_rubric()).items[0].count == 1  # the waived one is not in the plan


def test_target_overrides(service_patterns: PatternsData) -> None:
    config = parse_config(
        {"weights": {"Security": 5}, "disabled": ["Performance Testing"],
         "thresholds": {"Test Coverage": {"coverage.percent_covered": {"A": 95}}}},
        "pyproject.toml [tool.assess]",
    )  # fmt: skip
    rubric = apply_overrides(load_rubric(), config.table, "pyproject.toml [tool.assess]")
    grades = by_name(grade_all(GOOD_FACTS, (), evidence(service_patterns), rubric))
    assert grades["Performance Testing"].status == "disabled"
    assert grades["Performance Testing"].reason == "switched off in pyproject.toml [tool.assess]"
    assert grades["Test Coverage"].grade == "B+"  # 92 % is no longer an A
    assert grades["Security"].weight == 5
    assert rubric.changes == ("thresholds of Test Coverage / coverage.percent_covered changed",
                              "Performance Testing switched off", "weight of Security set to 5")  # fmt: skip


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"weight": {}}, "weight: unknown key (known: chaos, disabled"),
        ({"disabled": "Security"}, "disabled: must be a list of category names, got 'Security'"),
        ({"waivers": [{"rule": "x"}]}, "waivers[0].justification: missing; must be a justification"),
        ({"waivers": [{"rule": "x", "justification": "y", "expires": "soon"}]},
         "waivers[0].expires: must be a date (YYYY-MM-DD), got 'soon'"),
        ({"waivers": [{"rule": "x", "justification": "y", "owner": "me"}]},
         "waivers[0].owner: unknown key (known: rule, path, justification, expires)"),
    ],
)  # fmt: skip
def test_config_problems(table: dict[str, object], problem: str) -> None:
    config = parse_config(table, "pyproject.toml [tool.assess]")
    assert len(config.problems) == 1 and config.problems[0].startswith(f"pyproject.toml [tool.assess] {problem}")
    assert config.waivers == () and config.table == {}


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"weights": {"Speed": 1}}, "weights.Speed: not a category of the rubric (Chaos Engineering, "),
        ({"weights": {"Security": -1}}, "weights.Security: must be a number from 0 to 100, got -1"),
        ({"thresholds": {"Test Coverage": {"coverage.percent_lines": {"A": 1}}}},
         'thresholds."Test Coverage"."coverage.percent_lines": not a signal of Test Coverage '
         "(coverage.percent_covered)"),
        ({"thresholds": {"Test Coverage": {"coverage.percent_covered": {"A": 10}}}},
         'thresholds."Test Coverage"."coverage.percent_covered": thresholds must get lower from A to D; '
         "the rubric's thresholds apply"),
        ({"thresholds": {"Test Coverage": {"coverage.percent_covered": {"Z": 10}}}},
         'thresholds."Test Coverage"."coverage.percent_covered".Z: not a grade (A, B+, B, C+, C, D)'),
    ],
)  # fmt: skip
def test_override_problems_leave_the_rest_applied(overrides: dict[str, object], problem: str) -> None:
    config = parse_config({**overrides, "disabled": ["Performance Testing"]}, "assess.toml")
    rubric = apply_overrides(load_rubric(), config.table, "assess.toml")
    problems = (*config.problems, *rubric.problems)
    assert len(problems) == 1 and problems[0].startswith(f"assess.toml {problem}"), problems
    assert rubric.category("Performance Testing").disabled == "switched off in assess.toml"
    assert rubric.category("Test Coverage") == load_rubric().category("Test Coverage")


@pytest.mark.parametrize(
    ("severity", "category", "priority"),
    [
        (Severity.CRITICAL, "Observability", "P0"),
        (Severity.HIGH, "Security", "P0"),
        (Severity.HIGH, "Concurrency", "P0"),  # counted in Reliability Patterns, a critical category
        (Severity.HIGH, "Observability", "P1"),
        (Severity.MEDIUM, "Data Durability", "P1"),
        (Severity.MEDIUM, "Observability", "P2"),
        (Severity.LOW, "Security", "P2"),
        (Severity.INFO, "Security", None),
    ],
)
def test_priorities(severity: Severity, category: str, priority: str | None) -> None:
    rubric = load_rubric()
    critical = {n for c in rubric.categories if c.critical for n in (c.name, *c.findings_from)}
    decided = priority_of(finding("r", category, severity), critical)
    assert (decided[0] if decided else None) == priority


def test_plan_effort_and_time_to_ready() -> None:
    findings = [finding("security.eval", "Security", Severity.CRITICAL, line=n, effort=4.0) for n in (1, 2, 3)]
    plan = make_plan(findings, load_rubric())
    (item,) = plan.items
    assert (item.priority, item.count, item.effort_hours) == ("P0", 3, 6.0)  # 4 * (1 + 0.25 * 2)
    assert (plan.ready_low_days, plan.ready_high_days) == (0.8, 1.5)  # 6 h * 0.75 / 6, 6 h * 1.5 / 6
    assert item.locations == ("app.py:1", "app.py:2", "app.py:3")


@pytest.mark.parametrize(("cc", "cov", "expected"), [(1, 0.0, 2.0), (10, 0.0, 110.0), (10, 1.0, 10.0), (5, 0.5, 8.125)])
def test_crap(cc: int, cov: float, expected: float) -> None:
    assert crap(cc, cov) == pytest.approx(expected)


def test_docs_rubric_tables_are_current() -> None:
    from assess.rubric.doc import BEGIN, END, describe

    doc = (Path(__file__).parent.parent / "docs" / "rubric.md").read_text(encoding="utf-8")
    generated = doc[doc.index(BEGIN) : doc.index(END) + len(END)]
    assert generated == describe(load_rubric()), "run: python -m assess.rubric.doc --write docs/rubric.md"
    for category in load_rubric().categories:
        assert f"| {category.name} |" in generated


def test_docs_write_replaces_only_the_generated_part(tmp_path: Path) -> None:
    from assess.rubric.doc import BEGIN, END, main, replace_tables

    page = tmp_path / "rubric.md"
    page.write_text(f"# mine\n{BEGIN}\nold\n{END}\ntail\n", encoding="utf-8")
    assert main(["--write", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# mine\n{BEGIN}\n") and text.endswith(f"{END}\ntail\n") and "\nold\n" not in text
    with pytest.raises(ValueError, match="markers"):
        replace_tables("no markers", "x")
