"""The envelope every collector writes, and the registry of evidence kinds."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import Field

from assess.model.base import SCHEMA_VERSION, Model, Status


class Evidence(Model):
    """What one collector found about the target: facts only, never grades.

    Subclasses fix ``kind`` and the type of ``data``.
    """

    schema_version: int = SCHEMA_VERSION
    """Version of the JSON layout (see :data:`assess.model.base.SCHEMA_VERSION`)."""
    kind: str
    """Which collector wrote this (``inventory``, ``coverage`` ...)."""
    status: Status
    """ok, error or skipped."""
    reason: str | None = None
    """Why the status is error or skipped, in one sentence a user can act on."""
    warnings: tuple[str, ...] = ()
    """Things that did not stop the collector but limit what its data means."""
    tool_versions: dict[str, str] = Field(default_factory=dict)
    """Versions of the tools that produced the data (radon, coverage, pytest ...)."""
    duration_s: float | None = None
    """Wall-clock time the collector took, in seconds."""
    data: Any = None
    """The facts; ``None`` when nothing could be measured."""


E = TypeVar("E", bound=type[Evidence])

EVIDENCE_TYPES: dict[str, type[Evidence]] = {}
"""Evidence kind -> its model class; filled by :func:`register_evidence`."""


def register_evidence(cls: E) -> E:
    """Class decorator: make an evidence kind readable by :func:`assess.model.io.read_evidence`."""
    kind = cls.__pydantic_fields__["kind"].default
    if not isinstance(kind, str):
        raise TypeError(f"{cls.__name__}.kind needs a string default")
    EVIDENCE_TYPES[kind] = cls
    return cls
