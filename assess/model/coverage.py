"""Coverage evidence: line and branch coverage in total, per file and per function or class."""

from __future__ import annotations

from typing import Literal

from assess.model.base import Model
from assess.model.evidence import Evidence, register_evidence


class CoverageCounts(Model):
    """Counts as coverage.py defines them (``summary`` in its JSON report)."""

    statements: int
    covered_lines: int
    missing_lines: int
    excluded_lines: int = 0
    branches: int | None = None
    """None when branch coverage was not measured."""
    covered_branches: int | None = None
    partial_branches: int | None = None
    percent_lines: float | None
    """covered_lines / statements * 100; None when there are no statements."""
    percent_branches: float | None = None
    """covered_branches / branches * 100; None when not measured or no branches."""
    percent_covered: float | None
    """coverage.py's headline number: lines and branches together when branches were measured."""


class RegionCoverage(Model):
    """Coverage of one function or class, from coverage.py's regions (or the report's functions)."""

    name: str
    """Qualified name, ``Class.method`` or ``function``."""
    kind: Literal["function", "class"]
    start_line: int | None = None
    counts: CoverageCounts
    missing_lines: tuple[int, ...] = ()


class FileCoverage(Model):
    path: str
    """Relative to the target root, forward slashes."""
    counts: CoverageCounts
    executed_lines: tuple[int, ...] = ()
    missing_lines: tuple[int, ...] = ()
    missing_branches: tuple[tuple[int, int], ...] = ()
    """(from line, to line); a negative to-line is an exit from the code object."""
    regions: tuple[RegionCoverage, ...] = ()


class TestSandbox(Model):
    """What bounded the target's test run besides its timeout, and what it left behind."""

    __test__ = False

    memory_limit: int | None = None
    """Bytes of private writable memory (RLIMIT_DATA) each process of the run could map; None: no limit."""
    file_size_limit: int | None = None
    """Bytes in the largest file (RLIMIT_FSIZE) a process of the run could write; None: no limit."""
    environment: tuple[str, ...] = ()
    """Names of the environment variables the run saw (never their values)."""
    temp_bytes: int | None = None
    """Disk its private temporary folder (``TMPDIR``) held when the run ended; the folder is removed then."""
    strays_killed: int | None = None
    """Processes still running when the test command ended (in its group, or escaped from it), all killed;
    None: not known."""


class TestRun(Model):
    """How the target's test suite was run."""

    __test__ = False

    command: tuple[str, ...]
    cwd: str
    interpreter: str
    exit_code: int | None
    """None when the run was killed."""
    timed_out: bool = False
    timeout_s: float
    duration_s: float
    output_log: str
    """The run's combined stdout and stderr, relative to the run folder."""
    output_tail: str = ""
    """Last lines of the output, for the report."""
    tree_changes: tuple[str, ...] = ()
    """Files the test run created, changed or deleted inside the target."""
    sandbox: TestSandbox | None = None
    """Its limits, environment and leftovers; None in evidence from before assess recorded them."""


class ReportSource(Model):
    path: str
    format: Literal["coverage.py-data", "coverage.py-json", "cobertura", "lcov"]


class CoverageData(Model):
    origin: Literal["run", "ingest"]
    branch: bool
    """Whether branch coverage was measured."""
    totals: CoverageCounts | None
    """None when no coverage data was recorded (a killed or failed run: see ``test_run``)."""
    files: tuple[FileCoverage, ...] = ()
    fail_under: float | None = None
    """The target's own configured minimum (coverage.py ``fail_under``), if any."""
    fail_under_source: str | None = None
    """File (relative to the target) where ``fail_under`` is configured."""
    test_run: TestRun | None = None
    reports: tuple[ReportSource, ...] = ()
    """The reports ingested, when origin is ``ingest``."""
    omitted_files: int = 0
    """Measured files left out because they are not source files (tests, test support ...)."""


@register_evidence
class CoverageEvidence(Evidence):
    kind: Literal["coverage"] = "coverage"
    data: CoverageData | None = None
