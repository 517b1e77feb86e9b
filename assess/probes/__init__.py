"""Probes: small pure functions from evidence to findings.

A probe yields :class:`Hit` objects naming a rule and a location; :func:`run_probes` turns them
into :class:`~assess.model.findings.Finding` objects with the rule's category, severity, texts and
effort from the rules data, and says whether the test run executed the finding's lines.

Probes of the code (``reads="patterns"``) run first. Probes of other evidence (chaos results) run
after them and see their findings in :attr:`ProbeInput.findings`, so a failed experiment can point
at the code that explains it without re-deriving the code's findings.
"""

from __future__ import annotations

import importlib
import pkgutil
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from assess.knowledge import knowledge
from assess.model import CoverageData, Evidence, InventoryData, Role
from assess.model.chaos import ChaosData
from assess.model.findings import Confidence, Finding, Severity
from assess.model.patterns import PatternsData, Site
from assess.model.project import ProjectModel
from assess.rules import Rule, default_rules

SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
D = TypeVar("D")
FindingKey = tuple[str, str | None, int | None, str]
"""Rule, path, line and the hit's subject: one finding per key, the first one yielded."""


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
    subject: str = ""
    """What the claim is about when the location cannot tell two claims of one rule apart (a chaos
    scenario family: several are judged with no location in the target)."""
    confidence: Confidence | None = None
    """How sure this claim is, when the probe knows better than the rule's usual confidence; None: the rule's."""
    confidence_reason: str | None = None
    """Why (what the code cannot show), shown with the finding."""


@dataclass(frozen=True)
class ProbeInput:
    patterns: PatternsData
    """Empty when the run has no patterns evidence (then no code probe runs)."""
    coverage: CoverageData | None = None
    inventory: InventoryData | None = None
    chaos: ChaosData | None = None
    findings: tuple[Finding, ...] = ()
    """The code probes' findings; filled only for probes that read other evidence (they run after)."""
    project: ProjectModel | None = None
    """What the project is and which of its code is production code (:mod:`assess.project`); None when it could
    not be built (no patterns evidence)."""

    def production(self, path: str | None) -> bool:
        """Whether ``path`` is the project's production source (not a test, not developer tooling or an example);
        None, a claim about the whole repository, counts as production."""
        if path is None:
            return True
        if self.patterns.role_of(path) in (Role.TEST, Role.TEST_SUPPORT, Role.DOCS):
            return False
        return self.project is None or self.project.is_production(path)

    def production_imports(self) -> set[str]:
        """Every module the production code imports (``express-actuator``, ``tenacity`` ...)."""
        return {m for f in self.patterns.files if self.production(f.path) and f.role is Role.SOURCE for m in f.imports}

    def provider(self, capability: str) -> str | None:
        """The library the production code imports that provides ``capability`` (``health_endpoint``,
        ``graceful_shutdown``, ``migrations``, ``metrics`` ...: see ``assess/knowledge/libraries.toml``), or None."""
        return knowledge().provider(capability, self.production_imports())


ProbeFn = Callable[[ProbeInput], Iterable[Hit]]


@dataclass(frozen=True)
class Probe:
    name: str
    rules: tuple[str, ...]
    fn: ProbeFn
    reads: str = "patterns"
    """The evidence kind the probe judges; it runs only when that evidence has data."""


PROBES: dict[str, Probe] = {}


def register_probe(*rules: str, reads: str = "patterns") -> Callable[[ProbeFn], ProbeFn]:
    """Decorator: ``fn`` may yield hits for ``rules`` (ids that must exist in the rules data).

    ``reads`` names the evidence kind it judges (``patterns`` or ``chaos``)."""

    def deco(fn: ProbeFn) -> ProbeFn:
        PROBES[f"{fn.__module__}.{fn.__name__}"] = Probe(fn.__name__, rules, fn, reads)
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
    finding = _made(hit, rule, coverage)
    confidence = hit.confidence or rule.confidence
    if confidence == "confirmed" or rule.kind != "problem":
        return finding
    reason = hit.confidence_reason or rule.severity_why
    return finding.model_copy(update={"confidence": confidence, "confidence_reason": reason})


def _made(hit: Hit, rule: Rule, coverage: CoverageData | None) -> Finding:
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


def _data(evidence: Mapping[str, Evidence], kind: str, cls: type[D]) -> D | None:
    ev = evidence.get(kind)
    return ev.data if ev is not None and isinstance(ev.data, cls) else None


def run_probes(
    evidence: Mapping[str, Evidence], rules: Mapping[str, Rule] | None = None, project: ProjectModel | None = None
) -> tuple[Finding, ...]:
    """Every probe whose evidence has data: code probes first, then probes of other evidence, which
    see the code probes' findings. Without patterns or chaos evidence there are no findings. With the project
    model, a finding of a rule about production code that lies elsewhere (a developer script, an example, the
    test suite) is marked ``outside`` and counts toward nothing.

    Raises ``ValueError`` when a probe yields a rule it did not register, ``KeyError`` for a rule
    with no rules data."""
    patterns, chaos = _data(evidence, "patterns", PatternsData), _data(evidence, "chaos", ChaosData)
    present = {"patterns": patterns is not None, "chaos": chaos is not None}
    given = ProbeInput(
        patterns=patterns if patterns is not None else PatternsData(files=(), sites=()),
        coverage=_data(evidence, "coverage", CoverageData),
        inventory=_data(evidence, "inventory", InventoryData),
        chaos=chaos,
        project=project,
    )
    rules = rules if rules is not None else default_rules()
    found: dict[FindingKey, Finding] = {}
    probes = [p for p in load_probes().values() if present.get(p.reads)]
    for probe in [p for p in probes if p.reads == "patterns"]:
        _run(probe, given, rules, found)
    later = replace(given, findings=tuple(found.values()))
    for probe in [p for p in probes if p.reads != "patterns"]:
        _run(probe, later, rules, found)
    placed = (_place(f, rules[f.rule], given) for f in found.values())
    return tuple(sorted(placed, key=lambda f: (SEVERITY_ORDER[f.severity], f.path or "", f.line or 0, f.rule)))


def _place(finding: Finding, rule: Rule, given: ProbeInput) -> Finding:
    """``finding`` marked ``outside`` when its rule is about production code and its file is not."""
    if rule.applies_to != "production" or given.production(finding.path):
        return finding
    return finding.model_copy(update={"outside": outside_reason(given, finding.path)})


def outside_reason(given: ProbeInput, path: str | None) -> str:
    """Why ``path`` is not the service's code, in words for the report."""
    role = given.patterns.role_of(path) if path else None
    if role in (Role.TEST, Role.TEST_SUPPORT):
        return "in the test suite"
    if role is Role.DOCS:
        return "in the documentation or examples"
    project = given.project
    if project is not None and path in project.outside:
        return f"{project.outside[path]}: {project.outside_reasons.get(path, '')}".rstrip(": ")
    return "not the service's code"


def _run(probe: Probe, given: ProbeInput, rules: Mapping[str, Rule], found: dict[FindingKey, Finding]) -> None:
    for hit in probe.fn(given):
        if hit.rule not in probe.rules:
            raise ValueError(f"probe {probe.name} yielded {hit.rule!r}, which it did not register")
        f = _finding(hit, rules[hit.rule], given.coverage)
        found.setdefault((f.rule, f.path, f.line, hit.subject), f)
