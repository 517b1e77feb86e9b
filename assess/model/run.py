"""Run information and the assessment document."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from assess._sandbox import DEFAULT_FILE_SIZE_LIMIT, DEFAULT_MEMORY_LIMIT
from assess.model.base import SCHEMA_VERSION, Model, Status
from assess.model.findings import Finding
from assess.model.grades import (
    CategoryGrade,
    CriticalArea,
    Plan,
    UntestedReliabilityCode,
    Verdict,
    WaiverStatus,
)
from assess.model.project import ProjectModel


class RunParameters(Model):
    """What the user asked for; injected into every notebook."""

    target: str
    """Absolute path of the target repository."""
    python: str | None = None
    """Interpreter for the target's tests; None: detect (.venv, venv, else assess's own)."""
    test_command: str | None = None
    """Test command to run under coverage; None: detect."""
    timeout_s: float = 900.0
    no_tests: bool = False
    """Run nothing from the target (static evidence only)."""
    coverage_reports: tuple[str, ...] = ()
    """Existing coverage reports to ingest instead of running the tests."""
    junit_reports: tuple[str, ...] = ()
    """Existing JUnit XML files to ingest as test outcomes."""
    chaos_results: tuple[str, ...] = ()
    """Chaos results to ingest besides those found in the target (journals, JUnit XML, native JSON)."""
    chaos: bool = True
    """Run the bundled chaos experiments when the target declares its service (``[tool.assess.chaos]``)."""
    chaos_trials: int = Field(default=1, ge=1, le=20)
    """Runs of each experiment."""
    chaos_experiments: tuple[str, ...] = ()
    """Only these bundled experiments (by name); empty: all that the target's config allows."""
    jobs: int | None = Field(default=None, ge=1, le=256)
    """Processes for static analysis; None: one per available core."""
    cache_dir: str | None = None
    """Folder of the analysis cache (absolute); None: no cache."""
    pass_env: tuple[str, ...] = ()
    """Names of variables of assess's environment that the target's tests and service also get, besides the
    allowed ones (``--pass-env``); their values are never recorded."""
    memory_limit: int | None = Field(default=DEFAULT_MEMORY_LIMIT, gt=0)
    """Bytes of private writable memory (RLIMIT_DATA) each process of the target's tests and service may map;
    None: no limit."""
    file_size_limit: int | None = Field(default=DEFAULT_FILE_SIZE_LIMIT, gt=0)
    """Bytes in the largest file (RLIMIT_FSIZE) the target's tests and service may write; None: no limit."""


class StageResult(Model):
    name: str
    status: Status
    reason: str | None = None
    started_at: str
    duration_s: float
    notebook: str | None = None
    """Executed notebook, relative to the run folder."""
    evidence: str | None = None
    """Evidence file, relative to the run folder."""


class RunInfo(Model):
    schema_version: int = SCHEMA_VERSION
    assess_version: str
    run_id: str
    target: str
    target_name: str
    target_commit: str | None = None
    """``git rev-parse HEAD`` of the target, when it is in a git repository."""
    target_dirty: bool | None = None
    """Whether the target had uncommitted changes."""
    started_at: str
    finished_at: str | None = None
    parameters: RunParameters
    python: str
    platform: str
    tool_versions: dict[str, str] = Field(default_factory=dict)
    stages: tuple[StageResult, ...] = ()
    status: Status | None = None
    """ok when every stage is ok or skipped, error when any failed; None while running."""


class Fact(Model):
    """One measured number or statement shown in the report, with where it came from."""

    key: str
    """Stable identifier, e.g. ``coverage.percent_lines``."""
    label: str
    value: float | int | str | None
    """None means not measured; ``note`` says why."""
    unit: str = ""
    better: Literal["higher", "lower"] | None = None
    """Which direction is an improvement, when there is one."""
    source: str
    """Evidence file and field, e.g. ``evidence/coverage.json#/data/totals/percent_lines``."""
    note: str | None = None


class EvidenceSummary(Model):
    kind: str
    status: Status
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    tool_versions: dict[str, str] = Field(default_factory=dict)
    """The collector's tools (for coverage: the target's own Python, pytest and coverage.py)."""
    path: str
    """Evidence file relative to the run folder."""


class Assessment(Model):
    """The document ``assessment.json`` holds."""

    schema_version: int = SCHEMA_VERSION
    run: RunInfo
    evidence: tuple[EvidenceSummary, ...]
    facts: tuple[Fact, ...]
    project: ProjectModel | None = None
    """What the project is (service, worker, CLI, library), how it is started, and which of its code is production
    code: the context every finding was judged in. None when there was no patterns evidence to build it from."""
    findings: tuple[Finding, ...] = ()
    """What the probes found, problems and good practices, most severe first (waived ones marked)."""
    grades: tuple[CategoryGrade, ...] = ()
    verdict: Verdict | None = None
    """None when the rubric could not be applied (``scoring_error`` says why)."""
    plan: Plan | None = None
    critical_areas: tuple[CriticalArea, ...] = ()
    untested_reliability_code: tuple[UntestedReliabilityCode, ...] = ()
    waivers: tuple[WaiverStatus, ...] = ()
    rubric: str = ""
    """The rubric applied, and what the target's config changed in it."""
    scoring_error: str | None = None
    config_problems: tuple[str, ...] = ()
    """What of the target's own config was left out, one line per key (the file, the key, why); the rest applied."""
