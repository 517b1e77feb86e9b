"""Benchmark: a whole ``assess run`` on a real library, against the same tools run by hand.

Usage: python benchmarks/bench_run.py [--cache DIR] [--skip-assess] [--runs N] [--json FILE]

Run it with the interpreter that has assess installed (it also runs radon from there). POSIX only
(``resource``). It downloads the pinned click 8.1.7 sdist, which ships its test suite, from the
package index pip is configured with (``pip download``), checks its sha256 and unpacks it under
``--cache`` (default ``~/.cache/assess-bench``); it then makes a virtualenv for click there
(``python -m venv``) with click installed in development mode, the test requirements click pins in
``requirements/tests.txt``, and the coverage.py release this interpreter has, so that assess and
the by-hand commands measure and report with the same coverage.py. Both are cached: a second
invocation downloads and installs nothing.

Then it measures, each command in a fresh child process that reports its own wall time, CPU time
and peak resident memory (itself or its largest descendant, whichever is larger):

- by hand, what a developer would type to get the same evidence: ``coverage run --branch -m pytest
  -q -p no:cacheprovider`` in the library's tree with the library's virtualenv, then ``radon cc -s
  -a``, ``radon mi`` and ``radon raw`` on its package folder; each, and their sum;
- ``assess run TREE --python VENV/bin/python --quiet``: the whole run, notebooks and reports
  included, once cold and once warm. When ``assess run`` has ``--cache-dir``, both runs get the
  same fresh cache folder, so the first is cold and the second warm; otherwise it simply runs twice.

Each measurement starts from a fresh copy of the unpacked tree at the same path (the path the
development install points to), so nothing one leaves behind (``.coverage``, ``__pycache__``)
reaches the next; the warm run reuses the cold run's copy, as a second run on an unchanged
checkout would. It checks that assess wrote ``assessment.json``, and prints its verdict, the tests
it counted and its coverage next to what pytest and ``coverage json`` reported by hand, with a
``MISMATCH`` line for any number that differs. Last, a table and the ratios the project aims at:
assess cold / by hand (at most 1.0), assess warm / by hand, and peak memory.

Figures, not assertions: compare them between commits on the same quiet machine. ``--runs N``
takes the median of N rounds; ``--json FILE`` saves the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Library:
    requirement: str
    """pip requirement of the sdist."""
    sdist: str
    """Its file name; the archive unpacks to this name less ``.tar.gz``."""
    sha256: str
    """Of the sdist on PyPI."""
    package: str
    """The source package folder in the tree: what radon and the coverage comparison look at."""
    test_requirements: str
    """The sdist's own pinned test requirements, relative to the tree."""
    pytest_args: tuple[str, ...] = ()
    """Extra pytest arguments, e.g. to deselect network tests (click's suite has none)."""


