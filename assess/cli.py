"""The ``assess`` command line. ``main(argv)`` returns the exit code (see docs/cli.md)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from rich.console import Console

from assess import __version__
from assess.cli_common import (
    EXIT_GATE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_STAGE_ERRORS,
    EXIT_USAGE,
    UsageError,
    check_chaos_options,
    check_out,
    resolve_interpreter,
    resolve_target,
    said,
)
from assess.model import Assessment, RunParameters, StageResult, Status
from assess.model.findings import Severity
from assess.model.io import ModelFileError, read_model
from assess.static.cache import default_cache_dir

__all__ = ["EXIT_GATE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_OUTPUT", "EXIT_STAGE_ERRORS", "EXIT_USAGE",
           "UsageError", "main", "resolve_interpreter", "resolve_target"]  # fmt: skip

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assess", description="How ready is a repository for production, and why.")
    parser.add_argument("--version", action="version", version=f"assess {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="collect evidence from a repository and write a report")
    run.add_argument("target", nargs="?", help="repository folder (default: the bundled sample in data/)")
    run.add_argument("--out", default="runs", help="folder in which the run folder is created (default: runs/)")
    run.add_argument(
        "--python",
        help="interpreter for the target's tests (default: .venv/venv in the target, else the one running assess)",
    )
    run.add_argument("--test-command", help="test command to run under coverage (default: python -m pytest)")
    run.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="stop the target's test run after this long (default: 900)",
    )
    run.add_argument("--no-tests", action="store_true", help="run nothing from the target: static evidence only")
    run.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="processes for the static analysis (default: one per available core)",
    )
    run.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where to keep analyses of unchanged files between runs (default: $ASSESS_CACHE_DIR, else "
        "$XDG_CACHE_HOME/assess or ~/.cache/assess); safe to delete",
    )
    run.add_argument("--no-cache", action="store_true", help="analyse every file afresh and keep nothing")
    run.add_argument(
        "--coverage-report",
        action="append",
        default=[],
        metavar="FILE",
        help="ingest this coverage report instead of running the tests (coverage.py data or JSON, "
        "Cobertura XML, LCOV); repeatable",
    )
    run.add_argument(
        "--junit-report",
        action="append",
        default=[],
        metavar="FILE",
        help="ingest these JUnit XML test results; repeatable",
    )
    run.add_argument(
        "--chaos-result",
        action="append",
        default=[],
        metavar="FILE",
        help="ingest this chaos result (Chaos Toolkit journal, JUnit XML or native JSON) besides those found "
        "in the target; repeatable",
    )
    run.add_argument(
        "--no-chaos",
        action="store_true",
        help="do not run the bundled chaos experiments (they run when the target declares [tool.assess.chaos])",
    )
    _chaos_options(run, "chaos_")
    _gate_options(run)
    run.add_argument("--quiet", action="store_true", help="print only the run folder")
    score = sub.add_parser(
        "score", help="re-run the probes and the rubric on a run folder's evidence and rewrite its reports"
    )
    score.add_argument("run_dir", metavar="RUN_FOLDER", help="a run folder made by 'assess run'")
    score.add_argument("--rubric", metavar="FILE", help="a rubric TOML file to use instead of the bundled one")
    _gate_options(score)
    render = sub.add_parser("render", help="rewrite a run folder's reports from its assessment.json")
    render.add_argument("run_dir", metavar="RUN_FOLDER", help="a run folder made by 'assess run'")
    _gate_options(render)
    chaos = sub.add_parser("chaos", help="fault injection: run the bundled Chaos Toolkit experiments")
    chaos_sub = chaos.add_subparsers(dest="chaos_command", required=True)
    chaos_sub.add_parser("list", help="list the bundled experiments")
    crun = chaos_sub.add_parser("run", help="start the target's service and run the experiments against it")
    crun.add_argument("target", nargs="?", help="repository folder (default: the bundled sample in data/)")
    crun.add_argument("--out", default="runs", help="folder in which the chaos folder is created (default: runs/)")
    crun.add_argument("--python", help="interpreter for {python} in the service command")
    crun.add_argument(
        "--command",
        dest="service_command",
        help="command that starts the service, with {port} (and {python}, {host}, {data_dir}); "
        "overrides the target's [tool.assess.chaos] command",
    )
    crun.add_argument("--health", help="health path answering 2xx when the service is up (default /health)")
    crun.add_argument(
        "--timeout", type=float, default=180.0, metavar="SECONDS", help="limit for each experiment (default: 180)"
    )
    _chaos_options(crun, "")
    cache = sub.add_parser("cache", help="the cache of file analyses and evidence: how big it is, or empty it")
    cache.add_argument("cache_command", choices=("info", "clear"))
    cache.add_argument("--cache-dir", metavar="DIR", help="the cache folder (default: as 'assess run' uses)")
    return parser


def _chaos_options(parser: argparse.ArgumentParser, prefix: str) -> None:
    """The options ``assess run`` and ``assess chaos run`` share: the experiments, and what the target's
    processes (tests, service) may see and use."""
    from assess._sandbox import DEFAULT_FILE_SIZE_LIMIT, DEFAULT_MEMORY_LIMIT, byte_size, env_name

    parser.add_argument(
        "--pass-env",
        action="append",
        default=[],
        type=env_name,
        metavar="NAME",
        help="also give the target's tests and service this variable of assess's environment (repeatable); "
        "otherwise they see only PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ, TERM, CI, NO_COLOR",
    )
    parser.add_argument(
        "--memory-limit",
        type=byte_size,
        default=DEFAULT_MEMORY_LIMIT,
        metavar="SIZE",
        help="private writable memory each of the target's processes may map (RLIMIT_DATA), e.g. 2G; "
        "0 or none: no limit (default: 4G)",
    )
    parser.add_argument(
        "--file-size-limit",
        type=byte_size,
        default=DEFAULT_FILE_SIZE_LIMIT,
        metavar="SIZE",
        help="largest file the target's processes may write (RLIMIT_FSIZE), e.g. 512M; 0 or none: no limit "
        "(default: 1G)",
    )
    parser.add_argument(
        f"--{prefix}trials".replace("_", "-"),
        dest="chaos_trials",
        type=int,
        default=1,
        metavar="N",
        help="runs of each experiment (default: 1)",
    )
    parser.add_argument(
        f"--{prefix}experiment".replace("_", "-"),
        dest="chaos_experiments",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this bundled experiment (repeatable; see 'assess chaos list')",
    )


def _gate_options(parser: argparse.ArgumentParser) -> None:
    gate = parser.add_argument_group("gating (exit 1 when the assessment fails these)")
    gate.add_argument("--fail-on", choices=("NO-GO", "NEEDS_WORK"), help="fail on this verdict or a worse one")
    gate.add_argument(
        "--baseline",
        metavar="ASSESSMENT_JSON",
        help="an earlier assessment.json: fail when a category's grade drops or a new finding appears",
    )
    gate.add_argument(
        "--new-findings",
        choices=[s.value for s in Severity],
        default=Severity.HIGH.value,
        metavar="SEVERITY",
        help="with --baseline: the least severity of a new finding that fails (default: high)",
    )


def _baseline(args: argparse.Namespace) -> Assessment | None:
    if not args.baseline:
        return None
    from assess.gate import read_baseline

    try:
        return read_baseline(Path(args.baseline))
    except ModelFileError as err:
        raise UsageError(f"--baseline: {err}") from None


def _gate(args: argparse.Namespace, assessment: Assessment, baseline: Assessment | None, console: Console) -> bool:
    """Print the gate's result; True when it passes (or nothing was asked)."""
    from assess.gate import check

    result = check(assessment, args.fail_on, baseline, Severity(args.new_findings))
    for note in result.notes:
        console.print(said(f"gate: {note}"))
    for failure in result.failures:
        console.print(said(("gate failed:", "red"), f" {failure}"))
    return result.passed


