"""Benchmark and regression harness: the python and script extractors, one by one, over a tree.

Usage: python benchmarks/bench_extractors.py [--root DIR] [--out FILE] [--only SUBSTRING] [--kind python|script]

Every ``.py`` file under ``--root`` is parsed as the patterns collector parses it (bytes decoded
``utf-8-sig`` with replacement, files over 1 MiB or that do not parse skipped) and handed to each
registered ``python`` extractor; every JavaScript or TypeScript file to each ``script`` extractor.
Each extractor's time is summed over files and printed, slowest first. With ``--out`` every site is
written as one JSON line, sorted, and so is every extractor failure: two runs over the same tree
give byte-identical files exactly when the extractors found the same sites, so an optimisation can
be checked with ``diff``. Unlike ``bench_patterns.py`` no repository listing or role classification
is involved: the numbers are the extractors' own.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assess.collectors.roles import language_of
from assess.model.patterns import Site
from assess.patterns import load_extractors
from assess.patterns.pyast import PythonFile
from assess.patterns.scripts import SCRIPT_LANGUAGES, ScriptFile

MAX_PARSE_BYTES = 1024 * 1024
"""As in the collector (``assess.collectors.patterns``)."""

Extractor = Callable[[Any], Iterable[Site]]


def _read(path: Path) -> str | None:
    if path.stat().st_size > MAX_PARSE_BYTES:
        return None
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def _kind(rel: str) -> str | None:
    """Which extractors read the file: ``python`` for ``.py``, ``script`` for JavaScript and TypeScript."""
    language = language_of(rel)
    if language == "Python" and rel.endswith(".py"):
        return "python"
    return "script" if language in SCRIPT_LANGUAGES else None


def _parse(rel: str, kind: str, text: str) -> Any:
    """The parsed file as the collector would make it, or None when it does not parse."""
    try:
        if kind == "python":
            return PythonFile.parse(rel, text)
        return ScriptFile.parse(rel, language_of(rel) or "", text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def run(
    root: Path, only: str | None, kinds: tuple[str, ...] = ("python", "script")
) -> tuple[dict[str, dict[str, float]], dict[str, float], list[str], int]:
    """Time every extractor on every file.

    Returns kind -> extractor -> seconds, kind -> parse seconds, the sorted JSON lines, and the number of files.
    """
    extractors: dict[str, list[tuple[str, Extractor]]] = {kind: [] for kind in kinds}
    for registered, fns in load_extractors().items():
        for fn in fns if registered in extractors else ():
            name = f"{fn.__module__}.{fn.__name__}"
            if not only or only in name:
                extractors[registered].append((name, fn))
    spent: dict[str, dict[str, float]] = {
        kind: dict.fromkeys((n for n, _ in fns), 0.0) for kind, fns in extractors.items()
    }
    parsing: dict[str, float] = defaultdict(float)
    lines: list[tuple[tuple[str, int, str, str], str]] = []
    files = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        kind = _kind(rel)
        if kind not in extractors or (text := _read(path)) is None:
            continue
        start = time.perf_counter()
        file = _parse(rel, kind, text)
        if file is None:
            continue
        parsing[kind] += time.perf_counter() - start
        files += 1
        for name, fn in extractors[kind]:
            start = time.perf_counter()
            try:
                sites = list(fn(file))
            except Exception as err:  # recorded like the collector's warning, so a new failure shows in the diff
                spent[kind][name] += time.perf_counter() - start
                line = json.dumps({"path": rel, "extractor": name, "error": f"{type(err).__name__}: {err}"})
                lines.append(((rel, 0, "!error", line), line))
                continue
            spent[kind][name] += time.perf_counter() - start
            for site in sites:
                line = json.dumps(site.model_dump(mode="json"), sort_keys=True)
                lines.append(((site.path, site.line, site.kind, line), line))
    lines.sort(key=lambda kv: kv[0])
    return spent, parsing, [line for _, line in lines], files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/benchcache/Django-5.2/django"))
    parser.add_argument("--out", type=Path, help="write every site as a sorted JSON line")
    parser.add_argument("--only", help="run only the extractors whose module.function name contains this")
    parser.add_argument("--kind", choices=("python", "script"), help="run only the extractors for this input")
    args = parser.parse_args()
    start = time.perf_counter()
    spent, parsing, lines, files = run(args.root, args.only, (args.kind,) if args.kind else ("python", "script"))
    wall = time.perf_counter() - start
    if args.out:
        args.out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    for kind, times in spent.items():
        print(f"{kind} extractors: {sum(times.values()):.2f} s (parsing {parsing[kind]:.2f} s)")
        for name, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
            print(f"  {seconds:8.3f} s  {name}")
    print(f"{files} files, {len(lines)} sites, {wall:.1f} s wall")


if __name__ == "__main__":
    main()
