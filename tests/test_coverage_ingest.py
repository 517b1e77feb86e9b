"""Ingesting coverage reports: real reports made by coverage.py agree with coverage.py's numbers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assess.collectors import coverage_ingest
from assess.collectors.coverage_ingest import CoverageReportError, ingest_reports
from assess.model import CoverageData

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
TOLERANCE_PP = 0.01

CALC = """\
def sign(x):
    if x > 0:
        return 1
    elif x < 0:
        return -1
    return 0


class Accumulator:
    def __init__(self):
        self.total = 0

    def add(self, n):
        for i in range(n):
            if i % 2:
                self.total += i
        return self.total

    def debug(self):  # pragma: no cover
        return repr(self)

    def unused(self):
        return None
"""
UTIL = """\
def clamp(x, low, high):
    return max(low, min(x, high))


def never():
    return "never called"
"""
TESTS = """\
from pkg.calc import Accumulator, sign
from pkg.util import clamp


def test_sign():
    assert sign(3) == 1


def test_accumulator():
    assert Accumulator().add(3) == 1


def test_clamp():
    assert clamp(5, 0, 3) == 3
"""


def make_project(root: Path) -> Path:
    """A tiny package with branches, a class, an excluded method and tests."""
    files = {
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC,
        "pkg/util.py": UTIL,
        "tests/test_calc.py": TESTS,
        "tests/conftest.py": "import pytest\n",
        "pytest.ini": "[pytest]\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def run_coverage(project: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "coverage", *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def measure(project: Path, data_file: str, *pytest_args: str) -> Path:
    run_coverage(
        project,
        "run",
        "--branch",
        f"--data-file={data_file}",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *pytest_args,
    )
    return project / data_file


def export(project: Path, data_file: str, stem: str) -> dict[str, Path]:
    """The JSON, Cobertura and LCOV reports coverage.py makes from ``data_file``."""
    out = {"data": project / data_file}
    for kind, ext in (("json", "json"), ("xml", "xml"), ("lcov", "lcov")):
        out[kind] = project / f"{stem}.{ext}"
        run_coverage(project, kind, f"--data-file={data_file}", "-o", str(out[kind]))
    return out


@dataclass(frozen=True)
class Measured:
    project: Path
    reports: dict[str, Path]
    report: dict[str, Any]
    """coverage.py's own JSON report."""
    total_percent: float
    """``coverage report --format=total``."""


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    project = make_project(tmp_path_factory.mktemp("measured"))
    measure(project, ".coverage")
    reports = export(project, ".coverage", "coverage")
    total = run_coverage(project, "report", "--data-file=.coverage", "--format=total", "--precision=6")
    report = json.loads(reports["json"].read_text(encoding="utf-8"))
    return Measured(project, reports, report, float(total.strip()))


def keep_all(rel: str) -> bool:
    return True


def no_tests(rel: str) -> bool:
    return not rel.startswith("tests/")


def assert_counts_equal(ours: Any, theirs: dict[str, Any]) -> None:
    """``ours`` (CoverageCounts) against a coverage.py JSON summary."""
    assert ours.statements == theirs["num_statements"]
    assert ours.covered_lines == theirs["covered_lines"]
    assert ours.missing_lines == theirs["missing_lines"]
    assert ours.branches == theirs["num_branches"]
    assert ours.covered_branches == theirs["covered_branches"]
    assert ours.partial_branches == theirs["num_partial_branches"]
    if not theirs["num_statements"]:  # coverage.py says 100%; the model says inconclusive
        assert (ours.percent_lines, ours.percent_covered) == (None, None)
        return
    assert abs(ours.percent_lines - theirs["percent_statements_covered"]) < TOLERANCE_PP
    assert abs(ours.percent_covered - theirs["percent_covered"]) < TOLERANCE_PP


FORMATS = {"data": "coverage.py-data", "json": "coverage.py-json", "xml": "cobertura", "lcov": "lcov"}


