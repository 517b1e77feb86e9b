"""Probes: small pure functions from evidence to findings.

A probe yields :class:`Hit` objects naming a rule and a location; :func:`run_probes` turns them
into :class:`~assess.model.findings.Finding` objects with the rule's category, severity, texts and
effort from the rules data, and says whether the test run executed the finding's lines.
"""

from __future__ import annotations

import importlib
import pkgutil
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from assess.model import CoverageData, Evidence, InventoryData
from assess.model.findings import Finding, Severity
from assess.model.patterns import PatternsData, Site
from assess.rules import Rule, default_rules

SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}


@dataclass(frozen=True)
class Hit:
    """A probe's claim: rule ``rule`` holds at ``site`` (or at ``path``/``line`` for file-level claims)."""

    rule: str
    site: Site | None = None
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    snippet: str = ""
    details: Mapping[str, object] = field(default_factory=dict)
    """Values for the rule's message template (``{callee}``, ``{count}`` ...)."""


@dataclass(frozen=True)
class ProbeInput:
    patterns: PatternsData
    coverage: CoverageData | None = None
    inventory: InventoryData | None = None


ProbeFn = Callable[[ProbeInput], Iterable[Hit]]


@dataclass(frozen=True)
class Probe:
    name: str
    rules: tuple[str, ...]
    fn: ProbeFn


PROBES: dict[str, Probe] = {}


def register_probe(*rules: str) -> Callable[[ProbeFn], ProbeFn]:
    """Decorator: ``fn`` may yield hits for ``rules`` (ids that must exist in the rules data)."""

    def deco(fn: ProbeFn) -> ProbeFn:
        PROBES[f"{fn.__module__}.{fn.__name__}"] = Probe(fn.__name__, rules, fn)
        return fn

    return deco


def load_probes() -> dict[str, Probe]:
    """Import every module of this package (each registers its probes); return the registry."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return PROBES


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_message(template: str, details: Mapping[str, object]) -> str:
    """Fill ``template`` from ``details``; an unknown placeholder stays as written (never raises)."""
    try:
        return string.Formatter().vformat(template, (), _Blank(details))
    except (ValueError, IndexError, AttributeError):
        return template


def executed(coverage: CoverageData | None, path: str | None, line: int | None, end: int | None) -> bool | None:
    """Whether the test run executed any statement in ``line``..``end`` of ``path``; None if unknown."""
    if coverage is None or coverage.totals is None or path is None or line is None:
        return None
    entry = next((f for f in coverage.files if f.path == path), None)
    if entry is None:
        return None
    span = range(line, (end or line) + 1)
    statements = set(entry.executed_lines) | set(entry.missing_lines)
    if not statements.intersection(span):
        return None  # no statement there (a comment, a decorator line): coverage cannot say
    return bool(set(entry.executed_lines).intersection(span))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?)" else text + "."


def _finding(hit: Hit, rule: Rule, coverage: CoverageData | None) -> Finding:
    site = hit.site
    path = hit.path or (site.path if site else None)
    line = hit.line or (site.line if site else None)
    end = hit.end_line or (site.end_line if site else line)
    tested = executed(coverage, path, line, end)
    message = _sentence(render_message(rule.message, hit.details))
    if tested is False and rule.kind == "problem" and path and line:
        message += f" The tests never execute {path}:{line}."
    elif tested is False and rule.kind == "good" and path and line:
        message += f" No test executes it ({path}:{line})."
    return Finding(
        rule=rule.id, category=rule.category, severity=rule.severity, kind=rule.kind, title=rule.title,
        path=path, line=line,
        end_line=end, snippet=hit.snippet or (site.snippet if site else ""), message=message,
        recommendation=rule.recommendation if rule.kind == "problem" else "",
        effort_hours=rule.effort_hours if rule.kind == "problem" else 0.0, tested=tested,
        language=site.language if site else None,
    )  # fmt: skip


def run_probes(evidence: Mapping[str, Evidence], rules: Mapping[str, Rule] | None = None) -> tuple[Finding, ...]:
    """Every probe over the run's evidence. Without patterns evidence there are no findings."""
    patterns = evidence.get("patterns")
    if patterns is None or not isinstance(patterns.data, PatternsData):
        return ()
    coverage, inventory = evidence.get("coverage"), evidence.get("inventory")
    given = ProbeInput(
        patterns=patterns.data,
        coverage=coverage.data if coverage and isinstance(coverage.data, CoverageData) else None,
        inventory=inventory.data if inventory and isinstance(inventory.data, InventoryData) else None,
    )
    rules = rules if rules is not None else default_rules()
    found: dict[tuple[str, str | None, int | None], Finding] = {}
    for probe in load_probes().values():
        for hit in probe.fn(given):
            if hit.rule not in probe.rules:
                raise ValueError(f"probe {probe.name} yielded {hit.rule!r}, which it did not register")
            f = _finding(hit, rules[hit.rule], given.coverage)
            found.setdefault((f.rule, f.path, f.line), f)
    return tuple(sorted(found.values(), key=lambda f: (SEVERITY_ORDER[f.severity], f.path or "", f.line or 0, f.rule)))
