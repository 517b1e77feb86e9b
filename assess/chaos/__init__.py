"""Chaos evidence: reading fault-injection results, and the success criteria per scenario family."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from assess.model.chaos import ChaosData, ScenarioFamily, SuccessCriteria

CRITERIA_FILE = Path(__file__).with_name("criteria.toml")
FIELDS = ("min_success_rate", "max_recovery_s", "max_data_loss")
"""What a target may override; ``source`` stays the package's."""

__all__ = ["CRITERIA_FILE", "SuccessCriteria", "criteria_in_force", "load_criteria"]


def load_criteria(
    override: Path | Mapping[str, object] | None = None, *, where: str | None = None
) -> dict[ScenarioFamily, SuccessCriteria]:
    """The package's criteria per family, with ``override`` (a TOML file, or tables already read,
    family -> fields) merged field by field.

    Raises ``ValueError`` naming ``where`` (or the file) for an unknown family or field or a value
    out of range, ``OSError`` if the file is unreadable.
    """
    tables = tomllib.loads(CRITERIA_FILE.read_text(encoding="utf-8"))
    if isinstance(override, Path):
        where = where or str(override)
        override = tomllib.loads(override.read_text(encoding="utf-8"))
    where = where or "criteria"
    changed: dict[str, tuple[str, ...]] = {}
    for name, fields in (override or {}).items():
        if name not in tables or not isinstance(fields, Mapping):
            raise ValueError(f"{where}: [{name}] is not a scenario family ({', '.join(tables)})")
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"{where}: [{name}]: unknown field(s) {', '.join(sorted(unknown))} ({', '.join(FIELDS)})")
        tables[name] = {**tables[name], **fields}
        changed[name] = tuple(f for f in FIELDS if f in fields)
    out: dict[ScenarioFamily, SuccessCriteria] = {}
    for name, fields in tables.items():
        family = ScenarioFamily(name)
        try:
            out[family] = SuccessCriteria(family=family, overridden=changed.get(name, ()), **fields)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"{where}: [{name}] {field}: {first['msg']}") from None
    return out


def criteria_in_force(data: ChaosData | None) -> dict[ScenarioFamily, SuccessCriteria]:
    """The criteria the chaos evidence recorded, else the package's defaults."""
    if data is not None and data.criteria:
        return {c.family: c for c in data.criteria}
    return load_criteria()
