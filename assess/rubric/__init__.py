"""The rubric as data (``rubric.toml``), loaded into typed objects, with a target's overrides merged.

:func:`load_rubric` reads the package's rubric; :func:`apply_overrides` merges what a target's
``[tool.assess]`` changes (weights, thresholds, disabled categories). Scoring is in
:mod:`assess.rubric.score`.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from assess.model.grades import GRADES, Decision, Grade

RUBRIC_FILE = Path(__file__).with_name("rubric.toml")
POINTS: dict[Grade, float] = {"A": 4.0, "B+": 3.5, "B": 3.0, "C+": 2.5, "C": 2.0, "D": 1.0, "F": 0.0}


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
    not_applicable: str = ""
    absent_is_zero: bool = False
    findings_evidence: str = "patterns"
    """The evidence kind the category's findings are made from; without it, they are not measured."""
    penalize: bool = True
    """Whether the category's problem findings take points (False: they only explain the grade)."""
    disabled: str | None = None
    """Why the target switched the category off; None when it is on."""


@dataclass(frozen=True)
class VerdictRuleSpec:
    rule: str
    decision: Decision
    when: str
    worst_grade: Grade | None = None
    critical_only: bool = False
    severities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rubric:
    categories: tuple[Category, ...]
    penalties: Mapping[str, float]
    critical_cap: Grade
    verdict: tuple[VerdictRuleSpec, ...]
    source: str = "assess/rubric/rubric.toml"
    changes: tuple[str, ...] = field(default_factory=tuple)
    """What a target's config changed, in words."""

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
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise RubricError(f"{where}: threshold {grade} must be a number")
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
                not_applicable=str(raw.get("not_applicable", "")),
                absent_is_zero=bool(raw.get("absent_is_zero", False)),
                findings_evidence=str(raw.get("findings_evidence", "patterns")),
                penalize=bool(raw.get("penalize", True)),
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


def apply_overrides(rubric: Rubric, config: Mapping[str, Any], where: str) -> Rubric:
    """``rubric`` with a target's ``weights``, ``thresholds`` and ``disabled`` categories applied.

    ``thresholds`` is ``{category: {signal key: {grade: value}}}``, merged grade by grade.
    """
    names = {c.name for c in rubric.categories}
    changes: list[str] = []
    weights = config.get("weights", {})
    thresholds = config.get("thresholds", {})
    disabled = config.get("disabled", [])
    for name in [*weights, *thresholds, *disabled]:
        if name not in names:
            raise RubricError(f"{where}: {name!r} is not a rubric category ({', '.join(sorted(names))})")
    categories = []
    for c in rubric.categories:
        if c.name in weights:
            weight = weights[c.name]
            if not isinstance(weight, int | float) or weight < 0:
                raise RubricError(f"{where}: weights.{c.name!r} must be a number >= 0")
            c = replace(c, weight=float(weight))
            changes.append(f"weight of {c.name} set to {weight:g}")
        if c.name in thresholds:
            signals = []
            known = {s.key for s in c.signals}
            for key in thresholds[c.name]:
                if key not in known:
                    raise RubricError(f"{where}: {c.name!r} has no signal {key!r} ({', '.join(sorted(known))})")
            for s in c.signals:
                if s.key in thresholds[c.name]:
                    merged = {**s.thresholds, **_thresholds(f"{where} thresholds.{c.name!r}.{s.key}",
                                                            thresholds[c.name][s.key], s.better)}  # fmt: skip
                    _thresholds(f"{where} thresholds.{c.name!r}.{s.key}", merged, s.better)
                    s = replace(s, thresholds=merged, source=f"{s.source}; changed by the target's config")
                    changes.append(f"thresholds of {c.name} / {s.key} changed")
                signals.append(s)
            c = replace(c, signals=tuple(signals))
        if c.name in disabled:
            c = replace(c, disabled=f"switched off in {where}")
            changes.append(f"{c.name} switched off")
        categories.append(c)
    return replace(rubric, categories=tuple(categories), changes=tuple(changes))