def _params(args: argparse.Namespace) -> RunParameters:
    target = resolve_target(args.target)
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    for report in args.coverage_report + args.junit_report + args.chaos_result:
        if not Path(report).is_file():
            raise UsageError(f"report {report!r} does not exist")
    check_chaos_options(args)
    if args.jobs is not None and not 1 <= args.jobs <= 256:
        raise UsageError("--jobs must be between 1 and 256")
    if args.no_cache and args.cache_dir:
        raise UsageError("--no-cache and --cache-dir contradict each other")
    return RunParameters(
        target=str(target.resolve()),
        python=resolve_interpreter(args.python),
        test_command=args.test_command,
        timeout_s=args.timeout,
        no_tests=args.no_tests,
        coverage_reports=tuple(str(Path(p).resolve()) for p in args.coverage_report),
        junit_reports=tuple(str(Path(p).resolve()) for p in args.junit_report),
        chaos_results=tuple(str(Path(p).resolve()) for p in args.chaos_result),
        chaos=not args.no_chaos,
        chaos_trials=args.chaos_trials,
        chaos_experiments=tuple(args.chaos_experiments),
        jobs=args.jobs,
        cache_dir=None if args.no_cache else str(Path(args.cache_dir or default_cache_dir()).expanduser().resolve()),
        pass_env=tuple(dict.fromkeys(args.pass_env)),
        memory_limit=args.memory_limit,
        file_size_limit=args.file_size_limit,
    )


def cmd_cache(args: argparse.Namespace, console: Console) -> int:
    from assess.static.cache import cache_usage, clear_cache

    root = Path(args.cache_dir or default_cache_dir()).expanduser()
    if args.cache_command == "clear":
        removed = clear_cache(root)
        print(f"{root}: {removed} entr{'y' if removed == 1 else 'ies'} removed")
    else:
        entries, size = cache_usage(root)
        print(f"{root}: {entries} entr{'y' if entries == 1 else 'ies'}, {size / 1e6:.1f} MB")
    return EXIT_OK


