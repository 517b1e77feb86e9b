"""Chaos probes: each scenario family's results against its success criteria, worded as findings.

The verdicts come from :mod:`assess.chaos.judge`; this module only words them and places them.
A chaos result is not in the target's code, so a finding has no location unless

- a code finding explains the failure (``RELATED``: graceful-termination fails and the code has no
  SIGTERM handler): the finding sits at that code's file and line and names it, or
- the result file was found in the target (origin ``target``): the finding names that file.

These probes run after the code probes and read their findings from ``ProbeInput.findings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from assess.chaos import criteria_in_force
from assess.chaos.judge import FamilyVerdict, judge, unmapped
from assess.model.chaos import ChaosResult
from assess.model.chaos import ScenarioFamily as F
from assess.model.findings import Finding
from assess.probes import Hit, ProbeInput, register_probe

FAILED_RULE: dict[F, str] = {
    F.PROCESS_CRASH: "chaos.durability-scenario-failed",
    F.GRACEFUL_TERMINATION: "chaos.durability-scenario-failed",
    F.DISK_EXHAUSTION: "chaos.durability-scenario-failed",
    F.NETWORK_LATENCY: "chaos.scenario-failed",
    F.NETWORK_PARTITION: "chaos.scenario-failed",
    F.DEPENDENCY_OUTAGE: "chaos.scenario-failed",
    F.MEMORY_PRESSURE: "chaos.scenario-failed",
    F.TIMEOUT: "chaos.scenario-failed",
    F.LOAD: "chaos.scenario-failed",
}
"""The rule a failing family is reported under (its severity is in ``assess/rules/chaos.toml``);
any family that lost more records than its criterion allows is ``chaos.data-loss`` instead."""

_TIMEOUTS = ("reliability.http-no-timeout", "reliability.db-no-timeout")
_DEPENDENCY = (
    *_TIMEOUTS,
    "reliability.no-circuit-breaker",
    "reliability.dependency-no-fallback",
    "reliability.retry-unbounded",
    "reliability.retry-without-backoff",
)
_WRITES = ("durability.non-atomic-write", "durability.multi-step-write-outside-transaction")
RELATED: dict[F, tuple[str, ...]] = {
    F.PROCESS_CRASH: ("durability.in-memory-state", *_WRITES),
    F.GRACEFUL_TERMINATION: ("shutdown.no-signal-handler", "durability.in-memory-state"),
    F.DISK_EXHAUSTION: _WRITES,
    F.NETWORK_LATENCY: (*_TIMEOUTS, "reliability.no-circuit-breaker"),
    F.NETWORK_PARTITION: _DEPENDENCY,
    F.DEPENDENCY_OUTAGE: _DEPENDENCY,
    F.MEMORY_PRESSURE: ("durability.unbounded-collection", "performance.unbounded-cache"),
    F.TIMEOUT: _TIMEOUTS,
    F.LOAD: ("performance.blocking-call-in-async", "performance.query-in-loop", "performance.unpaginated-query"),
}
"""Code problems that can explain a family's failure, most telling first: a failing family's
finding is placed at the first one found and names up to ``MAX_RELATED`` of them."""

MAX_CITED = 5
MAX_RELATED = 3


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _pct(ratio: float) -> str:
    return _num(100 * ratio)


def _measured(v: FamilyVerdict) -> str:
    """The numbers and the criterion each is held to: '0 of 1 trials held (0 %, criterion at least 90 %), ...'."""
    c = v.criteria
    rate = f"{_pct(v.rate or 0)} %, criterion at least {_pct(c.min_success_rate)} %"
    parts = [f"{v.successes} of {v.trials} trials held ({rate})"]
    if v.worst_recovery_s is not None:
        limit = f"criterion at most {_num(c.max_recovery_s)} s" if c.max_recovery_s is not None else "no criterion"
        parts.append(f"worst recovery {_num(v.worst_recovery_s)} s ({limit})")
    elif c.max_recovery_s is not None:
        parts.append(f"recovery time not measured (criterion at most {_num(c.max_recovery_s)} s)")
    if v.data_loss is not None:
        limit = f"criterion at most {c.max_data_loss}" if c.max_data_loss is not None else "no criterion"
        parts.append(f"{v.data_loss} record(s) lost ({limit})")
    elif c.max_data_loss is not None:
        parts.append(f"data loss not measured (criterion at most {c.max_data_loss})")
    return ", ".join(parts)


def _criteria_source(v: FamilyVerdict) -> str:
    """The criteria's source, quoted, and which fields the target's config changed."""
    c = v.criteria
    changed = f" ({', '.join(c.overridden)} set by the target)" if c.overridden else ""
    return f"'{c.source}'{changed}"


def _cite(label: str, results: Sequence[ChaosResult]) -> str:
    """'Failing runs: a.json: why; b.json: why.' (at most ``MAX_CITED``, then how many more)."""
    cited = [f"{r.source}: {r.outcome_reason.strip().rstrip('.')}" for r in results[:MAX_CITED]]
    more = f"; and {len(results) - MAX_CITED} more (see evidence/chaos.json)" if len(results) > MAX_CITED else ""
    return f"{label}: {'; '.join(cited)}{more}."


def _related(family: F, findings: Iterable[Finding]) -> list[Finding]:
    """Code problems that may explain ``family``'s failure, in ``RELATED`` order, then by place."""
    order = {rule: n for n, rule in enumerate(RELATED[family])}
    hits = [f for f in findings if f.rule in order and f.kind == "problem" and f.path is not None]
    return sorted(hits, key=lambda f: (order[f.rule], f.path or "", f.line or 0))


