"""Benchmark: the patterns scan and the probes on a tree.

Usage: python benchmarks/bench_patterns.py PATH [PATH ...]

Prints, per tree: files scanned, sites, findings, scan seconds, probe seconds, files per second,
and the time spent in each extractor (summed over files), slowest first.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

from assess.collectors.patterns import scan
from assess.model import PatternsEvidence, Status
from assess.patterns import load_extractors
from assess.probes import run_probes


def _timed_extractors() -> dict[str, float]:
    """Wrap every registered extractor so its time is added up per name."""
    spent: dict[str, float] = defaultdict(float)
    for fns in load_extractors().values():
        for i, fn in enumerate(fns):

            def timed(parsed, _fn=fn):  # type: ignore[no-untyped-def]
                start = time.perf_counter()
                try:
                    return list(_fn(parsed))
                finally:
                    spent[f"{_fn.__module__}.{_fn.__name__}"] += time.perf_counter() - start

            timed.__name__, timed.__module__ = fn.__name__, fn.__module__
            fns[i] = timed
    return spent


def main(paths: list[str]) -> None:
    spent = _timed_extractors()
    for raw in paths:
        spent.clear()
        start = time.perf_counter()
        data, warnings = scan(Path(raw))
        scanned = time.perf_counter() - start
        start = time.perf_counter()
        findings = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
        probed = time.perf_counter() - start
        print(f"{raw}: {len(data.files)} files, {len(data.sites)} sites, {len(findings)} findings; "
              f"scan {scanned:.1f} s ({len(data.files) / scanned:.1f} files/s), probes {probed:.2f} s, "
              f"{len(warnings)} warnings")  # fmt: skip
        for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {seconds:6.2f} s  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
