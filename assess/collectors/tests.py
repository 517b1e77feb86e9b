"""Tests collector: the outcome of every test, read from JUnit XML.

The JUnit files are those the user gave, else the one the coverage collector's pytest run wrote
into the run folder. Without either, the evidence is skipped with the reason, taken from the
coverage evidence, why the suite left no results.
"""

from __future__ import annotations

from pathlib import Path

from assess.collectors import CollectContext, register_collector
from assess.collectors.junit import JUnitError, parse_junit
from assess.model import CoverageEvidence, Status, TestsEvidence

RUN_JUNIT = Path("raw") / "coverage" / "junit.xml"
"""Where the coverage collector's pytest run writes its JUnit XML, relative to the run folder."""


def _no_results_reason(ctx: CollectContext) -> str:
    """Why there are no JUnit results, in the user's words."""
    if ctx.params.no_tests:
        return "tests were not run (--no-tests)"
    coverage = ctx.read("coverage")
    data = coverage.data if isinstance(coverage, CoverageEvidence) else None
    if data is not None and data.test_run is not None and data.test_run.timed_out:
        return f"the test run timed out after {data.test_run.timeout_s:g} s"
    if coverage is None:
        return "the test suite did not produce JUnit results: this run has no coverage evidence"
    if coverage.status is not Status.OK:
        return f"the test suite did not produce JUnit results: {coverage.reason or coverage.status.value}"
    if data is not None and data.origin == "ingest":
        return "coverage was read from existing reports and no JUnit report was given"
    return f"the test run wrote no JUnit XML ({RUN_JUNIT.as_posix()} is missing; only pytest runs write it)"


@register_collector("tests", depends_on=("coverage",), title="Test outcomes")
def collect_tests(ctx: CollectContext) -> TestsEvidence:
    """Outcomes from the given JUnit files or the run's own; skipped when there are none.

    A missing, malformed or non-JUnit file gives an ``error`` evidence naming it.
    """
    given = [Path(p) for p in ctx.params.junit_reports]
    from_run = not given and (ctx.run_dir / RUN_JUNIT).is_file()
    if not given and not from_run:
        return TestsEvidence(status=Status.SKIPPED, reason=_no_results_reason(ctx))
    try:
        data = parse_junit(given or [ctx.run_dir / RUN_JUNIT], ctx.target)
    except JUnitError as err:
        return TestsEvidence(status=Status.ERROR, reason=str(err))
    versions: dict[str, str] = {}
    if from_run:
        data = data.model_copy(update={"sources": (RUN_JUNIT.as_posix(),)})
        coverage = ctx.read("coverage")
        # the same run wrote the JUnit file, so the coverage collector's probe of pytest applies
        versions = {k: v for k, v in (coverage.tool_versions if coverage else {}).items() if k in ("python", "pytest")}
    if not data.results:
        return TestsEvidence(
            status=Status.SKIPPED,
            reason="the JUnit XML holds no test cases (no tests ran)",
            data=data,
            tool_versions=versions,
        )
    return TestsEvidence(status=Status.OK, data=data, tool_versions=versions)
