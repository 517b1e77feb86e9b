"""A target's config with tens of thousands of exclude globs and waivers: matching before and after.

Usage: python benchmarks/bench_config.py [--globs N] [--files N] [--waivers N] [--findings N]

``paths.exclude``: ``--globs`` globs (literal paths, folder names and wildcard globs, a third each)
against ``--files`` paths, with the matcher as it was (``fnmatchcase`` per glob per path, kept below
as ``old_excludes``), with the globs compiled once (:class:`assess.config.TargetConfig`, all of them),
and through :func:`assess.config.parse_config`, which keeps the first 1,000 and reports the rest.

Waivers: ``--waivers`` waivers (rule ids, rule globs, some with path globs) against ``--findings``
findings over 20 rules and 50 files, with :func:`assess.config.apply_waivers` as it was (kept below
as ``old_apply_waivers``), as it is with all the waivers, and through ``parse_config``'s bound.

The answers of the old and new matchers on the same globs and waivers are compared (the script stops
if they differ). Prints seconds; asserts nothing about them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from assess.config import TargetConfig, Waiver, apply_waivers, parse_config
from assess.model.findings import Finding, Severity

T = TypeVar("T")
TODAY = dt.date(2026, 1, 1)


def old_excludes(globs: tuple[str, ...], rel: str) -> bool:
    """``TargetConfig.excludes`` as it was: every glob tried on every path."""
    return any(fnmatchcase(rel, g) or rel.startswith(g.rstrip("/") + "/") for g in globs)


def new_excludes(globs: list[str], files: list[str]) -> list[bool]:
    """``TargetConfig.excludes`` as it is, the globs compiled at the first path."""
    config = TargetConfig(table={}, exclude=tuple(globs))
    return [config.excludes(f) for f in files]


def old_covers(waiver: Waiver, finding: Finding) -> bool:
    """``Waiver.covers`` as it was."""
    if not fnmatchcase(finding.rule, waiver.rule):
        return False
    return waiver.path is None or (finding.path is not None and fnmatchcase(finding.path, waiver.path))


def old_apply_waivers(findings: Iterable[Finding], waivers: tuple[Waiver, ...]) -> list[str | None]:
    """``apply_waivers`` as it was (every finding against every waiver), reduced to each finding's ``waived``."""
    out = []
    for finding in findings:
        waived = None
        for waiver in waivers:
            if finding.kind == "problem" and not waiver.expired(TODAY) and old_covers(waiver, finding):
                waived = waiver.justification
                break
        out.append(waived)
    return out


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _globs(count: int) -> list[str]:
    shapes = ("pkg{n}/mod{n}.py", "vendor{n}", "*/gen{n}/*")
    return [shapes[n % 3].format(n=n) for n in range(count)]


def _files(count: int) -> list[str]:
    """Paths of which a few are left out by a glob of each shape (the first globs, so before the bound)."""
    files = [f"src/app/module{n}.py" for n in range(count)]
    return [*files[:-3], "pkg0/mod0.py", "vendor1/lib.py", "x/gen2/y.py"]


def _waivers(count: int) -> list[dict[str, Any]]:
    shapes = ({"rule": "rule.{n}"}, {"rule": "lint.*{n}"}, {"rule": "rule.{m}", "path": "src/*/file{n}.py"})
    return [{k: v.format(n=n, m=n % 20) for k, v in shapes[n % 3].items()} | {"justification": f"reason {n}"}
            for n in range(count)]  # fmt: skip


def _findings(count: int) -> list[Finding]:
    return [
        Finding(rule=f"rule.{n % 20}", category="Security", severity=Severity.HIGH, kind="problem",
                path=f"src/a/file{n % 50}.py", line=n + 1, message="m")
        for n in range(count)
    ]  # fmt: skip


def bench_globs(globs: list[str], files: list[str]) -> None:
    before, expected = _timed(lambda: [old_excludes(tuple(globs), f) for f in files])
    every, found = _timed(lambda: new_excludes(globs, files))
    if found != expected:
        raise SystemExit("the compiled globs answer differently")
    parse, config = _timed(lambda: parse_config({"paths": {"exclude": globs}}, "pyproject.toml [tool.assess]"))
    bounded, kept = _timed(lambda: [config.excludes(f) for f in files])
    print(f"{len(globs)} exclude globs x {len(files)} files ({sum(expected)} left out):")
    print(f"  before (fnmatchcase per glob per file):    {before:8.3f} s")
    print(f"  after, all {len(globs)} globs compiled once:    {every:8.3f} s")
    print(f"  after, through parse_config ({len(config.exclude)} kept): {parse + bounded:8.3f} s "
          f"(parse {parse:.3f} s, match {bounded:.3f} s; {sum(kept)} left out)")  # fmt: skip


def bench_waivers(raw: list[dict[str, Any]], findings: list[Finding]) -> None:
    waivers = tuple(Waiver(**w) for w in raw)
    before, expected = _timed(lambda: old_apply_waivers(findings, waivers))
    every, (done, _) = _timed(lambda: apply_waivers(findings, waivers, TODAY))
    if [f.waived for f in done] != expected:
        raise SystemExit("the indexed waivers answer differently")
    parse, config = _timed(lambda: parse_config({"waivers": raw}, "pyproject.toml [tool.assess]"))
    bounded, (kept, _) = _timed(lambda: apply_waivers(findings, config.waivers, TODAY))
    print(f"{len(raw)} waivers x {len(findings)} findings ({sum(w is not None for w in expected)} waived):")
    print(f"  before (fnmatchcase per waiver per finding): {before:8.3f} s")
    print(f"  after, all {len(raw)} waivers:                 {every:8.3f} s")
    waived = sum(f.waived is not None for f in kept)
    print(f"  after, through parse_config ({len(config.waivers)} kept): {parse + bounded:8.3f} s "
          f"(parse {parse:.3f} s, apply {bounded:.3f} s; {waived} waived)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--globs", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--waivers", type=int, default=20_000)
    parser.add_argument("--findings", type=int, default=1_000)
    args = parser.parse_args()
    bench_globs(_globs(args.globs), _files(args.files))
    bench_waivers(_waivers(args.waivers), _findings(args.findings))


if __name__ == "__main__":
    main()
