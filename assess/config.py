"""A target's own assessment config: ``[tool.assess]`` in its pyproject.toml, or an ``assess.toml``.

Keys used by the rubric: ``weights``, ``thresholds``, ``disabled`` (see :func:`assess.rubric.apply_overrides`)
and ``waivers``; ``paths.exclude`` (globs of files no collector looks at) by the file listing;
``test_command`` by the coverage stage when the command line gives none; ``chaos`` by the chaos
stage (docs/chaos.md). A waiver names a rule (glob), optionally a path glob, a justification and
an expiry date; an expired waiver stops applying and is reported as expired.

The target is untrusted, so its table is checked against a schema (:mod:`assess.config_schema`): finite
numbers in range, strings of bounded length, at most a thousand globs and a thousand
waivers. A bad key is left out with one line in :attr:`TargetConfig.problems` (the file, the key
path, what it must be) and the rest applies: nothing here raises on what the target wrote.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import translate
from functools import cached_property
from pathlib import Path
from typing import Any

from assess._files import read_beneath
from assess.config_schema import check_table, shown
from assess.model.findings import Finding
from assess.model.grades import WaiverStatus
from assess.rubric import RubricError

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""A config file is a few kilobytes; a larger one is refused rather than read."""
_MAGIC = re.compile(r"[*?[]")


class GlobSet:
    """Globs matched as :func:`fnmatch.fnmatchcase` matches each one (``*`` crosses folders), compiled once.

    A glob without ``*``, ``?`` or ``[`` matches only itself, so those are a set; the others are one
    regular expression, the alternation of what :func:`fnmatch.translate` makes of each (the
    expression ``fnmatchcase`` compiles, so the answers are the same).
    """

    def __init__(self, globs: Iterable[str]) -> None:
        globs = tuple(globs)
        magic = [g for g in globs if _MAGIC.search(g)]
        self.literal = frozenset(g for g in globs if not _MAGIC.search(g))
        self.pattern = re.compile("|".join(f"(?:{translate(g)})" for g in magic)) if magic else None

    def __call__(self, text: str) -> bool:
        """Whether one of the globs matches all of ``text``."""
        return text in self.literal or (self.pattern is not None and self.pattern.match(text) is not None)


class FolderGlobs:
    """``paths.exclude`` compiled once: a path is left out when a glob matches it, or when a glob less its
    trailing slashes is the path up to one of its slashes (``docs`` and ``docs/`` leave out ``docs/x``)."""

    def __init__(self, globs: Iterable[str]) -> None:
        globs = tuple(globs)
        self.globs = GlobSet(globs)
        self.folders = frozenset(g.rstrip("/") for g in globs)

    def __call__(self, rel: str) -> bool:
        if self.globs(rel):
            return True
        slash = rel.find("/")
        while slash >= 0:
            if rel[:slash] in self.folders:
                return True
            slash = rel.find("/", slash + 1)
        return False


@dataclass(frozen=True)
class Waiver:
    rule: str
    """Rule id, or a glob of rule ids (``security.*``)."""
    justification: str
    path: str | None = None
    expires: dt.date | None = None

    @cached_property
    def _rule(self) -> GlobSet:
        return GlobSet((self.rule,))

    @cached_property
    def _path(self) -> GlobSet | None:
        return None if self.path is None else GlobSet((self.path,))

    def covers_rule(self, rule: str) -> bool:
        return self._rule(rule)

    def covers_path(self, path: str | None) -> bool:
        """Whether the waiver applies to a finding at ``path`` (None: a finding about no file)."""
        return self._path is None or (path is not None and self._path(path))

    def covers(self, finding: Finding) -> bool:
        return self.covers_rule(finding.rule) and self.covers_path(finding.path)

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass(frozen=True)
class TargetConfig:
    table: Mapping[str, Any]
    """The keys that passed the schema, as checked values (``weights`` and ``thresholds`` hold floats)."""
    waivers: tuple[Waiver, ...] = ()
    source: str | None = None
    """Where it was read (``pyproject.toml [tool.assess]``); None when the target has none."""
    exclude: tuple[str, ...] = ()
    """``paths.exclude``: globs of relative paths left out of every collector."""
    test_command: str | None = None
    problems: tuple[str, ...] = ()
    """One line per key left out (the file, the key path, what it must be); empty when all is well."""

    @cached_property
    def _excluder(self) -> FolderGlobs:
        return FolderGlobs(self.exclude)

    def excludes(self, rel: str) -> bool:
        """Whether ``paths.exclude`` leaves out ``rel``: a glob matches the path (``*`` crosses folders),
        or names one of its folders (``docs`` or ``docs/``). The globs are compiled at the first call."""
        return self._excluder(rel)


