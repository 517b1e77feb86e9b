"""Benchmark: time and peak memory of assess's parsers of external reports, on enormous valid files.

Usage: python benchmarks/bench_reports.py [--sizes 10,50,200] [--formats NAME,...] [--ignore-caps]
                                          [--dir DIR] [--limit-gb N] [--timeout S]

For each format assess reads from the target or the user (coverage.py JSON report and data file,
Cobertura XML, LCOV, JUnit XML, a Chaos Toolkit journal, the native chaos JSON and a chaos suite's
JUnit XML) it writes a valid report of each size (MB, shaped like what the tools write: coverage.py's
JSON with branches and function regions, pytest's JUnit with a failure in ten ...), then parses it
with assess's own entry point (the function its collector calls) in a fresh child process. It prints
the parse's wall seconds, the child's peak resident memory (the larger of its own and its largest
finished child's, so coverage.py reading a data file counts), the peak after imports (the
baseline), the ratio peak / file size, the ratio (peak - baseline) / file size, and what the parser
returned or refused.

- ``--ignore-caps``: raise the parsers' caps in the child (every ``MAX_*BYTES*``, and the counts
  ``MAX_TEST_CASES``, ``MAX_COVERAGE_ENTRIES``, ``MAX_RESULTS``), to measure what they protect
  against; without it a file over a cap shows as refused.
- ``--dir DIR``: write the reports there and keep them (a second invocation reuses files of the
  right size), so two commits are measured on the same files; default: a temporary folder.
- ``--limit-gb N``: the child's address-space limit (default 8), so a parser that runs away ends in
  a MemoryError in the table rather than in the kernel's OOM killer.
- ``--timeout S``: a parse still running after S seconds (default 600) is killed and shown so.
- ``--formats``: any of the eight above, or the densest valid shape of a format (``junit-worst``:
  test cases with nothing but a name; ``lcov-worst``, ``cobertura-worst``: one line a file;
  ``coverage-json-worst``, ``chaos-journal-worst``: lists of empty lists or objects; and
  ``chaos-native-worst``, hostile rather than valid: a schema error a value), which the caps are for.

Figures, not assertions: compare them between commits on the same machine, quiet.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000

# Each parse runs as `python -c CHILD <json args>`: the child imports assess, notes its peak RSS
# (the baseline), parses, and prints its wall seconds and peak RSS as JSON on its last line.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
args = json.loads(sys.argv[1])
limit = int(args["limit_gb"] * 2**30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import assess.chaos.ingest, assess.collectors.chaos, assess.collectors.coverage_hits, assess.collectors.coverage_ingest
import assess.collectors.junit
from assess.collectors.chaos import collect_chaos_paths
from assess.collectors.coverage_ingest import ingest_reports
from assess.collectors.junit import parse_junit
if args["ignore_caps"]:
    for module in (assess.chaos.ingest, assess.collectors.chaos, assess.collectors.coverage_hits,
                   assess.collectors.coverage_ingest, assess.collectors.junit):
        for name in dir(module):
            capped = "BYTES" in name or name in ("MAX_TEST_CASES", "MAX_COVERAGE_ENTRIES", "MAX_RESULTS")
            value = getattr(module, name)
            if name.startswith("MAX_") and capped and isinstance(value, int):
                setattr(module, name, 1 << 62)
            elif name.startswith("MAX_") and capped and isinstance(value, dict):  # a cap per format
                value.update(dict.fromkeys(value, 1 << 62))
def peak_mb():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
path, target, kind = Path(args["path"]), Path(args["target"]), args["kind"]
baseline, start = peak_mb(), time.perf_counter()
try:
    if kind == "coverage":
        data = ingest_reports([path], target, lambda _: True)
        detail = f"ok: {len(data.files)} files, {data.totals.statements} statements"
    elif kind == "junit":
        detail = f"ok: {len(parse_junit([path], target).results)} test cases"
    else:
        found = collect_chaos_paths(target, [path], globs=())
        detail = found.unreadable[0].message if found.unreadable else f"ok: {len(found.results)} results"
        detail = detail.replace(str(path), path.name)
except MemoryError:
    detail = "MemoryError"
except Exception as err:
    detail = f"{type(err).__name__}: {str(err).replace(str(path), path.name)}"
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "baseline_mb": baseline, "detail": detail[:110]}))
"""


