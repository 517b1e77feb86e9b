"""The rubric as data (``rubric.toml``), loaded into typed objects, with a target's overrides merged.

:func:`load_rubric` reads the package's rubric; :func:`apply_overrides` merges what a target's
``[tool.assess]`` changes (weights, thresholds, disabled categories). Scoring is in
:mod:`assess.rubric.score`.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from assess.model.grades import GRADES, Decision, Grade

RUBRIC_FILE = Path(__file__).with_name("rubric.toml")
POINTS: dict[Grade, float] = {"A": 4.0, "B+": 3.5, "B": 3.0, "C+": 2.5, "C": 2.0, "D": 1.0, "F": 0.0}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
MAX_PROBLEMS = 100
"""Lines kept about what of a target's config is wrong (each of the config and the rubric)."""


class RubricError(ValueError):
    """The rubric or a target's override is wrong; the message names where."""


@dataclass(frozen=True)
class Signal:
    key: str
    label: str
    better: Literal["higher", "lower"]
    thresholds: Mapping[Grade, float]
    """Grade -> the worst value that still earns it (A..D); worse than D is F."""
    source: str
    unit: str = ""

    def grade(self, value: float) -> Grade:
        for grade in GRADES[:-1]:
            limit = self.thresholds.get(grade)
            if limit is None:
                continue
            if (value >= limit) if self.better == "higher" else (value <= limit):
                return grade
        return "F"

    def describe(self) -> str:
        op = ">=" if self.better == "higher" else "<="
        steps = ", ".join(f"{g} {op} {self.thresholds[g]:g}" for g in GRADES[:-1] if g in self.thresholds)
        return f"{steps}, else F ({self.source})"


@dataclass(frozen=True)
class Category:
    name: str
    critical: bool
    weight: float
    findings_from: tuple[str, ...]
    signals: tuple[Signal, ...] = ()
    applies_if_sites: tuple[str, ...] = ()
    applies_if_facts: tuple[str, ...] = ()
    """Facts that make the category apply, whatever the sites, when any is above zero."""
    applies_if_kinds: tuple[str, ...] = ()
    """Kinds of project (:class:`assess.model.project.ProjectModel`) the category is about: with a project model,
    it applies only to these (a library has no health endpoint of its own); without one, the sites decide."""
    not_applicable: str = ""
    absent_is_zero: bool = False
    findings_evidence: str = "patterns"
    """The evidence kind the category's findings are made from; without it, they are not measured."""
    penalize: bool = True
    """Whether the category's problem findings take points (False: they only explain the grade)."""
    disabled: str | None = None
    """Why the target switched the category off; None when it is on."""
    practice: bool = False
    """A testing practice beyond the test suite (load tests, chaos experiments). When it is simply absent (every
    signal measured zero, no finding against it but those in :attr:`absence_rules`) the grade says so and the plan
    asks for it, but verdict rules with ``absent_practice = false`` do not fire on it: not practising it is not,
    alone, a reason to hold a release."""
    absence_rules: tuple[str, ...] = ()
    """Rules whose findings only state that the practice is absent (``tests.no-performance-tests``)."""


@dataclass(frozen=True)
class VerdictRuleSpec:
    rule: str
    decision: Decision
    when: str
    worst_grade: Grade | None = None
    critical_only: bool = False
    severities: tuple[str, ...] = ()
    absent_practice: bool = True
    """For grade rules: whether a practice category (:attr:`Category.practice`) graded low only because the practice
    is absent makes the rule fire."""


@dataclass(frozen=True)
class Rubric:
    categories: tuple[Category, ...]
    penalties: Mapping[str, float]
    critical_cap: Grade
    verdict: tuple[VerdictRuleSpec, ...]
    source: str = "assess/rubric/rubric.toml"
    changes: tuple[str, ...] = field(default_factory=tuple)
    """What a target's config changed, in words."""
    problems: tuple[str, ...] = field(default_factory=tuple)
    """What of a target's config the rubric could not take (one line each, naming the file and key)."""

    def category(self, name: str) -> Category:
        for c in self.categories:
            if c.name == name:
                return c
        raise KeyError(name)


