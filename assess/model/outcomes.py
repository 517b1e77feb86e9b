"""Tests evidence: outcomes of the target's test run, read from JUnit XML."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from assess.model.base import Model
from assess.model.evidence import Evidence, register_evidence


class TestOutcome(StrEnum):
    __test__ = False

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class TestResult(Model):
    __test__ = False

    name: str
    classname: str = ""
    file: str | None = None
    line: int | None = None
    outcome: TestOutcome
    duration_s: float = 0.0
    message: str | None = None
    """First line of the failure, error or skip message (truncated)."""


class TestsData(Model):
    __test__ = False

    sources: tuple[str, ...]
    """JUnit files read (relative to the run folder, or as given)."""
    results: tuple[TestResult, ...]
    duration_s: float
    """Sum of test durations."""

    def count(self, outcome: TestOutcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    def slowest(self, n: int = 10) -> tuple[TestResult, ...]:
        return tuple(sorted(self.results, key=lambda r: (-r.duration_s, r.classname, r.name))[:n])


@register_evidence
class TestsEvidence(Evidence):
    __test__ = False

    kind: Literal["tests"] = "tests"
    data: TestsData | None = None
