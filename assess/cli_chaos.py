"""``assess chaos list`` and ``assess chaos run``: the bundled experiments from the command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assess.chaos.ingest import ChaosReportError, parse_journal
from assess.chaos.runner import bundled_experiments, requirements, run_chaos
from assess.chaos.service import ChaosConfigError, ServiceSpec, load_service_spec
from assess.cli import (
    EXIT_OK,
    EXIT_STAGE_ERRORS,
    UsageError,
    check_chaos_options,
    resolve_interpreter,
    resolve_target,
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


def _outcome(result: ChaosResult) -> str:
    return f"[{OUTCOME_STYLE[result.outcome]}]{result.outcome}[/]"


def cmd_chaos(args: argparse.Namespace, console: Console) -> int:
    if args.chaos_command == "list":
        return cmd_list()
    target = resolve_target(args.target)
    check_chaos_options(args)
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    spec = _spec(args, target)
    python = str(find_interpreter(target, resolve_interpreter(args.python))[0])
    out = new_run_dir(Path(args.out), target).resolve()
    console.print(f"chaos experiments against {target} ({spec.source}); journals in {out}", markup=False)
    run = run_chaos(
        target.resolve(), spec, out / "chaos", python=python, trials=args.chaos_trials,
        only=args.chaos_experiments, timeout_s=args.timeout, progress=lambda line: console.print(f"[dim]…[/] {line}"),
    )  # fmt: skip
    if run.error:
        console.print(f"[red]could not run:[/] {escape(run.error)}", highlight=False)
        print(out, flush=True)
        return EXIT_STAGE_ERRORS
    table = Table("experiment", "trial", "outcome", "why", "recovery")
    incomplete = False
    all_held = True
    for one in run.runs:
        if one.journal is None:
            incomplete = True
            table.add_row(one.name, str(one.trial), "[red]no journal[/]", escape(one.message or ""), "")
            continue
        try:
            result = parse_journal(str(one.journal.relative_to(out)), one.journal.read_text(encoding="utf-8"))
        except (ChaosReportError, OSError) as err:
            incomplete = True
            table.add_row(one.name, str(one.trial), "[red]unreadable[/]", escape(str(err)), "")
            continue
        all_held = all_held and result.outcome == "held"
        recovery = ", ".join(f"{t:.2f} s" for t in result.recovery_times_s)
        table.add_row(one.name, str(one.trial), _outcome(result), escape(result.outcome_reason), recovery)
    Console(file=sys.stderr, width=None if sys.stderr.isatty() else 200).print(table)  # logs: no wrapping
    for line in run.skipped:
        console.print(f"[yellow]skipped[/] {escape(line)}", highlight=False)
    print(out, flush=True)
    if incomplete:
        return EXIT_STAGE_ERRORS
    return EXIT_OK if all_held else EXIT_CHAOS_FAILED
