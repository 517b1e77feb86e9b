"""What static analysis learns from one file: the unit of work, of the cache and of the run's stream."""

from __future__ import annotations

from assess.model import Block, FileEntry, FileMetrics, Model, SkippedFile, TestCase
from assess.model.inventory import TestResources
from assess.model.patterns import PatternsData


class FileAnalysis(Model):
    """One file, read once and parsed once, as every static collector needs it.

    The inventory takes ``entry`` and ``tests``, the complexity collector ``metrics`` and ``blocks``,
    the patterns collector ``scan``. A part is None (or empty) when it does not apply to the file;
    a file left out on purpose says why in ``complexity_skip`` or ``patterns_skip``.
    """

    path: str
    digest: str
    """sha256 of the bytes analysed."""
    entry: FileEntry
    tests: tuple[TestCase, ...] = ()
    tests_unparsed: bool = False
    """A Python test file whose syntax does not parse: its tests are not counted."""
    test_resources: TestResources | None = None
    """The real resources a Python test or test-support file's code uses (a test that reaches one through another
    file's class or fixture is an integration test: the inventory resolves them)."""
    metrics: FileMetrics | None = None
    blocks: tuple[Block, ...] = ()
    complexity_skip: SkippedFile | None = None
    scan: PatternsData | None = None
    """The file's :class:`ScannedFile` (one) and its sites; None when the file is not scanned."""
    patterns_skip: SkippedFile | None = None
    warnings: tuple[str, ...] = ()
    """Extractors that failed on this file."""


GROUPS: tuple[tuple[str, ...], ...] = (
    ("path", "digest", "entry", "warnings"),
    ("tests", "tests_unparsed", "test_resources"),
    ("metrics", "blocks", "complexity_skip"),
    ("scan", "patterns_skip"),
)
"""A record's fields in the groups it is stored in, one JSON object per group on a line of its own (in the
run's stream and in the cache), so that a collector parses only the groups it reads: the inventory the first
two, the complexity collector the first and third, the patterns collector the first and last. Every field is
in exactly one group."""
GROUP_FIELDS = tuple(frozenset(group) for group in GROUPS)
SCAN_GROUP = 3
"""The group of the patterns scan, read by :func:`assess.model.patterns.read_scan` (last in a part's groups)."""
LINES = len(GROUPS)
"""Lines per record."""


def record_lines(record: FileAnalysis) -> str:
    """The record as its :data:`GROUPS`, one JSON object per line (no final newline)."""
    return "\n".join(record.model_dump_json(include=set(fields)) for fields in GROUP_FIELDS)


def join_groups(lines: list[str]) -> str:
    """One JSON object from the JSON objects of some groups (each non-empty, their keys disjoint)."""
    return "{" + ",".join(line.strip()[1:-1] for line in lines) + "}"
