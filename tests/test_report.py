"""The report page: everything from the target is escaped; missing evidence reads as 'not measured'."""

from __future__ import annotations

from pathlib import Path

from assess.assessment import write_outputs
from assess.collectors import run_collector
from assess.model import RunParameters
from assess.pipeline import Pipeline
from assess.report.html import fmt

HOSTILE = "<img src=x onerror=alert(1)>.py"


def test_hostile_names_and_reasons_are_escaped(make_repo, make_ctx):
    repo = make_repo(
        {
            HOSTILE: "def f(x):\n    if x:\n        return 1\n    return 2\n",
            "tests/test_<b>x</b>.py": "def test_a():\n    assert True\n",
        }
    )
    ctx = make_ctx(repo, no_tests=True)
    Pipeline(ctx.params, ctx.run_dir).write_info()
    for kind in ("inventory", "complexity", "coverage"):
        run_collector(kind, ctx)
    write_outputs(ctx.run_dir)
    html = (ctx.run_dir / "assessment.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<b>x</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in html


def test_missing_evidence_is_not_measured(tmp_path: Path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    Pipeline(RunParameters(target=str(tmp_path)), run_dir).write_info()
    assessment = write_outputs(run_dir)
    assert all(f.value is None for f in assessment.facts)
    groups = {f.key.split(".")[0] for f in assessment.facts}
    assert all(any(f.note for f in assessment.facts if f.key.startswith(g + ".")) for g in groups)
    html = (run_dir / "assessment.html").read_text(encoding="utf-8")
    assert html.count("not measured") == len(assessment.facts)
    assert "no coverage evidence" in html


def test_unreadable_evidence_file_is_reported_not_raised(tmp_path: Path):
    run_dir = tmp_path / "run"
    (run_dir / "evidence").mkdir(parents=True)
    (run_dir / "evidence" / "coverage.json").write_text("{truncated", encoding="utf-8")
    Pipeline(RunParameters(target=str(tmp_path)), run_dir).write_info()
    assessment = write_outputs(run_dir)
    (summary,) = assessment.evidence
    assert summary.status.value == "error" and "not valid JSON" in summary.reason


def test_fmt():
    assert fmt(None) == "not measured"
    assert fmt(79.56043956, "%") == "79.6%"
    assert fmt(2.5, "s") == "2.50 s"
    assert fmt(3) == "3"


def test_a_failing_probe_costs_the_findings_not_the_report(tmp_path: Path, monkeypatch):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    Pipeline(RunParameters(target=str(tmp_path)), run_dir).write_info()

    def broken(_evidence):
        raise KeyError("rule.missing")

    monkeypatch.setattr("assess.assessment.run_probes", broken)
    assessment = write_outputs(run_dir)
    assert assessment.findings == ()
    (summary,) = [e for e in assessment.evidence if e.kind == "probes"]
    assert summary.status.value == "error" and "KeyError" in summary.reason
    assert (run_dir / "assessment.html").exists()