# --- the reports ------------------------------------------------------------------------------


def write_until(path: Path, size: int, head: str, item: Callable[[int], str], tail: Callable[[int], str]) -> None:
    """``head``, then ``item(0)``, ``item(1)`` ... until the file holds ``size`` bytes, then ``tail(n)``."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        while fh.tell() < size:
            fh.write("".join(item(n + i) for i in range(100)))
            n += 100
        fh.write(tail(n))


LINES = 400
"""Lines per measured source file: a line in four missed, a branch every ten lines."""
FUNCTIONS = 4


def _summary(statements: int, missing: int, branches: int, taken: int, partial: int) -> dict[str, object]:
    covered = statements - missing
    return {
        "covered_lines": covered, "num_statements": statements, "missing_lines": missing, "excluded_lines": 0,
        "num_branches": branches, "num_partial_branches": partial, "covered_branches": taken,
        "missing_branches": branches - taken,
        "percent_covered": 100.0 * (covered + taken) / (statements + branches),
        "percent_statements_covered": 100.0 * covered / statements,
        "percent_branches_covered": 100.0 * taken / branches if branches else 100.0,
    }  # fmt: skip


def _coverage_entry(first: int, last: int) -> dict[str, object]:
    """coverage.py's JSON for lines first..last: its lines, branch arcs and summary."""
    lines = range(first, last + 1)
    missing = [n for n in lines if n % 4 == 0]
    branch_lines = [n for n in lines if n % 10 == 5]
    return {
        "executed_lines": [n for n in lines if n % 4], "summary": _summary(len(lines), len(missing),
        2 * len(branch_lines), len(branch_lines), len(branch_lines)), "missing_lines": missing,
        "excluded_lines": [], "executed_branches": [[n, n + 1] for n in branch_lines],
        "missing_branches": [[n, n + 3] for n in branch_lines],
    }  # fmt: skip


def coverage_json(path: Path, size: int, target: Path) -> None:
    span = LINES // FUNCTIONS
    functions = {f"f{k}": {**_coverage_entry(k * span + 1, (k + 1) * span), "start_line": k * span + 1}
                 for k in range(FUNCTIONS)}  # fmt: skip
    entry = {**_coverage_entry(1, LINES), "functions": functions, "classes": {}}
    body = json.dumps(entry)
    file_summary: dict[str, object] = json.loads(body)["summary"]

    def tail(n: int) -> str:
        totals = {k: v * n if isinstance(v, int) else v for k, v in file_summary.items()}
        return f'}}, "totals": {json.dumps(totals)}}}'

    head = '{"meta": {"format": 3, "version": "7.10.0", "timestamp": "2025-01-01T00:00:00", "branch_coverage": '
    head += 'true, "show_contexts": false}, "files": {'
    write_until(path, size, head, lambda i: f'{", " if i else ""}"pkg/m{i}.py": {body}', tail)


def coverage_data(path: Path, size: int, target: Path) -> None:
    """Source files of LINES lines and a data file with one dynamic context (test) per 100 of them."""
    from coverage import CoverageData

    sources = [target / "pkg" / f"m{k}.py" for k in range(100)]
    for source in sources:
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("x = 1\n" * LINES, encoding="utf-8")
    data = CoverageData(basename=str(path))
    lines = {str(s): [n for n in range(1, LINES + 1) if n % 4] for s in sources}
    test = 0
    while not path.exists() or path.stat().st_size < size:
        for _ in range(200):
            data.set_context(f"tests/test_m.py::test_{test}")
            data.add_lines(lines)
            test += 1


