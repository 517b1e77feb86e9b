"""Charts (plotly figures) of an assessment and its evidence, for the HTML report and the notebooks.

Presentation only: every number is counted from the evidence or read from the assessment as it is.
A chart whose evidence is missing is not drawn (its function returns None); it is never drawn from
zeros. Each function takes the assessment and the evidence by kind, so :data:`CHARTS` can hold them
all and adding a chart is one function and one decorator.

Everything from the target (paths, function names, categories of a custom rubric) goes through
:func:`label` before it reaches a figure: plotly draws a subset of HTML (``<b>``, ``<a href>``,
``<br>`` ...) in titles, ticks, legends and hover text, so an unescaped name could bold, link or hide
text. Plotly decodes ``&lt; &gt; &amp;`` and numeric entities in text, but not ``&quot;``, so quotes
are left alone (outside a tag they are plain text to plotly). :func:`label` also marks control and
bidirectional formatting characters (:func:`assess.report.text.visible`): the figure's JSON writes
them as ``\u202e`` escapes, which the browser decodes and draws.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, TypeVar

import plotly.graph_objects as go

from assess.model import Assessment, Block, ComplexityData, CoverageData, Evidence, InventoryData, TestKind
from assess.model.chaos import ChaosData, ScenarioFamily
from assess.model.findings import Severity
from assess.model.grades import Grade
from assess.report.text import visible
from assess.rubric import POINTS
from assess.rubric.plan import block_coverage

D = TypeVar("D")
ChartFunction = Callable[[Assessment, Mapping[str, Evidence]], Any]
"""(assessment, evidence by kind) -> a ``go.Figure``, or None when its evidence is missing."""
CHARTS: dict[str, ChartFunction] = {}
"""Chart name (the report's ``data-chart``) -> the function that draws it, in the order shown."""

MAX_LABEL = 48
"""Longer names are cut (keeping their end, the file or function) on axes; hover shows them whole."""
MAX_PACKAGES = 30
TOP_LEVEL = "./ (top level)"
"""The package of files at the target's root (no directory path looks like it)."""
FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif'
GRADE_COLORS: dict[Grade, str] = {"A": "#1a7f37", "B+": "#2da44e", "B": "#6fbf3f", "C+": "#d4a72c",
                                  "C": "#bf8700", "D": "#e16f24", "F": "#cf222e"}  # fmt: skip
OUTCOME_COLORS = {"held": "#2e7d32", "failed": "#c62828", "inconclusive": "#9e9e9e"}
SEVERITY_COLORS = {Severity.CRITICAL: "#82071e", Severity.HIGH: "#cf222e", Severity.MEDIUM: "#bf8700",
                   Severity.LOW: "#54aeff", Severity.INFO: "#8c959f"}  # fmt: skip
NOT_GRADED = {"not-applicable": "N/A", "not-measured": "not measured", "disabled": "off"}
"""How a category without a grade is shown (as the report's grade card says it)."""


def register_chart(name: str) -> Callable[[ChartFunction], ChartFunction]:
    def add(fn: ChartFunction) -> ChartFunction:
        CHARTS[name] = fn
        return fn

    return add


def label(text: str) -> str:
    """``text`` as plotly shows it literally: ``<``, ``>`` and ``&`` escaped as entities, control and
    bidirectional formatting characters replaced by U+FFFD."""
    return html.escape(visible(text), quote=False)


def short_labels(names: Sequence[str], width: int = MAX_LABEL) -> list[str]:
    """Escaped axis labels, long ones cut to their last ``width`` characters; a cut that would make
    two labels alike is not made (alike labels would merge two bars on a category axis)."""
    cut = [name if len(name) <= width else "…" + name[-(width - 1) :] for name in names]
    seen = Counter(cut)
    return [label(c if seen[c] == 1 else n) for c, n in zip(cut, names, strict=True)]


def _data(evidence: Mapping[str, Evidence], kind: str, cls: type[D]) -> D | None:
    """The ``kind`` evidence's data when it is there and of type ``cls``; else None (no chart)."""
    ev = evidence.get(kind)
    return ev.data if ev is not None and isinstance(ev.data, cls) else None


def _source(assessment: Assessment, kind: str) -> str:
    return next((e.path for e in assessment.evidence if e.kind == kind), f"evidence/{kind}.json")


def _figure(title: str, source: str, height: int, traces: Iterable[Any]) -> Any:
    """A figure in the report's look; ``title`` and ``source`` are ours (already escaped where needed)."""
    return go.Figure(
        data=list(traces),
        layout={
            "title": {"text": f"{title}<br><sup>{source}</sup>", "x": 0, "xanchor": "left"},
            "template": "plotly_white",
            "font": {"family": FONT, "size": 12},
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 64, "b": 40},
            "legend": {
                "orientation": "h",
                "traceorder": "normal",
                "x": 1,
                "xanchor": "right",
                "y": 1.01,
                "yanchor": "bottom",
            },
        },
    )


