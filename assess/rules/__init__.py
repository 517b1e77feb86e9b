"""Rules as data: each probe's rule ids, with category, severity, texts and effort, from ``rules.toml``.

Code decides whether a claim holds and where; this data decides how it is worded, how severe it
is and what it costs to fix, so reviewers can tune it without touching a probe.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from assess.model.findings import Confidence, Severity

CATEGORIES = (
    "Test Coverage", "Unit Test Quality", "Integration Tests", "Performance Testing", "Chaos Engineering",
    "Reliability Patterns", "Error Handling", "Data Durability", "Dependency Resilience", "Health Monitoring",
    "Observability", "Security", "Operational Readiness", "Maintainability", "Performance", "Concurrency",
)  # fmt: skip
"""Grade-card categories (the rubric decides which of them are graded and how)."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: Severity
    kind: Literal["problem", "good"]
    title: str
    message: str
    """A format string filled from the probe's details, e.g. ``{callee} is called without a timeout``."""
    recommendation: str
    effort_hours: float
    severity_why: str = ""
    """Why the rule has its severity, in one line (required for problem rules: high means a senior reviewer would
    fix it before production)."""
    confidence: Confidence = "confirmed"
    """How sure the rule's findings are unless its probe says otherwise (see :data:`Confidence`)."""
    applies_to: AppliesTo = "production"
    """What code the rule is about: ``production`` (the service's own code: a finding in a developer script or an
    example is shown apart and never counts), ``tests`` (the test suite) or ``repository`` (the tree as a whole)."""


AppliesTo = Literal["production", "tests", "repository"]
CONFIDENCES = ("confirmed", "likely", "possible")
APPLIES = ("production", "tests", "repository")


class RuleError(ValueError):
    """The rules data is malformed; the message names the rule and field."""


def _rule(rule_id: str, raw: dict[str, object]) -> Rule:
    try:
        rule = Rule(
            id=rule_id,
            category=str(raw["category"]),
            severity=Severity(str(raw["severity"])),
            kind=str(raw.get("kind", "problem")),  # type: ignore[arg-type]
            title=str(raw["title"]),
            message=str(raw["message"]),
            recommendation=str(raw.get("recommendation", "")),
            effort_hours=float(raw.get("effort_hours", 0.0)),  # type: ignore[arg-type]
            severity_why=str(raw.get("severity_why", "")),
            confidence=str(raw.get("confidence", "confirmed")),  # type: ignore[arg-type]
            applies_to=str(raw.get("applies_to", "production")),  # type: ignore[arg-type]
        )
    except (KeyError, ValueError, TypeError) as err:
        raise RuleError(f"rule {rule_id}: {err}") from err
    if rule.confidence not in CONFIDENCES:
        raise RuleError(f"rule {rule_id}: confidence must be one of {', '.join(CONFIDENCES)}")
    if rule.applies_to not in APPLIES:
        raise RuleError(f"rule {rule_id}: applies_to must be one of {', '.join(APPLIES)}")
    if rule.category not in CATEGORIES:
        raise RuleError(f"rule {rule_id}: unknown category {rule.category!r}")
    if rule.kind not in ("problem", "good"):
        raise RuleError(f"rule {rule_id}: kind must be problem or good")
    return rule


def parse_rules(text: str) -> dict[str, Rule]:
    data = tomllib.loads(text)
    return {rule_id: _rule(rule_id, raw) for rule_id, raw in data.get("rule", {}).items()}


@cache
def default_rules() -> dict[str, Rule]:
    """The rules shipped in the package: every ``*.toml`` file beside this module (one per probe family)."""
    rules: dict[str, Rule] = {}
    for entry in sorted(resources.files("assess.rules").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            for rule_id, rule in parse_rules(entry.read_text(encoding="utf-8")).items():
                if rule_id in rules:
                    raise RuleError(f"rule {rule_id} is defined twice ({entry.name})")
                rules[rule_id] = rule
    return rules
