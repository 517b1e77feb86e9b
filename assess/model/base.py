"""Base class, status and schema version shared by every model."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# The version of every JSON document assess writes. Bump it, and say why here, whenever a
# field is renamed, removed or changes meaning; adding an optional field does not need a bump.
#   1: first version (evidence for inventory, coverage, tests, complexity; run info; assessment
#      holding run info, evidence summaries and measured facts).
SCHEMA_VERSION = 1


class Model(BaseModel):
    """Immutable, strict base: unknown fields are an error, so a malformed file is caught on read."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Status(StrEnum):
    """How a stage ended."""

    OK = "ok"
    """The stage ran and its data is complete."""
    ERROR = "error"
    """The stage failed; ``reason`` says why. Data, if present, is partial."""
    SKIPPED = "skipped"
    """The stage did not run (not applicable, or switched off); ``reason`` says why."""