CLICK = Library(
    requirement="click==8.1.7",
    sdist="click-8.1.7.tar.gz",
    sha256="ca9853ad459e787e2192211578cc907e7594e294c7ccc834310722b41b9ca6de",
    package="src/click",
    test_requirements="requirements/tests.txt",
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
"""Terminal colour codes, which pytest writes when the environment asks for colour."""

RADON = (("cc", ("-s", "-a")), ("mi", ()), ("raw", ()))
"""radon's three commands as a user runs them by hand: (command, options)."""

# Each measurement runs as `python -c CHILD <json args>`: the child runs one command with its output
# in a log file, then prints its own wall and CPU seconds, the peak RSS of itself or its largest
# finished descendant, and the command's exit code, as JSON.
CHILD = r"""
import json, os, resource, subprocess, sys, time
args = json.loads(sys.argv[1])
error = ""
start, t0 = time.perf_counter(), os.times()
with open(args["log"], "wb") as log:
    try:
        rc = subprocess.run(args["argv"], cwd=args["cwd"], stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT).returncode
    except OSError as err:
        rc, error = -1, str(err)
t1 = os.times()
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"wall": time.perf_counter() - start, "cpu": sum(t1[:4]) - sum(t0[:4]), "peak_mb": peak / 1024,
                  "rc": rc, "error": error}))
"""

CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Every measured command may keep compiled bytecode, as on a user's machine (some containers forbid it): pytest
and the library by hand, assess and its kernels. (assess still runs the library's tests with
PYTHONDONTWRITEBYTECODE=1, so as not to write into the target.)"""

ASSESS_CLI = "import sys; from assess.cli import main; sys.exit(main())"
"""What the ``assess`` script runs, for when the script is not next to this interpreter."""


class BenchError(Exception):
    """The benchmark cannot go on; the message is one line saying why."""


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_mb: float
    rc: int = 0
    error: str = ""


@dataclass
class Coverage:
    """Coverage totals, as coverage.py's JSON report names them."""

    statements: int
    covered_lines: int
    branches: int | None
    covered_branches: int | None
    percent: float


@dataclass
class Round:
    """One round's figures and what each side reported."""

    measures: dict[str, Measure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    by_hand_tests: dict[str, int] = field(default_factory=dict)
    by_hand_coverage: Coverage | None = None
    assess: dict[str, Any] = field(default_factory=dict)
    """Per assess run (``cold``, ``warm``): verdict, status, tests, coverage, stage durations."""


# --- setting up --------------------------------------------------------------------------------


def last_line(text: str) -> str:
    lines = [line.strip() for line in ANSI.sub("", text).splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def tail(log: Path) -> str:
    """The last line of a log file."""
    return last_line(log.read_text(encoding="utf-8", errors="replace")) if log.exists() else "(no log)"


def exited(m: Measure) -> str:
    return f"could not start ({m.error})" if m.error else f"exited {m.rc}"


def fetch_sdist(lib: Library, cache: Path) -> Path:
    """The unpacked sdist under ``cache``, downloading and checking it if needed. Never run in."""
    tree = cache / lib.sdist.removesuffix(".tar.gz")
    if tree.is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / lib.sdist
    if not sdist.exists():
        print(f"downloading {lib.requirement} (sdist) ...")
        argv = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", lib.requirement]
        out = subprocess.run([*argv, "-d", str(cache)], capture_output=True, text=True, check=False)
        if out.returncode != 0 or not sdist.exists():
            raise BenchError(f"cannot download {lib.requirement} with pip: {last_line(out.stderr or out.stdout)}")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != lib.sha256:
        raise BenchError(f"{sdist}: sha256 {digest} is not the pinned {lib.sha256}; delete it to download again")
    with tarfile.open(sdist) as archive:
        archive.extractall(cache / "unpacking", filter="data")
    (cache / "unpacking" / tree.name).rename(tree)
    shutil.rmtree(cache / "unpacking")
    return tree


def fresh_tree(pristine: Path, work: Path) -> Path:
    """A fresh copy of ``pristine`` at ``work`` (modification times kept), replacing whatever was there."""
    if work.exists():
        shutil.rmtree(work)
    work.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(pristine, work, symlinks=True)
    return work


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(lib: Library, pristine: Path, work: Path, venv: Path) -> Path:
    """The library's virtualenv: the library in development mode at ``work``, its test requirements, coverage.py.

    Reused when its marker records the same install; rebuilt otherwise (another coverage.py here,
    another cache path, an install that failed half-way).
    """
    coverage_pin = f"coverage=={metadata.version('coverage')}"  # the same coverage.py as assess reports with
    spec = ["-r", str(work / lib.test_requirements), coverage_pin, "-e", str(work)]
    marker = venv / ".bench-run-install"
    if marker.exists() and marker.read_text(encoding="utf-8") == json.dumps(spec):
        return venv_python(venv)
    print(f"making the virtualenv {venv} ({lib.requirement}, {lib.test_requirements}, {coverage_pin}) ...")
    if venv.exists():
        shutil.rmtree(venv)
    fresh_tree(pristine, work)
    log = venv.with_name(venv.name + "-install.log")
    with log.open("w", encoding="utf-8") as out:
        steps = ([sys.executable, "-m", "venv", str(venv)], [str(venv_python(venv)), "-m", "pip", "install", *spec])
        for argv in steps:
            if subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False).returncode != 0:
                out.flush()
                raise BenchError(f"{' '.join(argv[1:4])} failed: {tail(log)} (whole output in {log})")
    marker.write_text(json.dumps(spec), encoding="utf-8")
    return venv_python(venv)


def check_tools(skip_assess: bool) -> None:
    """radon, and assess unless skipped, must be importable by this interpreter."""
    needed = ["radon", "coverage"] + ([] if skip_assess else ["assess"])
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise BenchError(f"{', '.join(missing)} not installed for {sys.executable}: run this with assess's interpreter")


def assess_command() -> list[str]:
    """The ``assess`` script next to this interpreter, else the same entry point through ``-c``."""
    script = Path(sys.executable).parent / "assess"
    return [str(script)] if script.exists() else [sys.executable, "-c", ASSESS_CLI]


def has_cache_dir_option() -> bool:
    out = subprocess.run([*assess_command(), "run", "--help"], capture_output=True, text=True, check=False)
    return "--cache-dir" in out.stdout


# --- measuring ---------------------------------------------------------------------------------


def measure(argv: list[str], cwd: Path, log: Path) -> Measure:
    """Run ``argv`` in a fresh child process and return what it cost. The output goes to ``log``."""
    payload = {"argv": argv, "cwd": str(cwd), "log": str(log)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(payload)], capture_output=True, text=True, check=False, env=CHILD_ENV
    )
    try:
        return Measure(**json.loads(out.stdout.strip().splitlines()[-1]))
    except (IndexError, json.JSONDecodeError, TypeError) as err:
        raise BenchError(f"the measuring child for {argv[0]} failed: {last_line(out.stderr)}") from err


PYTEST_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?|deselected)\b")


