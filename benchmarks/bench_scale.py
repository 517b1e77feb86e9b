"""Benchmark: assess's static analysis on a large real codebase, against radon's own command line.

Usage: python benchmarks/bench_scale.py [--tree PATH] [--cache DIR] [--skip-radon] [--jobs N] [--warm-runs N]

Without ``--tree`` it downloads the pinned Django 5.2 sdist from the package index pip is
configured with (``pip download``), checks its sha256 and unpacks it under ``--cache`` (default
``~/.cache/assess-bench``). Then it measures, each in a fresh child process so that times and peak
memory are the child's own:

- the floor: read every ``.py`` file and ``ast.parse`` it;
- radon's command line, as a user would run it by hand: ``radon cc -s -a``, ``radon mi``, ``radon raw``;
- assess's static analysis as ``assess run`` does it: the inventory, complexity and patterns
  collectors on the tree (one shared analysis, its worker processes included), cold (empty cache),
  warm (the same tree again, ``--warm-runs`` times, for the median: each collector's evidence comes from
  the evidence cache), and warm after
  one file changed (on a copy of the tree: every other file's record comes from the file cache).

It prints the wall time (seen from this process, so a child Python's start and exit are in it), CPU
time and peak resident memory of each, and the ratios the issue asks
for (assess cold / radon's three commands; assess / the floor). Figures, not assertions: compare
them between commits on the same machine, quiet.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

DJANGO = ("Django==5.2", "Django-5.2.tar.gz", "1a47f7a7a3d43ce64570d350e008d2949abe8c7e21737b351b6a1611277c6d89")
"""pip requirement, sdist file name, sha256 of the sdist (PyPI)."""

# Each measurement runs as `python -c CHILD <json args>`: the child runs the work, then prints its
# own wall and CPU seconds and peak RSS (itself, and its largest finished child) as JSON.
CHILD = r"""
import json, os, resource, subprocess, sys, time
args = json.loads(sys.argv[1])
start, t0 = time.perf_counter(), os.times()
if args["kind"] == "command":
    subprocess.run(args["argv"], cwd=args["cwd"], stdout=subprocess.DEVNULL, check=True)
    detail = ""
elif args["kind"] == "floor":
    import ast, pathlib
    files = errors = 0
    for p in sorted(pathlib.Path(args["tree"]).rglob("*.py")):
        files += 1
        try:
            ast.parse(p.read_bytes())
        except (SyntaxError, ValueError):
            errors += 1
    detail = f"{files} files, {errors} not parsed"
else:
    from pathlib import Path
    from assess.collectors import CollectContext, run_collector
    from assess.model import RunParameters
    imported = time.perf_counter() - start
    params = RunParameters(target=args["tree"], no_tests=True, cache_dir=args["cache_dir"], jobs=args["jobs"])
    ctx = CollectContext(params=params, run_dir=Path(args["run_dir"]))
    parts = [f"importing assess {imported:.1f} s"]
    for kind in ("inventory", "complexity", "patterns"):
        s = time.perf_counter()
        ev = run_collector(kind, ctx)
        parts.append(f"{kind} {time.perf_counter() - s:.1f} s ({ev.status.value})")
    summary = json.loads((ctx.run_dir / "raw" / "static" / "summary.json").read_text())
    if summary["streamed"]:
        parts.append(f"{summary['files']} files, jobs {summary['jobs']}, file cache {summary['cache_hits']} hits "
                     f"{summary['cache_misses']} misses")
    else:
        parts.append(f"{summary['files']} files, every evidence from the evidence cache, no record read")
    detail = ", ".join(parts)
t1 = os.times()
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"wall": time.perf_counter() - start, "cpu": sum(t1[:4]) - sum(t0[:4]), "peak_mb": peak / 1024,
                  "detail": detail}))
"""


def fetch_django(cache: Path) -> Path:
    """The unpacked Django 5.2 tree under ``cache``, downloading and checking the sdist if needed."""
    requirement, name, sha256 = DJANGO
    tree = cache / name.removesuffix(".tar.gz")
    if tree.is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / name
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        requirement, "-d", str(cache)], check=True)  # fmt: skip
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != sha256:
        sys.exit(f"{sdist}: sha256 {digest} is not the pinned {sha256}")
    with tarfile.open(sdist) as archive:
        archive.extractall(cache, filter="data")
    return tree


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children may write bytecode (``__pycache__``), as a user's Python does: with PYTHONDONTWRITEBYTECODE set (some
containers set it) and an editable install, every child would compile assess from source, 0.1 to 0.2 s."""


