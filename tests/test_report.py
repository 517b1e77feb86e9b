"""The report page: everything from the target is escaped; missing evidence reads as 'not measured'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assess.assessment import write_outputs
from assess.collectors import run_collector
from assess.model import RunParameters, Status
from assess.model.chaos import ChaosData, ChaosEvidence, ChaosResult, ScenarioFamily, UnreadableResult
from assess.model.io import write_model
from assess.pipeline import Pipeline
from assess.report.html import fmt, run_link

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
    facts_html = html[: html.index('<section id="findings">')]
    assert facts_html.count("not measured") >= len(assessment.facts)
    assert "no coverage evidence" in html
    # No evidence grades nothing, and is not a pass: every category is not measured, the verdict says so.
    assert {g.status for g in assessment.grades} == {"not-measured"}
    assert assessment.verdict is not None and assessment.verdict.decision == "NEEDS_WORK"
    assert all("was not measured" in r for r in assessment.verdict.reasons)


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

    def broken(_evidence, **_kwargs):
        raise KeyError("rule.missing")

    monkeypatch.setattr("assess.assessment.run_probes", broken)
    assessment = write_outputs(run_dir)
    assert assessment.findings == ()
    (summary,) = [e for e in assessment.evidence if e.kind == "probes"]
    assert summary.status.value == "error" and "KeyError" in summary.reason
    assert (run_dir / "assessment.html").exists()


SCRIPT = "<script>alert(1)</script>"


def _chaos_result(source: str, origin: str, title: str = "kill -9 mid-write") -> ChaosResult:
    return ChaosResult(source=source, origin=origin, format="chaostoolkit", title=title,  # type: ignore[arg-type]
                       family=ScenarioFamily.PROCESS_CRASH, family_reason="tag process-crash", trials=1, successes=0,
                       outcome_reason=f"the steady state deviated {SCRIPT}", recovery_times_s=(2.5,))  # fmt: skip


def test_chaos_results_are_escaped_and_only_run_results_are_links(tmp_path: Path):
    run_dir = tmp_path / "run"
    (run_dir / "evidence").mkdir(parents=True)
    Pipeline(RunParameters(target=str(tmp_path)), run_dir).write_info()
    data = ChaosData(
        results=(
            _chaos_result("chaos/process-crash-1/journal.json", "run", title=SCRIPT),
            _chaos_result("ops/chaos/journal.json", "target"),
            _chaos_result("/tmp/given/journal.json", "given"),
            _chaos_result('javascript:alert(1)"', "run"),
        ),
        unreadable=(UnreadableResult(path="chaos/<b>bad</b>.json", message=f"line 3: {SCRIPT}"),),
    )
    write_model(ChaosEvidence(status=Status.OK, data=data), run_dir / "evidence" / "chaos.json")
    assessment = write_outputs(run_dir)
    html = (run_dir / "assessment.html").read_text(encoding="utf-8")
    # The page's own scripts are plotly.js and the charts' (tests/test_charts.py); none comes from the target.
    assert "<script>alert(1)" not in html and "<b>bad</b>" not in html and 'javascript:alert(1)"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "line 3: &lt;script&gt;" in html
    assert "<h2>Chaos experiments</h2>" in html
    assert '<a href="chaos/process-crash-1/journal.json">chaos/process-crash-1/journal.json</a>' in html
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)  # plotly.js holds "<a href=" strings
    assert markup.count("<a href=") == markup.count('<a href="notebooks/') + markup.count('<a href="evidence/') + 1
    assert ">ops/chaos/journal.json<" in html and ">/tmp/given/journal.json<" in html
    assert "2.50 s" in html
    assert {f.rule for f in assessment.findings} == {"chaos.durability-scenario-failed"}


@pytest.mark.parametrize(
    ("source", "link"),
    [
        ("chaos/process-crash-1/journal.json", "chaos/process-crash-1/journal.json"),
        ("chaos/a b#c?.json", "chaos/a%20b%23c%3F.json"),
        ("../outside.json", None),
        ("/etc/passwd", None),
        ("javascript:alert(1)", None),
        ("chaos\\..\\x.json", None),
        ("", None),
    ],
)
def test_run_link(source: str, link: str | None):
    assert run_link(source) == link
