"""The ``assess`` command line. ``main(argv)`` returns the exit code (see docs/cli.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from assess import __version__
from assess.model import RunParameters, StageResult, Status
from assess.paths import sample_target

EXIT_OK = 0
EXIT_USAGE = 2
"""Bad arguments, or a target that does not exist or is not a folder."""
EXIT_STAGE_ERRORS = 3
"""The run finished and wrote its report, but at least one stage failed; the report says which."""


class UsageError(Exception):
    """A problem with the command line; printed as one line."""


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
    run.add_argument("--quiet", action="store_true", help="print only the run folder")
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
    return parser


def _chaos_options(parser: argparse.ArgumentParser, prefix: str) -> None:
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


def resolve_target(given: str | None) -> Path:
    target = Path(given).expanduser() if given else sample_target()
    if not given and not target.is_dir():
        raise UsageError("the bundled sample ships only with a source checkout of assess; give a TARGET folder")
    if not target.exists():
        raise UsageError(f"target {str(target)!r} does not exist")
    if not target.is_dir():
        raise UsageError(f"target {str(target)!r} is a file; give the repository's folder")
    return target


def _params(args: argparse.Namespace) -> RunParameters:
    target = resolve_target(args.target)
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    for report in args.coverage_report + args.junit_report + args.chaos_result:
        if not Path(report).is_file():
            raise UsageError(f"report {report!r} does not exist")
    check_chaos_options(args)
    return RunParameters(
        target=str(target.resolve()),
        python=args.python,
        test_command=args.test_command,
        timeout_s=args.timeout,
        no_tests=args.no_tests,
        coverage_reports=tuple(str(Path(p).resolve()) for p in args.coverage_report),
        junit_reports=tuple(str(Path(p).resolve()) for p in args.junit_report),
        chaos_results=tuple(str(Path(p).resolve()) for p in args.chaos_result),
        chaos=not args.no_chaos,
        chaos_trials=args.chaos_trials,
        chaos_experiments=tuple(args.chaos_experiments),
    )


def check_chaos_options(args: argparse.Namespace) -> None:
    from assess.chaos.runner import bundled_experiments

    if not 1 <= args.chaos_trials <= 20:
        raise UsageError("the number of chaos trials must be between 1 and 20")
    unknown = sorted(set(args.chaos_experiments) - set(bundled_experiments()))
    if unknown:
        raise UsageError(f"unknown chaos experiment(s) {', '.join(unknown)}; see 'assess chaos list'")


def _progress(console: Console):  # type: ignore[no-untyped-def]
    def listener(event: str, stage: object, result: StageResult | None) -> None:
        name = getattr(stage, "name", "?")
        if event == "start":
            console.print(f"[dim]…[/] {name}")
        elif result is not None:
            style = {Status.OK: "green", Status.SKIPPED: "yellow", Status.ERROR: "red"}[result.status]
            why = f": {result.reason}" if result.reason else ""
            console.print(
                f"[{style}]{result.status.value:>7}[/] {name} ({result.duration_s:.1f} s){why}",
                markup=True,
                highlight=False,
            )

    return listener


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from assess.assessment import write_outputs
    from assess.pipeline import Pipeline, new_run_dir

    params = _params(args)
    run_dir = new_run_dir(Path(args.out), Path(params.target)).resolve()
    console.print(f"assess {__version__}: {params.target}")
    pipeline = Pipeline(params, run_dir, None if args.quiet else _progress(console))
    info = pipeline.run()
    write_outputs(run_dir)  # with the final run info, whatever the assessment notebook managed
    failed = [s.name for s in info.stages if s.status is Status.ERROR]
    if failed:
        console.print(f"[red]stages with errors:[/] {', '.join(failed)}; the report says what could not be measured")
    console.print(f"report: {run_dir / 'assessment.html'}")
    print(run_dir, flush=True)
    return EXIT_STAGE_ERRORS if failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True, quiet=getattr(args, "quiet", False))
    try:
        if args.command == "chaos":
            from assess.cli_chaos import cmd_chaos

            return cmd_chaos(args, console)
        return cmd_run(args, console)
    except UsageError as err:
        print(f"assess: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("assess: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
