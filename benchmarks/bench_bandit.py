"""Bandit's issues mapped back to syntax nodes: the walk per issue it replaced against the index per file.

Usage: python benchmarks/bench_bandit.py [--lines N] [--repeat N]

Writes a source file of ``--lines`` lines of ``assert x`` inside one function (each one a B101 issue
bandit reports), then times :func:`assess.patterns.security_bandit.bandit_sites` on it twice: with
the node lookup as it was (``ast.walk`` of the whole tree for every issue, kept below as
``old_node_at``) and as it is (one index per file). Each figure is the median of ``--repeat`` runs
and includes bandit's own checks, which are the same in both; the sites found are compared, and
the script stops if they differ. Prints seconds; asserts nothing about them.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assess.patterns import security_bandit
from assess.patterns.pyast import PythonFile


def old_node_at(parsed: PythonFile, line: int, col: int) -> ast.AST | None:
    """The lookup before the index: a walk of the whole tree per issue (``security_bandit._node_at`` as it was)."""
    best: ast.AST | None = None
    for node in ast.walk(parsed.tree):
        if getattr(node, "lineno", None) == line and getattr(node, "col_offset", None) == col:
            if isinstance(node, ast.Call):
                return node
            best = best or node
    return best


def _run(path: Path, text: str, node_at: Callable[..., ast.AST | None], repeat: int) -> tuple[float, list[Any]]:
    """Median seconds of ``bandit_sites`` on a fresh parse of ``text`` with ``node_at``, and the sites."""
    saved = security_bandit._node_at
    security_bandit._node_at = node_at
    times, sites = [], []
    try:
        for _ in range(repeat):
            parsed = PythonFile.parse(path.name, text)  # bandit marks the tree it visits: a fresh one each run
            started = time.perf_counter()
            sites = security_bandit.bandit_sites(parsed, path, text.encode())
            times.append(time.perf_counter() - started)
    finally:
        security_bandit._node_at = saved
    return statistics.median(times), [s.model_dump() for s in sites]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = "def check(x):\n" + "    assert x\n" * (args.lines - 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "asserts.py"
        path.write_text(text, encoding="utf-8")
        _run(path, "x = 1\n", security_bandit._node_at, 1)  # load bandit's plugins outside the timings
        new, new_sites = _run(path, text, security_bandit._node_at, args.repeat)
        old, old_sites = _run(path, text, old_node_at, args.repeat)
    if new_sites != old_sites:
        raise SystemExit("the two lookups found different sites")
    print(f"{args.lines} lines of assert x, {len(new_sites)} issues, median of {args.repeat}:")
    print(f"  before (a walk per issue): {old:8.2f} s")
    print(f"  after (an index per file): {new:8.2f} s")


if __name__ == "__main__":
    main()