def _grade(where: str, value: object) -> Grade:
    if value not in GRADES:
        raise RubricError(f"{where}: {value!r} is not a grade ({', '.join(GRADES)})")
    return value


def _thresholds(where: str, raw: object, better: str) -> dict[Grade, float]:
    if not isinstance(raw, Mapping):
        raise RubricError(f"{where}: thresholds must be a table of grade = value")
    out: dict[Grade, float] = {}
    for grade, value in raw.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise RubricError(f"{where}: threshold {grade} must be a finite number")
        out[_grade(where, grade)] = float(value)
    ordered = [out[g] for g in GRADES if g in out]
    pairs = list(itertools.pairwise(ordered))
    monotonic = all(a >= b for a, b in pairs) if better == "higher" else all(a <= b for a, b in pairs)
    if not monotonic:
        raise RubricError(f"{where}: thresholds must get {'lower' if better == 'higher' else 'higher'} from A to D")
    return out


def _signal(where: str, raw: Mapping[str, Any]) -> Signal:
    better = raw.get("better", "higher")
    if better not in ("higher", "lower"):
        raise RubricError(f"{where}: better must be 'higher' or 'lower'")
    return Signal(
        key=str(raw["key"]),
        label=str(raw.get("label", raw["key"])),
        better=better,
        thresholds=_thresholds(where, raw.get("thresholds"), better),
        source=str(raw.get("source", "")),
        unit=str(raw.get("unit", "")),
    )


def parse_rubric(document: Mapping[str, Any], source: str) -> Rubric:
    """A rubric from its TOML tables. Raises RubricError naming ``source``."""
    try:
        categories = tuple(
            Category(
                name=name,
                critical=bool(raw.get("critical", False)),
                weight=float(raw.get("weight", 1)),
                findings_from=tuple(raw.get("findings_from", ())),
                signals=tuple(_signal(f"{source} [category.{name!r}]", s) for s in raw.get("signal", ())),
                applies_if_sites=tuple(raw.get("applies_if_sites", ())),
                applies_if_facts=tuple(raw.get("applies_if_facts", ())),
                applies_if_kinds=tuple(raw.get("applies_if_kinds", ())),
                not_applicable=str(raw.get("not_applicable", "")),
                absent_is_zero=bool(raw.get("absent_is_zero", False)),
                findings_evidence=str(raw.get("findings_evidence", "patterns")),
                penalize=bool(raw.get("penalize", True)),
                practice=bool(raw.get("practice", False)),
                absence_rules=tuple(raw.get("absence_rules", ())),
            )
            for name, raw in document["category"].items()
        )
        penalties = {k: float(v) for k, v in document["penalties"].items() if k != "critical_cap"}
        verdict = tuple(
            VerdictRuleSpec(
                rule=str(v["rule"]),
                decision=v["decision"],
                when=str(v["when"]),
                worst_grade=_grade(f"{source} verdict {v['rule']}", v["worst_grade"]) if "worst_grade" in v else None,
                critical_only=bool(v.get("critical_only", False)),
                severities=tuple(v.get("severities", ())),
                absent_practice=bool(v.get("absent_practice", True)),
            )
            for v in document["verdict"]
        )
        cap = _grade(f"{source} [penalties]", document["penalties"].get("critical_cap", "D"))
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, RubricError):
            raise
        raise RubricError(f"{source}: malformed rubric ({type(err).__name__}: {err})") from None
    return Rubric(categories=categories, penalties=penalties, critical_cap=cap, verdict=verdict, source=source)


def load_rubric(path: Path | None = None) -> Rubric:
    """The package's rubric, or the one in ``path`` (``assess score --rubric FILE``)."""
    path = path or RUBRIC_FILE
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise RubricError(f"{path}: cannot be read ({err})") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise RubricError(f"{path}: cannot be read (nested too deeply)") from None
    return parse_rubric(document, "assess/rubric/rubric.toml" if path == RUBRIC_FILE else str(path))


