"""Coverage collector: run the target's tests under coverage.py, or ingest existing reports.

The test run happens in a subprocess of the target's interpreter, in its own process group,
with a timeout, under the reaper and the limits of :mod:`assess._sandbox` (a reduced environment,
memory and file-size limits, a private ``TMPDIR``); coverage data, JUnit XML and logs go to the run
folder, never the target.
The JSON report is made by coverage.py itself, with the target's own configuration, so the
numbers assess shows are coverage.py's numbers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assess._files import read_beneath
from assess._proc import run_bounded, tail
from assess._sandbox import Limits, PrivateTemp, limits_met
from assess.collectors import CollectContext, register_collector
from assess.collectors.coverage_json import files_from_report, totals_from_report
from assess.collectors.listing import list_files
from assess.collectors.roles import classify_file
from assess.collectors.testrun import (
    DEFAULT_TEST_COMMAND,
    Interpreter,
    TestCommand,
    TestSetupError,
    changes,
    parse_test_command,
    probe_interpreter,
    pytest_args,
    snapshot,
    snapshot_note,
    suite_env,
)
from assess.config import MAX_CONFIG_BYTES, load_target_config
from assess.model import CoverageData, CoverageEvidence, Role, Status, TestRun
from assess.model.coverage import TestSandbox
from assess.model.run import RunParameters
from assess.rubric import RubricError

VENV_OMITS = (".venv", "venv", ".tox", ".nox", "node_modules", "build", "site-packages")
PYTEST_NO_TESTS = 5
EXPORT_TIMEOUT_S = 600.0


def _glob_literal(path: Path) -> str:
    """A coverage.py omit pattern matching exactly ``path`` (glob characters become ``?``)."""
    return "".join("?" if c in "[]*?" else c for c in str(path))


def source_files(target: Path, *, python_only: bool = True, leave_out: Sequence[str] = ()) -> set[str]:
    """The measured set: the target's (Python) files whose role is source (relative paths).

    Tests, test support, docs, config (setup.py ...), vendored and generated files are left out.
    """
    source: set[str] = set()
    listing = list_files(target, leave_out)
    for rel in listing.paths:
        if python_only and not rel.endswith(".py"):
            continue
        cls = classify_file(target, rel, listing.links_inside)
        if cls is not None and cls.role is Role.SOURCE:
            source.add(rel)
    return source


def export_report(
    ctx: CollectContext, data_file: Path | None, source: set[str]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(coverage.py JSON report or None, meta) made by coverage.py in the target's folder.

    The report covers the files in ``source`` (relative paths) that coverage.py measured.
    """
    work = ctx.work_dir("coverage")
    meta_path, json_path = work / "export-meta.json", work / "coverage.json"
    request = {
        "data_file": str(data_file) if data_file else None,
        "json_out": str(json_path) if data_file else None,
        "meta_out": str(meta_path),
        "keep": sorted(str(ctx.target / rel) for rel in source),
    }
    (work / "export-request.json").write_text(json.dumps(request), encoding="utf-8")
    result = run_bounded(
        # by its path, not with -m: that would import the assess.collectors package (0.3 s of models) first
        [sys.executable, "-I", str(Path(__file__).with_name("_coverage_export.py")), str(work / "export-request.json")],
        cwd=ctx.target,
        env=suite_env(Path(sys.executable), ctx.params.pass_env),  # coverage.py expands ${VAR} in the config
        timeout_s=EXPORT_TIMEOUT_S,
        log_path=work / "export.log",
    )
    if result.exit_code != 0 or not meta_path.exists():
        why = "timed out" if result.timed_out else tail(work / "export.log", 5)
        raise RuntimeError(f"coverage.py could not export the data: {why}")
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    report = None
    if data_file and not meta.get("error"):
        report = json.loads(json_path.read_text(encoding="utf-8"))
    return report, meta


def _fail_under(ctx: CollectContext, meta: dict[str, Any]) -> tuple[float | None, str | None]:
    """The target's ``fail_under`` and the configuration file that sets it (the last one read that mentions it)."""
    value = meta.get("fail_under")
    if not value:
        return None, None
    source = None
    for f in map(Path, meta.get("config_files_read", [])):
        try:  # only the target's own files are read: a config file outside it is not looked into
            rel = f.relative_to(ctx.target).as_posix()
            mentions = b"fail_under" in read_beneath(ctx.target, rel, MAX_CONFIG_BYTES)
        except (ValueError, OSError):
            continue
        if mentions:
            source = rel
    return float(value), source


