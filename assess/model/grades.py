"""The graded part of an assessment: category grades, the verdict, the plan, critical untested areas.

Made by the rubric stage (``assess/rubric/``) from facts and findings; never by a collector.
"""

from __future__ import annotations

from typing import Literal

from assess.model.base import Model

Grade = Literal["A", "B+", "B", "C+", "C", "D", "F"]
GRADES: tuple[Grade, ...] = ("A", "B+", "B", "C+", "C", "D", "F")
"""Best first."""
Decision = Literal["GO", "NEEDS_WORK", "NO-GO"]
Priority = Literal["P0", "P1", "P2"]


class SignalGrade(Model):
    """One measured signal of a category and the grade its thresholds give it."""

    key: str
    """Fact key (``coverage.percent_covered``) or derived signal (``derived.tests.pass_rate``)."""
    label: str
    value: float | None
    """None when not measured."""
    unit: str = ""
    grade: Grade | None = None
    source: str
    """Where the value came from (the fact's evidence pointer, or how it was derived)."""
    thresholds: str = ""
    """The thresholds applied, in words (``A >= 90, B+ >= 85, ...``), with where they come from."""


class CategoryGrade(Model):
    category: str
    status: Literal["graded", "not-applicable", "not-measured", "disabled"]
    grade: Grade | None = None
    points: float | None = None
    """0 (F) .. 4 (A), before rounding down to the grade."""
    critical: bool
    weight: float
    signals: tuple[SignalGrade, ...] = ()
    findings: int = 0
    """Problem findings counted against the category (waived ones excluded)."""
    notes: tuple[str, ...] = ()
    """Sentences written from the measured facts and the findings behind the grade."""
    reason: str | None = None
    """Why the category is not applicable, not measured or disabled."""


class VerdictRule(Model):
    rule: str
    """Rule id from the rubric's verdict rules, e.g. ``critical-category-failing``."""
    decision: Decision
    """What the rule decides when it fires."""
    fired: bool
    message: str
    """What the rule checks, or (fired) what made it fire."""


class Verdict(Model):
    decision: Decision
    reasons: tuple[str, ...]
    """What made the rules that decided fire (those whose decision is the verdict), in rubric order;
    every rule, fired or not, is in ``rules``."""
    rules: tuple[VerdictRule, ...]


class CriticalArea(Model):
    """A function ranked by risk: complex and not (fully) executed by the tests."""

    path: str
    line: int
    name: str
    complexity: int
    coverage: float | None
    """Share of the function's statements the tests executed, 0..1; None when coverage is unknown."""
    crap: float | None
    """cc^2 * (1 - coverage)^3 + cc (Savoia and Evans); None when coverage is unknown."""
    reason: str


class UntestedReliabilityCode(Model):
    """Reliability-relevant code (error handling, retries, persistence) no test executes."""

    path: str
    line: int
    rule: str
    title: str
    category: str


class PlanItem(Model):
    priority: Priority
    rule: str
    title: str
    category: str
    count: int
    """Findings of the rule this item covers."""
    effort_hours: float
    locations: tuple[str, ...]
    """``path:line`` of the findings (first ten)."""
    why: str
    """Why this priority."""


class Plan(Model):
    items: tuple[PlanItem, ...]
    hours: dict[str, float]
    """Estimated hours per priority."""
    ready_low_days: float
    ready_high_days: float
    """Time to production-ready (every P0 done) as a range of working days."""
    assumptions: tuple[str, ...]


class WaiverStatus(Model):
    rule: str
    path: str | None = None
    """Glob of the paths it covers; None: everywhere."""
    justification: str
    expires: str | None = None
    """ISO date; None: no expiry."""
    expired: bool
    matched: int
    """Findings it waived (0 when expired)."""