def _related_text(related: Sequence[Finding]) -> str:
    if not related:
        return ""
    named = [f"{f.title or f.rule} ({f.path}{f':{f.line}' if f.line else ''})" for f in related[:MAX_RELATED]]
    more = f"; and {len(related) - MAX_RELATED} more" if len(related) > MAX_RELATED else ""
    return f" Related findings in the code: {'; '.join(named)}{more}."


def _in_target(results: Iterable[ChaosResult]) -> str | None:
    """The first result file found in the target, as a location; None when all came from elsewhere."""
    return next((r.source for r in results if r.origin == "target"), None)


def _failed_hit(v: FamilyVerdict, findings: Sequence[Finding]) -> Hit:
    failing = v.failing_results()
    related = _related(v.family, findings)
    details = {
        "family": v.family.value,
        "failed": " and ".join(v.failed),
        "measured": _measured(v),
        "criteria": _criteria_source(v),
        "results": _cite("Failing runs", failing),
        "related": _related_text(related),
    }
    rule = "chaos.data-loss" if "data loss" in v.failed else FAILED_RULE[v.family]
    if related:
        at = related[0]
        return Hit(rule, path=at.path, line=at.line, end_line=at.end_line, snippet=at.snippet, details=details,
                   subject=v.family.value)  # fmt: skip
    return Hit(rule, path=_in_target(failing), details=details, subject=v.family.value)


def _passed_hit(v: FamilyVerdict) -> Hit:
    details = {
        "family": v.family.value,
        "measured": _measured(v),
        "criteria": _criteria_source(v),
        "results": _cite("Runs", v.conclusive),
    }
    return Hit("chaos.scenario-passed", path=_in_target(v.conclusive), details=details, subject=v.family.value)


def _inconclusive_hit(v: FamilyVerdict) -> Hit:
    judged = len(v.conclusive)
    consequence = (
        f"the family is judged on the other {judged} result(s) only"
        if v.trials
        else "the family is not tested (a fault that was never injected is not a pass)"
    )
    details = {
        "family": v.family.value,
        "count": len(v.inconclusive),
        "total": len(v.inconclusive) + judged,
        "consequence": consequence,
        "results": _cite("Inconclusive runs", v.inconclusive),
    }
    return Hit("chaos.inconclusive", path=_in_target(v.inconclusive), details=details, subject=v.family.value)


@register_probe(
    "chaos.data-loss",
    "chaos.durability-scenario-failed",
    "chaos.scenario-failed",
    "chaos.scenario-passed",
    "chaos.inconclusive",
    reads="chaos",
)
def scenario_verdicts(given: ProbeInput) -> Iterator[Hit]:
    """Per family with results: failed or passed (when anything was tested), and inconclusive runs."""
    if given.chaos is None:
        return
    for verdict in judge(given.chaos.results, criteria_in_force(given.chaos)):
        if verdict.status == "failed":
            yield _failed_hit(verdict, given.findings)
        elif verdict.status == "passed":
            yield _passed_hit(verdict)
        if verdict.inconclusive:
            yield _inconclusive_hit(verdict)


@register_probe("chaos.unmapped", reads="chaos")
def unmapped_results(given: ProbeInput) -> Iterator[Hit]:
    """A result no family was found for is reported, not silently dropped from the judging."""
    for r in unmapped(given.chaos.results if given.chaos else ()):
        outcome = "inconclusive" if r.inconclusive else f"{r.successes} of {r.trials} trials held"
        details = {"source": r.source, "title": r.title, "reason": r.family_reason,
                   "outcome": f"{outcome} ({r.outcome_reason.strip().rstrip('.')})"}  # fmt: skip
        yield Hit("chaos.unmapped", path=r.source if r.origin == "target" else None, details=details,
                  subject=f"{r.source}\0{r.title}")  # fmt: skip