@register_chart("grades")
def grades_chart(assessment: Assessment, evidence: Mapping[str, Evidence]) -> Any:
    """Each category's grade as points (F 0 .. A 4); categories without a grade as words, not bars."""
    if not assessment.grades:
        return None
    graded = [g for g in assessment.grades if g.grade is not None]
    others = [g for g in assessment.grades if g.grade is None]
    shown = short_labels([g.category + " (critical)" * g.critical for g in assessment.grades])
    names = dict(zip(assessment.grades, shown, strict=True))
    bars = go.Bar(
        name="grade",
        orientation="h",
        y=[names[g] for g in graded],
        x=[POINTS[g.grade] for g in graded if g.grade],
        text=[g.grade for g in graded],
        textposition="outside",
        marker={"color": [GRADE_COLORS[g.grade] for g in graded if g.grade]},
        customdata=[[label(g.category), "critical" if g.critical else "not critical", g.points] for g in graded],
        hovertemplate="%{customdata[0]} (%{customdata[1]}): %{text}, %{customdata[2]:.2f} points<extra></extra>",
    )
    words = go.Scatter(
        name="no grade",
        mode="text",
        y=[names[g] for g in others],
        x=[0] * len(others),
        text=[NOT_GRADED[g.status] for g in others],
        textposition="middle right",
        textfont={"color": "#57606a"},
        customdata=[[label(g.category), label(g.reason or "")] for g in others],
        hovertemplate="%{customdata[0]}: %{text}<br>%{customdata[1]}<extra></extra>",
    )
    fig = _figure("Grade by category", "grades by the rubric, assessment.json", 90 + 26 * len(assessment.grades),
                  [bars, words])  # fmt: skip
    ticks = sorted(POINTS.items(), key=lambda kv: kv[1])
    fig.update_xaxes(range=[0, 4.4], tickvals=[p for _, p in ticks], ticktext=[g for g, _ in ticks], title="grade")
    fig.update_yaxes(categoryorder="array", categoryarray=[names[g] for g in assessment.grades], autorange="reversed")
    fig.update_layout(showlegend=False)
    return fig


def package_counts(coverage: CoverageData) -> dict[str, tuple[int, int]]:
    """Directory -> (covered, missing) statements summed over its files (not its subdirectories)."""
    out: dict[str, tuple[int, int]] = {}
    for f in coverage.files:
        parent = PurePosixPath(f.path).parent.as_posix()
        package = TOP_LEVEL if parent == "." else parent
        covered, missing = out.get(package, (0, 0))
        out[package] = (covered + f.counts.covered_lines, missing + f.counts.missing_lines)
    return out