def _progress(console: Console):  # type: ignore[no-untyped-def]
    def listener(event: str, stage: object, result: StageResult | None) -> None:
        name = str(getattr(stage, "name", "?"))
        if event == "start":
            console.print(said(("…", "dim"), f" {name}"))
        elif result is not None:
            style = {Status.OK: "green", Status.SKIPPED: "yellow", Status.ERROR: "red"}[result.status]
            why = f": {result.reason}" if result.reason else ""
            console.print(said((f"{result.status.value:>7}", style), f" {name} ({result.duration_s:.1f} s){why}"))

    return listener


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from assess.assessment import write_outputs
    from assess.pipeline import Pipeline, new_run_dir

    params = _params(args)
    baseline = _baseline(args)
    check_out(Path(args.out), Path(params.target))
    try:
        run_dir = new_run_dir(Path(args.out), Path(params.target)).resolve()
    except OSError as err:
        raise UsageError(f"cannot create a run folder in --out {args.out!r}: {err.strerror or err}") from None
    console.print(said(f"assess {__version__}: {params.target}"))
    pipeline = Pipeline(params, run_dir, None if args.quiet else _progress(console))
    info = pipeline.run()
    assessment = write_outputs(run_dir)  # with the final run info, whatever the assessment notebook managed
    failed = [s.name for s in info.stages if s.status is Status.ERROR]
    if failed:
        console.print(said(("stages with errors:", "red"),
                           f" {', '.join(failed)}; the report says what could not be measured"))  # fmt: skip
    console.print(said(f"report: {run_dir / 'assessment.html'}"))
    passed = _gate(args, assessment, baseline, console)
    print(run_dir, flush=True)
    return EXIT_GATE if not passed else EXIT_STAGE_ERRORS if failed else EXIT_OK


def _run_folder(given: str, needs: str) -> Path:
    run_dir = Path(given).expanduser().resolve()
    if not (run_dir / needs).is_file():
        raise UsageError(f"{given!r} is not a run folder: it has no {needs}")
    return run_dir


def cmd_score(args: argparse.Namespace, console: Console) -> int:
    """Re-run probes and rubric on the evidence in a run folder and rewrite its outputs."""
    from assess.assessment import build_assessment, write_reports

    run_dir = _run_folder(args.run_dir, "run.json")
    rubric = Path(args.rubric).expanduser().resolve() if args.rubric else None
    if rubric is not None and not rubric.is_file():
        raise UsageError(f"rubric {args.rubric!r} does not exist")
    baseline = _baseline(args)
    old = _verdict_of(run_dir / "assessment.json")
    try:
        assessment, evidence = build_assessment(run_dir, rubric)
    except ModelFileError as err:
        raise UsageError(str(err)) from None
    if assessment.scoring_error:
        console.print(said(("not scored:", "red"), f" {assessment.scoring_error}"))
    write_reports(assessment, evidence, run_dir)
    new = assessment.verdict.decision if assessment.verdict else "no verdict"
    console.print(said(f"verdict: {old} -> {new} ({assessment.rubric or 'no rubric'})"))
    return _finish(args, assessment, baseline, run_dir, console)


def cmd_render(args: argparse.Namespace, console: Console) -> int:
    """Rewrite a run folder's reports from its assessment.json and evidence, without scoring."""
    from assess.assessment import load_evidence, write_reports

    run_dir = _run_folder(args.run_dir, "assessment.json")
    baseline = _baseline(args)
    try:
        assessment = read_model(Assessment, run_dir / "assessment.json", root=run_dir)
    except ModelFileError as err:
        raise UsageError(f"{err}; 'assess score {args.run_dir}' rebuilds it from the evidence") from None
    evidence, _ = load_evidence(run_dir)
    write_reports(assessment, evidence, run_dir)
    return _finish(args, assessment, baseline, run_dir, console)


def _verdict_of(path: Path) -> str:
    try:
        verdict = read_model(Assessment, path, root=path.parent).verdict
    except ModelFileError:
        return "none"
    return verdict.decision if verdict else "no verdict"


def _finish(args: argparse.Namespace, assessment: Assessment, baseline: Assessment | None, run_dir: Path,
            console: Console) -> int:  # fmt: skip
    console.print(said(f"report: {run_dir / 'assessment.html'}"))
    passed = _gate(args, assessment, baseline, console)
    print(run_dir, flush=True)
    return EXIT_OK if passed else EXIT_GATE


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True, quiet=getattr(args, "quiet", False), soft_wrap=True)  # CI logs: no wrapping
    with _sigterm_interrupts():
        return _dispatch(args, console)


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    try:
        if args.command == "chaos":
            from assess.cli_chaos import cmd_chaos

            return cmd_chaos(args, console)
        commands = {"run": cmd_run, "score": cmd_score, "render": cmd_render, "cache": cmd_cache}
        return commands[args.command](args, console)
    except UsageError as err:
        print(f"assess: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("assess: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as err:  # a full disk, an output folder gone or made read-only under us
        where = f": {err.filename}" if err.filename else ""
        print(f"assess: error: file system: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_OUTPUT


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, ``timeout``) stops a run as Ctrl-C does: the target's process
    groups are killed and the exit code is 130. Without this, Python dies at once and leaves them running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