def _read(path: Path) -> Any:
    """The TOML document in the target's file ``path`` (a file directly in the target folder). Raises RubricError
    naming it when it cannot be read, is not a regular file of the target's own (a symlink, which could name a
    file outside the target, a hard link, a FIFO), is larger than :data:`MAX_CONFIG_BYTES` or is not TOML."""
    try:
        return tomllib.loads(read_beneath(path.parent, path.name, MAX_CONFIG_BYTES).decode("utf-8"))
    except OSError as err:
        raise RubricError(f"{path.name}: cannot be read ({err.strerror or err})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise RubricError(f"{path.name}: cannot be read ({err})") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise RubricError(f"{path.name}: cannot be read (nested too deeply)") from None


def present(target: Path, name: str) -> bool:
    """Whether the target has an entry ``name`` at its top (a file, or a symlink or anything else that
    :func:`read_target_toml` then refuses to read, saying why)."""
    try:
        os.lstat(target / name)
    except OSError:
        return False
    return True


def read_target_toml(target: Path, name: str) -> Any | None:
    """The TOML document in the target's top-level file ``name``, or None when it has none. Raises RubricError
    when there is such an entry but it cannot be read as the target's own TOML file (see :func:`_read`)."""
    return _read(target / name) if present(target, name) else None


def parse_config(table: Mapping[str, Any], where: str) -> TargetConfig:
    """The config in ``table``, read from ``where`` (``pyproject.toml [tool.assess]``): every good key,
    and one line in ``problems`` for each bad one, which is left out. Raises nothing."""
    checked, problems = check_table(table, where)
    dumped = checked.model_dump(exclude_unset=True, exclude={"waivers", "paths", "test_command"})
    waivers = tuple(Waiver(rule=w.rule, justification=w.justification, path=w.path, expires=w.expires)
                    for w in checked.waivers)  # fmt: skip
    return TargetConfig(table={key: value for key, value in dumped.items() if value is not None}, waivers=waivers,
                        source=where, exclude=tuple(checked.paths.exclude), test_command=checked.test_command,
                        problems=problems)  # fmt: skip


def load_target_config(target: Path) -> TargetConfig:
    """The target's config (``assess.toml`` first, then ``[tool.assess]``); empty when it has none.

    A bad key is left out and named in ``problems`` (see :func:`parse_config`). Raises RubricError
    naming the file when it cannot be read; :func:`target_config` makes that a problem too.
    """
    if present(target, "assess.toml"):
        return parse_config(_read(target / "assess.toml"), "assess.toml")
    if present(target, "pyproject.toml"):
        tool = _read(target / "pyproject.toml").get("tool", {})
        table = tool.get("assess") if isinstance(tool, Mapping) else None
        if isinstance(table, Mapping):
            return parse_config(table, "pyproject.toml [tool.assess]")
        if table is not None:
            problem = f"pyproject.toml [tool.assess]: must be a table, got {shown(table)}"
            return TargetConfig(table={}, problems=(problem,))
    return TargetConfig(table={})


def target_config(target: Path) -> TargetConfig:
    """:func:`load_target_config`, with a file that cannot be read as the one problem (and nothing of
    it applied). Raises nothing: a report with the rubric's own settings beats no grades at all."""
    try:
        return load_target_config(target)
    except RubricError as err:
        return TargetConfig(table={}, problems=(f"{err}; the target's assess config is ignored",))


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver], today: dt.date
) -> tuple[tuple[Finding, ...], tuple[WaiverStatus, ...]]:
    """Findings with ``waived`` set where a live waiver covers them (the first that does), and each
    waiver's status.

    Which waivers' rule globs match a rule id is found once per rule id, and the first of those whose
    path glob matches once per (rule id, path): findings repeat both, so the cost grows with the
    distinct ones, not with findings x waivers.
    """
    waivers = tuple(waivers)
    live = [n for n, w in enumerate(waivers) if not w.expired(today)]
    by_rule: dict[str, list[int]] = {}
    chosen: dict[tuple[str, str | None], int | None] = {}
    matched = [0] * len(waivers)
    out = []
    for finding in findings:
        if finding.kind == "problem":
            key = (finding.rule, finding.path)
            if key not in chosen:
                if finding.rule not in by_rule:
                    by_rule[finding.rule] = [n for n in live if waivers[n].covers_rule(finding.rule)]
                chosen[key] = next((n for n in by_rule[finding.rule] if waivers[n].covers_path(finding.path)), None)
            n = chosen[key]
            if n is not None:
                matched[n] += 1
                finding = finding.model_copy(update={"waived": _waived(waivers[n])})
        out.append(finding)
    return tuple(out), tuple(_status(w, matched[n], today) for n, w in enumerate(waivers))


def _waived(waiver: Waiver) -> str:
    until = f" (until {waiver.expires.isoformat()})" if waiver.expires else ""
    return f"{waiver.justification}{until}"


def _status(waiver: Waiver, matched: int, today: dt.date) -> WaiverStatus:
    return WaiverStatus(
        rule=waiver.rule,
        path=waiver.path,
        justification=waiver.justification,
        expires=waiver.expires.isoformat() if waiver.expires else None,
        expired=waiver.expired(today),
        matched=matched,
    )
