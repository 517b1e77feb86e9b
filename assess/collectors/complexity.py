"""Complexity collector: radon for Python, lizard for the other languages it reads.

Only files whose role is ``source`` are measured (tests, vendored and generated code are not; each
such code file is listed in ``skipped`` with its reason). The measuring is done per file by the run's
shared static analysis (:mod:`assess.static.complexity`, in :mod:`assess.static`'s workers); this module
gathers its records into the complexity evidence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from assess.collectors import CollectContext, register_collector
from assess.model import Block, ComplexityData, ComplexityEvidence, FileMetrics, Role, SkippedFile, Status
from assess.static.complexity import tool_for, tool_versions
from assess.static.record import FileAnalysis
from assess.static.run import StaticAnalysis, shared_analysis


def complexity_data(records: Iterable[FileAnalysis]) -> tuple[ComplexityData, list[str]]:
    """Complexity from the static analysis' records (in any order): (data sorted by path then line, warnings)."""
    files: list[FileMetrics] = []
    blocks: list[Block] = []
    skipped: list[SkippedFile] = []
    unmeasured: Counter[str] = Counter()
    for record in records:
        if record.metrics is not None:
            files.append(record.metrics)
            blocks.extend(record.blocks)
        elif record.complexity_skip is not None:
            skipped.append(record.complexity_skip)
        elif record.entry.role is Role.SOURCE and tool_for(record.path, record.entry.language) is None:
            unmeasured[record.entry.language or "unknown"] += 1
    warnings: list[str] = []
    if unmeasured:
        langs = ", ".join(f"{lang} {n}" for lang, n in sorted(unmeasured.items()))
        warnings.append(f"{sum(unmeasured.values())} source file(s) in languages neither radon nor lizard measures "
                        f"({langs})")  # fmt: skip
    if skipped:
        warnings.append(f"{len(skipped)} code file(s) not measured on purpose (vendored, generated, minified or too "
                        "large); each is listed with its reason")  # fmt: skip
    if failed := sum(1 for f in files if f.error):
        warnings.append(f"{failed} of {len(files)} source file(s) could not be analysed; see each file's error")
    data = ComplexityData(
        files=tuple(sorted(files, key=lambda f: f.path)),
        blocks=tuple(sorted(blocks, key=lambda b: (b.path, b.line, b.name))),
        skipped=tuple(sorted(skipped, key=lambda f: f.path)),
    )
    return data, warnings


@register_collector("complexity", title="Complexity")
def collect_complexity(ctx: CollectContext) -> ComplexityEvidence:
    """Cyclomatic complexity per block and size, Halstead and MI per file, for the target's source files.

    Skipped when the target has no source file that radon or lizard reads. Files that cannot be
    analysed are listed with an ``error`` and counted in a warning; they do not fail the run.
    """
    static = shared_analysis(ctx)
    return static.evidence("complexity", lambda: (_evidence(static), []), ComplexityEvidence.model_validate_json)


def _evidence(static: StaticAnalysis) -> ComplexityEvidence:
    data, warnings = complexity_data(static.records("complexity"))
    warnings = [*static.summary.warnings, *warnings]
    if not data.files:
        return ComplexityEvidence(
            status=Status.SKIPPED,
            reason="no source files to analyse",
            data=data if data.skipped else None,
            warnings=tuple(warnings),
            tool_versions=tool_versions(),
        )
    return ComplexityEvidence(status=Status.OK, data=data, warnings=tuple(warnings), tool_versions=tool_versions())
