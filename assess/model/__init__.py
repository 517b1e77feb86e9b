"""The typed, schema-versioned data that flows between stages.

Every file ``assess`` writes (evidence, run info, assessment) is one of these models,
serialised by :mod:`assess.model.io`.
"""

from __future__ import annotations

from assess.model.base import SCHEMA_VERSION, Model, Status
from assess.model.complexity import Block, ComplexityData, ComplexityEvidence, FileMetrics, Halstead
from assess.model.coverage import (
    CoverageCounts,
    CoverageData,
    CoverageEvidence,
    FileCoverage,
    RegionCoverage,
    TestRun,
)
from assess.model.evidence import EVIDENCE_TYPES, Evidence, register_evidence
from assess.model.findings import Finding, Severity
from assess.model.inventory import (
    FileEntry,
    InventoryData,
    InventoryEvidence,
    Ratios,
    Role,
    SkippedFile,
    TestCase,
    TestKind,
)
from assess.model.outcomes import TestOutcome, TestResult, TestsData, TestsEvidence
from assess.model.patterns import PatternsData, PatternsEvidence, ScannedFile, Site, register_site
from assess.model.run import Assessment, EvidenceSummary, Fact, RunInfo, RunParameters, StageResult

__all__ = [
    "EVIDENCE_TYPES",
    "SCHEMA_VERSION",
    "Assessment",
    "Block",
    "ComplexityData",
    "ComplexityEvidence",
    "CoverageCounts",
    "CoverageData",
    "CoverageEvidence",
    "Evidence",
    "EvidenceSummary",
    "Fact",
    "FileCoverage",
    "FileEntry",
    "FileMetrics",
    "Finding",
    "Halstead",
    "InventoryData",
    "InventoryEvidence",
    "Model",
    "PatternsData",
    "PatternsEvidence",
    "Ratios",
    "RegionCoverage",
    "Role",
    "RunInfo",
    "RunParameters",
    "ScannedFile",
    "Severity",
    "Site",
    "SkippedFile",
    "StageResult",
    "Status",
    "TestCase",
    "TestKind",
    "TestOutcome",
    "TestResult",
    "TestRun",
    "TestsData",
    "TestsEvidence",
    "register_evidence",
    "register_site",
]