def measure(kind: str, **args: object) -> dict[str, object]:
    """The child's figures; its wall time as this process sees it, so Python's start and exit are in it."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps({"kind": kind, **args})],
                         capture_output=True, text=True, check=True, env=CHILD_ENV)  # fmt: skip
    wall = time.perf_counter() - start
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return {**result, "wall": wall}


def show(name: str, m: dict[str, object]) -> None:
    detail = f"  [{m['detail']}]" if m["detail"] else ""
    print(f"{name:<34} {m['wall']:7.1f} s wall {m['cpu']:7.1f} s CPU {m['peak_mb']:7.0f} MB peak{detail}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", help="a source tree (default: the pinned Django 5.2 sdist)")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "assess-bench"))
    parser.add_argument("--skip-radon", action="store_true", help="do not run radon's command line (about a minute)")
    parser.add_argument("--jobs", type=int, help="assess's worker processes (default: one per core)")
    parser.add_argument("--warm-runs", type=int, default=3, help="warm runs to take the median of (default 3)")
    args = parser.parse_args(argv)
    tree = Path(args.tree).resolve() if args.tree else fetch_django(Path(args.cache))
    py_files = sum(1 for _ in tree.rglob("*.py"))
    print(f"tree: {tree} ({py_files} .py files); {sys.version.split()[0]}")

    floor = measure("floor", tree=str(tree))
    show("read + ast.parse (the floor)", floor)
    radon_wall = 0.0
    if not args.skip_radon:
        for command, extra in (("cc", ["-s", "-a"]), ("mi", []), ("raw", [])):
            m = measure("command", argv=[sys.executable, "-m", "radon", command, *extra, "."], cwd=str(tree))
            show(f"radon {command} {' '.join(extra)}".strip(), m)
            radon_wall += float(m["wall"])  # type: ignore[arg-type]
        print(f"{'radon cc + mi + raw':<34} {radon_wall:7.1f} s wall")
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir, copy = Path(tmp) / "cache", Path(tmp) / "copy"
        runs = {}
        runs["cold"] = measure("assess", tree=str(tree), run_dir=str(Path(tmp) / "cold"), cache_dir=str(cache_dir),
                               jobs=args.jobs)  # fmt: skip
        show("assess static analysis (cold)", runs["cold"])
        warm = [measure("assess", tree=str(tree), run_dir=str(Path(tmp) / f"warm{n}"), cache_dir=str(cache_dir),
                        jobs=args.jobs) for n in range(args.warm_runs)]  # fmt: skip
        for n, m in enumerate(warm, start=1):
            show(f"assess static analysis (warm {n})", m)
        runs["warm"] = sorted(warm, key=lambda m: float(m["wall"]))[len(warm) // 2]  # type: ignore[arg-type]
        shutil.copytree(tree, copy, symlinks=True)
        edited = next(p for p in sorted(copy.rglob("*.py")) if p.stat().st_size > 1000)
        edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        runs["edited"] = measure("assess", tree=str(copy), run_dir=str(Path(tmp) / "edited"),
                                 cache_dir=str(cache_dir), jobs=args.jobs)  # fmt: skip
        show("assess (warm, one file changed)", runs["edited"])
    cold_wall = float(runs["cold"]["wall"])  # type: ignore[arg-type]
    print(f"\nratio assess cold / floor: {cold_wall / float(floor['wall']):.2f}")  # type: ignore[arg-type]
    if radon_wall:
        print(f"ratio assess cold / radon cc+mi+raw: {cold_wall / radon_wall:.2f} (target at most 0.35)")
    warm_wall = float(runs["warm"]["wall"])  # type: ignore[arg-type]
    print(
        f"assess warm: {warm_wall:.1f} s, the median of {len(warm)} (target under 2 s), a new Python process "
        "included; see its detail for the time importing assess, which a notebook runner's kernel pays once per run"
    )
    print(f"ratio assess warm / floor: {warm_wall / float(floor['wall']):.2f} (to compare machines)")  # type: ignore[arg-type]
    peak = max(float(m["peak_mb"]) for m in runs.values())  # type: ignore[arg-type]
    print(f"peak memory of assess: {peak:.0f} MB (target under 500 MB)")


if __name__ == "__main__":
    main()
