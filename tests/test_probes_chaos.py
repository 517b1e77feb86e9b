"""Chaos probes: results in, exact findings (rule, path, line) and the numbers their messages state out.

Decisions the cases pin down:
- the success rate is pooled over a family's conclusive results (sum of successes over sum of
  trials), so 10 of 10 plus 8 of 10 is 90 %;
- an inconclusive result counts toward nothing; a family with only inconclusive results is not
  tested, never passed, and gets the low "tested nothing" finding instead;
- a family fails on any criterion it misses (rate, worst recovery, records lost); data loss over
  the criterion makes it ``chaos.data-loss``; a crash, SIGTERM or disk-full family is high;
- a result with no family is reported, not judged;
- a chaos finding has no location unless the result file is in the target (its path, no line) or
  a code finding explains the failure (that finding's file and line, named in the message).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.chaos import load_criteria
from assess.chaos.judge import judge
from assess.collectors.patterns import scan
from assess.facts import chaos_facts
from assess.model import PatternsData, Status
from assess.model.chaos import ChaosData, ChaosEvidence, ChaosResult, ScenarioFamily
from assess.model.findings import Finding, Severity
from assess.model.patterns import PatternsEvidence
from assess.probes import ProbeInput, load_probes, run_probes
from assess.probes.chaos import FAILED_RULE, RELATED, scenario_verdicts
from assess.rules import default_rules

Key = tuple[str, str | None, int | None]
F = ScenarioFamily
DEVIATED = "the steady state deviated after the method (probe 'clean-exit' out of tolerance)"
BEFORE = "the steady state was not met before the method, so nothing was tested"


def result(
    family: F | None,
    trials: int = 1,
    successes: int = 1,
    *,
    source: str = "chaos/run.json",
    origin: str = "given",
    inconclusive: bool = False,
    reason: str = "the steady state held",
    recovery: tuple[float, ...] = (),
    lost: int | None = None,
    title: str = "experiment",
) -> ChaosResult:
    return ChaosResult(source=source, origin=origin, format="native", title=title, family=family,
                       family_reason="declared family" if family else "no tag, mapping or title word names a family",
                       trials=trials, successes=successes, inconclusive=inconclusive, outcome_reason=reason,
                       recovery_times_s=recovery, data_loss=lost)  # fmt: skip


def chaos_findings(*results: ChaosResult, patterns: PatternsData | None = None) -> list[Finding]:
    evidence = {"chaos": ChaosEvidence(status=Status.OK, data=ChaosData(results=results))}
    if patterns is not None:
        evidence["patterns"] = PatternsEvidence(status=Status.OK, data=patterns)  # type: ignore[assignment]
    return [f for f in run_probes(evidence) if f.rule.startswith("chaos.")]


def keys(found: list[Finding]) -> list[Key]:
    return sorted(((f.rule, f.path, f.line) for f in found), key=str)


@pytest.mark.parametrize(
    ("results", "expected", "said"),
    [
        pytest.param(
            [result(F.GRACEFUL_TERMINATION, 10, 9, recovery=(1.5, 2.25))],
            [("chaos.scenario-passed", None, None)],
            [
                "graceful-termination meets its criteria: 9 of 10 trials held (90 %, criterion at least 90 %)",
                "worst recovery 2.25 s (criterion at most 300 s)",
                "Process Termination: 90% clean cleanup",
                "Runs: chaos/run.json: the steady state held.",
            ],
            id="pass-at-the-criterion",
        ),
        pytest.param(
            [result(F.GRACEFUL_TERMINATION, 1, 0, source="chaos/graceful-termination-1/journal.json", reason=DEVIATED)],
            [("chaos.durability-scenario-failed", None, None)],
            [
                "graceful-termination fails on success rate: 0 of 1 trials held (0 %, criterion at least 90 %)",
                "recovery time not measured (criterion at most 300 s)",
                "criteria from 'Process Termination: 90% clean cleanup; MTTR < 5 min'",
                f"Failing runs: chaos/graceful-termination-1/journal.json: {DEVIATED}.",
            ],
            id="fail-on-rate",
        ),
        pytest.param(
            [
                result(F.NETWORK_LATENCY, 10, 10, recovery=(12.0, 400.0), source="chaos/slow.json"),
                result(F.NETWORK_LATENCY, 10, 10, recovery=(3.0,), source="chaos/fast.json"),
            ],
            [("chaos.scenario-failed", None, None)],
            [
                "network-latency fails on recovery time: 20 of 20 trials held (100 %, criterion at least 95 %)",
                "worst recovery 400 s (criterion at most 300 s)",
                "Failing runs: chaos/slow.json: the steady state held.",
            ],
            id="fail-on-recovery-cites-only-the-slow-run",
        ),
        pytest.param(
            [result(F.PROCESS_CRASH, 20, 20, lost=3, recovery=(4.0,))],
            [("chaos.data-loss", None, None)],
            [
                "process-crash fails on data loss: 20 of 20 trials held",
                "3 record(s) lost (criterion at most 0)",
                "no data loss allowed",
            ],
            id="fail-on-data-loss",
        ),
        pytest.param(
            [result(F.TIMEOUT, 1, 0, inconclusive=True, reason=BEFORE, source="chaos/t.json")],
            [("chaos.inconclusive", None, None)],
            [
                "timeout: 1 of 1 result(s) tested nothing, so the family is not tested",
                f"Inconclusive runs: chaos/t.json: {BEFORE}.",
            ],
            id="inconclusive-only-is-not-tested-never-passed",
        ),
        pytest.param(
            [
                result(F.DEPENDENCY_OUTAGE, 10, 10, source="chaos/a.json"),
                result(F.DEPENDENCY_OUTAGE, 10, 8, source="chaos/b.json", reason="2 requests failed"),
            ],
            [("chaos.scenario-failed", None, None)],
            ["18 of 20 trials held (90 %, criterion at least 95 %)", "Failing runs: chaos/b.json: 2 requests failed."],
            id="rate-pooled-across-results",
        ),
        pytest.param(
            [result(F.LOAD, 10, 10), result(F.LOAD, 10, 9, source="chaos/b.json")],
            [("chaos.scenario-passed", None, None)],
            ["19 of 20 trials held (95 %, criterion at least 95 %)"],
            id="exactly-at-95-percent-passes",
        ),
        pytest.param(
            [
                result(F.MEMORY_PRESSURE, 5, 5, source="chaos/ok.json"),
                result(F.MEMORY_PRESSURE, 1, 0, inconclusive=True, reason=BEFORE, source="chaos/skipped.json"),
            ],
            [("chaos.scenario-passed", None, None), ("chaos.inconclusive", None, None)],
            ["5 of 5 trials held", "1 of 2 result(s) tested nothing, so the family is judged on the other 1"],
            id="inconclusive-left-out-of-the-rate",
        ),
        pytest.param(
            [result(None, 3, 1, title="poke it", source="chaos/odd.json")],
            [("chaos.unmapped", None, None)],
            ["chaos/odd.json: 'poke it' is judged against no success criteria", "1 of 3 trials held"],
            id="unmapped",
        ),
        pytest.param(
            [result(F.DISK_EXHAUSTION, 2, 1, origin="target", source="ops/chaos/disk.json")],
            [("chaos.durability-scenario-failed", "ops/chaos/disk.json", None)],
            [
                "disk-exhaustion fails on success rate: 1 of 2 trials held (50 %, criterion at least 90 %)",
                "data loss not measured (criterion at most 0)",
            ],
            id="result-in-the-target-is-the-location",
        ),
        pytest.param(
            [result(F.NETWORK_PARTITION, 1, 0, source="chaos/p.json"), result(F.TIMEOUT, 1, 0, source="chaos/t.json")],
            [("chaos.scenario-failed", None, None), ("chaos.scenario-failed", None, None)],
            ["network-partition fails", "timeout fails"],
            id="families-without-location-stay-apart",
        ),
    ],
)
def test_chaos_findings(results: list[ChaosResult], expected: list[Key], said: list[str]) -> None:
    found = chaos_findings(*results)
    assert keys(found) == sorted(expected, key=str)
    messages = " | ".join(f.message for f in found)
    for text in said:
        assert text in messages


def test_severities_come_from_the_rules_data() -> None:
    (crash,) = chaos_findings(result(F.PROCESS_CRASH, 2, 0))
    (latency,) = chaos_findings(result(F.NETWORK_LATENCY, 2, 0))
    (lost,) = chaos_findings(result(F.DISK_EXHAUSTION, 2, 2, lost=1))
    (unjudged,) = chaos_findings(result(F.LOAD, 2, 2, lost=1))  # load has no data-loss criterion
    assert (crash.severity, latency.severity) == (Severity.HIGH, Severity.MEDIUM)
    assert (lost.rule, lost.severity, unjudged.rule) == ("chaos.data-loss", Severity.HIGH, "chaos.scenario-passed")
    assert crash.category == "Chaos Engineering" and crash.recommendation and crash.effort_hours > 0


SERVER = "import socketserver\n\n\nserver = socketserver.TCPServer(('127.0.0.1', 9), None)\nserver.serve_forever()\n"


def test_failure_is_placed_at_the_code_that_explains_it(tmp_path: Path) -> None:
    (tmp_path / "relay.py").write_text(SERVER, encoding="utf-8")
    patterns, _ = scan(tmp_path)
    failed = result(F.GRACEFUL_TERMINATION, 1, 0, source="chaos/graceful-termination-1/journal.json", reason=DEVIATED)
    found = chaos_findings(failed, result(F.TIMEOUT, 1, 0), patterns=patterns)
    assert keys(found) == [("chaos.durability-scenario-failed", "relay.py", 5), ("chaos.scenario-failed", None, None)]
    (term,) = [f for f in found if f.path]
    assert term.message.endswith(
        f"Failing runs: chaos/graceful-termination-1/journal.json: {DEVIATED}. "
        "Related findings in the code: Server without SIGTERM handling (relay.py:5)."
    )
    assert "serve_forever" in term.snippet


def test_related_findings_in_table_order_then_place() -> None:
    def code(rule: str, path: str, line: int) -> Finding:
        return Finding(rule=rule, category="Reliability Patterns", severity=Severity.HIGH, kind="problem", title=rule,
                       path=path, line=line, message="m")  # fmt: skip

    given = ProbeInput(
        patterns=PatternsData(files=(), sites=()),
        chaos=ChaosData(results=(result(F.DEPENDENCY_OUTAGE, 4, 0),)),
        findings=(code("reliability.no-circuit-breaker", "a.py", 1), code("reliability.db-no-timeout", "z.py", 9),
                  code("reliability.http-no-timeout", "b.py", 7), code("reliability.http-no-timeout", "b.py", 3),
                  code("security.eval", "a.py", 2)),
    )  # fmt: skip
    (hit,) = scenario_verdicts(given)
    assert (hit.path, hit.line) == ("b.py", 3)
    assert hit.details["related"] == (
        " Related findings in the code: reliability.http-no-timeout (b.py:3); reliability.http-no-timeout (b.py:7);"
        " reliability.db-no-timeout (z.py:9); and 1 more."
    )


def test_no_chaos_and_no_patterns_means_no_findings() -> None:
    assert run_probes({"chaos": ChaosEvidence(status=Status.SKIPPED, reason="no results")}) == ()
    assert chaos_findings() == []


def test_tables_name_known_rules_and_every_family() -> None:
    rules = default_rules()
    assert set(RELATED) == set(FAILED_RULE) == set(F) == set(load_criteria())
    assert {r for related in RELATED.values() for r in related} <= {r.id for r in rules.values() if r.kind == "problem"}
    assert set(FAILED_RULE.values()) <= set(rules)
    assert all(p.reads in ("patterns", "chaos") for p in load_probes().values())


def test_judge_pools_trials_and_leaves_out_inconclusive_results() -> None:
    results = [result(F.LOAD, 10, 10, recovery=(5.0,), lost=0), result(F.LOAD, 10, 8, lost=2),
               result(F.LOAD, 5, 0, inconclusive=True, recovery=(999.0,), lost=7), result(None, 1, 1)]  # fmt: skip
    (verdict,) = judge(results, load_criteria())
    assert (verdict.trials, verdict.successes, verdict.worst_recovery_s, verdict.data_loss) == (20, 18, 5.0, 2)
    assert verdict.failed == ("success rate",) and verdict.status == "failed"  # load has no data-loss criterion
    assert len(verdict.inconclusive) == 1 and verdict.failing_results() == (results[1],)


def _facts(ev: ChaosEvidence | None) -> dict[str, object]:
    return {f.key: f.value for f in chaos_facts(ev)}


def test_chaos_facts_count_results_and_verdicts() -> None:
    data = ChaosData(results=(
        result(F.GRACEFUL_TERMINATION, 1, 0), result(F.PROCESS_CRASH, 5, 5, recovery=(2.0, 7.5), lost=0),
        result(F.TIMEOUT, 1, 0, inconclusive=True), result(None, 1, 1),
    ))  # fmt: skip
    facts = list(chaos_facts(ChaosEvidence(status=Status.OK, data=data)))
    assert {f.key: f.value for f in facts} == {
        "chaos.results": 4, "chaos.unreadable": 0, "chaos.families": 3, "chaos.families.passed": 1,
        "chaos.families.failed": 1, "chaos.families.not_tested": 1, "chaos.inconclusive": 1, "chaos.unmapped": 1,
        "chaos.recovery.worst": 7.5, "chaos.data_loss": 0,
    }  # fmt: skip
    assert all(f.source.startswith("evidence/chaos.json#/data/") for f in facts)
    notes = {f.key: f.note for f in facts}
    assert notes["chaos.families.failed"] == "graceful-termination"
    assert notes["chaos.families"] == "process-crash, graceful-termination, timeout"


@pytest.mark.parametrize(
    ("ev", "note"),
    [
        (None, "no chaos evidence"),
        (ChaosEvidence(status=Status.SKIPPED, reason="no chaos results given or found"),
         "chaos skipped: no chaos results given or found"),
    ],
)  # fmt: skip
def test_chaos_facts_without_data_are_not_measured(ev: ChaosEvidence | None, note: str) -> None:
    facts = list(chaos_facts(ev))
    assert facts and all(f.value is None and f.note == note for f in facts)


def test_unmeasured_recovery_and_loss_are_none_with_a_reason() -> None:
    facts = {f.key: f for f in chaos_facts(ChaosEvidence(status=Status.OK, data=ChaosData(results=(result(F.LOAD),))))}
    assert facts["chaos.recovery.worst"].value is None and facts["chaos.recovery.worst"].note
    assert facts["chaos.data_loss"].value is None and "data loss" in (facts["chaos.data_loss"].note or "")


def test_the_targets_criteria_are_used_and_named() -> None:
    criteria = load_criteria({"graceful-termination": {"min_success_rate": 0.5}})
    results = (result(F.GRACEFUL_TERMINATION, 2, 1),)
    given = ProbeInput(
        patterns=PatternsData(files=(), sites=()), chaos=ChaosData(results=results, criteria=tuple(criteria.values()))
    )
    (hit,) = scenario_verdicts(given)
    assert hit.rule == "chaos.scenario-passed"
    assert (
        hit.details["criteria"]
        == "'Process Termination: 90% clean cleanup; MTTR < 5 min' (min_success_rate set by the target)"
    )
    (default,) = scenario_verdicts(ProbeInput(patterns=given.patterns, chaos=ChaosData(results=results)))
    assert default.rule == "chaos.durability-scenario-failed"