def cobertura(path: Path, size: int, target: Path) -> None:
    def line(n: int) -> str:
        if n % 10 == 5:
            return (
                f'<line number="{n}" hits="1" branch="true" condition-coverage="50% (1/2)" missing-branches="{n + 3}"/>'
            )
        return f'<line number="{n}" hits="{1 if n % 4 else 0}"/>'

    lines = "\n\t\t\t\t\t\t".join(line(n) for n in range(1, LINES + 1))
    head = ('<?xml version="1.0" ?>\n<!DOCTYPE coverage SYSTEM "https://cobertura.sourceforge.net/xml/coverage-04.dtd">\n'
            '<coverage version="7.10.0" timestamp="1" lines-valid="0" lines-covered="0" line-rate="0.75" '
            'branches-valid="0" branches-covered="0" branch-rate="0.5" complexity="0">\n'
            '\t<sources><source>/nowhere/src</source></sources>\n\t<packages><package name="pkg" line-rate="0.75" '
            'branch-rate="0.5" complexity="0"><classes>\n')  # fmt: skip
    write_until(
        path, size, head,
        lambda i: f'\t\t\t<class name="m{i}.py" filename="pkg/m{i}.py" complexity="0" line-rate="0.75" '
        f'branch-rate="0.5"><methods/><lines>\n\t\t\t\t\t\t{lines}\n\t\t\t</lines></class>\n',
        lambda n: "\t\t</classes></package></packages>\n</coverage>\n",
    )  # fmt: skip


def lcov(path: Path, size: int, target: Path) -> None:
    span = LINES // FUNCTIONS
    body = "".join(f"FN:{k * span + 1},{(k + 1) * span},f{k}\nFNDA:1,f{k}\n" for k in range(FUNCTIONS))
    body += f"FNF:{FUNCTIONS}\nFNH:{FUNCTIONS}\n"
    body += "".join(f"DA:{n},{1 if n % 4 else 0}\n" for n in range(1, LINES + 1))
    body += "".join(f"BRDA:{n},0,0,1\nBRDA:{n},0,1,-\n" for n in range(5, LINES + 1, 10))
    body += f"LF:{LINES}\nLH:{LINES - LINES // 4}\nBRF:{LINES // 5}\nBRH:{LINES // 10}\nend_of_record\n"
    write_until(path, size, "", lambda i: f"SF:pkg/m{i}.py\n{body}", lambda n: "")


TRACE = "&#10;".join(f"tests/test_m.py:{n}: in test_x&#10;    assert compute({n}) == {n + 1}" for n in range(8))


def _junit_case(i: int) -> str:
    attrs = f'classname="tests.test_m{i // 100}" name="test_{i}[param-{i % 7}]" file="tests/test_m.py" line="{i}"'
    if i % 10:
        return f'    <testcase {attrs} time="0.001"/>\n'
    return (f'    <testcase {attrs} time="0.250"><failure message="AssertionError: assert {i} == {i + 1}">'
            f"{TRACE}</failure></testcase>\n")  # fmt: skip


def junit(path: Path, size: int, target: Path) -> None:
    head = '<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest tests">\n<testsuite name="pytest">\n'
    write_until(path, size, head, _junit_case, lambda n: "</testsuite>\n</testsuites>\n")


def chaos_junit(path: Path, size: int, target: Path) -> None:
    head = ('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n<testsuite name="chaos"><properties>'
            '<property name="chaos.family" value="process-crash"/></properties>\n')  # fmt: skip
    write_until(path, size, head, _junit_case, lambda n: "</testsuite>\n</testsuites>\n")


def _activity(i: int) -> str:
    record = {
        "activity": {"type": "action", "name": f"kill-worker-{i}", "provider": {"type": "python",
                     "module": "chaosreliably.activities", "func": "kill", "arguments": {"pid": 1000 + i}}},
        "output": {"status": 0, "stdout": f"killed {1000 + i}\n" * 4, "stderr": "",
                   "assess": {"recovery_s": 0.1 + i % 100 / 1000, f"latency_{i % 10}_ms": i % 97}},
        "start": "2025-01-01T00:00:00.000000", "end": "2025-01-01T00:00:01.000000", "duration": 1.0,
        "status": "succeeded",
    }  # fmt: skip
    return json.dumps(record)


def chaos_journal(path: Path, size: int, target: Path) -> None:
    probe = ('{"activity": {"type": "probe", "name": "healthy", "tolerance": true}, "status": "succeeded", '
             '"output": true, "tolerance_met": true}')  # fmt: skip
    states = f'"steady_states": {{"before": {{"steady_state_met": true, "probes": [{probe}]}}, '
    states += f'"after": {{"steady_state_met": true, "probes": [{probe}]}}, "during": []}}'
    head = ('{"chaoslib-version": "1.42.0", "experiment": {"title": "kill -9 the worker", "tags": ["kill-9"]}, '
            '"start": "2025-01-01T00:00:00", "status": "completed", "deviated": false, "duration": 60.0, '
            f'{states}, "rollbacks": [], "run": [')  # fmt: skip
    write_until(path, size, head, lambda i: f"{', ' if i else ''}{_activity(i)}", lambda n: "]}")


