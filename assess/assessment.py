"""Build the assessment document from a run folder and write the outputs beside it.

For now the assessment holds the run information, each evidence file's status and the measured
facts; grades, findings and the plan slot in here later. Reading a run folder never changes it
except for the outputs this module owns (``assessment.json``, ``assessment.html``).
"""

from __future__ import annotations

from pathlib import Path

from assess.facts import facts
from assess.model import Assessment, Evidence, EvidenceSummary, RunInfo, Status
from assess.model.io import ModelFileError, read_evidence, read_run_info, write_model
from assess.probes import run_probes
from assess.report.html import write_html


def load_evidence(run_dir: Path) -> tuple[dict[str, Evidence], list[EvidenceSummary]]:
    """Every evidence file in the run; unreadable ones are summarised as errors, not raised."""
    evidence: dict[str, Evidence] = {}
    summaries: list[EvidenceSummary] = []
    for path in sorted((run_dir / "evidence").glob("*.json")):
        rel = path.relative_to(run_dir).as_posix()
        try:
            ev = read_evidence(path)
        except ModelFileError as err:
            summaries.append(EvidenceSummary(kind=path.stem, status=Status.ERROR, reason=str(err), path=rel))
            continue
        evidence[ev.kind] = ev
        summaries.append(
            EvidenceSummary(
                kind=ev.kind,
                status=ev.status,
                reason=ev.reason,
                warnings=ev.warnings,
                tool_versions=ev.tool_versions,
                path=rel,
            )
        )
    return evidence, summaries


def build_assessment(run_dir: Path) -> tuple[Assessment, dict[str, Evidence]]:
    """The assessment of the run in ``run_dir``. Raises ModelFileError when run.json is unreadable."""
    run: RunInfo = read_run_info(run_dir / "run.json")
    evidence, summaries = load_evidence(run_dir)
    try:
        findings = run_probes(evidence)
    except Exception as err:  # a probe bug must not cost the user the whole report
        findings = ()
        reason = f"the probes failed ({type(err).__name__}: {err}); no findings"
        summaries.append(
            EvidenceSummary(kind="probes", status=Status.ERROR, path="evidence/patterns.json", reason=reason)
        )
    return Assessment(run=run, evidence=tuple(summaries), facts=facts(evidence), findings=findings), evidence


def write_outputs(run_dir: Path) -> Assessment:
    """Build the assessment and write ``assessment.json`` and ``assessment.html`` atomically."""
    assessment, evidence = build_assessment(run_dir)
    write_model(assessment, run_dir / "assessment.json")
    write_html(assessment, evidence, run_dir / "assessment.html")
    return assessment
