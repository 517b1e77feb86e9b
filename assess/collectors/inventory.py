"""Inventory collector: every file's role, language and size; test-to-source ratios; test cases."""

from __future__ import annotations

from pathlib import Path

from assess.collectors import CollectContext, register_collector
from assess.collectors.listing import Listing, list_files
from assess.collectors.roles import CODE_LANGUAGES, HEAD_BYTES, classify, count_sloc
from assess.collectors.testcases import find_python_tests
from assess.model import FileEntry, InventoryData, InventoryEvidence, Ratios, Role, Status, TestCase

MAX_READ_BYTES = 4 * 1024 * 1024
"""Files larger than this are listed and classified by name but not line-counted."""


def _entry(target: Path, rel: str) -> tuple[FileEntry, str | None]:
    """The file's entry and, when it is readable text, its text."""
    path = target / rel
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    cls = classify(rel, head)
    text = None
    lines = sloc = None
    if cls.role is not Role.BINARY and size <= MAX_READ_BYTES:
        text = path.read_bytes().decode("utf-8", errors="replace")
        lines, sloc = count_sloc(text, cls.language)
    entry = FileEntry(
        path=rel, role=cls.role, language=cls.language, size_bytes=size, lines=lines, sloc=sloc, role_reason=cls.reason
    )
    return entry, text


def ratios(files: tuple[FileEntry, ...]) -> Ratios:
    """Test-to-source ratios over code files: tests are role ``test``, sources role ``source``.

    Test support (conftest, helpers, fixtures) is in neither count.
    """
    code = [f for f in files if f.language in CODE_LANGUAGES]
    tests = [f for f in code if f.role is Role.TEST]
    sources = [f for f in code if f.role is Role.SOURCE]
    test_sloc = sum(f.sloc or 0 for f in tests)
    source_sloc = sum(f.sloc or 0 for f in sources)
    return Ratios(
        test_files=len(tests),
        source_files=len(sources),
        test_sloc=test_sloc,
        source_sloc=source_sloc,
        files_ratio=len(tests) / len(sources) if sources else None,
        lines_ratio=test_sloc / source_sloc if source_sloc else None,
    )


def inventory(target: Path, listing: Listing | None = None) -> InventoryData:
    """Measure the target. Unreadable files are skipped; test files that do not parse are listed."""
    listing = listing or list_files(target)
    files: list[FileEntry] = []
    tests: list[TestCase] = []
    unparsed: list[str] = []
    skipped = list(listing.skipped)
    for rel in listing.paths:
        try:
            entry, text = _entry(target, rel)
        except OSError:
            skipped.append(rel)
            continue
        files.append(entry)
        if entry.role is Role.TEST and entry.language == "Python" and text is not None:
            try:
                tests.extend(find_python_tests(rel, text))
            except (SyntaxError, ValueError):
                unparsed.append(rel)
    entries = tuple(files)
    return InventoryData(
        listing=listing.method,
        files=entries,
        tests=tuple(tests),
        unparsed_test_files=tuple(unparsed),
        ratios=ratios(entries),
        skipped_paths=tuple(skipped),
    )


@register_collector("inventory", title="Inventory")
def collect_inventory(ctx: CollectContext) -> InventoryEvidence:
    listing = list_files(ctx.target)
    data = inventory(ctx.target, listing)
    warnings = list(listing.warnings)
    if data.unparsed_test_files:
        warnings.append(f"{len(data.unparsed_test_files)} test file(s) do not parse; their tests are not counted")
    if not data.files:
        return InventoryEvidence(status=Status.OK, reason="the target has no files", data=data)
    return InventoryEvidence(status=Status.OK, data=data, warnings=tuple(warnings))
