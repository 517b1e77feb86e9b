"""The evidence model round-trips exactly through JSON, and bad files fail with clear messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assess.model import (
    Block,
    ComplexityData,
    ComplexityEvidence,
    CoverageCounts,
    CoverageData,
    CoverageEvidence,
    FileCoverage,
    FileEntry,
    FileMetrics,
    Halstead,
    InventoryData,
    InventoryEvidence,
    Ratios,
    RegionCoverage,
    Role,
    RunInfo,
    RunParameters,
    StageResult,
    Status,
    TestCase,
    TestKind,
    TestOutcome,
    TestResult,
    TestRun,
    TestsData,
    TestsEvidence,
)
from assess.model.io import ModelFileError, dumps, read_evidence, read_run_info, write_model

COUNTS = CoverageCounts(
    statements=10,
    covered_lines=7,
    missing_lines=3,
    branches=4,
    covered_branches=1,
    partial_branches=1,
    percent_lines=70.0,
    percent_branches=25.0,
    percent_covered=8 / 14 * 100,
)

SAMPLES = [
    InventoryEvidence(
        status=Status.OK,
        tool_versions={"git": "2"},
        duration_s=0.25,
        data=InventoryData(
            listing="git",
            files=(
                FileEntry(
                    path="a/b.py",
                    role=Role.SOURCE,
                    language="Python",
                    size_bytes=10,
                    lines=3,
                    sloc=2,
                    role_reason="Python code",
                ),
            ),
            tests=(
                TestCase(
                    path="tests/test_b.py",
                    name="TestX::test_y",
                    line=4,
                    style="pytest-method",
                    kind=TestKind.INTEGRATION,
                    kind_reason="marker integration",
                    markers=("integration",),
                    parametrized=True,
                    expanded=None,
                ),
            ),
            ratios=Ratios(test_files=1, source_files=1, test_sloc=5, source_sloc=2, files_ratio=1.0, lines_ratio=2.5),
        ),
    ),
    CoverageEvidence(
        status=Status.ERROR,
        reason="timed out",
        warnings=("w",),
        data=CoverageData(
            origin="run",
            branch=True,
            totals=COUNTS,
            fail_under=80.0,
            fail_under_source="pyproject.toml",
            files=(
                FileCoverage(
                    path="a/b.py",
                    counts=COUNTS,
                    executed_lines=(1, 2),
                    missing_lines=(3,),
                    missing_branches=((2, -1),),
                    regions=(RegionCoverage(name="f", kind="function", start_line=1, counts=COUNTS),),
                ),
            ),
            test_run=TestRun(
                command=("python", "-m", "pytest"),
                cwd="/t",
                interpreter="/p",
                exit_code=None,
                timed_out=True,
                timeout_s=5.0,
                duration_s=5.01,
                output_log="raw/x.log",
            ),
        ),
    ),
    TestsEvidence(
        status=Status.OK,
        data=TestsData(
            sources=("j.xml",),
            duration_s=0.5,
            results=(TestResult(name="t", classname="c", outcome=TestOutcome.FAILED, duration_s=0.5, message="boom"),),
        ),
    ),
    ComplexityEvidence(status=Status.SKIPPED, reason="no source files"),
    ComplexityEvidence(
        status=Status.OK,
        data=ComplexityData(
            files=(
                FileMetrics(
                    path="a.py",
                    language="Python",
                    tool="radon",
                    mi=71.3,
                    halstead=Halstead(
                        h1=1,
                        h2=2,
                        N1=3,
                        N2=4,
                        vocabulary=3,
                        length=7,
                        calculated_length=2.0,
                        volume=11.09,
                        difficulty=1.0,
                        effort=11.09,
                        time=0.6,
                        bugs=0.003,
                    ),
                ),
            ),
            blocks=(Block(path="a.py", name="f", kind="function", line=1, end_line=3, complexity=2, tool="radon"),),
        ),
    ),
]


@pytest.mark.parametrize("evidence", SAMPLES, ids=lambda e: f"{e.kind}-{e.status.value}")
def test_evidence_round_trips_exactly(evidence, tmp_path: Path):
    path = write_model(evidence, tmp_path / "e.json")
    again = read_evidence(path)
    assert again == evidence
    assert type(again) is type(evidence)
    assert dumps(again) == path.read_text(encoding="utf-8")


def test_run_info_round_trips(tmp_path: Path):
    info = RunInfo(
        assess_version="0",
        run_id="r",
        target="/t",
        target_name="t",
        started_at="2026-01-01T00:00:00+00:00",
        parameters=RunParameters(target="/t", coverage_reports=("a.xml",)),
        python="/p",
        platform="x",
        stages=(StageResult(name="inventory", status=Status.OK, started_at="s", duration_s=1.5),),
    )
    assert read_run_info(write_model(info, tmp_path / "run.json")) == info


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON (line 1"),
        ("[]", "expected a JSON object"),
        ('{"schema_version": 99, "kind": "tests", "status": "ok"}', "schema version 99"),
        ('{"schema_version": 1, "kind": "nope", "status": "ok"}', "unknown evidence kind 'nope'"),
        ('{"schema_version": 1, "kind": "tests", "status": "fine"}', "invalid TestsEvidence at status"),
        ('{"schema_version": 1, "kind": "tests", "status": "ok", "extra": 1}', "invalid TestsEvidence at extra"),
    ],
)
def test_bad_evidence_files_name_the_file(tmp_path: Path, content: str, message: str):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelFileError) as err:
        read_evidence(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ModelFileError, match="no such file"):
        read_evidence(tmp_path / "absent.json")


def test_models_are_immutable():
    with pytest.raises(ValueError, match="frozen"):
        SAMPLES[0].status = Status.ERROR  # type: ignore[misc]


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "out.json"

    def explode(*_args: object, **_kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("pathlib.Path.replace", explode)
    with pytest.raises(OSError, match="disk full"):
        write_model(SAMPLES[0], target)
    assert list(tmp_path.iterdir()) == []


def test_schema_version_is_written():
    assert json.loads(dumps(SAMPLES[0]))["schema_version"] == 1


@pytest.mark.parametrize("duration", [None, 0.0, 1e-05, 0.123, 3.0, 12345.678, 1e300])
def test_a_remembered_evidence_text_is_written_as_dumps_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, duration: float | None
) -> None:
    from assess.model.io import remember_dumps, write_evidence

    warnings = ('"duration_s": null,', 'a\n  "duration_s": null,', "beyond the BMP: \U0001f642")
    evidence = InventoryEvidence(status=Status.OK, warnings=warnings)
    text = dumps(evidence)
    read = InventoryEvidence.model_validate_json(text)
    remember_dumps(read, text.encode())
    with monkeypatch.context() as patch:
        patch.setattr("assess.model.io.dumps", lambda _model: pytest.fail("serialised again"))
        written = write_evidence(read, duration, tmp_path / "e.json")
    assert written == evidence.model_copy(update={"duration_s": duration})
    assert (tmp_path / "e.json").read_text() == dumps(written)