def chaos_native(path: Path, size: int, target: Path) -> None:
    head = '{"scenario": "kill -9 the worker", "family": "process-crash", "trials": 0, "successes": 0, '
    head += '"notes": "generated", "recovery_times_s": ['
    write_until(path, size, head, lambda i: f"{', ' if i else ''}{0.1 + i % 997 / 1000:.4f}", lambda n: "]}")


# --- the densest valid reports: the most memory a byte, for the caps ---------------------------


def coverage_json_worst(path: Path, size: int, target: Path) -> None:
    """A valid report with a key coverage.py never writes, holding lists of an empty list (5 bytes, 2 lists)."""
    head = '{"meta": {"format": 3, "branch_coverage": false}, "totals": {"num_statements": 0, "covered_lines": 0, '
    head += '"missing_lines": 0, "percent_covered": 100.0}, "files": {}, "x": ['
    write_until(path, size, head, lambda i: "[[]]," * 10, lambda n: "[]]}")


def cobertura_worst(path: Path, size: int, target: Path) -> None:
    """A class of one line per file, no whitespace: a file's coverage for 70 bytes."""
    write_until(
        path, size, "<coverage><packages><package><classes>",
        lambda i: f'<class filename="f{i}"><lines><line number="1" hits="1"/></lines></class>',
        lambda n: "</classes></package></packages></coverage>",
    )  # fmt: skip


def lcov_worst(path: Path, size: int, target: Path) -> None:
    """A record of one line per file: a file's coverage for 25 bytes."""
    write_until(path, size, "", lambda i: f"SF:f{i}\nDA:1,1\nend_of_record\n", lambda n: "")


def junit_worst(path: Path, size: int, target: Path) -> None:
    """Test cases with nothing but a name: a result for 22 bytes."""
    write_until(path, size, "<testsuite>", lambda i: f'<testcase name="t{i}"/>', lambda n: "</testsuite>")


def chaos_journal_worst(path: Path, size: int, target: Path) -> None:
    """A journal whose method ran empty activities: an activity for 4 bytes."""
    head = '{"experiment": {"title": "t"}, "status": "completed", "steady_states": {"before": '
    head += '{"steady_state_met": true}}, "run": ['
    write_until(path, size, head, lambda i: "{}, " * 10, lambda n: "{}]}")


def chaos_native_worst(path: Path, size: int, target: Path) -> None:
    """Recovery times that are each an empty list: a schema error (and 2 lists) for 4 bytes."""
    head = '{"scenario": "s", "trials": 1, "successes": 1, "recovery_times_s": ['
    write_until(path, size, head, lambda i: "[], " * 10, lambda n: "[]]}")


@dataclass(frozen=True)
class Format:
    """How to write a report of the format, what to name it, and which entry point reads it."""

    write: Callable[[Path, int, Path], None]
    file_name: str
    kind: str
    """coverage (ingest_reports), junit (parse_junit) or chaos (the chaos collector)."""


FORMATS: dict[str, Format] = {
    "coverage-json": Format(coverage_json, "coverage.json", "coverage"),
    "coverage-data": Format(coverage_data, ".coverage", "coverage"),
    "cobertura": Format(cobertura, "coverage.xml", "coverage"),
    "lcov": Format(lcov, "coverage.lcov", "coverage"),
    "junit": Format(junit, "junit.xml", "junit"),
    "chaos-journal": Format(chaos_journal, "journal.json", "chaos"),
    "chaos-native": Format(chaos_native, "run.json", "chaos"),
    "chaos-junit": Format(chaos_junit, "chaos.xml", "chaos"),
}
WORST: dict[str, Format] = {
    "coverage-json-worst": Format(coverage_json_worst, "coverage.json", "coverage"),
    "cobertura-worst": Format(cobertura_worst, "coverage.xml", "coverage"),
    "lcov-worst": Format(lcov_worst, "coverage.lcov", "coverage"),
    "junit-worst": Format(junit_worst, "junit.xml", "junit"),
    "chaos-journal-worst": Format(chaos_journal_worst, "journal.json", "chaos"),
    "chaos-native-worst": Format(chaos_native_worst, "run.json", "chaos"),
    "chaos-junit-worst": Format(junit_worst, "chaos.xml", "chaos"),
}
"""Not measured unless named: each format's densest valid (or, for native, hostile) shape."""
ALL = {**FORMATS, **WORST}


