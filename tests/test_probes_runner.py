"""The probe runner: rules data fills the findings, and coverage says whether the tests execute them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import CoverageData, CoverageEvidence, FileCoverage, PatternsEvidence, Status
from assess.probes import executed, run_probes
from assess.rules import default_rules

from .test_coverage_run import COUNTS_STUB

CLIENT = "import urllib.request\n\n\ndef fetch(url):\n    return urllib.request.urlopen(url)\n"


def _coverage(path: str, executed_lines: tuple[int, ...], missing: tuple[int, ...]) -> CoverageData:
    return CoverageData(origin="run", branch=False, totals=COUNTS_STUB,
                        files=(FileCoverage(path=path, counts=COUNTS_STUB, executed_lines=executed_lines,
                                            missing_lines=missing),))  # fmt: skip


@pytest.mark.parametrize(
    ("executed_lines", "missing", "line", "end", "expected"),
    [
        ((1, 4), (5,), 5, 5, False),  # the call never ran
        ((1, 4, 5), (), 5, 5, True),
        ((1, 4), (5,), 4, 5, True),  # any executed statement in the span counts
        ((1, 4), (5,), 2, 3, None),  # blank lines: coverage cannot say
    ],
)
def test_executed(executed_lines, missing, line, end, expected):
    assert executed(_coverage("a.py", executed_lines, missing), "a.py", line, end) is expected


def test_executed_is_unknown_without_coverage_or_for_unmeasured_files():
    assert executed(None, "a.py", 1, 1) is None
    assert executed(_coverage("a.py", (1,), ()), "other.py", 1, 1) is None


def test_finding_from_rules_data_and_coverage(tmp_path: Path):
    (tmp_path / "client.py").write_text(CLIENT)
    data, _ = scan(tmp_path)
    evidence = {
        "patterns": PatternsEvidence(status=Status.OK, data=data),
        "coverage": CoverageEvidence(status=Status.OK, data=_coverage("client.py", (1, 4), (5,))),
    }
    (finding,) = [f for f in run_probes(evidence) if f.rule == "reliability.http-no-timeout"]
    rule = default_rules()["reliability.http-no-timeout"]
    assert (finding.path, finding.line, finding.severity, finding.category) == ("client.py", 5, rule.severity,
                                                                                rule.category)  # fmt: skip
    assert finding.title == rule.title and finding.effort_hours == rule.effort_hours
    assert finding.recommendation == rule.recommendation
    assert "urlopen" in finding.snippet
    assert finding.tested is False
    assert finding.message.endswith("The tests never execute client.py:5.")


def test_no_patterns_evidence_means_no_findings():
    assert run_probes({}) == ()
    assert run_probes({"patterns": PatternsEvidence(status=Status.ERROR, reason="x")}) == ()
