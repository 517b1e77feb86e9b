"""Chaos evidence: reading fault-injection results, and the success criteria per scenario family."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from assess.model.chaos import ScenarioFamily

CRITERIA_FILE = Path(__file__).with_name("criteria.toml")


@dataclass(frozen=True)
class SuccessCriteria:
    """What a scenario family must achieve (defaults from ``reliability-testing-plan.md``)."""

    family: ScenarioFamily
    min_success_rate: float
    """Share of trials whose steady state held, 0..1."""
    max_recovery_s: float | None = None
    max_data_loss: int | None = None
    """Records that may be lost across all trials; None: not judged."""
    source: str = ""
    """The plan's words the defaults come from."""


def load_criteria(override: Path | None = None) -> dict[ScenarioFamily, SuccessCriteria]:
    """The package's criteria per family, with a target's TOML ``override`` merged field by field.

    Raises ``ValueError`` naming the file for an unknown family or field, ``OSError`` if unreadable.
    """
    tables = tomllib.loads(CRITERIA_FILE.read_text(encoding="utf-8"))
    if override is not None:
        for name, fields in tomllib.loads(override.read_text(encoding="utf-8")).items():
            if name not in tables or not isinstance(fields, dict):
                raise ValueError(f"{override}: [{name}] is not a scenario family")
            tables[name] = {**tables[name], **fields}
    out: dict[ScenarioFamily, SuccessCriteria] = {}
    for name, fields in tables.items():
        family = ScenarioFamily(name)
        try:
            out[family] = SuccessCriteria(family=family, **fields)
        except TypeError as err:
            raise ValueError(f"{override or CRITERIA_FILE}: [{name}]: {err}") from None
    return out
