"""Inventory collector: every file's role, language and size; test-to-source ratios; test cases.

The files are read and the test files parsed by the run's shared static analysis (``assess.static``);
this collector takes each file's entry and test cases from its records."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assess.collectors import CollectContext, register_collector
from assess.collectors.roles import CODE_LANGUAGES
from assess.collectors.testresources import classify_across_files
from assess.model import FileEntry, InventoryData, InventoryEvidence, Ratios, Role, SkippedFile, Status
from assess.static.record import FileAnalysis
from assess.static.run import StaticAnalysis, StaticSummary, analyse_in_memory, shared_analysis


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


def inventory_data(records: Iterable[FileAnalysis], summary: StaticSummary) -> InventoryData:
    """The inventory from the static analysis' records (in any order)."""
    ordered = sorted(records, key=lambda r: r.path)
    entries = tuple(r.entry for r in ordered)
    resources = {r.path: r.test_resources for r in ordered if r.test_resources is not None}
    return InventoryData(
        listing="git" if summary.listing == "git" else "walk",
        files=entries,
        tests=tuple(classify_across_files([t for r in ordered for t in r.tests], resources)),
        unparsed_test_files=tuple(r.path for r in ordered if r.tests_unparsed),
        ratios=ratios(entries),
        skipped_paths=(*summary.listing_skipped, *summary.unreadable),
        skipped_files=(
            *(
                SkippedFile(path=p, reason=summary.skipped_why.get(p, "left out by the listing"))
                for p in summary.listing_skipped
            ),
            *(
                SkippedFile(path=p, reason="could not be read as the target's own regular file")
                for p in summary.unreadable
            ),
        ),
    )


def inventory(target: Path) -> InventoryData:
    """Measure the target (in this process, without a cache). Unreadable files are skipped; test
    files that do not parse are listed."""
    records, summary = analyse_in_memory(target)
    return inventory_data(records, summary)


@register_collector("inventory", title="Inventory")
def collect_inventory(ctx: CollectContext) -> InventoryEvidence:
    static = shared_analysis(ctx)
    return static.evidence("inventory", lambda: (_evidence(static), []), InventoryEvidence.model_validate_json)


def _evidence(static: StaticAnalysis) -> InventoryEvidence:
    data = inventory_data(static.records("inventory"), static.summary)
    warnings = list(static.summary.warnings)
    if data.unparsed_test_files:
        warnings.append(f"{len(data.unparsed_test_files)} test file(s) do not parse; their tests are not counted")
    if not data.files:
        return InventoryEvidence(status=Status.OK, reason="the target has no files", data=data)
    return InventoryEvidence(status=Status.OK, data=data, warnings=tuple(warnings))
