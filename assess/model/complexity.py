"""Complexity evidence: radon for Python, lizard for other languages."""

from __future__ import annotations

from typing import Literal

from assess.model.base import Model
from assess.model.evidence import Evidence, register_evidence
from assess.model.inventory import SkippedFile


class Halstead(Model):
    """radon's Halstead totals for a file."""

    h1: int
    h2: int
    N1: int
    N2: int
    vocabulary: int
    length: int
    calculated_length: float
    volume: float
    difficulty: float
    effort: float
    time: float
    bugs: float


class Block(Model):
    """A function, method or class with its cyclomatic complexity."""

    path: str
    name: str
    """As the tool names it: radon's ``Class.method`` / ``function``; lizard's long name."""
    kind: Literal["function", "method", "class"]
    line: int
    end_line: int
    complexity: int
    tool: Literal["radon", "lizard"]
    nloc: int | None = None
    """Lines of code in the block (lizard only)."""
    parameters: int | None = None
    """Parameter count (lizard only)."""


class FileMetrics(Model):
    path: str
    language: str
    tool: Literal["radon", "lizard"]
    error: str | None = None
    """Why the file could not be analysed (syntax error, too large ...); other fields are then None."""
    mi: float | None = None
    """Maintainability index (radon, multi-line strings counted as comments, as ``radon mi`` does)."""
    loc: int | None = None
    lloc: int | None = None
    sloc: int | None = None
    comments: int | None = None
    multi: int | None = None
    blank: int | None = None
    single_comments: int | None = None
    halstead: Halstead | None = None
    nloc: int | None = None
    """Non-comment lines of code (lizard)."""


class ComplexityData(Model):
    files: tuple[FileMetrics, ...]
    blocks: tuple[Block, ...]
    skipped: tuple[SkippedFile, ...] = ()
    """Code files not measured on purpose (vendored, generated, minified, too large), each with the rule."""


@register_evidence
class ComplexityEvidence(Evidence):
    kind: Literal["complexity"] = "complexity"
    data: ComplexityData | None = None