@register_chart("coverage-by-package")
def coverage_by_package_chart(assessment: Assessment, evidence: Mapping[str, Evidence]) -> Any:
    """Statements covered and missing per directory, the least covered on top."""
    data = _data(evidence, "coverage", CoverageData)
    if data is None or data.totals is None or not data.files:
        return None
    counts = package_counts(data)
    # Least covered first; directories with no statements (nothing to cover) last.
    order = sorted(counts, key=lambda p: (counts[p][0] / sum(counts[p]) if sum(counts[p]) else 2.0, p))
    shown = order[:MAX_PACKAGES]
    names = short_labels(shown)
    cut = f" ({len(shown)} least covered of {len(order)})" if len(order) > len(shown) else ""
    traces = [
        go.Bar(name=part, orientation="h", y=names, x=[counts[p][i] for p in shown], marker={"color": color},
               customdata=[[label(p), counts[p][i], sum(counts[p])] for p in shown],
               hovertemplate=f"%{{customdata[0]}}: %{{customdata[1]}} of %{{customdata[2]}} statements {part}"
                             "<extra></extra>")
        for i, (part, color) in enumerate((("covered", "#2e7d32"), ("missing", "#c62828")))
    ]  # fmt: skip
    source = f"statements per directory, {label(_source(assessment, 'coverage'))}"
    fig = _figure("Coverage by package" + cut, source, 140 + 24 * len(shown), traces)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="statements")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def joined_blocks(complexity: ComplexityData, coverage: CoverageData) -> list[tuple[Block, float | None]]:
    """Every function or method with the share (0..1) of its statements the tests executed, joined as
    the rubric joins them for CRAP (:func:`assess.rubric.plan.block_coverage`); None where coverage
    does not say (file not measured, no statements in the span)."""
    # One file per lookup: the join scans the file list, which is slow on large trees.
    by_path = {f.path: coverage.model_copy(update={"files": (f,)}) for f in coverage.files}
    return [
        (b, block_coverage(by_path[b.path], b.path, b.line, b.end_line) if b.path in by_path else None)
        for b in complexity.blocks
        if b.kind != "class"
    ]


@register_chart("hotspots")
def hotspots_chart(assessment: Assessment, evidence: Mapping[str, Evidence]) -> Any:
    """One point per function: coverage (x) against cyclomatic complexity (y); the critical areas
    the rubric ranked are drawn apart."""
    blocks = _data(evidence, "complexity", ComplexityData)
    coverage = _data(evidence, "coverage", CoverageData)
    if blocks is None or coverage is None or coverage.totals is None:
        return None
    joined = joined_blocks(blocks, coverage)
    points = [(b, share) for b, share in joined if share is not None]
    if not points:
        return None
    critical = {(a.path, a.line, a.name) for a in assessment.critical_areas}
    traces = []
    for name, color, members in (
        ("function", "#0969da", [p for p in points if (p[0].path, p[0].line, p[0].name) not in critical]),
        ("critical area", "#cf222e", [p for p in points if (p[0].path, p[0].line, p[0].name) in critical]),
    ):
        traces.append(go.Scatter(
            name=name, mode="markers", x=[100 * share for _, share in members], y=[b.complexity for b, _ in members],
            marker={"color": color, "opacity": 0.6, "size": 8},
            customdata=[[label(b.name), label(f"{b.path}:{b.line}")] for b, _ in members],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>complexity %{y}, %{x:.0f}% of statements "
                          "executed<extra></extra>",
        ))  # fmt: skip
    unknown = len(joined) - len(points)
    source = (f"{label(_source(assessment, 'complexity'))} joined with {label(_source(assessment, 'coverage'))}"
              + (f"; {unknown} function(s) without coverage data not shown" if unknown else ""))  # fmt: skip
    fig = _figure("Complexity against coverage", source, 460, traces)
    fig.update_xaxes(title="statements executed by the tests (%)", range=[-3, 103])
    fig.update_yaxes(title="cyclomatic complexity", rangemode="tozero")
    return fig


PYRAMID = (TestKind.PERFORMANCE, TestKind.E2E, TestKind.INTEGRATION, TestKind.UNIT)
"""Top to bottom; performance tests sit outside the pyramid and are drawn in another colour."""


