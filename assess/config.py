"""A target's own assessment config: ``[tool.assess]`` in its pyproject.toml, or an ``assess.toml``.

Keys used by the rubric: ``weights``, ``thresholds``, ``disabled`` (see :func:`assess.rubric.apply_overrides`)
and ``waivers``; ``paths.exclude`` (globs of files no collector looks at) by the file listing;
``test_command`` by the coverage stage when the command line gives none; ``chaos`` by the chaos
stage (docs/chaos.md). A waiver names a rule (glob), optionally a path glob, a justification and
an expiry date; an expired waiver stops applying and is reported as expired.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from assess._files import read_bounded
from assess.model.findings import Finding
from assess.model.grades import WaiverStatus
from assess.rubric import RubricError

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""A config file is a few kilobytes; a larger one is refused rather than read."""
KNOWN_KEYS = frozenset({"weights", "thresholds", "disabled", "waivers", "chaos", "paths", "test_command"})


@dataclass(frozen=True)
class Waiver:
    rule: str
    """Rule id, or a glob of rule ids (``security.*``)."""
    justification: str
    path: str | None = None
    expires: dt.date | None = None

    def covers(self, finding: Finding) -> bool:
        if not fnmatchcase(finding.rule, self.rule):
            return False
        return self.path is None or (finding.path is not None and fnmatchcase(finding.path, self.path))

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass(frozen=True)
class TargetConfig:
    table: Mapping[str, Any]
    waivers: tuple[Waiver, ...] = ()
    source: str | None = None
    """Where it was read (``pyproject.toml [tool.assess]``); None when the target has none."""
    exclude: tuple[str, ...] = ()
    """``paths.exclude``: globs of relative paths left out of every collector."""
    test_command: str | None = None

    def excludes(self, rel: str) -> bool:
        """Whether ``paths.exclude`` leaves out ``rel``: a glob matches the path (``*`` crosses folders),
        or names one of its folders (``docs`` or ``docs/``)."""
        return any(fnmatchcase(rel, g) or rel.startswith(g.rstrip("/") + "/") for g in self.exclude)


def _read(path: Path) -> Any:
    try:
        return tomllib.loads(read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise RubricError(f"{path.name}: cannot be read ({err})") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise RubricError(f"{path.name}: cannot be read (nested too deeply)") from None


def _waiver(where: str, n: int, raw: object) -> Waiver:
    at = f"{where} waivers[{n}]"
    if not isinstance(raw, Mapping):
        raise RubricError(f"{at}: must be a table")
    unknown = set(raw) - {"rule", "path", "justification", "expires"}
    if unknown:
        raise RubricError(f"{at}: unknown key(s) {', '.join(sorted(unknown))}")
    rule, justification = raw.get("rule"), raw.get("justification")
    if not isinstance(rule, str) or not rule:
        raise RubricError(f"{at}: rule must be a rule id or glob")
    if not isinstance(justification, str) or not justification.strip():
        raise RubricError(f"{at}: a waiver needs a justification")
    path = raw.get("path")
    if path is not None and not isinstance(path, str):
        raise RubricError(f"{at}: path must be a glob string")
    expires = raw.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise RubricError(f"{at}: expires must be a date (YYYY-MM-DD)") from None
    if (expires is not None and not isinstance(expires, dt.date)) or isinstance(expires, dt.datetime):
        raise RubricError(f"{at}: expires must be a date (YYYY-MM-DD)")
    return Waiver(rule=rule, justification=justification.strip(), path=path, expires=expires)


def parse_config(table: Mapping[str, Any], where: str) -> TargetConfig:
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise RubricError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} ({', '.join(sorted(KNOWN_KEYS))})")
    for key in ("weights", "thresholds"):
        if not isinstance(table.get(key, {}), Mapping):
            raise RubricError(f"{where}: {key} must be a table")
    if not isinstance(table.get("disabled", []), list):
        raise RubricError(f"{where}: disabled must be a list of category names")
    raw_waivers = table.get("waivers", [])
    if not isinstance(raw_waivers, list):
        raise RubricError(f"{where}: waivers must be an array of tables ([[tool.assess.waivers]])")
    waivers = tuple(_waiver(where, n, w) for n, w in enumerate(raw_waivers))
    test_command = table.get("test_command")
    if test_command is not None and (not isinstance(test_command, str) or not test_command.strip()):
        raise RubricError(f"{where}: test_command must be a command line (a string)")
    return TargetConfig(table=table, waivers=waivers, source=where, exclude=_exclude(table.get("paths", {}), where),
                        test_command=test_command.strip() if test_command else None)  # fmt: skip


def _exclude(paths: object, where: str) -> tuple[str, ...]:
    if not isinstance(paths, Mapping):
        raise RubricError(f"{where}: paths must be a table ([tool.assess.paths] or [paths])")
    unknown = set(paths) - {"exclude"}
    if unknown:
        raise RubricError(f"{where}: paths: unknown key(s) {', '.join(sorted(unknown))} (exclude)")
    exclude = paths.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(g, str) and g.strip("/ ") for g in exclude):
        raise RubricError(f"{where}: paths.exclude must be a list of path globs")
    return tuple(g.strip().removeprefix("./") for g in exclude)


def load_target_config(target: Path) -> TargetConfig:
    """The target's config (``assess.toml`` first, then ``[tool.assess]``); empty when it has none.

    Raises RubricError naming the file and key.
    """
    if (target / "assess.toml").is_file():
        return parse_config(_read(target / "assess.toml"), "assess.toml")
    if (target / "pyproject.toml").is_file():
        tool = _read(target / "pyproject.toml").get("tool", {})
        table = tool.get("assess") if isinstance(tool, Mapping) else None
        if isinstance(table, Mapping):
            return parse_config(table, "pyproject.toml [tool.assess]")
    return TargetConfig(table={})


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver], today: dt.date
) -> tuple[tuple[Finding, ...], tuple[WaiverStatus, ...]]:
    """Findings with ``waived`` set where a live waiver covers them, and each waiver's status."""
    waivers = tuple(waivers)
    matched = [0] * len(waivers)
    out = []
    for finding in findings:
        for n, waiver in enumerate(waivers):
            if finding.kind == "problem" and not waiver.expired(today) and waiver.covers(finding):
                matched[n] += 1
                until = f" (until {waiver.expires.isoformat()})" if waiver.expires else ""
                finding = finding.model_copy(update={"waived": f"{waiver.justification}{until}"})
                break
        out.append(finding)
    statuses = tuple(
        WaiverStatus(
            rule=w.rule,
            path=w.path,
            justification=w.justification,
            expires=w.expires.isoformat() if w.expires else None,
            expired=w.expired(today),
            matched=matched[n],
        )
        for n, w in enumerate(waivers)
    )
    return tuple(out), statuses