# --- measuring --------------------------------------------------------------------------------


def report_file(folder: Path, name: str, size_mb: int) -> tuple[Path, Path]:
    """(report, target folder) of format ``name`` at about ``size_mb`` MB, written unless already there."""
    fmt = ALL[name]
    target = folder / f"{name}-{size_mb}mb"
    path = target / fmt.file_name
    if not path.exists() or path.stat().st_size < size_mb * MB:
        target.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        fmt.write(path, size_mb * MB, target)
    return path, target


def measure(path: Path, target: Path, kind: str, args: argparse.Namespace) -> dict[str, object]:
    """The child's figures; a child that dies or overruns gives why as its detail."""
    child = {"path": str(path), "target": str(target), "kind": kind, "ignore_caps": args.ignore_caps,
             "limit_gb": args.limit_gb}  # fmt: skip
    nothing = {"seconds": float("nan"), "peak_mb": float("nan"), "baseline_mb": float("nan")}
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(child)], capture_output=True, text=True,
                             check=False, timeout=args.timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {**nothing, "detail": f"still parsing after {args.timeout:.0f} s: killed"}
    if out.returncode != 0 or not out.stdout.strip():
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {**nothing, "detail": f"child exited {out.returncode}: {last[:100]}"}
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


COLUMNS = (("format", 19), ("file MB", 7), ("parse s", 7), ("peak MiB", 8), ("base MiB", 8), ("peak/size", 9),
           ("growth/size", 11), ("outcome", 7))  # fmt: skip
"""Sizes in MB (10**6 bytes), memory in MiB as getrusage gives it; the ratios are of bytes to bytes."""
HEADER = "| " + " | ".join(f"{name:<{width}}" for name, width in COLUMNS) + " |"
RULE = "|" + "|".join("-" * (width + 2) for _, width in COLUMNS) + "|"


def row(name: str, size_bytes: int, m: dict[str, object]) -> str:
    size = size_bytes / MB
    peak, base, secs = (float(m[k]) for k in ("peak_mb", "baseline_mb", "seconds"))  # type: ignore[arg-type]
    peak_bytes = peak * 1024 * 1024 / MB  # ru_maxrss is in KiB; the figures are MB like the sizes
    growth = (peak - base) * 1024 * 1024 / MB
    return (
        f"| {name:<19} | {size:7.1f} | {secs:7.2f} | {peak:8.0f} | {base:8.0f} | {peak_bytes / size:9.1f} | "
        f"{growth / size:11.1f} | {m['detail']} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,50,200", help="report sizes in MB, comma-separated")
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, of {', '.join(ALL)}")
    parser.add_argument("--ignore-caps", action="store_true", help="raise the parsers' size caps in the child")
    parser.add_argument("--dir", help="write and keep the reports here (default: a temporary folder)")
    parser.add_argument("--limit-gb", type=float, default=8.0, help="the child's address-space limit")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a parse may take before it is killed")
    args = parser.parse_args(argv)
    names = [n for n in args.formats.split(",") if n]
    unknown = sorted(set(names) - set(ALL))
    if unknown:
        parser.error(f"unknown format(s): {', '.join(unknown)}")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="assess-bench-reports-") as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp)
        print(f"{sys.version.split()[0]}; caps {'ignored' if args.ignore_caps else 'in force'}; reports in {folder}")
        print(f"{HEADER}\n{RULE}")
        for name in names:
            for size_mb in sizes:
                path, target = report_file(folder, name, size_mb)
                m = measure(path, target, ALL[name].kind, args)
                print(row(name, path.stat().st_size, m), flush=True)


if __name__ == "__main__":
    main()
