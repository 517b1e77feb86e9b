"""The notebooks' tables and charts are drawn from the evidence as it is (presentation only)."""

from __future__ import annotations

from assess import display
from assess.model import Status
from assess.model.chaos import ChaosData, ChaosEvidence, ChaosResult, ScenarioFamily, UnreadableResult


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
