"""Patterns collector: where patterns are in the target's source, test and config files.

Each file is read and parsed once by the run's shared static analysis (``assess.static``): Python
through ``ast``, JavaScript and TypeScript through tree-sitter, configuration through YAML/JSON/TOML
parsers and a Dockerfile reader, and every registered extractor runs on the parsed file there.
This collector gathers those sites and runs the extractors about the repository as a whole (lock
files, CI, runbooks), which need every file's role. A file that does not parse is recorded with the
parser's message; an extractor that fails on a file is a warning; a file left out on purpose (too
large, vendored, generated) is listed with the rule. Nothing in the target stops the collector.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from pathlib import Path

from assess.collectors import CollectContext, register_collector
from assess.model import Status
from assess.model.inventory import SkippedFile
from assess.model.patterns import PatternsData, PatternsEvidence, ScannedFile, Site, read_patterns_evidence
from assess.patterns import Read, RepoFiles, load_extractors
from assess.static.record import FileAnalysis
from assess.static.run import StaticAnalysis, StaticSummary, analyse_in_memory, shared_analysis

TOOLS = ("tree-sitter", "tree-sitter-javascript", "tree-sitter-typescript", "bandit", "pyyaml")
MAX_WARNINGS = 50


def patterns_data(
    root: Path, records: Iterable[FileAnalysis], summary: StaticSummary, reads: list[Read] | None = None
) -> tuple[PatternsData, list[str]]:
    """Every pattern site from the static analysis' records (in any order) and the repository extractors;
    what those read is added to ``reads``."""
    files: list[ScannedFile] = []
    sites: list[Site] = []
    skipped: list[SkippedFile] = []
    warnings = list(summary.warnings)
    roles = {}
    for record in records:
        roles[record.path] = record.entry.role
        if record.scan is not None:
            files.extend(record.scan.files)
            sites.extend(record.scan.sites)
        if record.patterns_skip is not None:
            skipped.append(record.patterns_skip)
        warnings.extend(record.warnings)
    repo = RepoFiles(root=root, roles=roles)
    for extract in load_extractors()["repo"]:
        try:
            sites.extend(extract(repo))
        except Exception as err:  # an extractor bug must not lose the others
            warnings.append(f"{extract.__module__}.{extract.__name__} failed on the repository: "
                            f"{type(err).__name__}: {err}")  # fmt: skip
    if reads is not None:
        reads.extend(repo.reads)
    if skipped:
        warnings.append(f"{len(skipped)} file(s) not scanned on purpose (vendored, generated or too large); "
                        "each is listed with its reason")  # fmt: skip
    data = PatternsData(
        files=tuple(sorted(files, key=lambda f: f.path)),
        sites=tuple(sorted(sites, key=lambda s: (s.path, s.line, s.kind))),
        skipped=tuple(sorted(skipped, key=lambda f: f.path)),
    )
    return data, warnings


def scan(root: Path) -> tuple[PatternsData, list[str]]:
    """Every pattern site in the repository at ``root`` (in this process, without a cache), and warnings."""
    records, summary = analyse_in_memory(root)
    return patterns_data(root, records, summary)


def _versions() -> dict[str, str]:
    out = {}
    for name in TOOLS:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


@register_collector("patterns", title="Patterns")
def collect_patterns(ctx: CollectContext) -> PatternsEvidence:
    static = shared_analysis(ctx)
    return static.evidence("patterns", lambda: _evidence(ctx, static), read_patterns_evidence)


def _evidence(ctx: CollectContext, static: StaticAnalysis) -> tuple[PatternsEvidence, list[Read]]:
    reads: list[Read] = []
    records = static.records()
    data, warnings = patterns_data(ctx.target, records, static.summary, reads)
    if unparsed := sum(1 for f in data.files if not f.parsed):
        warnings.insert(0, f"{unparsed} file(s) could not be parsed; they are listed with the parser's message")
    if len(warnings) > MAX_WARNINGS:
        warnings = [*warnings[: MAX_WARNINGS - 1], f"... and {len(warnings) - MAX_WARNINGS + 1} more warning(s)"]
    evidence = PatternsEvidence(status=Status.OK, data=data, warnings=tuple(warnings), tool_versions=_versions())
    return evidence, reads
