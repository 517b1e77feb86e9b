"""``assess chaos list`` and ``assess chaos run``: the bundled experiments from the command line.

Every console line goes through :func:`assess.cli.said` and every table cell that is not our own
word through :func:`_cell`: the service's config, the journals and the runner's messages are the
target's text, which must show as it is, never as Rich markup or terminal control sequences.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assess._files import read_beneath
from assess._sandbox import Limits
from assess.chaos.ingest import MAX_BYTES, ChaosReportError, parse_journal
from assess.chaos.runner import Sandbox, bundled_experiments, requirements, run_chaos
from assess.chaos.service import ChaosConfigError, ServiceSpec, load_service_spec
from assess.cli_common import (
    EXIT_OK,
    EXIT_STAGE_ERRORS,
    UsageError,
    check_chaos_options,
    check_out,
    resolve_interpreter,
    resolve_target,
    said,
)
from assess.collectors.testrun import find_interpreter
from assess.model.chaos import ChaosResult
from assess.pipeline import new_run_dir

EXIT_CHAOS_FAILED = 1
"""Every experiment ran, and at least one did not hold (or tested nothing)."""


def _spec(args: argparse.Namespace, target: Path) -> ServiceSpec:
    try:
        spec = load_service_spec(target)
    except ChaosConfigError as err:
        raise UsageError(str(err)) from None
    if args.service_command:
        command = tuple(shlex.split(args.service_command))
        if not any("{port}" in arg for arg in command):
            raise UsageError("--command must pass {port} to the service")
        base = spec or ServiceSpec(command=command, source="--command")
        source = "--command" if base.source == "--command" else f"{base.source}, command from --command"
        spec = dataclasses.replace(base, command=command, source=source)
    if spec is None:
        raise UsageError(
            f"{target} declares no service: add [tool.assess.chaos] to its pyproject.toml "
            "(see docs/chaos.md) or give --command"
        )
    if args.health:
        if not args.health.startswith("/"):
            raise UsageError("--health must be a path starting with '/'")
        spec = dataclasses.replace(spec, health=args.health)
    return spec


def cmd_list() -> int:
    """One line per bundled experiment: name, family, what it needs from the config, title."""
    for name, path in bundled_experiments().items():
        document = json.loads(path.read_text(encoding="utf-8"))
        family = next(iter(document.get("tags") or []), "?")
        needs = ",".join(requirements(path)) or "-"
        print(f"{name:<22} {family:<22} {needs:<12} {document['title']}")
    return EXIT_OK


OUTCOME_STYLE = {"held": "green", "failed": "red", "inconclusive": "yellow"}


def _outcome(result: ChaosResult) -> Text:
    return Text(result.outcome, style=OUTCOME_STYLE[result.outcome])


def _cell(text: str, style: str = "") -> Text:
    """A table cell shown as it is (a ``str`` cell would be read as Rich markup), on one line."""
    return said((text, style))


def cmd_chaos(args: argparse.Namespace, console: Console) -> int:
    if args.chaos_command == "list":
        return cmd_list()
    target = resolve_target(args.target)
    check_chaos_options(args)
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    spec = _spec(args, target)
    python = str(find_interpreter(target, resolve_interpreter(args.python))[0])
    check_out(Path(args.out), target.resolve())
    out = new_run_dir(Path(args.out), target).resolve()
    console.print(said(f"chaos experiments against {target} ({spec.source}); journals in {out}"))
    run = run_chaos(
        target.resolve(), spec, out / "chaos", python=python, trials=args.chaos_trials,
        only=args.chaos_experiments, timeout_s=args.timeout,
        progress=lambda line: console.print(said(("…", "dim"), f" {line}")),
        sandbox=Sandbox(Limits(args.memory_limit, args.file_size_limit), tuple(dict.fromkeys(args.pass_env))),
    )  # fmt: skip
    if run.error:
        console.print(said(("could not run:", "red"), f" {run.error}"))
        print(out, flush=True)
        return EXIT_STAGE_ERRORS
    table = Table("experiment", "trial", "outcome", "why", "recovery")
    incomplete = False
    all_held = True
    for one in run.runs:
        if one.journal is None:
            incomplete = True
            table.add_row(_cell(one.name), str(one.trial), _cell("no journal", "red"), _cell(one.message or ""), "")
            continue
        try:
            rel = one.journal.relative_to(out).as_posix()  # the service runs meanwhile: never through its links
            result = parse_journal(rel, read_beneath(out, rel, MAX_BYTES).decode("utf-8"))
        except (ChaosReportError, OSError, UnicodeDecodeError) as err:
            incomplete = True
            table.add_row(_cell(one.name), str(one.trial), _cell("unreadable", "red"), _cell(str(err)), "")
            continue
        all_held = all_held and result.outcome == "held"
        recovery = ", ".join(f"{t:.2f} s" for t in result.recovery_times_s)
        table.add_row(_cell(one.name), str(one.trial), _outcome(result), _cell(result.outcome_reason), recovery)
    Console(file=sys.stderr, width=None if sys.stderr.isatty() else 200).print(table)  # logs: no wrapping
    for line in run.skipped:
        console.print(said(("skipped", "yellow"), f" {line}"))
    print(out, flush=True)
    if incomplete:
        return EXIT_STAGE_ERRORS
    return EXIT_OK if all_held else EXIT_CHAOS_FAILED
