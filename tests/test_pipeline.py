"""The pipeline: a failing notebook leaves an error evidence file; dependencies order the stages."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from assess.model import RunParameters, StageResult, Status
from assess.model.io import read_evidence
from assess.paths import notebooks_dir
from assess.pipeline import Pipeline, Stage, new_run_dir, plan


def test_plan_puts_assessment_last_and_tests_after_coverage():
    stages = plan(RunParameters(target="/t", timeout_s=60))
    names = [s.name for s in stages]
    assert names[-1] == "assessment"
    assert set(stages[-1].depends_on) == set(names[:-1])
    tests = next(s for s in stages if s.name == "tests")
    assert tests.depends_on == ("coverage",)
    coverage = next(s for s in stages if s.name == "coverage")
    assert coverage.timeout_s > 60  # the test run's limit plus the notebook's own overhead


def test_scheduler_respects_dependencies_and_runs_two_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pipeline = Pipeline(RunParameters(target=str(tmp_path)), tmp_path / "run")
    order: list[str] = []
    lock = threading.Lock()
    active, peak = [0], [0]
    barrier = threading.Barrier(2, timeout=10)

    def fake_run_stage(stage: Stage) -> StageResult:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        if stage.name in {"a", "b"}:
            barrier.wait()  # a and b must be running at the same time
        with lock:
            order.append(stage.name)
            active[0] -= 1
        return StageResult(name=stage.name, status=Status.OK, started_at="t", duration_s=0.0)

    monkeypatch.setattr(pipeline, "run_stage", fake_run_stage)
    stages = [Stage("c", ("a",), 10, True), Stage("a", (), 10, True), Stage("b", (), 10, True)]
    results = pipeline._run_collectors(stages)
    assert [r.name for r in results] == ["c", "a", "b"]
    assert order.index("c") > order.index("a")
    assert peak[0] == 2


@pytest.mark.slow
def test_a_failing_notebook_leaves_error_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_repo):
    books = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), books)
    nb = json.loads((books / "inventory.ipynb").read_text())
    nb["cells"][2]["source"] = "raise RuntimeError('broken on purpose')"
    (books / "inventory.ipynb").write_text(json.dumps(nb))
    monkeypatch.setenv("ASSESS_NOTEBOOKS", str(books))
    params = RunParameters(target=str(make_repo({"a.py": "x = 1\n"})), no_tests=True)
    run_dir = new_run_dir(tmp_path / "runs", Path(params.target))
    pipeline = Pipeline(params, run_dir)
    stage = next(s for s in plan(params) if s.name == "inventory")
    result = pipeline.run_stage(stage)
    assert result.status is Status.ERROR
    # Cell 3 as the executed copy numbers it (papermill's injected parameters are cell 2).
    assert result.reason == "notebook failed at cell 3: RuntimeError: broken on purpose"
    evidence = read_evidence(run_dir / "evidence" / "inventory.json")
    assert (evidence.status, evidence.reason) == (Status.ERROR, result.reason)
    assert (run_dir / "notebooks" / "inventory.ipynb").exists()  # the failed notebook is kept for reading
