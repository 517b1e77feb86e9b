"""Inventory evidence: every file's role, language and size, and the tests defined statically."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from assess.model.base import Model
from assess.model.evidence import Evidence, register_evidence


class Role(StrEnum):
    """What a file is for. The rules that assign roles are in :mod:`assess.collectors.roles`."""

    SOURCE = "source"
    TEST = "test"
    TEST_SUPPORT = "test_support"
    CONFIG = "config"
    DOCS = "docs"
    GENERATED = "generated"
    VENDORED = "vendored"
    BINARY = "binary"
    OTHER = "other"


class TestKind(StrEnum):
    """Level of a test case in the test pyramid."""

    __test__ = False

    UNIT = "unit"
    INTEGRATION = "integration"
    E2E = "e2e"
    PERFORMANCE = "performance"


class FileEntry(Model):
    """One file of the target."""

    path: str
    """Path relative to the target root, with forward slashes."""
    role: Role
    language: str | None = None
    """Language name (``Python``, ``TypeScript`` ...), or None when not a known language."""
    size_bytes: int
    lines: int | None = None
    """Physical lines; None for binary or unread (too large) files."""
    sloc: int | None = None
    """Lines that are neither blank nor comment-only (see docs/metrics.md)."""
    role_reason: str
    """The rule that assigned the role, e.g. ``name matches test_*.py``."""


class SkippedFile(Model):
    """A file an analysis left out on purpose, and the rule that left it out."""

    path: str
    reason: str
    """``vendored (inside vendor/)``, ``larger than 2 MiB``, ``generated (name matches *_pb2.py)`` ..."""


class TestCase(Model):
    """A test case found by reading (not running) a test file."""

    __test__ = False  # keep pytest from collecting this class

    path: str
    name: str
    """``test_x``, ``TestClass::test_x``."""
    line: int
    style: Literal["pytest-function", "pytest-method", "unittest"]
    kind: TestKind
    kind_reason: str
    """Why this kind: ``marker integration``, ``path tests/e2e/``, ``default``."""
    markers: tuple[str, ...] = ()
    parametrized: bool = False
    expanded: int | None = 1
    """Cases after parametrize expansion; None when it cannot be known statically."""
    bases: tuple[str, ...] = ()
    """The test's class's base classes (last name), to follow to a base that uses a real resource."""
    fixtures: tuple[str, ...] = ()
    """The pytest fixtures the test asks for by argument name."""
    helpers: tuple[str, ...] = ()
    """The imported functions the test calls (dotted: ``tests.utils.run_server``)."""


class TestResource(Model):
    """A real resource test code uses: a Redis or database server, a server it starts, a process, containers."""

    __test__ = False

    what: str
    """``a real Redis``, ``a real database``, ``a real server``, ``a real process``, ``containers``, ``a browser``."""
    kind: TestKind
    """The kind it makes a test that uses it."""
    call: str
    line: int


class TestResources(Model):
    """What real resources a test or test-support module's code uses (:mod:`assess.collectors.testresources`)."""

    __test__ = False

    module: tuple[TestResource, ...] = ()
    """Used at module level (a client made at import): every test of the module uses it."""
    all: tuple[TestResource, ...] = ()
    classes: tuple[str, ...] = ()
    """Classes of the module whose code uses a resource (a base test case that connects to Redis in setUp)."""
    fixtures: tuple[str, ...] = ()
    """Fixtures of the module that use a resource."""
    functions: tuple[str, ...] = ()
    """Module-level functions of the module that use a resource (fixtures and helpers)."""
    bases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Each class of the module -> its base classes (last name)."""


class Ratios(Model):
    """Test-to-source ratios over code files (see docs/metrics.md for the rule)."""

    test_files: int
    source_files: int
    test_sloc: int
    source_sloc: int
    files_ratio: float | None
    """test_files / source_files; None when there are no source files."""
    lines_ratio: float | None
    """test_sloc / source_sloc; None when there is no source code."""


class InventoryData(Model):
    """Everything the inventory collector measured."""

    listing: Literal["git", "walk"]
    """``git``: files from ``git ls-files``; ``walk``: a directory walk with default excludes."""
    files: tuple[FileEntry, ...]
    tests: tuple[TestCase, ...]
    unparsed_test_files: tuple[str, ...] = ()
    """Test files whose syntax Python could not parse; their tests are not counted."""
    ratios: Ratios
    skipped_paths: tuple[str, ...] = ()
    """Entries left out on purpose: symlinks leaving the target, special files."""
    skipped_files: tuple[SkippedFile, ...] = ()
    """The entries of ``skipped_paths``, each with why it was left out (a symlink, a file reached through a
    symlinked folder, a hard link with names outside the listing, a special file, a name that is not UTF-8, a
    file that could not be read)."""

    @property
    def test_definitions(self) -> int:
        """Test functions and methods as written (a parametrized test counts once)."""
        return len(self.tests)

    @property
    def test_cases_expanded(self) -> int:
        """Cases after known parametrize expansion; unknown expansions count once."""
        return sum(t.expanded or 1 for t in self.tests)

    @property
    def unknown_expansions(self) -> int:
        return sum(1 for t in self.tests if t.expanded is None)


@register_evidence
class InventoryEvidence(Evidence):
    kind: Literal["inventory"] = "inventory"
    data: InventoryData | None = None