def toml_key(parts: Iterable[str | int]) -> str:
    """``parts`` as a TOML key path: ``thresholds."Test Coverage".A``, ``waivers[2].expires``.

    A part that is not a bare key is quoted (JSON escapes, so the path stays on one line and ASCII)
    and cut to 60 characters: the path names a key of an untrusted file in a one-line message.
    """
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
            continue
        text = part if _BARE_KEY.fullmatch(part) else json.dumps(part if len(part) <= 60 else part[:60] + "...")
        out.append(f".{text}" if out else text)
    return "".join(out)


def _quoted(name: str) -> str:
    return json.dumps(name if len(name) <= 60 else name[:60] + "...")


def capped(lines: list[str], where: str, limit: int = MAX_PROBLEMS) -> tuple[str, ...]:
    """``lines``, or the first ``limit - 1`` of them and one saying how many more there were: a target's
    config can hold thousands of bad keys, and the report lists what is wrong, not all of it."""
    if len(lines) <= limit:
        return tuple(lines)
    return (*lines[: limit - 1], f"{where}: {len(lines) - (limit - 1)} more problem(s) not listed")


def apply_overrides(rubric: Rubric, config: Mapping[str, Any], where: str) -> Rubric:
    """``rubric`` with a target's ``weights``, ``thresholds`` and ``disabled`` categories applied.

    ``config`` is a table :func:`assess.config.parse_config` checked (finite numbers, names as strings);
    ``thresholds`` is ``{category: {signal key: {grade: value}}}``, merged grade by grade. What the
    rubric cannot take (a category or signal it lacks, thresholds that would no longer get worse from
    A to D) is left out, each with one line in ``Rubric.problems`` naming ``where`` and the key; the
    rest applies. Raises nothing.
    """
    problems: list[str] = []
    names = [c.name for c in rubric.categories]
    known = f"not a category of the rubric ({', '.join(sorted(names))})"
    for key in ("weights", "thresholds"):
        problems += [f"{where} {toml_key((key, n))}: {known}" for n in config.get(key, {}) if n not in names]
    disabled = config.get("disabled", [])
    # by name, not position: the position in the file is not the one left after the bad entries went
    problems += [f"{where} disabled: {_quoted(n)} is {known}" for n in disabled if n not in names]
    changes: list[str] = []
    categories = tuple(_override(c, config, where, changes, problems) for c in rubric.categories)
    return replace(rubric, categories=categories, changes=tuple(changes), problems=capped(problems, where))


def _override(c: Category, config: Mapping[str, Any], where: str, changes: list[str], problems: list[str]) -> Category:
    """Category ``c`` with what ``config`` changes in it; ``changes`` and ``problems`` get a line for each."""
    weights, thresholds = config.get("weights", {}), config.get("thresholds", {})
    if c.name in weights:
        c = replace(c, weight=float(weights[c.name]))
        changes.append(f"weight of {c.name} set to {weights[c.name]:g}")
    if c.name in thresholds:
        c = replace(c, signals=_signals(c, thresholds[c.name], where, changes, problems))
    if c.name in config.get("disabled", []):
        c = replace(c, disabled=f"switched off in {where}")
        changes.append(f"{c.name} switched off")
    return c


def _signals(
    c: Category, overrides: Mapping[str, Any], where: str, changes: list[str], problems: list[str]
) -> tuple[Signal, ...]:
    """``c``'s signals with the thresholds in ``overrides`` (signal key -> grade -> value) merged in."""
    keys = {s.key for s in c.signals}
    for key in overrides:
        if key not in keys:
            at = toml_key(("thresholds", c.name, key))
            problems.append(f"{where} {at}: not a signal of {c.name} ({', '.join(sorted(keys))})")
    signals = []
    for s in c.signals:
        if overrides.get(s.key):  # empty when every grade in it was left out as bad
            at = f"{where} {toml_key(('thresholds', c.name, s.key))}"
            try:
                merged = {**s.thresholds, **_thresholds(at, overrides[s.key], s.better)}
                _thresholds(at, merged, s.better)
            except RubricError as err:
                problems.append(f"{err}; the rubric's thresholds apply")
            else:
                s = replace(s, thresholds=merged, source=f"{s.source}; changed by the target's config")
                changes.append(f"thresholds of {c.name} / {s.key} changed")
        signals.append(s)
    return tuple(signals)
