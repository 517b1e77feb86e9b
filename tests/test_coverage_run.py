"""The coverage collector runs the target's suite: numbers equal coverage.py's, the target stays untouched."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time
from pathlib import Path

import coverage
import pytest

from assess.collectors.coverage import collect_coverage
from assess.collectors.testrun import TestSetupError, parse_test_command
from assess.model import CoverageCounts, Status

from .conftest import CALC_PROJECT, write_files

COUNTS_STUB = CoverageCounts(statements=1, covered_lines=1, missing_lines=0, percent_lines=100.0, percent_covered=100.0)
"""Counts for tests that need a CoverageData but not its numbers."""


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def calc_run(make_repo, make_ctx):
    repo = make_repo(CALC_PROJECT)
    before = tree_digest(repo)
    ctx = make_ctx(repo, timeout_s=120)
    evidence = collect_coverage(ctx)
    return repo, ctx, evidence, before


def test_totals_equal_coverage_py(calc_run):
    repo, ctx, ev, _ = calc_run
    assert ev.status is Status.OK, ev.reason
    cov = coverage.Coverage(data_file=str(ctx.run_dir / "raw" / "coverage" / ".coverage"), config_file=False)
    cov.load()
    omit = [str(repo / "tests") + "/*"]
    total = cov.report(omit=omit, file=io.StringIO())
    assert ev.data.totals.percent_covered == pytest.approx(total, abs=0.01)
    # Line coverage file by file, from coverage.py's analysis API.
    for f in ev.data.files:
        _, statements, _, missing, _ = cov.analysis2(str(repo / f.path))
        assert (f.counts.statements, f.counts.missing_lines) == (len(statements), len(missing))
        assert f.counts.percent_lines == pytest.approx(
            100 * (len(statements) - len(missing)) / len(statements), abs=0.01
        )
    statements = sum(f.counts.statements for f in ev.data.files)
    covered = sum(f.counts.covered_lines for f in ev.data.files)
    assert ev.data.totals.percent_lines == pytest.approx(100 * covered / statements, abs=0.01)


def test_measured_set_is_source_only(calc_run):
    _, _, ev, _ = calc_run
    assert [f.path for f in ev.data.files] == ["calc/__init__.py", "calc/unused.py"]
    assert ev.data.omitted_files == 0  # coverage.py measured only the calc package: tests live outside it
    assert ev.data.branch is True
    assert ev.data.totals.branches and ev.data.totals.branches > 0


def test_exact_numbers_on_the_fixture(calc_run):
    _, _, ev, _ = calc_run
    by_path = {f.path: f for f in ev.data.files}
    init = by_path["calc/__init__.py"]
    assert (init.counts.statements, init.counts.covered_lines) == (
        15,
        13,
    )  # divide by zero and the empty pop are untested
    # Never imported, still measured: coverage.py reports unexecuted files in the source packages at 0 %.
    assert (by_path["calc/unused.py"].counts.covered_lines, by_path["calc/unused.py"].counts.statements) == (0, 5)
    regions = {r.name: r for r in init.regions}
    assert regions["Stack.pop"].counts.missing_lines == 1
    assert regions["add"].counts.percent_lines == 100.0


def test_fail_under_and_test_run_recorded(calc_run):
    _, ctx, ev, _ = calc_run
    assert ev.data.fail_under == 50.0
    assert ev.data.fail_under_source == "pyproject.toml"
    run = ev.data.test_run
    assert run.exit_code == 0 and not run.timed_out
    assert (ctx.run_dir / run.output_log).exists()
    assert (ctx.run_dir / "raw" / "coverage" / "junit.xml").exists()
    assert ev.tool_versions["coverage"] == coverage.__version__


def test_target_tree_is_byte_for_byte_unchanged(calc_run):
    repo, _, ev, before = calc_run
    assert tree_digest(repo) == before
    assert ev.data.test_run.tree_changes == ()


def test_a_hung_suite_is_stopped_at_the_timeout(make_repo, make_ctx):
    repo = make_repo({**CALC_PROJECT, "tests/test_hang.py": "import time\ndef test_hang():\n    time.sleep(600)\n"})
    start = time.monotonic()
    ev = collect_coverage(make_ctx(repo, timeout_s=3))
    assert time.monotonic() - start < 60
    assert ev.status is Status.ERROR
    assert "longer than the 3 s timeout" in ev.reason
    # The run itself is kept: what was run, that it was killed, and its output.
    assert ev.data.totals is None and ev.data.files == ()
    assert ev.data.test_run.timed_out and ev.data.test_run.exit_code is None


def test_tests_writing_into_the_tree_are_reported(make_repo, make_ctx):
    writer = "from pathlib import Path\ndef test_w():\n    Path('droppings.txt').write_text('x')\n"
    repo = make_repo({**CALC_PROJECT, "tests/test_writer.py": writer})
    ev = collect_coverage(make_ctx(repo, timeout_s=120))
    assert ev.data.test_run.tree_changes == ("created droppings.txt",)
    assert "changed the target's tree" in ev.warnings[0]


def test_no_tests_collected_is_skipped_with_reason(make_repo, make_ctx):
    ev = collect_coverage(make_ctx(make_repo({"app.py": "x = 1\n"}), timeout_s=120))
    assert ev.status is Status.SKIPPED
    assert "collected no tests" in ev.reason


def test_no_tests_flag(make_repo, make_ctx):
    ev = collect_coverage(make_ctx(make_repo(CALC_PROJECT), no_tests=True))
    assert (ev.status, ev.reason) == (Status.SKIPPED, "tests were not run (--no-tests)")


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """A virtualenv with neither pytest nor coverage."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


