"""JUnit XML parsing (real pytest output and generic files) and the tests collector."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest

from assess.collectors import COLLECTORS, CollectContext
from assess.collectors import junit as junit_module
from assess.collectors.junit import JUnitError, parse_junit
from assess.collectors.tests import collect_tests
from assess.model import (
    CoverageCounts,
    CoverageData,
    CoverageEvidence,
    RunParameters,
    Status,
    TestOutcome,
    TestRun,
)
from assess.model.io import write_model

FIXTURES = Path(__file__).parent / "fixtures" / "reports"

MIXED_TESTS = """\
import time

import pytest


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


def test_pass():
    assert True


def test_fail():
    assert 1 == 2, "one is not two"


def test_error(broken):
    pass


def test_skip():
    pytest.skip("not today")


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


def test_slow():
    time.sleep(0.2)
"""


def run_pytest_junit(root: Path, name: str, *options: str) -> Path:
    """Run pytest on the mixed suite in ``root`` and return the JUnit XML it wrote."""
    junit = root / name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COVERAGE"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *options]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 1: some tests failed, as intended
    return junit


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_mixed.py").write_text(MIXED_TESTS, encoding="utf-8")
    return root


EXPECTED_OUTCOMES = {
    "test_pass": TestOutcome.PASSED,
    "test_fail": TestOutcome.FAILED,
    "test_error": TestOutcome.ERROR,
    "test_skip": TestOutcome.SKIPPED,
    "test_xfail": TestOutcome.SKIPPED,
    "test_slow": TestOutcome.PASSED,
}


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_real_pytest_junit(suite: Path, family: str) -> None:
    options = ("-o", "junit_family=xunit1") if family == "xunit1" else ()
    junit = run_pytest_junit(suite, f"{family}.xml", *options)
    data = parse_junit([junit], suite)
    assert data.sources == (str(junit),)
    assert {r.name: r.outcome for r in data.results} == EXPECTED_OUTCOMES
    counts = {o: data.count(o) for o in TestOutcome}
    assert counts == {TestOutcome.PASSED: 2, TestOutcome.FAILED: 1, TestOutcome.ERROR: 1, TestOutcome.SKIPPED: 2}
    assert data.slowest(1)[0].name == "test_slow"
    assert data.slowest(1)[0].duration_s >= 0.2
    assert data.duration_s == pytest.approx(sum(r.duration_s for r in data.results))
    by_name = {r.name: r for r in data.results}
    assert by_name["test_fail"].message == "AssertionError: one is not two"
    assert by_name["test_error"].message == 'failed on setup with "RuntimeError: fixture exploded"'
    assert by_name["test_skip"].message == "not today"
    assert by_name["test_xfail"].message == "known bug"
    assert by_name["test_pass"].message is None
    assert {r.classname for r in data.results} == {"tests.test_mixed"}
    if family == "xunit1":
        assert {r.file for r in data.results} == {"tests/test_mixed.py"}
        lines = MIXED_TESTS.splitlines()
        for result in data.results:  # pytest writes 0-based lines; the model holds 1-based ones
            assert result.line is not None
            # the definition's first line, decorators included (as Python's co_firstlineno)
            first_def = next(text for text in lines[result.line - 1 :] if text.startswith("def "))
            assert first_def.startswith(f"def {result.name}("), result
            assert lines[result.line - 2] == "", result
    else:
        assert {(r.file, r.line) for r in data.results} == {(None, None)}


def test_generic_nested_suites(tmp_path: Path) -> None:
    data = parse_junit([FIXTURES / "nested_suites.junit.xml"], tmp_path)
    summary = [(r.classname, r.name, r.outcome, r.duration_s, r.message) for r in data.results]
    assert summary == [
        ("com.example.ShopTest", "addsItems", TestOutcome.PASSED, 1.25, None),
        ("com.example.ShopTest", "rejectsNegative", TestOutcome.FAILED, 0.5, "expected:<1> but was:<2>"),
        ("com.example.ShopTest$Inner", "connects", TestOutcome.ERROR, 0.0, "java.io.IOException: connection refused"),
        ("com.example.ShopTest$Inner", "ignored", TestOutcome.SKIPPED, 0.0, None),
        ("com.example.CartTest", "empty", TestOutcome.PASSED, 1.5, None),
        ("com.example.CartTest", "full", TestOutcome.PASSED, 0.0, None),
    ]
    assert data.duration_s == 3.25
    assert (data.results[4].file, data.results[4].line) == ("/abs/elsewhere/CartTest.java", 12)  # not pytest: as is
    assert [r.name for r in data.slowest(2)] == ["empty", "addsItems"]


def test_single_suite_root_and_several_files(tmp_path: Path) -> None:
    paths = [FIXTURES / "single_suite.junit.xml", FIXTURES / "nested_suites.junit.xml"]
    data = parse_junit(paths, tmp_path)
    assert data.sources == tuple(str(p) for p in paths)
    assert [r.name for r in data.results[:2]] == ["math adds one", "math adds two"]
    assert len(data.results) == 8


def test_absolute_file_inside_target_becomes_relative(tmp_path: Path) -> None:
    long = "x" * 500
    path = tmp_path / "abs.xml"
    path.write_text(
        f'<testsuite><testcase name="t" file="{tmp_path}/tests/test_a.py" line="oops" time="1e400">'
        f'<failure message="{long}&#10;second line"/></testcase></testsuite>',
        encoding="utf-8",
    )
    [result] = parse_junit([path], tmp_path).results
    assert (result.file, result.line, result.duration_s) == ("tests/test_a.py", None, 0.0)
    assert result.message == "x" * 300


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuite><testcase name="&lol3;"/></testsuite>
"""

