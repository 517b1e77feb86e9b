"""The notebooks' tables and charts are drawn from the evidence as it is (presentation only)."""

from __future__ import annotations

import plotly.graph_objects as go

from assess import display
from assess.facts import facts
from assess.model import Status
from assess.model.chaos import ChaosData, ChaosEvidence, ChaosResult, ScenarioFamily, UnreadableResult
from assess.model.grades import Verdict
from assess.report import charts

from . import test_charts as charts_cases


def _result(title: str, family: ScenarioFamily | None, successes: int, *, inconclusive: bool = False) -> ChaosResult:
    return ChaosResult(
        source=f"raw/chaos/{title}-1/journal.json", origin="run", format="chaostoolkit", title=title, family=family,
        family_reason="tag", trials=1, successes=successes, inconclusive=inconclusive, outcome_reason="why",
        recovery_times_s=(0.2, 0.4), data_loss=0, measurements={"restart.recovery_s": 0.4},
    )  # fmt: skip


def test_chaos_frames_and_chart() -> None:
    ev = ChaosEvidence(
        status=Status.OK,
        data=ChaosData(
            results=(
                _result("crash", ScenarioFamily.PROCESS_CRASH, 1),
                _result("term", ScenarioFamily.GRACEFUL_TERMINATION, 0),
                _result("odd", None, 0, inconclusive=True),
            ),
            unreadable=(UnreadableResult(path="x.json", message="x.json:3: not valid JSON"),),
        ),
    )
    frames = display.chaos_frames(ev)
    results = frames["results"]
    assert list(results["outcome"]) == ["held", "failed", "inconclusive"]
    assert list(results["recovery_s"]) == [0.4, 0.4, 0.4]
    assert list(results["family"]) == ["process-crash", "graceful-termination", "(unmapped)"]
    assert len(frames["measurements"]) == 3 and list(frames["unreadable"]["path"]) == ["x.json"]
    (figure,) = display._figures("chaos", frames)
    assert figure.layout.title.text == "Chaos experiments by scenario family"
    assert {trace.name for trace in figure.data} == {"held", "failed", "inconclusive"}


def test_chaos_frames_without_data() -> None:
    assert display.chaos_frames(ChaosEvidence(status=Status.SKIPPED, reason="none")) == {}


def test_grade_card_frame_says_why_a_category_has_no_grade():
    frame = display.grade_card_frame(charts_cases.assessment())
    rows = dict(zip(frame["category"], frame["grade"], strict=True))
    assert rows["Test Coverage"] == "C+" and rows["Security"] == "A"
    assert (rows["Chaos Engineering"], rows["Data Durability"], rows["Performance Testing"]) == (
        "not measured",
        "N/A",
        "off",
    )
    assert frame.loc[frame["category"] == "Data Durability", "notes"].item() == "no persistence sites"


def test_grade_card_table_escapes_the_targets_text(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda *_a, **_k: None)
    page = display.show_grade_card(charts_cases.assessment()).to_html()
    assert "<b>f</b>" not in page and "&lt;b&gt;f&lt;/b&gt;" in page


def test_show_assessment_shows_verdict_grade_card_and_the_report_charts(monkeypatch):
    shown: list[object] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **_k: shown.append(obj))
    evidence = charts_cases.all_evidence()
    verdict = Verdict(decision="NO-GO", reasons=("<i>Security</i> is graded F",), rules=())
    a = charts_cases.assessment(facts=facts(evidence), verdict=verdict)
    display.show_assessment(a, evidence)
    assert "NO-GO" in shown[0].data and "&lt;i&gt;Security&lt;/i&gt;" in shown[0].data  # type: ignore[attr-defined]
    assert type(shown[1]).__name__ == "Styler"
    figures = [o for o in shown if isinstance(o, go.Figure)]
    assert [f.layout.title.text.split("<br>")[0] for f in figures] == [
        f.layout.title.text.split("<br>")[0] for f in charts.build_charts(a, evidence)[0].values()
    ]
    assert len(figures) == len(charts.CHARTS)


def test_show_assessment_without_evidence_draws_what_the_assessment_holds(monkeypatch):
    shown: list[object] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **_k: shown.append(obj))
    a = charts_cases.assessment(facts=facts({}))
    display.show_assessment(a)
    names = [f.layout.title.text.split("<br>")[0] for f in shown if isinstance(f, go.Figure)]
    assert names == ["Grade by category", "Findings by category and severity"]
    assert "No verdict" in shown[0].data  # type: ignore[attr-defined]
