"""Time the complexity collector's analysis on a real tree, in one process and in two.

Usage: python benchmarks/bench_complexity.py PATH [--check N]

Prints the files and blocks counted, the wall time and files per second for one and for two
worker processes, and their ratio. With ``--check N`` it also runs the radon CLI
(``radon cc -s -j --show-closures`` and ``radon mi -j``) on N of the Python files and reports
whether every block's complexity and every file's MI equal the collector's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from assess.collectors.complexity import complexity_data
from assess.model import ComplexityData
from assess.static.run import analyse_in_memory

MAX_WORKERS = 2


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers once shut down)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed_analysis(target: Path, workers: int) -> tuple[ComplexityData, float, float]:
    """(data, wall seconds, CPU seconds) of the static analysis with ``workers`` processes and no cache, as the
    complexity collector draws on it. The CPU figure shows when other load, not the pool, limits the gain."""
    start, cpu_start = time.perf_counter(), cpu_seconds()
    records, summary = analyse_in_memory(target, jobs=workers)
    data, warnings = complexity_data(records)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    for warning in [*summary.warnings, *warnings]:
        print(f"  warning: {warning}")
    return data, elapsed, cpu


def radon_cli(target: Path, command: str, rels: list[str]) -> dict[str, object]:
    extra = ["-s", "--show-closures"] if command == "cc" else []
    out = subprocess.run(
        [sys.executable, "-m", "radon", command, "-j", *extra, *rels],
        cwd=target, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(out.stdout)
    return result


def check_against_cli(target: Path, data: ComplexityData, count: int) -> None:
    """Compare a spread of Python files with what the radon CLI reports for them."""
    measured = [f for f in data.files if f.tool == "radon" and f.error is None and f.loc]
    step = max(1, len(measured) // count)
    rels = [f.path for f in measured[::step][:count]]
    cc = radon_cli(target, "cc", rels)
    mi = radon_cli(target, "mi", rels)
    mi_by_path = {f.path: f.mi for f in data.files}
    blocks_checked = mismatches = 0
    for rel in rels:
        cli_blocks = {
            (f"{b['classname']}.{b['name']}" if b.get("classname") else b["name"], b["lineno"], b["complexity"])
            for b in cc.get(rel, [])  # type: ignore[attr-defined]  # radon leaves out files without blocks
        }
        ours = {(b.name, b.line, b.complexity) for b in data.blocks if b.path == rel}
        blocks_checked += len(ours)
        if ours != cli_blocks:
            mismatches += 1
            print(f"  MISMATCH cc {rel}: only ours {ours - cli_blocks}, only radon {cli_blocks - ours}")
        if mi[rel]["mi"] != mi_by_path[rel]:  # type: ignore[index]
            mismatches += 1
            print(f"  MISMATCH mi {rel}: ours {mi_by_path[rel]}, radon {mi[rel]['mi']}")  # type: ignore[index]
    print(f"radon CLI check: {len(rels)} files, {blocks_checked} blocks, {mismatches} mismatch(es)")
    checked = set(rels)
    for block in sorted((b for b in data.blocks if b.path in checked), key=lambda b: -b.complexity)[:5]:
        print(f"  e.g. {block.path}:{block.line} {block.name} cc={block.complexity} mi={mi_by_path[block.path]:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--check", type=int, default=0, metavar="N", help="compare N Python files with the radon CLI")
    args = parser.parse_args(argv)
    target = args.path.resolve()

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    one, t_one, cpu_one = timed_analysis(target, workers=1)
    two, t_two, cpu_two = timed_analysis(target, workers=MAX_WORKERS)
    errors = sum(1 for f in one.files if f.error)
    print(f"counted: {len(one.files)} files ({errors} with errors), {len(one.blocks)} blocks, "
          f"{sum(f.loc or 0 for f in one.files)} Python lines")  # fmt: skip
    for label, elapsed, cpu in [("1 process", t_one, cpu_one), (f"{MAX_WORKERS} processes", t_two, cpu_two)]:
        print(f"{label:>12}: {elapsed:6.2f} s wall  {cpu:6.2f} s CPU  {len(one.files) / elapsed:7.1f} files/s")
    print(f"ratio one/two: {t_one / t_two:.2f}   same data: {one == two}")
    if args.check:
        check_against_cli(target, one, args.check)
    return 0 if one == two else 1


if __name__ == "__main__":
    sys.exit(main())