BROKEN = {
    "truncated.xml": ('<testsuites><testsuite name="pytest"><testcase name="a" time="0.1"/><testca', "not well-formed"),
    "malformed.xml": ("<testsuite><testcase></testsuite>", "not well-formed"),
    "empty.xml": ("", "not well-formed"),
    "coverage.xml": ("<coverage><packages/></coverage>", "not JUnit XML (root element <coverage>"),
    "bomb.xml": (BOMB, "entity"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_raise_naming_the_file(tmp_path: Path, name: str) -> None:
    text, expected = BROKEN[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(JUnitError) as err:
        parse_junit([path], tmp_path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_missing_and_oversized_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(JUnitError, match="no such file"):
        parse_junit([tmp_path / "absent.xml"], tmp_path)
    monkeypatch.setattr(junit_module, "MAX_JUNIT_BYTES", 10)
    path = tmp_path / "big.xml"
    path.write_text("<testsuite>" + "<testcase name='a'/>" * 5 + "</testsuite>", encoding="utf-8")
    with pytest.raises(JUnitError, match="over the 10 byte limit"):
        parse_junit([path], tmp_path)


# --- the tests collector ------------------------------------------------------------------------


def make_ctx(tmp_path: Path, **params: object) -> CollectContext:
    target = tmp_path / "target"
    target.mkdir(exist_ok=True)
    return CollectContext(params=RunParameters(target=str(target), **params), run_dir=tmp_path / "run")


def write_coverage(ctx: CollectContext, evidence: CoverageEvidence) -> None:
    write_model(evidence, ctx.evidence_path("coverage"))


def coverage_data(origin: Literal["run", "ingest"] = "run", timed_out: bool = False) -> CoverageData:
    counts = CoverageCounts(statements=0, covered_lines=0, missing_lines=0, percent_lines=None, percent_covered=None)
    run = TestRun(
        command=("pytest",),
        cwd="/t",
        interpreter="python",
        exit_code=None if timed_out else 0,
        timed_out=timed_out,
        timeout_s=900.0,
        duration_s=900.0,
        output_log="raw/coverage/test-output.log",
    )
    return CoverageData(origin=origin, branch=True, totals=counts, files=(), test_run=run if origin == "run" else None)


def test_collector_is_registered_after_coverage() -> None:
    assert COLLECTORS["tests"].depends_on == ("coverage",)
    assert COLLECTORS["tests"].collect is collect_tests


@pytest.mark.parametrize(
    ("params", "coverage", "reason"),
    [
        ({"no_tests": True}, None, "tests were not run (--no-tests)"),
        ({}, None, "the test suite did not produce JUnit results: this run has no coverage evidence"),
        (
            {},
            CoverageEvidence(status=Status.ERROR, reason="pytest is not installed"),
            "the test suite did not produce JUnit results: pytest is not installed",
        ),
        (
            {},
            CoverageEvidence(status=Status.ERROR, reason="stopped", data=coverage_data(timed_out=True)),
            "the test run timed out after 900 s",
        ),
        (
            {"coverage_reports": ("coverage.xml",)},
            CoverageEvidence(status=Status.OK, data=coverage_data(origin="ingest")),
            "coverage was read from existing reports and no JUnit report was given",
        ),
        (
            {},
            CoverageEvidence(status=Status.OK, data=coverage_data()),
            "the test run wrote no JUnit XML (raw/coverage/junit.xml is missing; only pytest runs write it)",
        ),
    ],
)
def test_collector_skips_with_the_reason(
    tmp_path: Path, params: dict[str, object], coverage: CoverageEvidence | None, reason: str
) -> None:
    ctx = make_ctx(tmp_path, **params)
    if coverage is not None:
        write_coverage(ctx, coverage)
    evidence = collect_tests(ctx)
    assert (evidence.status, evidence.reason, evidence.data) == (Status.SKIPPED, reason, None)


def test_collector_reads_the_run_folder_junit(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    junit = ctx.work_dir("coverage") / "junit.xml"
    junit.write_bytes((FIXTURES / "nested_suites.junit.xml").read_bytes())
    write_coverage(
        ctx,
        CoverageEvidence(status=Status.OK, data=coverage_data(), tool_versions={"pytest": "8.3.0", "coverage": "7.6"}),
    )
    evidence = collect_tests(ctx)
    assert evidence.status is Status.OK
    assert evidence.data is not None
    assert evidence.data.sources == ("raw/coverage/junit.xml",)
    assert evidence.data.count(TestOutcome.FAILED) == 1
    assert evidence.tool_versions == {"pytest": "8.3.0"}


def test_collector_prefers_given_reports_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(tmp_path, junit_reports=("reports/one.xml",))
    (ctx.work_dir("coverage") / "junit.xml").write_text("<testsuite/>", encoding="utf-8")  # ignored
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "one.xml").write_bytes((FIXTURES / "single_suite.junit.xml").read_bytes())
    monkeypatch.chdir(tmp_path)
    evidence = collect_tests(ctx)
    assert evidence.status is Status.OK
    assert evidence.data is not None
    assert evidence.data.sources == ("reports/one.xml",)
    assert len(evidence.data.results) == 2


def test_collector_errors_on_a_malformed_file(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    junit = ctx.work_dir("coverage") / "junit.xml"
    junit.write_text("<testsuites><testsuite><testcase name='a'", encoding="utf-8")
    evidence = collect_tests(ctx)
    assert evidence.status is Status.ERROR
    assert evidence.reason is not None and str(junit) in evidence.reason
    assert evidence.data is None


def test_collector_skips_an_empty_report_with_reason(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    (ctx.work_dir("coverage") / "junit.xml").write_text("<testsuites/>", encoding="utf-8")
    evidence = collect_tests(ctx)
    assert evidence.status is Status.SKIPPED
    assert evidence.reason == "the JUnit XML holds no test cases (no tests ran)"
    assert evidence.data is not None and evidence.data.results == ()