def test_missing_pytest_is_a_clear_error(make_repo, make_ctx, bare_python: Path):
    ev = collect_coverage(make_ctx(make_repo(CALC_PROJECT), python=str(bare_python)))
    assert ev.status is Status.ERROR
    assert f"pytest is not installed in {bare_python}" in ev.reason


def test_missing_coverage_runs_tests_without_it(make_repo, make_ctx, bare_python: Path):
    ev = collect_coverage(
        make_ctx(make_repo(CALC_PROJECT), python=str(bare_python), test_command="python -m unittest discover -s tests")
    )
    assert ev.status is Status.SKIPPED
    assert "coverage.py is not installed" in ev.reason
    # The suite ran without coverage, and its record says how it went (its tests need pytest).
    assert ev.data.totals is None and ev.data.test_run.exit_code == 1
    assert "No module named 'pytest'" in ev.data.test_run.output_tail


def test_missing_interpreter(make_repo, make_ctx, tmp_path: Path):
    ev = collect_coverage(make_ctx(make_repo(CALC_PROJECT), python=str(tmp_path / "nope" / "python")))
    assert ev.status is Status.ERROR
    assert "cannot run the interpreter" in ev.reason


@pytest.mark.parametrize(
    ("text", "module", "script", "args"),
    [
        ("python -m pytest -x tests", "pytest", None, ("-x", "tests")),
        ("pytest -k fast", "pytest", None, ("-k", "fast")),
        ("python3 runtests.py --fast", None, "runtests.py", ("--fast",)),
        ("/usr/bin/python3.11 -m unittest discover", "unittest", None, ("discover",)),
    ],
)
def test_parse_test_command(text: str, module: str | None, script: str | None, args: tuple[str, ...]):
    cmd = parse_test_command(text)
    assert (cmd.module, cmd.script, cmd.args) == (module, script, args)


@pytest.mark.parametrize("text", ["make test", "tox -e py311", "", "python -c 'x'", "pytest 'unterminated"])
def test_unrunnable_test_commands_are_refused(text: str):
    with pytest.raises(TestSetupError):
        parse_test_command(text)


def _src_layout(extra_pyproject: str = "") -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for rel, content in CALC_PROJECT.items():
        files[f"src/{rel}" if rel.startswith("calc/") else rel] = content
    files["src/calc/never_imported.py"] = "def nobody_calls_me():\n    return 42\n"
    files["pyproject.toml"] = f'[tool.pytest.ini_options]\npythonpath = ["src"]\n{extra_pyproject}'
    return files


def test_src_layout_reports_never_imported_modules(make_repo, make_ctx):
    ev = collect_coverage(make_ctx(make_repo(_src_layout()), timeout_s=120))
    assert ev.status is Status.OK, ev.reason
    by_path = {f.path: f for f in ev.data.files}
    assert set(by_path) == {"src/calc/__init__.py", "src/calc/unused.py", "src/calc/never_imported.py"}
    assert by_path["src/calc/never_imported.py"].counts.covered_lines == 0


def test_parallel_data_files_are_combined(make_repo, make_ctx):
    ev = collect_coverage(make_ctx(make_repo(_src_layout("[tool.coverage.run]\nparallel = true\n")), timeout_s=120))
    assert ev.status is Status.OK, ev.reason
    assert ev.data.totals.covered_lines == 13  # the same run as without parallel data files


def test_tests_importing_another_copy_are_explained(make_repo, make_ctx, tmp_path: Path):
    elsewhere = tmp_path / "installed"
    write_files(elsewhere, {"calc/__init__.py": CALC_PROJECT["calc/__init__.py"]})
    files = {**_src_layout(), "pyproject.toml": f'[tool.pytest.ini_options]\npythonpath = ["{elsewhere}"]\n'}
    ev = collect_coverage(make_ctx(make_repo(files), timeout_s=120))
    assert ev.status is Status.OK  # 0 % is what was measured ...
    assert ev.data.totals.covered_lines == 0 and ev.data.test_run.exit_code == 0
    assert "executed none of the target's" in ev.warnings[0] and "installed copy" in ev.warnings[0]  # ... and why


def test_tests_inside_the_package_are_left_out(make_repo, make_ctx):
    files = {k.replace("tests/", "calc/tests/"): v for k, v in CALC_PROJECT.items()}
    ev = collect_coverage(make_ctx(make_repo(files), timeout_s=120))
    assert ev.status is Status.OK, ev.reason
    assert [f.path for f in ev.data.files] == ["calc/__init__.py", "calc/unused.py"]
    assert (
        ev.data.omitted_files == 3
    )  # calc/tests/__init__.py, conftest.py and test_calc.py were measured, then left out
