"""Benchmark: where the time of an ``assess run`` goes.

Usage: python benchmarks/bench_pipeline.py [TARGET] [--no-tests] [--repeat N]

Prints the fixed cost of executing one trivial notebook through the pipeline's executor
(subprocess + papermill + kernel), each stage's wall time, the whole run's wall time, and the
share of the run spent on notebook overhead. Figures, not assertions: compare them between
commits on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from assess._proc import run_bounded
from assess.model import RunParameters
from assess.paths import sample_target
from assess.pipeline import Pipeline, new_run_dir


def notebook_overhead(work: Path) -> float:
    """Seconds to execute a notebook with one trivial cell through assess._execute."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("target = ''")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, work / "trivial.ipynb")
    request = {"input": str(work / "trivial.ipynb"), "output": str(work / "out.ipynb"), "parameters": {},
               "cwd": str(work), "result": str(work / "result.json")}  # fmt: skip
    (work / "req.json").write_text(json.dumps(request))
    start = time.perf_counter()
    run_bounded([sys.executable, "-m", "assess._execute", str(work / "req.json")], cwd=work, env=dict(os.environ),
                timeout_s=300, log_path=work / "log")  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", nargs="?", default=str(sample_target()))
    parser.add_argument("--no-tests", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        overhead = min(notebook_overhead(Path(tmp)) for _ in range(2))
        print(f"one trivial notebook through the executor: {overhead:.2f} s")
        for i in range(args.repeat):
            params = RunParameters(target=str(Path(args.target).resolve()), no_tests=args.no_tests)
            run_dir = new_run_dir(Path(tmp) / "runs", Path(params.target))
            start = time.perf_counter()
            info = Pipeline(params, run_dir).run()
            total = time.perf_counter() - start
            print(f"run {i + 1}: {total:.1f} s wall, status {info.status.value if info.status else '?'}")
            for stage in info.stages:
                print(f"  {stage.name:<11} {stage.duration_s:6.1f} s  {stage.status.value}")
            busy = sum(s.duration_s for s in info.stages)
            print(f"  stage time {busy:.1f} s over {total:.1f} s wall (parallelism {busy / total:.2f}x); "
                  f"fixed notebook cost {len(info.stages) * overhead:.1f} s = "
                  f"{100 * len(info.stages) * overhead / busy:.0f}% of stage time")  # fmt: skip


if __name__ == "__main__":
    main()