@pytest.mark.parametrize("kind", list(FORMATS))
def test_totals_and_files_equal_coverage_py(measured: Measured, kind: str) -> None:
    data = ingest_reports([measured.reports[kind]], measured.project, keep_all)
    assert data.origin == "ingest"
    assert data.branch is True
    assert [(r.path, r.format) for r in data.reports] == [(str(measured.reports[kind]), FORMATS[kind])]
    assert data.omitted_files == 0
    assert_counts_equal(data.totals, measured.report["totals"])
    assert data.totals.percent_covered is not None
    assert abs(data.totals.percent_covered - measured.total_percent) < TOLERANCE_PP
    assert [f.path for f in data.files] == sorted(measured.report["files"])
    for f in data.files:
        entry = measured.report["files"][f.path]
        assert_counts_equal(f.counts, entry["summary"])
        assert list(f.executed_lines) == entry["executed_lines"]
        assert list(f.missing_lines) == entry["missing_lines"]


@pytest.mark.parametrize("kind", ["data", "json"])
def test_coverage_py_reports_keep_regions_and_exact_totals(measured: Measured, kind: str) -> None:
    data = ingest_reports([measured.reports[kind]], measured.project, keep_all)
    assert data.totals.percent_covered == measured.report["totals"]["percent_covered"]
    calc = next(f for f in data.files if f.path == "pkg/calc.py")
    assert {r.name for r in calc.regions} >= {"sign", "Accumulator", "Accumulator.add", "Accumulator.unused"}
    assert calc.counts.excluded_lines == measured.report["files"]["pkg/calc.py"]["summary"]["excluded_lines"] > 0


def test_lcov_functions_become_regions(measured: Measured) -> None:
    """Each ``FN`` record becomes a region holding the ``DA`` lines in its range. Where a function starts is
    the report's say: coverage.py 7.18 writes its first body line (``FN:2,6,sign``), earlier releases its
    ``def`` line (``FN:1,6,sign``), so the expected figures are read from the report itself."""
    text = measured.reports["lcov"].read_text(encoding="utf-8")
    section = text.split("SF:pkg/calc.py\n", 1)[1].split("end_of_record", 1)[0]
    hits = {int(line): int(n) for line, n in re.findall(r"^DA:(\d+),(\d+)", section, re.MULTILINE)}
    spans = {name: (int(a), int(b)) for a, b, name in re.findall(r"^FN:(\d+),(\d+),(.+)$", section, re.MULTILINE)}
    data = ingest_reports([measured.reports["lcov"]], measured.project, keep_all)
    calc = next(f for f in data.files if f.path == "pkg/calc.py")
    regions = {r.name: r for r in calc.regions}
    assert set(regions) == set(spans) >= {"sign", "Accumulator.add", "Accumulator.unused"}
    for name, (first, last) in spans.items():
        lines = sorted(line for line in hits if first <= line <= last)
        assert regions[name].start_line == first
        assert regions[name].counts.statements == len(lines) > 0
        assert regions[name].counts.covered_lines == sum(hits[line] > 0 for line in lines)
        assert regions[name].missing_lines == tuple(line for line in lines if not hits[line])
    assert 23 in regions["Accumulator.unused"].missing_lines  # its body never runs, whichever release wrote it


@pytest.mark.parametrize("kind", list(FORMATS))
def test_kept_files_only(measured: Measured, kind: str) -> None:
    data = ingest_reports([measured.reports[kind]], measured.project, no_tests)
    expected = {name: e for name, e in measured.report["files"].items() if no_tests(name)}
    assert [f.path for f in data.files] == sorted(expected)
    assert data.omitted_files == 2  # tests/test_calc.py and tests/conftest.py
    statements = sum(e["summary"]["num_statements"] for e in expected.values())
    covered = sum(e["summary"]["covered_lines"] for e in expected.values())
    assert (data.totals.statements, data.totals.covered_lines) == (statements, covered)
    assert data.totals.percent_lines is not None
    assert abs(data.totals.percent_lines - 100 * covered / statements) < TOLERANCE_PP


