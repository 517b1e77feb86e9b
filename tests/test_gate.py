"""CI gating (--fail-on, --baseline) and re-scoring or re-rendering a run folder without collecting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assess import gate
from assess.assessment import write_outputs
from assess.cli import EXIT_GATE, EXIT_OK, EXIT_USAGE, main
from assess.collectors import run_collector
from assess.model import Assessment, RunInfo, RunParameters
from assess.model.findings import Finding, Severity
from assess.model.grades import CategoryGrade, Verdict
from assess.model.io import read_assessment
from assess.pipeline import Pipeline
from assess.rubric import RUBRIC_FILE

from .conftest import CALC_PROJECT


def grade(category: str, value: str | None, status: str = "graded", reason: str | None = None) -> CategoryGrade:
    return CategoryGrade(category=category, status=status, grade=value, critical=False, weight=1.0,  # type: ignore[arg-type]
                         reason=reason)  # fmt: skip


def finding(rule: str = "reliability.http-no-timeout", severity: Severity = Severity.HIGH, **kw: object) -> Finding:
    fields: dict = {"path": "app.py", "line": 5, "snippet": "requests.get(url)", **kw}
    return Finding(rule=rule, category="Dependency Resilience", severity=severity, kind=fields.pop("kind", "problem"),
                   title="HTTP call without a timeout", message="m", **fields)  # fmt: skip


def assessment(grades=(), findings=(), decision: str | None = "NEEDS_WORK") -> Assessment:
    run = RunInfo(assess_version="0", run_id="r1", target="/t", target_name="t", started_at="2026-01-01T00:00:00Z",
                  parameters=RunParameters(target="/t"), python="python", platform="linux")  # fmt: skip
    verdict = Verdict(decision=decision, reasons=("because",), rules=()) if decision else None  # type: ignore[arg-type]
    return Assessment(run=run, evidence=(), facts=(), findings=tuple(findings), grades=tuple(grades), verdict=verdict)


@pytest.mark.parametrize(
    ("decision", "fail_on", "fails"),
    [
        ("GO", "NEEDS_WORK", False),
        ("NEEDS_WORK", "NEEDS_WORK", True),
        ("NO-GO", "NEEDS_WORK", True),
        ("NEEDS_WORK", "NO-GO", False),
        ("NO-GO", "NO-GO", True),
        (None, "NO-GO", True),  # not scored: no verdict is not a pass
        ("NO-GO", None, False),  # nothing asked
    ],
)
def test_fail_on(decision: str | None, fail_on: str | None, fails: bool) -> None:
    result = gate.check(assessment(decision=decision), fail_on)  # type: ignore[arg-type]
    assert result.passed is not fails


@pytest.mark.parametrize(
    ("before", "after", "failure"),
    [
        (grade("Security", "B"), grade("Security", "B"), None),
        (grade("Security", "B"), grade("Security", "A"), None),
        (grade("Security", "B"), grade("Security", "C+"), "grade dropped: Security: B -> C+"),
        (grade("Security", "B+"), grade("Security", "B"), "grade dropped: Security: B+ -> B"),
        (grade("Test Coverage", "A"), grade("Test Coverage", None, "not-measured", "tests failed to start"),
         "grade dropped: Test Coverage: A -> not measured (tests failed to start)"),
        (grade("Data Durability", "C"), grade("Data Durability", None, "not-applicable", "no database"), None),
        (grade("Data Durability", "C"), grade("Data Durability", None, "disabled", "switched off"), None),
        (grade("Security", None, "not-measured"), grade("Security", "F"), None),  # nothing to drop from
    ],
)  # fmt: skip
def test_baseline_grade_drops(before: CategoryGrade, after: CategoryGrade, failure: str | None) -> None:
    result = gate.check(assessment(grades=[after]), baseline=assessment(grades=[before]))
    assert result.failures == ((failure,) if failure else ())


@pytest.mark.parametrize(
    ("old", "new", "floor", "failures"),
    [
        ([], [finding()], Severity.HIGH, 1),
        ([], [finding(severity=Severity.MEDIUM)], Severity.HIGH, 0),  # below the floor
        ([], [finding(severity=Severity.MEDIUM)], Severity.MEDIUM, 1),
        ([], [finding(severity=Severity.CRITICAL)], Severity.HIGH, 1),
        ([finding()], [finding(line=40)], Severity.HIGH, 0),  # moved, same code: not new
        ([finding()], [finding(snippet="requests.post(url)")], Severity.HIGH, 1),  # different code
        ([finding()], [finding(), finding(line=9)], Severity.HIGH, 1),  # a second copy is new
        ([], [finding(waived="accepted until the rewrite")], Severity.HIGH, 0),
        ([], [finding(kind="good")], Severity.INFO, 0),
    ],
)
def test_baseline_new_findings(old: list[Finding], new: list[Finding], floor: Severity, failures: int) -> None:
    result = gate.check(assessment(findings=new), baseline=assessment(findings=old), new_severity=floor)
    assert len(result.failures) == failures
    assert all(f.startswith("new ") and "at app.py:" in f for f in result.failures)


CLIENT = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


@pytest.fixture
def run_folder(make_repo, make_ctx) -> tuple[Path, Path]:
    """A run folder with static evidence only (no notebooks, nothing run from the target)."""
    repo = make_repo(CALC_PROJECT)
    ctx = make_ctx(repo, no_tests=True)
    Pipeline(ctx.params, ctx.run_dir).write_info()
    for kind in ("inventory", "complexity", "patterns", "coverage"):
        run_collector(kind, ctx)
    write_outputs(ctx.run_dir)
    return repo, ctx.run_dir


def test_score_with_a_baseline_fails_on_a_new_finding(run_folder, make_ctx, tmp_path: Path, capsys) -> None:
    repo, run_dir = run_folder
    baseline = tmp_path / "baseline.json"
    shutil.copy(run_dir / "assessment.json", baseline)
    assert main(["score", str(run_dir), "--baseline", str(baseline)]) == EXIT_OK
    (repo / "calc" / "client.py").write_text(CLIENT, encoding="utf-8")
    run_collector("patterns", make_ctx(repo, no_tests=True))
    capsys.readouterr()
    assert main(["score", str(run_dir), "--baseline", str(baseline)]) == EXIT_GATE
    captured = capsys.readouterr()
    assert "gate failed: new high finding: reliability.http-no-timeout at calc/client.py:5" in captured.err
    assert Path(captured.out.strip().splitlines()[-1]) == run_dir
    after = read_assessment(run_dir / "assessment.json")
    assert any(f.path == "calc/client.py" for f in after.findings)
    assert "calc/client.py" in (run_dir / "assessment.html").read_text(encoding="utf-8")


def test_fail_on_uses_the_verdict(run_folder, capsys) -> None:
    _, run_dir = run_folder
    decision = read_assessment(run_dir / "assessment.json").verdict.decision
    assert decision == "NEEDS_WORK"  # coverage not measured (nothing was run): not a pass
    assert main(["render", str(run_dir), "--fail-on", "NO-GO"]) == EXIT_OK
    assert main(["render", str(run_dir), "--fail-on", "NEEDS_WORK"]) == EXIT_GATE
    assert "gate failed: verdict NEEDS_WORK (--fail-on NEEDS_WORK)" in capsys.readouterr().err


def test_render_rewrites_the_reports_without_scoring(run_folder, capsys) -> None:
    _, run_dir = run_folder
    before = json.loads((run_dir / "assessment.json").read_text(encoding="utf-8"))
    (run_dir / "assessment.html").unlink()
    (run_dir / "findings.sarif").unlink()
    (run_dir / "evidence" / "patterns.json").unlink()  # render must not re-run the probes
    assert main(["render", str(run_dir)]) == EXIT_OK
    assert (run_dir / "assessment.html").stat().st_size > 0 and (run_dir / "findings.sarif").stat().st_size > 0
    assert json.loads((run_dir / "assessment.json").read_text(encoding="utf-8")) == before


def test_score_with_another_rubric(run_folder, tmp_path: Path, capsys) -> None:
    _, run_dir = run_folder
    blocks = RUBRIC_FILE.read_text(encoding="utf-8").split("[[verdict]]")
    mine = tmp_path / "lenient.toml"
    mine.write_text("[[verdict]]".join(b for b in blocks if '"critical-category-not-measured"' not in b))
    assert main(["score", str(run_dir), "--rubric", str(mine)]) == EXIT_OK
    after = read_assessment(run_dir / "assessment.json")
    assert after.rubric == str(mine)
    assert "critical-category-not-measured" not in {r.rule for r in after.verdict.rules}
    assert f"verdict: NEEDS_WORK -> {after.verdict.decision} ({mine})" in capsys.readouterr().err


def test_a_broken_rubric_is_reported_and_fails_a_gate(run_folder, tmp_path: Path, capsys) -> None:
    _, run_dir = run_folder
    broken = tmp_path / "broken.toml"
    broken.write_text("[category\n", encoding="utf-8")
    assert main(["score", str(run_dir), "--rubric", str(broken), "--fail-on", "NO-GO"]) == EXIT_GATE
    err = capsys.readouterr().err
    assert "not scored: " in err and "broken.toml: cannot be read" in err
    assert "gate failed: no verdict" in err
    assert read_assessment(run_dir / "assessment.json").scoring_error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "{tmp}"], "is not a run folder: it has no assessment.json"),
        (["score", "{tmp}"], "is not a run folder: it has no run.json"),
        (["score", "{run}", "--rubric", "{tmp}/nope.toml"], "nope.toml' does not exist"),
        (["render", "{run}", "--baseline", "{tmp}/nope.json"], "--baseline: "),
        (["run", "{tmp}", "--baseline", "{tmp}/nope.json"], "--baseline: "),  # before running anything
        (["render", "{run}", "--fail-on", "MAYBE"], None),  # argparse: exit 2 from SystemExit
    ],
)
def test_usage_errors(run_folder, tmp_path: Path, capsys, args: list[str], message: str | None) -> None:
    _, run_dir = run_folder
    argv = [a.format(tmp=tmp_path, run=run_dir) for a in args]
    if message is None:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == EXIT_USAGE
        return
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("assess: error: ") and message in err and err.count("\n") == 1


def test_a_malformed_assessment_points_to_score(run_folder, capsys) -> None:
    _, run_dir = run_folder
    (run_dir / "assessment.json").write_text("{truncated", encoding="utf-8")
    assert main(["render", str(run_dir)]) == EXIT_USAGE
    assert f"'assess score {run_dir}' rebuilds it from the evidence" in capsys.readouterr().err
    assert main(["score", str(run_dir)]) == EXIT_OK  # and it does
    assert read_assessment(run_dir / "assessment.json").verdict is not None
