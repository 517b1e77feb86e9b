"""Benchmark: where the time of an ``assess run`` goes.

Usage: python benchmarks/bench_pipeline.py [TARGET] [--no-tests] [--repeat N]

Prints the fixed cost of executing one trivial notebook through the pipeline's notebook runner
(subprocess, papermill and kernel start; then papermill alone, in a runner kept from an earlier
notebook), each stage's wall time, the whole run's wall time, and the share of the run spent on
notebook overhead. Figures, not assertions: compare them between
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

from assess.model import RunParameters
from assess.paths import sample_target
from assess.pipeline import MAX_PARALLEL, Pipeline, _Executors, new_run_dir


def notebook_overhead(work: Path) -> tuple[float, float]:
    """Seconds to execute a notebook with one trivial cell through the pipeline's notebook runner: the
    first one (the runner and its kernel start) and a second one in the same runner (kernel kept)."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("target = ''")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, work / "trivial.ipynb")
    executors = _Executors(work, dict(os.environ))
    times = []
    try:
        runner = executors.take()
        for n in range(2):
            request = {"input": str(work / "trivial.ipynb"), "output": str(work / f"out{n}.ipynb"),
                       "parameters": {}, "cwd": str(work), "result": str(work / f"result{n}.json")}  # fmt: skip
            (work / f"req{n}.json").write_text(json.dumps(request))
            (work / f"result{n}.json").unlink(missing_ok=True)
            start = time.perf_counter()
            problem = runner.run(work / f"req{n}.json", work / f"result{n}.json", timeout_s=300)
            times.append(time.perf_counter() - start)
            if problem:
                sys.exit(f"the trivial notebook failed: {problem}")
    finally:
        executors.close()
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", nargs="?", default=str(sample_target()))
    parser.add_argument("--no-tests", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measured = [notebook_overhead(Path(tmp)) for _ in range(2)]
        first, then = min(m[0] for m in measured), min(m[1] for m in measured)
        print(
            f"one trivial notebook through the runner: {first:.2f} s first (runner and kernel start), "
            f"{then:.2f} s in a runner that has run one"
        )
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
            starts = min(MAX_PARALLEL, len(info.stages))  # runners started; the other notebooks reuse one
            fixed = starts * first + (len(info.stages) - starts) * then
            print(f"  stage time {busy:.1f} s over {total:.1f} s wall (parallelism {busy / total:.2f}x); "
                  f"fixed notebook cost {fixed:.1f} s = {100 * fixed / busy:.0f}% of stage time")  # fmt: skip


if __name__ == "__main__":
    main()
