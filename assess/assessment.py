"""Build the assessment document from a run folder and write the outputs beside it.

The assessment holds the run information, each evidence file's status, the measured facts, the
probes' findings, and what the rubric makes of them: grades, verdict, plan, critical untested
areas. Reading a run folder never changes it except for the outputs this module owns
(``assessment.json``, ``assessment.html``, ``findings.sarif``, ``summary.md``, ``badge.svg``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

from assess.config import apply_waivers, target_config
from assess.facts import facts
from assess.model import Assessment, Evidence, EvidenceSummary, RunInfo, Status
from assess.model.findings import Finding
from assess.model.io import ModelFileError, read_evidence, read_run_info, write_model
from assess.model.project import ProjectModel
from assess.probes import run_probes
from assess.project import build_project
from assess.report.badge import write_badge
from assess.report.html import write_html
from assess.report.markdown import write_markdown
from assess.report.sarif import write_sarif
from assess.rubric import RubricError, apply_overrides, load_rubric
from assess.rubric.plan import critical_areas, make_plan, untested_reliability_code
from assess.rubric.score import decide, grade_all


def load_evidence(run_dir: Path) -> tuple[dict[str, Evidence], list[EvidenceSummary]]:
    """Every evidence file in the run; unreadable ones are summarised as errors, not raised."""
    evidence: dict[str, Evidence] = {}
    summaries: list[EvidenceSummary] = []
    for path in sorted((run_dir / "evidence").glob("*.json")):
        rel = path.relative_to(run_dir).as_posix()
        try:
            ev = read_evidence(path, root=run_dir)
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


def build_assessment(run_dir: Path, rubric_file: Path | None = None) -> tuple[Assessment, dict[str, Evidence]]:
    """The assessment of the run in ``run_dir``, scored with ``rubric_file`` (default: the bundled rubric).

    Raises ModelFileError when run.json is unreadable."""
    run: RunInfo = read_run_info(run_dir / "run.json", root=run_dir)
    evidence, summaries = load_evidence(run_dir)
    project, findings = _model_and_probe(evidence, summaries)
    measured = facts(evidence)
    assessment = Assessment(run=run, evidence=tuple(summaries), facts=measured, project=project, findings=findings)
    return score_assessment(assessment, evidence, rubric_file), evidence


def _model_and_probe(
    evidence: Mapping[str, Evidence], summaries: list[EvidenceSummary]
) -> tuple[ProjectModel | None, tuple[Finding, ...]]:
    """The project model, then the probes' findings judged in it. A bug in either must not cost the user the whole
    report: it is an error line in the evidence summaries, and the run goes on without what failed."""
    project = None
    try:
        project = build_project(evidence)
    except Exception as err:
        reason = f"the project model could not be built ({type(err).__name__}: {err}); findings are judged without it"
        summaries.append(EvidenceSummary(kind="project", status=Status.ERROR, path="evidence/patterns.json",
                                         reason=reason))  # fmt: skip
    try:
        return project, run_probes(evidence, project=project)
    except Exception as err:  # a probe bug must not cost the user the whole report
        reason = f"the probes failed ({type(err).__name__}: {err}); no findings"
        summaries.append(
            EvidenceSummary(kind="probes", status=Status.ERROR, path="evidence/patterns.json", reason=reason)
        )
        return project, ()


def score_assessment(
    assessment: Assessment, evidence: Mapping[str, Evidence], rubric_file: Path | None = None, today: date | None = None
) -> Assessment:
    """``assessment`` with grades, verdict, plan and critical areas from the rubric and the target's config.

    A broken rubric costs the grades, not the report: ``scoring_error`` says why. A bad key of the
    target's config is left out, and ``config_problems`` says which and why.
    """
    today = today or datetime.now(UTC).date()
    config = target_config(Path(assessment.run.target))
    try:
        rubric = load_rubric(rubric_file)
    except RubricError as err:
        return assessment.model_copy(update={"scoring_error": str(err), "config_problems": config.problems})
    if config.source:
        rubric = apply_overrides(rubric, config.table, config.source)
    findings, waivers = apply_waivers(assessment.findings, config.waivers, today)
    grades = grade_all(assessment.facts, findings, evidence, rubric, assessment.project)
    changed = f"; changed by {config.source}: {', '.join(rubric.changes)}" if rubric.changes else ""
    return assessment.model_copy(
        update={
            "findings": findings,
            "grades": grades,
            "verdict": decide(grades, findings, assessment.facts, rubric),
            "plan": make_plan(findings, rubric),
            "critical_areas": critical_areas(evidence),
            "untested_reliability_code": untested_reliability_code(findings),
            "waivers": waivers,
            "rubric": f"{rubric.source}{changed}",
            "config_problems": (*config.problems, *rubric.problems),
        }
    )


def write_reports(assessment: Assessment, evidence: dict[str, Evidence], run_dir: Path) -> None:
    """Write every output drawn from ``assessment`` into ``run_dir``, each file atomically."""
    write_model(assessment, run_dir / "assessment.json")
    write_html(assessment, evidence, run_dir / "assessment.html")
    write_sarif(assessment, run_dir / "findings.sarif")
    write_markdown(assessment, run_dir / "summary.md")
    write_badge(assessment, run_dir / "badge.svg")


def write_outputs(run_dir: Path) -> Assessment:
    """Build the assessment of the run in ``run_dir`` and write its outputs (see ``write_reports``)."""
    assessment, evidence = build_assessment(run_dir)
    write_reports(assessment, evidence, run_dir)
    return assessment
