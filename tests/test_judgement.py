"""What counts toward grades and the verdict (issue 15): only confirmed findings in the service's own code.

A finding in developer tooling, an example or a benchmark is shown apart and moves nothing; a finding the code
cannot prove ("likely", "possible") is listed to review and moves nothing; every problem rule says why it has its
severity.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.assessment import write_outputs
from assess.collectors import run_collector
from assess.model import Assessment, Severity, Status
from assess.model.findings import Finding
from assess.model.patterns import PatternsData, PatternsEvidence
from assess.pipeline import Pipeline
from assess.rubric import load_rubric
from assess.rubric.plan import make_plan
from assess.rubric.score import decide, grade_all
from assess.rules import default_rules
from tests.conftest import CALC_PROJECT, write_files

TOOLING = {
    "scripts/release.py": "import subprocess\nimport pickle\n\nTOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB'\n\n"
                          "def run(cmd, blob):\n    subprocess.call(cmd, shell=True)\n    eval(cmd)\n"
                          "    return pickle.loads(blob)\n",
    "examples/client.py": "import requests\n\ndef fetch():\n    return requests.get('http://example.com').text\n",
    "benchmarks/bench.py": "import requests\n\ndef hammer():\n    while True:\n        requests.get('http://x')\n",
}  # fmt: skip


def _assess(make_repo, make_ctx, files: dict[str, str | bytes], name: str) -> Assessment:
    repo = make_repo(files, name=name)
    ctx = make_ctx(repo, no_tests=True)
    run_dir = ctx.run_dir / name
    run_dir.mkdir()
    ctx = type(ctx)(params=ctx.params, run_dir=run_dir)
    Pipeline(ctx.params, run_dir).write_info()
    for kind in ("inventory", "complexity", "patterns", "coverage"):
        run_collector(kind, ctx)
    return write_outputs(run_dir)


def test_findings_in_tooling_and_examples_change_no_grade_and_no_verdict(make_repo, make_ctx) -> None:
    clean = _assess(make_repo, make_ctx, dict(CALC_PROJECT), "clean")
    with_tooling = _assess(make_repo, make_ctx, {**CALC_PROJECT, **TOOLING}, "tooling")
    outside = [f for f in with_tooling.findings if f.kind == "problem" and f.outside]
    assert {f.path for f in outside} >= {"scripts/release.py"}
    assert any(f.severity in (Severity.HIGH, Severity.CRITICAL) for f in outside)
    assert not any(f.counts for f in outside)
    # tooling adds source lines (a test-to-source ratio may move); what its findings could move must not
    by_findings = lambda a: [(g.category, g.status, g.grade, g.findings) for g in a.grades if not g.signals]  # noqa: E731
    assert by_findings(with_tooling) == by_findings(clean)
    assert [g.findings for g in with_tooling.grades] == [g.findings for g in clean.grades]
    assert with_tooling.verdict == clean.verdict
    assert with_tooling.plan == clean.plan


def _finding(rule: str, **fields: object) -> Finding:
    r = default_rules()[rule]
    return Finding(rule=rule, category=r.category, severity=r.severity, kind="problem", title=r.title,
                   path="app/x.py", line=3, message="m", effort_hours=r.effort_hours, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "counts"),
    [
        ({}, True),
        ({"confidence": "likely", "confidence_reason": "a setting elsewhere may change it"}, False),
        ({"confidence": "possible"}, False),
        ({"outside": "tooling: inside scripts/"}, False),
        ({"waived": "accepted"}, False),
    ],
    ids=["confirmed", "likely", "possible", "outside", "waived"],
)
def test_only_confirmed_findings_in_the_service_move_grades_verdict_and_plan(fields: dict, counts: bool) -> None:
    rubric = load_rubric()
    finding = _finding("errors.critical-init-swallowed", **fields)
    patterns = PatternsEvidence(status=Status.OK, data=PatternsData(files=(), sites=()))
    grades = grade_all((), [finding], {"patterns": patterns}, rubric)
    security = {g.category: g for g in grades}["Error Handling"]
    assert (security.findings == 1) is counts
    verdict = decide(grades, [finding], (), rubric)
    assert (verdict.decision == "NO-GO") is counts  # a critical finding is a blocker only when it counts
    assert bool(make_plan([finding], rubric).items) is counts
    assert finding.counts is counts
    assert finding.to_review is (fields.get("confidence") in ("likely", "possible"))


def test_every_problem_rule_says_why_it_has_its_severity() -> None:
    missing = [r.id for r in default_rules().values() if r.kind == "problem" and len(r.severity_why) < 20]
    assert missing == []
    assert {r.applies_to for r in default_rules().values()} <= {"production", "tests", "repository"}


def test_a_sdist_without_ci_gets_no_no_ci_finding(make_repo, make_ctx) -> None:
    files = {**CALC_PROJECT, "PKG-INFO": "Metadata-Version: 2.1\nName: calc\n"}
    assessment = _assess(make_repo, make_ctx, files, "sdist")
    assert not [f for f in assessment.findings if f.rule == "ops.no-ci"]
    assert assessment.project is not None and "CI configuration" in assessment.project.not_in_tree[0]
    with_nothing = _assess(make_repo, make_ctx, dict(CALC_PROJECT), "tree")
    assert [f.rule for f in with_nothing.findings if f.rule == "ops.no-ci"] == ["ops.no-ci"]


def test_write_outputs_keeps_the_project_model(tmp_path: Path, make_repo, make_ctx) -> None:
    write_files(tmp_path, {})
    assessment = _assess(make_repo, make_ctx, {**CALC_PROJECT, **TOOLING}, "model")
    assert assessment.project is not None
    assert assessment.project.outside["scripts/release.py"] == "tooling"
