"""Tables (pandas) and charts (plotly) of evidence, for notebooks. Presentation only.

Every text in what this module shows or returns (table cells, even inside lists and dicts, chart
labels, printed lines) has its control and bidirectional formatting characters replaced by U+FFFD
(:func:`assess.report.text.visible`), as in the HTML report: a file named ``admin\u202egnp.py`` must
not show as ``adminyp.png``, and an ESC in a reason must not drive the notebook's output. The
evidence files keep the exact text.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from assess.model import (
    Assessment,
    ComplexityEvidence,
    CoverageEvidence,
    Evidence,
    InventoryEvidence,
    PatternsEvidence,
    TestsEvidence,
)
from assess.model.chaos import ChaosEvidence
from assess.report.charts import GRADE_COLORS, NOT_GRADED, build_charts, label
from assess.report.text import visible


def shown(value: Any) -> Any:
    """``value`` with every text in it (dict keys and values, list and tuple items, at any depth)
    passed through :func:`visible`; anything else unchanged."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {shown(k): shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(shown(v) for v in value)
    return value


def frame(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """A table of ``rows`` (one dict each) with every text :func:`shown`."""
    return pd.DataFrame([shown(dict(row)) for row in rows], columns=columns)


def status_line(ev: Evidence) -> str:
    """The evidence's kind, status, reason and warnings, one line each, as :func:`visible` text."""
    text = f"{ev.kind}: {ev.status.value}"
    if ev.reason:
        text += f": {ev.reason}"
    for w in ev.warnings:
        text += f"\n  warning: {w}"
    return visible(text)


def inventory_frames(ev: InventoryEvidence) -> dict[str, pd.DataFrame]:
    if not ev.data:
        return {}
    files = frame(f.model_dump(mode="json") for f in ev.data.files)
    tests = frame(t.model_dump(mode="json") for t in ev.data.tests)
    frames = {"files": files, "tests": tests, "ratios": frame([ev.data.ratios.model_dump()])}
    if not files.empty:
        frames["by_role"] = (
            files.groupby(["role", "language"], dropna=False)
            .agg(files=("path", "count"), sloc=("sloc", "sum"))
            .reset_index()
        )
    return frames


def coverage_frames(ev: CoverageEvidence) -> dict[str, pd.DataFrame]:
    if not ev.data:
        return {}
    if ev.data.totals is None:
        return {}
    rows = [{"path": f.path, **f.counts.model_dump()} for f in ev.data.files]
    regions = [
        {"path": f.path, "name": r.name, "kind": r.kind, "line": r.start_line, **r.counts.model_dump()}
        for f in ev.data.files
        for r in f.regions
    ]
    return {"totals": frame([ev.data.totals.model_dump()]), "files": frame(rows), "regions": frame(regions)}


def tests_frames(ev: TestsEvidence) -> dict[str, pd.DataFrame]:
    if not ev.data:
        return {}
    results = frame(r.model_dump(mode="json") for r in ev.data.results)
    return {"results": results, "slowest": frame(r.model_dump(mode="json") for r in ev.data.slowest())}


def complexity_frames(ev: ComplexityEvidence) -> dict[str, pd.DataFrame]:
    if not ev.data:
        return {}
    return {
        "blocks": frame(b.model_dump() for b in ev.data.blocks),
        "files": frame(f.model_dump(exclude={"halstead"}) for f in ev.data.files),
    }


def patterns_frames(ev: PatternsEvidence) -> dict[str, pd.DataFrame]:
    if not ev.data:
        return {}
    sites = frame(s.model_dump() for s in ev.data.sites)
    files = frame(f.model_dump(mode="json") for f in ev.data.files)
    return {"sites": sites, "files": files}


def chaos_frames(ev: ChaosEvidence) -> dict[str, pd.DataFrame]:
    if not ev.data:
        return {}
    results = frame(
        [
            {
                "family": r.family.value if r.family else "(unmapped)",
                "title": r.title,
                "outcome": r.outcome,
                "trials": r.trials,
                "successes": r.successes,
                "recovery_s": max(r.recovery_times_s) if r.recovery_times_s else None,
                "data_loss": r.data_loss,
                "reason": r.outcome_reason,
                "source": r.source,
                "origin": r.origin,
            }
            for r in ev.data.results
        ]
    )
    measurements = frame(
        {"source": r.source, "measurement": k, "value": v} for r in ev.data.results for k, v in r.measurements.items()
    )
    unreadable = frame(u.model_dump() for u in ev.data.unreadable)
    return {"results": results, "measurements": measurements, "unreadable": unreadable}


def findings_frame(assessment: Assessment) -> pd.DataFrame:
    """The probes' findings, one row each (problems and good practices)."""
    return frame(f.model_dump(mode="json", exclude={"snippet"}) for f in assessment.findings)


def _figures(kind: str, frames: dict[str, pd.DataFrame]) -> list[go.Figure]:
    figs: list[go.Figure] = []
    if kind == "inventory" and "by_role" in frames:
        figs.append(px.bar(frames["by_role"], x="role", y="sloc", color="language", title="Source lines by role"))
        if not frames["tests"].empty:
            figs.append(px.histogram(frames["tests"], x="kind", title="Test cases by kind"))
    elif kind == "coverage" and not frames.get("files", pd.DataFrame()).empty:
        df = frames["files"].sort_values("percent_lines")
        df = df.assign(path=df["path"].map(label))  # plotly reads <b>, <a href> ... in tick labels
        figs.append(px.bar(df, x="percent_lines", y="path", orientation="h", title="Line coverage by file (%)"))
    elif kind == "tests" and not frames.get("results", pd.DataFrame()).empty:
        figs.append(px.histogram(frames["results"], x="outcome", title="Test outcomes"))
    elif kind == "patterns" and not frames.get("sites", pd.DataFrame()).empty:
        figs.append(px.histogram(frames["sites"], x="kind", title="Pattern sites by kind"))
    elif kind == "chaos" and not frames.get("results", pd.DataFrame()).empty:
        colors = {"held": "#2e7d32", "failed": "#c62828", "inconclusive": "#9e9e9e"}
        figs.append(px.histogram(frames["results"], y="family", color="outcome", orientation="h",
                                 color_discrete_map=colors, title="Chaos experiments by scenario family"))  # fmt: skip
    elif kind == "complexity" and not frames.get("blocks", pd.DataFrame()).empty:
        figs.append(px.histogram(frames["blocks"], x="complexity", title="Cyclomatic complexity of functions"))
    return figs


FRAMES: dict[str, Callable[[Any], dict[str, pd.DataFrame]]] = {
    "inventory": inventory_frames,
    "coverage": coverage_frames,
    "tests": tests_frames,
    "complexity": complexity_frames,
    "patterns": patterns_frames,
    "chaos": chaos_frames,
}


def show(ev: Evidence, rows: int = 20) -> dict[str, pd.DataFrame]:
    """Display the evidence's status, its tables (first ``rows`` rows) and charts; returns the tables."""
    from IPython.display import display

    print(status_line(ev))
    frames = FRAMES[ev.kind](ev) if ev.kind in FRAMES else {}
    for name, frame in frames.items():
        print(f"\n{name} ({len(frame)} rows)")
        display(frame.head(rows))
    for fig in _figures(ev.kind, frames):
        fig.show()
    return frames


def grade_card_frame(assessment: Assessment) -> pd.DataFrame:
    """The grade card, one row per category in rubric order: a grade, or N/A / not measured / off."""
    rows = [
        {
            "category": g.category,
            "critical": g.critical,
            "grade": g.grade or NOT_GRADED[g.status],
            "points": g.points,
            "findings": g.findings,
            "notes": " ".join((*g.notes, g.reason or "")).strip(),
        }
        for g in assessment.grades
    ]
    return frame(rows, columns=["category", "critical", "grade", "points", "findings", "notes"])


def _grade_style(grade: str) -> str:
    color = GRADE_COLORS.get(grade)  # type: ignore[call-overload]
    return f"background-color: {color}; color: white; font-weight: bold" if color else "color: #57606a"


def show_grade_card(assessment: Assessment) -> Any:
    """Display the grade card as a styled table (every text escaped); returns the pandas Styler."""
    from IPython.display import display

    styler = (
        grade_card_frame(assessment)
        .style.hide(axis="index")
        .format(escape="html", precision=2, na_rep="")
        .map(_grade_style, subset=["grade"])
        .set_properties(subset=["notes"], **{"text-align": "left", "white-space": "normal"})
    )
    display(styler)
    return styler


def verdict_html(assessment: Assessment) -> str:
    """The verdict and what decided it, as escaped HTML; or why there is none."""
    if assessment.verdict is None:
        why = assessment.scoring_error or "the rubric was not applied"
        return f"<p><strong>No verdict</strong>: {_html(why)}</p>"
    reasons = "".join(f"<li>{_html(r)}</li>" for r in assessment.verdict.reasons)
    return f"<p><strong>Verdict: {_html(assessment.verdict.decision)}</strong></p><ul>{reasons}</ul>"


def _html(text: str) -> str:
    return html.escape(visible(text))


def show_assessment(assessment: Assessment, evidence: Mapping[str, Evidence] | None = None) -> pd.DataFrame:
    """Display the verdict, the grade card, the charts (those that need evidence only when ``evidence``
    is given), the run's stages, the measured facts and the findings; returns the facts table."""
    from IPython.display import HTML, display

    display(HTML(verdict_html(assessment)))
    if assessment.grades:
        show_grade_card(assessment)
    figures, failures = build_charts(assessment, evidence or {})
    for failure in failures:
        print(visible(failure))
    for figure in figures.values():
        display(figure)
    display(frame(s.model_dump(mode="json") for s in assessment.run.stages))
    columns = ["key", "label", "value", "unit", "note", "source"]
    table = frame((f.model_dump(mode="json") for f in assessment.facts), columns=columns)
    display(table)
    findings = findings_frame(assessment)
    if not findings.empty:
        display(findings[["severity", "kind", "category", "title", "path", "line", "tested", "waived", "message"]])
    return table
