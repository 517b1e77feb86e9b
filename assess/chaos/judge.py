"""Chaos results judged against the success criteria of their scenario family.

Pure: results and criteria in, one :class:`FamilyVerdict` per family out. The probes word the
verdicts as findings and the facts count them; neither judges again.

- An inconclusive result (nothing was tested, e.g. the steady state did not hold before the fault)
  counts toward nothing: not the rate, not the recovery time, not the data loss. A family with only
  inconclusive results is ``not tested``, never passed.
- The success rate is pooled over the family's conclusive results: sum of successes over sum of
  trials, so one run of ten trials weighs ten times one run of one trial.
- Recovery time and data loss are judged only where measured and where the family has a criterion;
  a criterion with nothing measured is neither met nor failed (the verdict says "not measured").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from assess.chaos import SuccessCriteria
from assess.model.chaos import ChaosResult, ScenarioFamily

RATE_TOLERANCE = 1e-9
"""Float slack when comparing a rate with its criterion (19 of 20 must meet 95 %)."""


@dataclass(frozen=True)
class FamilyVerdict:
    """One scenario family's results measured against its criteria."""

    family: ScenarioFamily
    criteria: SuccessCriteria
    conclusive: tuple[ChaosResult, ...]
    """Results that tested something; the numbers below come from these only."""
    inconclusive: tuple[ChaosResult, ...]
    trials: int
    successes: int
    worst_recovery_s: float | None
    """Longest measured recovery; None when no conclusive result measured one."""
    data_loss: int | None
    """Records lost, summed over the conclusive results that measured it; None when none did."""
    failed: tuple[Literal["success rate", "recovery time", "data loss"], ...]
    """The criteria not met, in this order."""

    @property
    def rate(self) -> float | None:
        """Share of trials that held, 0..1; None when no trial was conclusive."""
        return self.successes / self.trials if self.trials else None

    @property
    def status(self) -> Literal["passed", "failed", "not tested"]:
        if self.trials == 0:
            return "not tested"
        return "failed" if self.failed else "passed"

    def failing_results(self) -> tuple[ChaosResult, ...]:
        """Conclusive results that contributed to a failed criterion (a trial that did not hold,
        a recovery over the limit, a record lost)."""
        c = self.criteria
        return tuple(
            r
            for r in self.conclusive
            if ("success rate" in self.failed and r.successes < r.trials)
            or ("recovery time" in self.failed and any(t > (c.max_recovery_s or 0) for t in r.recovery_times_s))
            or ("data loss" in self.failed and (r.data_loss or 0) > 0)
        )


def _failed(
    criteria: SuccessCriteria, trials: int, successes: int, worst: float | None, lost: int | None
) -> tuple[Literal["success rate", "recovery time", "data loss"], ...]:
    out: list[Literal["success rate", "recovery time", "data loss"]] = []
    if trials and successes / trials + RATE_TOLERANCE < criteria.min_success_rate:
        out.append("success rate")
    if criteria.max_recovery_s is not None and worst is not None and worst > criteria.max_recovery_s:
        out.append("recovery time")
    if criteria.max_data_loss is not None and lost is not None and lost > criteria.max_data_loss:
        out.append("data loss")
    return tuple(out)


def judge_family(family: ScenarioFamily, results: Iterable[ChaosResult], criteria: SuccessCriteria) -> FamilyVerdict:
    """The verdict on ``results`` (all of ``family``) against ``criteria``."""
    results = tuple(results)
    conclusive = tuple(r for r in results if not r.inconclusive)
    trials = sum(r.trials for r in conclusive)
    successes = sum(r.successes for r in conclusive)
    worst = max((t for r in conclusive for t in r.recovery_times_s), default=None)
    losses = [r.data_loss for r in conclusive if r.data_loss is not None]
    lost = sum(losses) if losses else None
    return FamilyVerdict(
        family=family,
        criteria=criteria,
        conclusive=conclusive,
        inconclusive=tuple(r for r in results if r.inconclusive),
        trials=trials,
        successes=successes,
        worst_recovery_s=worst,
        data_loss=lost,
        failed=_failed(criteria, trials, successes, worst, lost) if trials else (),
    )


def judge(
    results: Iterable[ChaosResult], criteria: Mapping[ScenarioFamily, SuccessCriteria]
) -> tuple[FamilyVerdict, ...]:
    """One verdict per family that has results, in the families' declared order. Results without a
    family are left out (see :func:`unmapped`). Raises ``KeyError`` for a family with no criteria."""
    by_family: dict[ScenarioFamily, list[ChaosResult]] = {}
    for r in results:
        if r.family is not None:
            by_family.setdefault(r.family, []).append(r)
    return tuple(judge_family(f, by_family[f], criteria[f]) for f in ScenarioFamily if f in by_family)


def unmapped(results: Iterable[ChaosResult]) -> tuple[ChaosResult, ...]:
    """Results no family was found for: they are judged against no criteria."""
    return tuple(r for r in results if r.family is None)