def pytest_counts(log: Path) -> dict[str, int]:
    """The counts on pytest's last summary line (``589 passed, 21 skipped, 1 xfailed in 9.20s``)."""
    for line in reversed(ANSI.sub("", log.read_text(encoding="utf-8", errors="replace")).splitlines()):
        if re.search(r" in [\d.]+s\b", line) and (found := PYTEST_SUMMARY.findall(line)):
            return {word.rstrip("s") if word.startswith("error") else word: int(n) for n, word in found}
    return {}


def coverage_from_report(report: Path) -> Coverage:
    """Totals of a coverage.py JSON report (``coverage json``)."""
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    return Coverage(
        totals["num_statements"],
        totals["covered_lines"],
        totals.get("num_branches"),
        totals.get("covered_branches"),
        totals["percent_covered"],
    )


def by_hand(lib: Library, tree: Path, python: Path, scratch: Path, rnd: Round) -> None:
    """Measure the by-hand commands in ``tree``; record their figures, pytest's counts and coverage's totals."""
    log = scratch / "by-hand-tests.log"
    argv = [str(python), "-m", "coverage", "run", "--branch", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    m = rnd.measures["coverage run -m pytest"] = measure([*argv, *lib.pytest_args], tree, log)
    rnd.by_hand_tests = pytest_counts(log)
    if m.rc != 0:
        summary = _counts(rnd.by_hand_tests) if rnd.by_hand_tests else tail(log)
        rnd.notes.append(f"by hand: the test run {exited(m)}: {summary} (whole output in {log})")
    for command, options in RADON:
        name = f"radon {command} {' '.join(options)}".strip()
        log = scratch / f"radon-{command}.log"
        m = rnd.measures[name] = measure([sys.executable, "-m", "radon", command, *options, lib.package], tree, log)
        if m.rc != 0:
            rnd.notes.append(f"by hand: {name} {exited(m)}: {tail(log)}")
    # Not in the by-hand total: the report that gives the numbers to compare with assess's, on the package only
    # (click's own configuration also measures its tests, which assess leaves out).
    report, log = scratch / "by-hand-coverage.json", scratch / "coverage-json.log"
    argv = [str(python), "-m", "coverage", "json", "-q", "-o", str(report), f"--include={lib.package}/*"]
    m = rnd.measures["coverage json"] = measure(argv, tree, log)
    if report.exists():
        rnd.by_hand_coverage = coverage_from_report(report)
    else:
        rnd.notes.append(f"by hand: coverage json {exited(m)} and wrote no report: {tail(log)}")


def stage_summary(run: Path, stage: dict[str, Any]) -> dict[str, Any]:
    """A stage's wall time, status and reason from ``run.json``, and its collector's own time from its evidence."""
    collector_s = None
    if stage.get("evidence") and (run / stage["evidence"]).exists():
        collector_s = json.loads((run / stage["evidence"]).read_text(encoding="utf-8")).get("duration_s")
    return {
        "duration_s": stage["duration_s"],
        "status": stage["status"],
        "reason": stage.get("reason"),
        "started_at": stage.get("started_at"),
        "collector_s": collector_s,
    }


def read_run_folder(run: Path) -> dict[str, Any]:
    """Verdict, status, test outcomes, coverage totals and stage durations of an assess run folder."""
    assessment = json.loads((run / "assessment.json").read_text(encoding="utf-8"))
    info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    summary: dict[str, Any] = {
        "run_folder": str(run),
        "verdict": (assessment.get("verdict") or {}).get("decision"),
        "status": info.get("status"),
        "stages": {s["name"]: stage_summary(run, s) for s in info.get("stages", [])},
        "test_run_s": None,
        "tests": None,
        "coverage": None,
    }
    tests = run / "evidence" / "tests.json"
    if tests.exists():
        outcomes: dict[str, int] = {}
        for result in json.loads(tests.read_text(encoding="utf-8"))["data"]["results"]:
            outcomes[result["outcome"]] = outcomes.get(result["outcome"], 0) + 1
        summary["tests"] = outcomes
    coverage = run / "evidence" / "coverage.json"
    if coverage.exists():
        evidence = json.loads(coverage.read_text(encoding="utf-8"))
        summary["test_run_s"] = ((evidence.get("data") or {}).get("test_run") or {}).get("duration_s")
        totals = (evidence.get("data") or {}).get("totals")
        if totals:
            summary["coverage"] = asdict(
                Coverage(
                    totals["statements"],
                    totals["covered_lines"],
                    totals["branches"],
                    totals["covered_branches"],
                    totals["percent_covered"],
                )
            )
    return summary


def assess_run(tree: Path, python: Path, scratch: Path, label: str, cache_dir: Path | None, rnd: Round) -> None:
    """Measure ``assess run`` on ``tree``; record its figures and what its run folder says."""
    out = scratch / f"runs-{label}"
    out.mkdir()
    argv = [*assess_command(), "run", str(tree), "--python", str(python), "--out", str(out), "--quiet"]
    if cache_dir is not None:
        argv += ["--cache-dir", str(cache_dir)]
    log = scratch / f"assess-{label}.log"
    m = rnd.measures[f"assess run ({label})"] = measure(argv, tree.parent, log)
    runs = [p for p in out.iterdir() if (p / "assessment.json").exists()]
    if not runs:
        rnd.notes.append(f"assess run ({label}) {exited(m)} and wrote no assessment.json: {tail(log)} (log: {log})")
        return
    rnd.assess[label] = read_run_folder(runs[0])
    if m.rc not in (0, 1):  # 1: the gate failed; not asked for here, but the report is whole
        stages = rnd.assess[label]["stages"].items()
        failed = [f"{name} ({stage['reason']})" for name, stage in stages if stage["status"] == "error"]
        rnd.notes.append(f"assess run ({label}) exited {m.rc}: failed stages: {'; '.join(failed) or 'none listed'}")


# --- comparing and printing --------------------------------------------------------------------


def compare(rnd: Round, label: str) -> list[str]:
    """Lines comparing assess's tests and coverage with the by-hand run's; MISMATCH lines where they differ."""
    run = rnd.assess.get(label)
    if not run:
        return []
    lines = [f"assess ({label}): verdict {run['verdict']}, run status {run['status']}"]
    hand_tests, tests = rnd.by_hand_tests, run["tests"] or {}
    hand_total, total = sum(hand_tests.get(k, 0) for k in hand_tests if k != "deselected"), sum(tests.values())
    lines.append(f"  tests   assess: {total} ({_counts(tests)})   pytest by hand: {hand_total} ({_counts(hand_tests)})")
    hand_failed = hand_tests.get("failed", 0) + hand_tests.get("error", 0)
    failed = tests.get("failed", 0) + tests.get("error", 0)
    if total != hand_total or failed != hand_failed:
        lines.append(
            f"MISMATCH tests ({label}): assess counted {total} tests, {failed} failed or in error; "
            f"pytest by hand {hand_total}, {hand_failed}"
        )
    cov, hand = run["coverage"], asdict(rnd.by_hand_coverage) if rnd.by_hand_coverage else None
    lines.append(f"  coverage assess: {_coverage(cov)}   coverage.py by hand: {_coverage(hand)}")
    if cov is None or hand is None:
        lines.append(f"MISMATCH coverage ({label}): {'assess' if cov is None else 'the by-hand run'} has no totals")
    elif differs := [k for k in hand if _rounded(hand[k]) != _rounded(cov[k])]:
        details = ", ".join(f"{k} {cov[k]} (assess) vs {hand[k]} (by hand)" for k in differs)
        lines.append(f"MISMATCH coverage ({label}): {details}")
    return lines


def _rounded(value: object) -> object:
    return round(value, 6) if isinstance(value, float) else value


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none"


def _coverage(c: dict[str, Any] | None) -> str:
    if c is None:
        return "none"
    branches = f", {c['covered_branches']}/{c['branches']} branches" if c["branches"] is not None else ""
    return f"{c['percent']:.2f}% ({c['covered_lines']}/{c['statements']} lines{branches})"


def median_measures(rounds: list[Round]) -> dict[str, Measure]:
    names = [name for name in rounds[0].measures if all(name in r.measures for r in rounds)]
    return {
        name: Measure(
            statistics.median(r.measures[name].wall for r in rounds),
            statistics.median(r.measures[name].cpu for r in rounds),
            statistics.median(r.measures[name].peak_mb for r in rounds),
            max((r.measures[name].rc for r in rounds), key=abs),
        )
        for name in names
    }


BY_HAND = ["coverage run -m pytest", *(f"radon {c} {' '.join(o)}".strip() for c, o in RADON)]


HAND_TOTAL = "by hand total (sum; peak: max)"
ORDER = [*BY_HAND, HAND_TOTAL, "coverage json", "assess run (cold)", "assess run (warm)"]


def add_hand_total(figures: dict[str, Measure]) -> None:
    """The by-hand commands' sum (their peak: the largest), when all of them were measured."""
    if all(name in figures for name in BY_HAND):
        hand = [figures[name] for name in BY_HAND]
        figures[HAND_TOTAL] = Measure(sum(m.wall for m in hand), sum(m.cpu for m in hand), max(m.peak_mb for m in hand))


def print_table(figures: dict[str, Measure], runs: int) -> dict[str, float]:
    """The table, then the ratios; returns the ratios."""
    print(f"\n{'':<34} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}" + (f"   (median of {runs})" if runs > 1 else ""))
    for name in (name for name in ORDER if name in figures):
        row = figures[name]
        label = "(coverage json: not in the total)" if name == "coverage json" else name
        print(
            f"{label:<34} {row.wall:8.1f} {row.cpu:8.1f} {row.peak_mb:8.0f}" + (f"   exit {row.rc}" if row.rc else "")
        )
    ratios: dict[str, float] = {}
    if (hand := figures.get(HAND_TOTAL)) is None:
        return ratios
    print()
    for label, target in (("cold", " (target at most 1.0)"), ("warm", "")):
        if (m := figures.get(f"assess run ({label})")) is not None:
            ratios[f"wall assess {label} / by hand"] = m.wall / hand.wall
            ratios[f"cpu assess {label} / by hand"] = m.cpu / hand.cpu
            print(
                f"ratio assess run {label} / by hand: {m.wall / hand.wall:.2f} wall{target}, {m.cpu / hand.cpu:.2f} CPU"
            )
    if (m := figures.get("assess run (cold)")) is not None:
        ratios["peak assess cold / by hand"] = m.peak_mb / hand.peak_mb
        print(
            f"peak memory: assess {m.peak_mb:.0f} MB, by hand {hand.peak_mb:.0f} MB "
            f"(the largest of the four commands); ratio {m.peak_mb / hand.peak_mb:.2f}"
        )
    return ratios


def print_stages(run: dict[str, Any], label: str, wall: float | None) -> None:
    """Each stage's wall time, with its collector's own time (the rest is the notebook's) in brackets."""
    parts = []
    for name, stage in run["stages"].items():
        inner = [f"{stage['collector_s']:.1f}"] if stage["collector_s"] is not None else []
        if name == "coverage" and run["test_run_s"] is not None:
            inner.append(f"tests {run['test_run_s']:.1f}")
        status = "" if stage["status"] == "ok" else f" {stage['status']}"
        parts.append(f"{name} {stage['duration_s']:.1f}" + (f" [{', '.join(inner)}]" if inner else "") + status)
    busy = sum(stage["duration_s"] for stage in run["stages"].values())
    print(f"  stages ({label}), s [collector's own]: {', '.join(parts)}")
    print(f"  stage time {busy:.1f} s" + (f" in a {wall:.1f} s run" if wall else ""))


# --- main --------------------------------------------------------------------------------------


def one_round(
    lib: Library, pristine: Path, work: Path, python: Path, scratch: Path, assess: bool, cached: bool
) -> Round:
    """By hand, then assess cold and warm unless not ``assess``; logs and run folders go to ``scratch``."""
    rnd = Round()
    scratch.mkdir(parents=True)
    by_hand(lib, fresh_tree(pristine, work), python, scratch, rnd)
    if assess:
        cache_dir = scratch / "assess-cache" if cached else None
        tree = fresh_tree(pristine, work)  # nothing the by-hand run left reaches assess's target
        assess_run(tree, python, scratch, "cold", cache_dir, rnd)
        assess_run(tree, python, scratch, "warm", cache_dir, rnd)
    for note in rnd.notes:
        print(note)
    return rnd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_cache = Path.home() / ".cache" / "assess-bench"
    parser.add_argument("--cache", default=str(default_cache), help="where the sdist, its tree and venv are kept")
    parser.add_argument("--skip-assess", action="store_true", help="measure only the by-hand commands")
    parser.add_argument("--runs", type=int, default=1, metavar="N", help="rounds; the table shows medians")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    lib, cache = CLICK, Path(args.cache).expanduser().resolve()
    try:
        check_tools(args.skip_assess)
        pristine = fetch_sdist(lib, cache)
        work = cache / "work" / pristine.name
        python = ensure_venv(lib, pristine, work, cache / f"{pristine.name}-venv")
        cache_option = not args.skip_assess and has_cache_dir_option()
        assess = "assess not run" if args.skip_assess else f"assess {metadata.version('assess')}"
        if not args.skip_assess:
            assess += ", run with --cache-dir" if cache_option else ", which has no --cache-dir: it just runs twice"
        print(f"library: {lib.requirement} at {work}; Python {sys.version.split()[0]}; {assess}")
        scratch_root = cache / "scratch"  # logs and run folders of the last invocation, kept for a look
        if scratch_root.exists():
            shutil.rmtree(scratch_root)
        rounds: list[Round] = []
        for i in range(args.runs):
            print(f"round {i + 1} of {args.runs} ...", flush=True)
            scratch = scratch_root / f"round-{i + 1}"
            rounds.append(one_round(lib, pristine, work, python, scratch, not args.skip_assess, cache_option))
    except (BenchError, OSError) as err:  # OSError: the cache cannot be written (permissions, a full disk)
        print(f"bench_run: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_run: interrupted", file=sys.stderr)
        return 130
    return report(rounds, args.runs, lib, cache_option, args.json)


def report(rounds: list[Round], runs: int, lib: Library, cache_option: bool, json_path: str | None) -> int:
    """Print the comparisons, the stages and the table; write the JSON file if asked. Returns the exit code."""
    print()
    mismatches: list[str] = []
    for i, rnd in enumerate(rounds):
        prefix = f"round {i + 1}: " if runs > 1 else ""
        for label in ("cold", "warm"):
            for line in compare(rnd, label):
                print(prefix + line)
                if line.startswith("MISMATCH"):
                    mismatches.append(prefix + line)
            if label in rnd.assess:
                print_stages(rnd.assess[label], label, rnd.measures[f"assess run ({label})"].wall)
    if not rounds[0].assess:
        hand = rounds[-1]
        print(
            f"pytest by hand: {_counts(hand.by_hand_tests)}; coverage.py by hand: "
            f"{_coverage(asdict(hand.by_hand_coverage) if hand.by_hand_coverage else None)}"
        )
    figures = median_measures(rounds)
    add_hand_total(figures)
    ratios = print_table(figures, runs)
    if not cache_option and any(r.assess for r in rounds):
        print("(assess run has no --cache-dir: 'warm' is a second run with whatever caches assess keeps on its own)")
    if json_path:
        saved = {
            "library": lib.requirement,
            "python": sys.version.split()[0],
            "runs": runs,
            "cache_dir_option": cache_option,
            "figures": {name: asdict(m) for name, m in figures.items()},
            "ratios": ratios,
            "rounds": [
                {
                    "notes": r.notes,
                    "by_hand_tests": r.by_hand_tests,
                    "by_hand_coverage": asdict(r.by_hand_coverage) if r.by_hand_coverage else None,
                    "assess": r.assess,
                }
                for r in rounds
            ],
            "mismatches": mismatches,
        }
        try:
            Path(json_path).write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
        except OSError as err:
            print(f"bench_run: cannot write {json_path}: {err}", file=sys.stderr)
            return 1
        print(f"figures written to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