def test_files_outside_the_target_are_left_out(measured: Measured, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    data = ingest_reports([measured.reports["data"]], other, keep_all)  # absolute paths, all outside
    assert data.files == ()
    assert data.omitted_files == len(measured.report["files"])


def test_data_file_with_missing_source(tmp_path: Path) -> None:
    project = make_project(tmp_path / "gone")
    data_file = measure(project, ".coverage")
    (project / "pkg" / "util.py").unlink()
    with pytest.raises(CoverageReportError) as err:
        ingest_reports([data_file], project, keep_all)
    assert str(data_file) in str(err.value)
    assert "util.py" in str(err.value)
    assert "\n" not in str(err.value)


# --- merging -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def split_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], dict[str, Path], Any]:
    """The suite measured in two halves, each exported, and coverage.py's own combination."""
    project = make_project(tmp_path_factory.mktemp("split"))
    measure(project, ".coverage.a", "-k", "sign")
    measure(project, ".coverage.b", "-k", "not sign")
    first, second = export(project, ".coverage.a", "a"), export(project, ".coverage.b", "b")
    shutil.copy(project / ".coverage.a", project / ".coverage.ca")
    shutil.copy(project / ".coverage.b", project / ".coverage.cb")
    run_coverage(project, "combine", "--data-file=.coverage.c", ".coverage.ca", ".coverage.cb")
    run_coverage(project, "json", "--data-file=.coverage.c", "-o", "combined.json")
    return project, first, second, json.loads((project / "combined.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", ["data", "json", "lcov"])
def test_merge_equals_coverage_combine(split_runs: Any, kind: str) -> None:
    project, first, second, combined = split_runs
    data = ingest_reports([first[kind], second[kind]], project, keep_all)
    assert len(data.reports) == 2
    assert_counts_equal(data.totals, combined["totals"])
    for f in data.files:
        assert_counts_equal(f.counts, combined["files"][f.path]["summary"])


@pytest.mark.parametrize(("a", "b"), [("json", "lcov"), ("xml", "xml"), ("xml", "data")])
def test_merge_lines_across_formats(split_runs: Any, a: str, b: str) -> None:
    project, first, second, combined = split_runs
    data = ingest_reports([first[a], second[b]], project, no_tests)
    expected = {n: e["summary"] for n, e in combined["files"].items() if no_tests(n)}
    assert {f.path: (f.counts.statements, f.counts.covered_lines) for f in data.files} == {
        n: (s["num_statements"], s["covered_lines"]) for n, s in expected.items()
    }
    assert data.omitted_files == 2  # counted once though both reports hold them
    # branches named differently (or only counted) merge to a lower bound of the union
    assert data.totals.branches == combined["totals"]["num_branches"]
    assert data.totals.covered_branches is not None
    assert data.totals.covered_branches <= combined["totals"]["covered_branches"]


def test_merge_hand_made_lcov(tmp_path: Path) -> None:
    data = ingest_reports([FIXTURES / "run_a.lcov", FIXTURES / "run_b.lcov"], tmp_path, no_tests)
    assert data.omitted_files == 0  # no_tests() drops tests/, and these tests are in test/
    data = ingest_reports(
        [FIXTURES / "run_a.lcov", FIXTURES / "run_b.lcov"], tmp_path, lambda p: not p.startswith("test/")
    )
    assert data.omitted_files == 1
    files = {f.path: f for f in data.files}
    app = files["src/app.js"]
    assert (app.counts.statements, app.counts.covered_lines) == (7, 4)
    assert app.missing_lines == (6, 7, 8)
    assert (app.counts.branches, app.counts.covered_branches, app.counts.partial_branches) == (2, 2, 0)
    assert app.regions == ()  # merged from two reports: regions would be one report's view
    other = files["src/other.js"]
    assert (other.counts.statements, other.counts.covered_lines, other.counts.covered_branches) == (2, 0, 0)
    assert (data.totals.statements, data.totals.covered_lines) == (9, 4)
    assert (data.totals.branches, data.totals.covered_branches) == (4, 2)
    assert data.totals.percent_covered == pytest.approx(100 * 6 / 13)


def test_single_lcov_regions_from_fn(tmp_path: Path) -> None:
    data = ingest_reports([FIXTURES / "run_a.lcov"], tmp_path, keep_all)
    app = next(f for f in data.files if f.path == "src/app.js")
    assert [(r.name, r.start_line, r.counts.statements, r.counts.covered_lines) for r in app.regions] == [
        ("start", 1, 4, 3),
        ("stop", 6, 3, 0),
    ]
    assert app.counts.partial_branches == 1


def test_cobertura_classes_sharing_a_file_merge_by_line(tmp_path: Path) -> None:
    java = tmp_path / "src" / "main" / "java" / "com" / "example" / "Shop.java"
    java.parent.mkdir(parents=True)
    java.write_text("class Shop {}\n", encoding="utf-8")
    data = ingest_reports([FIXTURES / "split_classes.cobertura.xml"], tmp_path, keep_all)
    [shop] = data.files
    assert shop.path == "src/main/java/com/example/Shop.java"
    assert shop.executed_lines == (10, 11, 12, 20)
    assert shop.missing_lines == (13, 21)
    counts = shop.counts
    assert (counts.statements, counts.covered_lines, counts.branches, counts.covered_branches) == (6, 4, 6, 5)
    assert counts.partial_branches == 1
    assert data.totals.percent_covered == pytest.approx(75.0)


def test_cobertura_names_without_files_on_disk_are_relative_to_the_target(tmp_path: Path) -> None:
    data = ingest_reports([FIXTURES / "split_classes.cobertura.xml"], tmp_path, keep_all)
    assert [f.path for f in data.files] == ["com/example/Shop.java"]


# --- errors --------------------------------------------------------------------------------------

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<coverage><sources><source>&lol9;</source></sources><packages/></coverage>
"""

BROKEN: dict[str, tuple[str, str]] = {
    "malformed.xml": ('<coverage><packages><package name="x"></packages></coverage>', "not well-formed XML"),
    "truncated.json": ('{"meta": {"format": 3, "branch_coverage": true}, "files": {"a.py": {"summ', "not valid JSON"),
    "garbage.lcov": ("SF:a.py\nDA:1,1\nthis is not lcov\nend_of_record\n", "line 3: not an LCOV line"),
    "bad-number.lcov": ("SF:a.py\nDA:one,1\nend_of_record\n", "expected 2 numbers"),
    "unclosed.lcov": ("SF:a.py\nDA:1,1\n", "no end_of_record"),
    "empty.json": ("", "empty"),
    "blank.xml": ("  \n\n", "empty"),
    "notes.txt": ("some notes about coverage\n", "unknown format"),
    "bomb.xml": (BOMB, "entity"),
    "jacoco.xml": ('<report name="x"><counter type="LINE" missed="1" covered="2"/></report>', "not a Cobertura"),
    "other.json": ('{"coverage": 80}', "not a coverage.py JSON report"),
    "wrong-shape.json": ('{"meta": {"format": 3}, "files": {"a.py": {}}, "totals": {}}', "malformed coverage.py JSON"),
    "no-filename.xml": (
        "<coverage><packages><package><classes><class/></classes></package></packages></coverage>",
        "without a filename",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_reports_raise_naming_the_file(tmp_path: Path, name: str) -> None:
    text, expected = BROKEN[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CoverageReportError) as err:
        ingest_reports([path], tmp_path, keep_all)
    message = str(err.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_not_sqlite_coverage_data(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / ".coverage"
    with sqlite3.connect(path) as db:
        db.execute("create table unrelated (x int)")
    db.close()
    with pytest.raises(CoverageReportError, match=r"coverage\.py cannot read this data file") as err:
        ingest_reports([path], tmp_path, keep_all)
    assert str(path) in str(err.value)


def test_missing_file_and_no_files(tmp_path: Path) -> None:
    with pytest.raises(CoverageReportError, match="no such file"):
        ingest_reports([tmp_path / "absent.xml"], tmp_path, keep_all)
    with pytest.raises(CoverageReportError, match="no coverage reports"):
        ingest_reports([], tmp_path, keep_all)


def test_oversized_report_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coverage_ingest, "MAX_REPORT_BYTES", 100)
    path = tmp_path / "big.lcov"
    path.write_text("SF:a.py\n" + "DA:1,1\n" * 50 + "end_of_record\n", encoding="utf-8")
    with pytest.raises(CoverageReportError, match="over the 100 byte limit") as err:
        ingest_reports([path], tmp_path, keep_all)
    assert str(path) in str(err.value)


def test_result_round_trips_through_json(measured: Measured) -> None:
    data = ingest_reports([measured.reports["xml"], measured.reports["lcov"]], measured.project, keep_all)
    assert CoverageData.model_validate_json(data.model_dump_json()) == data