@register_chart("test-pyramid")
def pyramid_chart(assessment: Assessment, evidence: Mapping[str, Evidence]) -> Any:
    """Test functions by kind as a centred pyramid (unit at the base); None when no tests were found."""
    data = _data(evidence, "inventory", InventoryData)
    if data is None or not data.tests:
        return None
    kinds = Counter(t.kind for t in data.tests)
    cases = Counter[TestKind]()
    for t in data.tests:
        cases[t.kind] += t.expanded or 1
    bars = go.Bar(
        orientation="h",
        y=[k.value for k in PYRAMID],
        x=[kinds[k] for k in PYRAMID],
        base=[-kinds[k] / 2 for k in PYRAMID],
        text=[str(kinds[k]) for k in PYRAMID],
        textposition="outside",
        marker={"color": ["#8250df" if k is TestKind.PERFORMANCE else "#0969da" for k in PYRAMID]},
        customdata=[cases[k] for k in PYRAMID],
        hovertemplate="%{y}: %{text} test functions, %{customdata} cases after known parametrize expansion"
        "<extra></extra>",
    )
    source = f"test functions by kind (marker, path), read statically, {label(_source(assessment, 'inventory'))}"
    fig = _figure("Test pyramid", source, 260, [bars])
    fig.update_xaxes(visible=False)
    fig.update_yaxes(autorange="reversed")  # unit at the base
    fig.update_layout(showlegend=False)
    return fig


@register_chart("chaos-outcomes")
def chaos_outcomes_chart(assessment: Assessment, evidence: Mapping[str, Evidence]) -> Any:
    """Chaos results (experiment runs or scenarios) per family: held, failed or inconclusive."""
    data = _data(evidence, "chaos", ChaosData)
    if data is None or not data.results:
        return None
    counts: Counter[tuple[str, str]] = Counter(
        (r.family.value if r.family else "(unmapped)", r.outcome) for r in data.results
    )
    families = [f.value for f in ScenarioFamily if any(k[0] == f.value for k in counts)]
    families += ["(unmapped)"] * any(k[0] == "(unmapped)" for k in counts)
    traces = [
        go.Bar(name=outcome, orientation="h", y=families, x=[counts[(f, outcome)] for f in families],
               marker={"color": color}, hovertemplate=f"%{{y}}: %{{x}} {outcome}<extra></extra>")
        for outcome, color in OUTCOME_COLORS.items()
    ]  # fmt: skip
    fig = _figure("Chaos experiments by scenario family", f"results, {label(_source(assessment, 'chaos'))}",
                  150 + 28 * len(families), traces)  # fmt: skip
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="results", dtick=1)
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


@register_chart("findings-by-severity")
def findings_chart(assessment: Assessment, evidence: Mapping[str, Evidence]) -> Any:
    """Problems found per category and severity. Waived problems are left out (the title says how
    many); good practices are not problems and are not counted."""
    problems = [f for f in assessment.findings if f.kind == "problem"]
    counted = [f for f in problems if not f.waived]
    if not counted:
        return None
    categories = list(dict.fromkeys(f.category for f in counted))  # most severe first, as the findings are
    counts = Counter((f.category, f.severity) for f in counted)
    names = short_labels(categories)
    traces = [
        go.Bar(name=sev.value, orientation="h", y=names, x=[counts[(c, sev)] for c in categories],
               marker={"color": SEVERITY_COLORS[sev]}, hovertemplate=f"%{{y}}: %{{x}} {sev.value}<extra></extra>")
        for sev in Severity
    ]  # fmt: skip
    waived = len(problems) - len(counted)
    source = "problems found by the probes, assessment.json" + (f"; {waived} waived not counted" if waived else "")
    fig = _figure("Findings by category and severity", source, 150 + 26 * len(categories), traces)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="problems")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def build_charts(assessment: Assessment, evidence: Mapping[str, Evidence]) -> tuple[dict[str, Any], list[str]]:
    """The charts that can be drawn, by name in :data:`CHARTS` order, and why any chart failed.

    A chart that raises costs that chart, not the report; the reason names the chart and the error.
    """
    figures: dict[str, Any] = {}
    failures = []
    for name, draw in CHARTS.items():
        try:
            fig = draw(assessment, evidence)
        except Exception as err:  # a chart bug on odd evidence must not cost the report
            failures.append(f"chart {name} could not be drawn ({type(err).__name__}: {err})")
            continue
        if fig is not None:
            figures[name] = fig
    return figures, failures