def _configured_test_command(target: Path) -> str | None:
    """The target config's ``test_command``; a broken config is reported by the listing and the rubric."""
    try:
        return load_target_config(target).test_command
    except RubricError:
        return None


def _command(ctx: CollectContext, interp: Interpreter) -> TestCommand:
    text = ctx.params.test_command or _configured_test_command(ctx.target) or DEFAULT_TEST_COMMAND
    command = parse_test_command(text)
    if command.is_pytest and interp.pytest_version is None:
        raise TestSetupError(
            f"pytest is not installed in {interp.path} ({interp.how}); install it there, "
            "pass --python for the target's own environment, or give another --test-command"
        )
    return command


def source_roots(target: Path, source: set[str]) -> list[Path]:
    """Folders to give coverage.py as ``--source``: each source file's top-level package, or its folder.

    coverage.py reports never-imported files only inside packages (folders with ``__init__.py``)
    under a source folder, so a ``src/`` layout needs ``src/pkg`` itself, not the target root.
    """
    roots: set[Path] = set()
    for rel in source:
        folder = (target / rel).parent
        if (folder / "__init__.py").exists():
            while folder != target and (folder.parent / "__init__.py").exists():
                folder = folder.parent
        roots.add(folder)
    return sorted(roots) or [target]


def _has_data(data_file: Path) -> bool:
    return data_file.exists() or any(data_file.parent.glob(f"{data_file.name}.*"))


def suite_limits(params: RunParameters) -> Limits:
    """The resource limits of the target's test run (``--memory-limit``, ``--file-size-limit``)."""
    return Limits(memory=params.memory_limit, file_size=params.file_size_limit)


def run_suite(
    ctx: CollectContext, interp: Interpreter, command: TestCommand, source: set[str]
) -> tuple[TestRun, Path | None, str | None]:
    """Run the suite (under coverage when the interpreter has it). Returns (run, data file or None, what the
    search for the run's writes into the target's tree left out, or None: see ``snapshot_note``)."""
    work = ctx.work_dir("coverage")
    data_file = work / ".coverage" if interp.coverage_version else None
    argv = command.argv() + (pytest_args(work / "junit.xml") if command.is_pytest else [])
    if data_file:
        omit = ",".join(_glob_literal(ctx.target / d) + "/*" for d in VENV_OMITS)
        roots = [str(p) for p in source_roots(ctx.target, source)]
        sources = ",".join(roots) if not any("," in r for r in roots) else str(ctx.target)
        prefix = ["-m", "coverage", "run", "--branch", f"--data-file={data_file}", f"--source={sources}"]
        cmd = [str(interp.path), *prefix, f"--omit={omit}", *argv]
    else:
        cmd = [str(interp.path), *argv]
    before = snapshot(ctx.target, leave_out=ctx.leave_out)
    limits = suite_limits(ctx.params)
    with PrivateTemp() as tmp:
        env = suite_env(interp.path, ctx.params.pass_env, tmp)
        result = run_bounded(cmd, cwd=ctx.target, env=env, timeout_s=ctx.params.timeout_s,
                             log_path=work / "test-output.log", limits=limits)  # fmt: skip
    after = snapshot(ctx.target, leave_out=ctx.leave_out)
    sandbox = TestSandbox(memory_limit=limits.memory, file_size_limit=limits.file_size, environment=tuple(sorted(env)),
                          temp_bytes=tmp.size, strays_killed=result.strays)  # fmt: skip
    run = TestRun(
        command=tuple(cmd),
        cwd=str(ctx.target),
        interpreter=str(interp.path),
        exit_code=result.exit_code,
        timed_out=result.timed_out,
        timeout_s=ctx.params.timeout_s,
        duration_s=round(result.duration_s, 3),
        output_log=(work / "test-output.log").relative_to(ctx.run_dir).as_posix(),
        output_tail=tail(work / "test-output.log", 30),
        tree_changes=tuple(changes(before, after)[:50]),
        sandbox=sandbox,
    )
    return run, data_file if data_file and _has_data(data_file) else None, snapshot_note(before, after)


def _versions(interp: Interpreter) -> dict[str, str]:
    pairs = {"python": interp.python_version, "pytest": interp.pytest_version, "coverage": interp.coverage_version}
    return {k: v for k, v in pairs.items() if v}


