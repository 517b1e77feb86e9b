"""Chaos evidence: outcomes of fault-injection runs, one result per experiment run or scenario.

Facts only: how many trials, how many met the steady state, how long recovery took, whether data
was lost. Whether that is good enough is judged later against the success criteria per scenario
family (``assess/chaos/criteria.toml``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from assess.model.base import Model
from assess.model.evidence import Evidence, register_evidence


class ScenarioFamily(StrEnum):
    PROCESS_CRASH = "process-crash"
    """kill -9 of the service, restart, recover."""
    GRACEFUL_TERMINATION = "graceful-termination"
    """SIGTERM during in-flight work."""
    NETWORK_LATENCY = "network-latency"
    NETWORK_PARTITION = "network-partition"
    """Connections refused, reset or dropped."""
    DEPENDENCY_OUTAGE = "dependency-outage"
    DISK_EXHAUSTION = "disk-exhaustion"
    MEMORY_PRESSURE = "memory-pressure"
    TIMEOUT = "timeout"
    LOAD = "load"


class ChaosActivity(Model):
    """One action or probe of a Chaos Toolkit run."""

    name: str
    type: str
    """``action`` or ``probe``."""
    status: str
    """As the journal says: ``succeeded``, ``failed``, ``skipped`` ..."""
    duration_s: float | None = None
    phase: Literal["steady-state-before", "method", "steady-state-after", "rollback"]
    tolerance_met: bool | None = None
    """For steady-state probes: whether the probe's tolerance was met."""
    output: str | None = None
    """Short rendering of the activity's output or exception (bounded)."""


class ChaosResult(Model):
    source: str
    """File the result came from: relative to the target, as given, or (origin ``run``) relative to
    the run folder."""
    origin: Literal["target", "given", "run"] = "target"
    """Found in the target, given on the command line, or made by ``assess``'s own experiments."""
    format: Literal["chaostoolkit", "junit", "native"]
    title: str
    family: ScenarioFamily | None = None
    """None when the result could not be mapped to a family; ``family_reason`` says why."""
    family_reason: str
    """How the family was decided: ``tag process-crash``, ``title words 'kill -9'``, ``config mapping`` ..."""
    trials: int
    successes: int
    """Trials whose outcome held (steady state met after the fault, test passed ...)."""
    inconclusive: bool = False
    """True when nothing was tested: e.g. the steady state was not met BEFORE the method, so the
    method never ran (Chaos Toolkit still says ``completed`` and not deviated)."""
    outcome_reason: str
    """Why the trials count as succeeded, failed or inconclusive, in one sentence."""
    recovery_times_s: tuple[float, ...] = ()
    """Seconds from the fault to healthy again, one per measured recovery."""
    data_loss: int | None = None
    """Records lost across the trials; None when not measured."""
    measurements: dict[str, float] = Field(default_factory=dict)
    """Other numbers the experiment's activities measured, named ``activity.key`` (e.g.
    ``sigterm-during-requests.completed``, ``write-while-full.refused``, ``requests-through-latency.p95_s``)."""
    status: str | None = None
    """The tool's own status (Chaos Toolkit: completed / failed / aborted / interrupted)."""
    deviated: bool | None = None
    started_at: str | None = None
    duration_s: float | None = None
    activities: tuple[ChaosActivity, ...] = ()
    tags: tuple[str, ...] = ()
    notes: str | None = None

    @property
    def outcome(self) -> Literal["held", "failed", "inconclusive"]:
        """``held`` when every trial held, ``failed`` when one did not, ``inconclusive`` when nothing was tested."""
        if self.inconclusive:
            return "inconclusive"
        return "held" if self.successes == self.trials else "failed"


class SuccessCriteria(Model):
    """What a scenario family must achieve (defaults from ``reliability-testing-plan.md``)."""

    family: ScenarioFamily
    min_success_rate: float = Field(ge=0, le=1)
    """Share of trials whose steady state held, 0..1."""
    max_recovery_s: float | None = Field(default=None, gt=0)
    max_data_loss: int | None = Field(default=None, ge=0)
    """Records that may be lost across all trials; None: not judged."""
    source: str = ""
    """The plan's words the defaults come from."""
    overridden: tuple[str, ...] = ()
    """Fields the target's own config changed (``[tool.assess.chaos.criteria.<family>]``)."""


class UnreadableResult(Model):
    path: str
    message: str
    """Why the file could not be read, naming the file and (where known) the line."""


class ChaosData(Model):
    results: tuple[ChaosResult, ...]
    unreadable: tuple[UnreadableResult, ...] = ()
    searched: tuple[str, ...] = ()
    """Globs searched in the target, and explicit paths given."""
    criteria: tuple[SuccessCriteria, ...] = ()
    """The success criteria in force for this target (the package's, with the target's overrides);
    empty in evidence written before criteria were recorded: the package's defaults apply."""


@register_evidence
class ChaosEvidence(Evidence):
    kind: Literal["chaos"] = "chaos"
    data: ChaosData | None = None