def _run_problem(run: TestRun, command: TestCommand) -> tuple[Status, str | None]:
    if run.timed_out:
        return Status.ERROR, f"the test suite ran longer than the {run.timeout_s:g} s timeout and was stopped"
    if command.is_pytest and run.exit_code == PYTEST_NO_TESTS:
        return Status.SKIPPED, "the test suite collected no tests (pytest exit code 5)"
    if command.is_pytest and run.exit_code not in (0, 1):
        return Status.ERROR, f"pytest could not run the suite (exit code {run.exit_code}); see {run.output_log}"
    return Status.OK, None


def collect_from_run(ctx: CollectContext) -> CoverageEvidence:
    try:
        interp = probe_interpreter(ctx.target, ctx.params.python, ctx.params.pass_env)
        command = _command(ctx, interp)
    except TestSetupError as err:
        return CoverageEvidence(status=Status.ERROR, reason=str(err))
    source = source_files(ctx.target, leave_out=ctx.leave_out)
    run, data_file, tree_note = run_suite(ctx, interp, command, source)
    status, reason = _run_problem(run, command)
    warnings = [f"the test run changed the target's tree: {', '.join(run.tree_changes[:5])}"] * bool(run.tree_changes)
    warnings += [tree_note] if tree_note else []
    if run.exit_code == 1:
        warnings.append("some tests failed; coverage is of the run as it happened")
    if run.exit_code != 0:  # a suite that passed met no limit that mattered, whatever its output says
        warnings += limits_met(tail(ctx.run_dir / run.output_log, 200, 65_536), suite_limits(ctx.params))
    if interp.coverage_version is None:
        reason = f"coverage.py is not installed in {interp.path} ({interp.how}); tests ran without coverage"
        no_data = CoverageData(origin="run", branch=False, totals=None, test_run=run)
        return CoverageEvidence(status=Status.SKIPPED, reason=reason, data=no_data, tool_versions=_versions(interp))
    report, meta = export_report(ctx, data_file, source)
    fail_under, fail_source = _fail_under(ctx, meta)
    if report is None:
        reason = reason or f"no coverage data was recorded ({meta.get('error') or 'the run left no data file'})"
        no_data = CoverageData(origin="run", branch=False, totals=None, test_run=run, fail_under=fail_under,
                               fail_under_source=fail_source)  # fmt: skip
        return CoverageEvidence(
            status=Status.ERROR if status is Status.OK else status,
            reason=reason,
            data=no_data,
            warnings=tuple(warnings),
            tool_versions=_versions(interp),
        )
    files, dropped = files_from_report(report, ctx.target, source.__contains__)
    totals = totals_from_report(report)
    if totals.statements and not totals.covered_lines and run.exit_code in (0, 1):
        warnings.append(
            f"the tests ran but executed none of the target's {totals.statements} statements: if they import an "
            "installed copy of the code, install the target in development mode (pip install -e) and run again"
        )
    data = CoverageData(
        origin="run",
        branch=bool(report["meta"].get("branch_coverage")),
        totals=totals,
        files=files,
        fail_under=fail_under,
        fail_under_source=fail_source,
        test_run=run,
        omitted_files=int(meta.get("omitted", 0)) + dropped,
    )
    return CoverageEvidence(
        status=status, reason=reason, warnings=tuple(warnings), data=data, tool_versions=_versions(interp)
    )


def collect_from_reports(ctx: CollectContext) -> CoverageEvidence:
    from assess.collectors.coverage_ingest import CoverageReportError, ingest_reports

    source = source_files(ctx.target, python_only=False, leave_out=ctx.leave_out)
    try:
        data = ingest_reports([Path(p) for p in ctx.params.coverage_reports], ctx.target, source.__contains__)
    except CoverageReportError as err:
        return CoverageEvidence(status=Status.ERROR, reason=str(err))
    _, meta = export_report(ctx, None, set())
    fail_under, fail_source = _fail_under(ctx, meta)
    return CoverageEvidence(
        status=Status.OK, data=data.model_copy(update={"fail_under": fail_under, "fail_under_source": fail_source})
    )


@register_collector("coverage", title="Coverage")
def collect_coverage(ctx: CollectContext) -> CoverageEvidence:
    if ctx.params.coverage_reports:
        return collect_from_reports(ctx)
    if ctx.params.no_tests:
        return CoverageEvidence(status=Status.SKIPPED, reason="tests were not run (--no-tests)")
    return collect_from_run(ctx)
