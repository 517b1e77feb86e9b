"""The HTML report: one self-contained file, no external requests, everything escaped.

Rendering formats and orders what the assessment and evidence say; it never measures or scores.
Every text the template prints, but the markup this module makes itself, goes through
:func:`assess.report.text.visible` (:func:`shown`, the environment's ``finalize``): a bidirectional
override in a file name or a snippet shows as U+FFFD instead of reordering what is read. Links are
made only from known relative paths of the run folder (:func:`run_link`, :func:`stage_link`); any
other value (``javascript:``, ``//host``, ``../``) is shown as text.
Charts (:mod:`assess.report.charts`) are plotly figures with one inline copy of plotly.js; the
page's Content-Security-Policy allows exactly the inline scripts this module emits, by their
sha256 hashes, so markup injected through a name that escaping missed could not run script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import plotly.offline
from markupsafe import Markup

from assess._files import atomic_write_text
from assess.model import (
    Assessment,
    ComplexityEvidence,
    CoverageEvidence,
    Evidence,
    Fact,
    Finding,
    InventoryEvidence,
    StageResult,
    TestOutcome,
    TestsEvidence,
)
from assess.model.chaos import ChaosEvidence, ChaosResult, ScenarioFamily, UnreadableResult
from assess.report.charts import build_charts
from assess.report.text import has_unsafe, visible

TOP_N = 15
GROUP_TITLES = {"chaos": "Chaos experiments"}
"""Section headings that are not just the fact group's name capitalised."""
CHART_PLACES = {"grades": "grades", "coverage-by-package": "coverage", "hotspots": "complexity",
                "test-pyramid": "inventory", "chaos-outcomes": "chaos", "findings-by-severity": "findings"}  # fmt: skip
"""Chart name -> the section it is drawn in (a fact group, ``grades`` or ``findings``); a chart whose
section is not on the page is drawn in a section of its own before the findings."""
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    # plotly.js 3+ shows a "Share chart..." button by default that opens Plotly Cloud in a new window
    # and posts the figure (the target's paths and names) to it; CSP does not stop a new window.
    "showSendToCloud": False,
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "select2d", "lasso2d"],
}
BASE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The page without charts: no script at all."""
CHARTS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: blob:"
"""The page with charts, before ``script-src``. plotly draws inline styles and ``<style>`` elements
(``style-src 'unsafe-inline'``, as the page itself); its "Download plot as a PNG" button draws the
SVG through a ``blob:`` image (``img-src blob:``). It needs no eval, fonts, workers or requests
(checked in Chromium: no violation when the charts draw, hover, zoom and download)."""
_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL)
STAGE_LINKS = {"notebook": ("notebooks/", ".ipynb"), "evidence": ("evidence/", ".json")}
"""Where the pipeline writes a stage's notebook and evidence: a stage's link must point there."""


def shown(value: object) -> object:
    """What the template prints for ``value``: a text (any ``str`` but this module's own
    :class:`Markup`) through :func:`visible`, so that no control or bidirectional formatting
    character reaches the page; anything else unchanged (the template escapes it)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("assess.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=shown,
)


def fmt(value: object, unit: str = "") -> str:
    """A fact's value as shown: None is 'not measured', floats get one or two decimals."""
    if value is None:
        return "not measured"
    if isinstance(value, str):
        return value
    decimals = 1 if unit == "%" else 2
    text = f"{value:.{decimals}f}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip() if unit and unit != "%" else text + unit


_ENV.filters["fmt"] = fmt


@dataclass
class ReportView:
    """Everything the template shows, already sorted and cut to size."""

    assessment: Assessment
    fact_groups: dict[str, list[Fact]]
    stages: list[StageRow] = field(default_factory=list)
    """The run's stages with the links to their notebook and evidence (only those that pass :func:`stage_link`)."""
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    problems: dict[str, list[Finding]] = field(default_factory=dict)
    """Problems found (confirmed, in the service's own code), by category (categories in order of their worst)."""
    to_review: list[Finding] = field(default_factory=list)
    """Problems the code does not prove (likely, possible): for a person to look at; they count toward nothing."""
    outside: list[Finding] = field(default_factory=list)
    """Problems in code that is not the service (developer tooling, examples, tests): shown apart, never counted."""
    good: dict[str, list[Finding]] = field(default_factory=dict)
    """Good practices found, by category."""
    chaos: ChaosView | None = None
    """The chaos results, when there is chaos data."""
    titles: dict[str, str] = field(default_factory=lambda: dict(GROUP_TITLES))
    charts: dict[str, list[ChartView]] = field(default_factory=dict)
    """Charts by the section they are drawn in (see :data:`CHART_PLACES`)."""
    chart_failures: list[str] = field(default_factory=list)
    plotlyjs: Markup | None = None
    """plotly.js, inlined once; None when there is no chart."""
    csp: str = BASE_CSP

    @property
    def scripts(self) -> list[str]:
        """Every inline script the page holds: plotly.js, then each chart's (in :data:`CHARTS` order)."""
        charts = [script for views in self.charts.values() for c in views for script in c.scripts]
        return [str(self.plotlyjs), *charts] if self.plotlyjs is not None else charts


@dataclass(frozen=True)
class ChartView:
    name: str
    """The ``data-chart`` name (a key of :data:`assess.report.charts.CHARTS`)."""
    html: Markup
    """plotly's ``<div>`` and the ``<script>`` that draws it; the figure's JSON escapes ``<``, ``>``
    and ``/``, so nothing in it can close the script."""
    scripts: tuple[str, ...]
    """The text of each ``<script>`` in ``html``, as the browser hashes it."""


@dataclass(frozen=True)
class StageRow:
    """One stage of the run as shown; its paths come from ``run.json``, which a run folder from
    elsewhere may have written, so they are links only when :func:`stage_link` accepts them."""

    stage: StageResult
    notebook_href: str | None
    evidence_href: str | None


@dataclass(frozen=True)
class ChaosRow:
    """One chaos result as shown: every text is the target's or the tool's, escaped by the template."""

    family: str
    title: str
    trials: int
    successes: int
    outcome: str
    recovery: str
    data_loss: str
    source: str
    href: str | None
    """A link relative to assessment.html for results this run made (origin ``run``); never for
    the target's own files or paths given on the command line."""


@dataclass(frozen=True)
class ChaosView:
    rows: list[ChaosRow]
    unreadable: tuple[UnreadableResult, ...]
    searched: tuple[str, ...]


def _by_category(findings: list[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:  # already most severe first
        groups.setdefault(f.category, []).append(f)
    return groups


def _coverage_table(ev: CoverageEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    rows = sorted(ev.data.files, key=lambda f: (f.counts.percent_lines is None, f.counts.percent_lines or 0, f.path))
    return {
        "title": "Coverage by file (lowest first)",
        "columns": ["File", "Statements", "Missing", "Lines %", "Branches %"],
        "rows": [
            [
                f.path,
                f.counts.statements,
                f.counts.missing_lines,
                fmt(f.counts.percent_lines, "%"),
                "no branches" if f.counts.branches == 0 else fmt(f.counts.percent_branches, "%"),
            ]
            for f in rows
        ],
    }


def _test_run_table(ev: CoverageEvidence | None) -> dict[str, Any] | None:
    run = ev.data.test_run if ev and ev.data else None
    if run is None:
        return None
    exit_text = "killed at the timeout" if run.timed_out else str(run.exit_code)
    return {
        "title": "The test run",
        "columns": ["", ""],
        "rows": [
            ["Command", " ".join(run.command)],
            ["Interpreter", run.interpreter],
            ["Exit code", exit_text],
            ["Duration", f"{run.duration_s:.1f} s (limit {run.timeout_s:g} s)"],
            ["Output", run.output_log],
        ],
        "tail": run.output_tail,
    }


def _complexity_table(ev: ComplexityEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    blocks = sorted((b for b in ev.data.blocks if b.kind != "class"), key=lambda b: (-b.complexity, b.path, b.line))
    return {
        "title": f"Most complex functions (top {TOP_N})",
        "columns": ["Function", "Location", "Complexity", "Tool"],
        "rows": [[b.name, f"{b.path}:{b.line}", b.complexity, b.tool] for b in blocks[:TOP_N]],
    }


def _tests_table(ev: TestsEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    failing = [r for r in ev.data.results if r.outcome in (TestOutcome.FAILED, TestOutcome.ERROR)]
    shown = failing[:TOP_N] + [r for r in ev.data.slowest(TOP_N) if r not in failing]
    more = f"; {len(failing) - TOP_N} more failing tests are not shown (see evidence/tests.json)" * (
        len(failing) > TOP_N
    )
    return {
        "title": f"Failing tests (first {TOP_N}) and slowest tests{more}",
        "columns": ["Test", "Outcome", "Seconds", "Message"],
        "rows": [
            [
                f"{r.classname}::{r.name}" if r.classname else r.name,
                r.outcome.value,
                f"{r.duration_s:.3f}",
                r.message or "",
            ]
            for r in shown
        ],
    }


def _inventory_table(ev: InventoryEvidence | None) -> dict[str, Any] | None:
    if not ev or not ev.data:
        return None
    by_role = Counter((f.role.value, f.language or "-") for f in ev.data.files)
    sloc: Counter[tuple[str, str]] = Counter()
    for f in ev.data.files:
        sloc[(f.role.value, f.language or "-")] += f.sloc or 0
    return {
        "title": "Files by role and language",
        "columns": ["Role", "Language", "Files", "Source lines"],
        "rows": [[role, lang, n, sloc[(role, lang)]] for (role, lang), n in sorted(by_role.items())],
    }


def run_link(source: str) -> str | None:
    """``source`` as a relative URL inside the run folder, percent-encoded (all but ``/`` and
    unreserved characters, so ``#``, ``?``, ``%`` and spaces stay part of the path); None unless it
    is a plain relative path that stays inside the folder: segments split by ``/``, none empty (no
    leading ``/``, no ``//host``), none ``.`` or ``..``, no ``:`` in the first (no scheme, no
    drive), no ``\\``, and no control, surrogate or bidirectional formatting character (a URL parser
    drops some of those, so what is checked would not be what is followed)."""
    segments = source.split("/")
    if has_unsafe(source) or "\\" in source or ":" in segments[0]:
        return None
    if any(segment in ("", ".", "..") for segment in segments):
        return None
    return quote(source, safe="/")


def stage_link(path: str | None, kind: str) -> str | None:
    """The link to a stage's ``kind`` file (``notebook`` or ``evidence``, see :data:`STAGE_LINKS`):
    :func:`run_link` of ``path`` when ``path`` is in the folder and has the suffix the pipeline
    gives that kind of file; else None, and the path is shown as text."""
    folder, suffix = STAGE_LINKS[kind]
    if path is None or not path.startswith(folder) or not path.endswith(suffix):
        return None
    return run_link(path)


def _stage_rows(stages: Iterable[StageResult]) -> list[StageRow]:
    return [StageRow(s, stage_link(s.notebook, "notebook"), stage_link(s.evidence, "evidence")) for s in stages]


def _recovery(times: tuple[float, ...]) -> str:
    if not times:
        return fmt(None)
    worst = fmt(max(times), "s")
    return worst if len(times) == 1 else f"{worst} (worst of {len(times)})"


def _chaos_row(r: ChaosResult) -> ChaosRow:
    return ChaosRow(
        family=r.family.value if r.family else f"unmapped ({r.family_reason})",
        title=r.title,
        trials=r.trials,
        successes=r.successes,
        outcome=f"inconclusive: {r.outcome_reason}" if r.inconclusive else r.outcome_reason,
        recovery=_recovery(r.recovery_times_s),
        data_loss=fmt(r.data_loss),
        source=r.source,
        href=run_link(r.source) if r.origin == "run" else None,
    )


def _chaos_view(ev: ChaosEvidence | None) -> ChaosView | None:
    if not ev or not ev.data:
        return None
    order = {f: n for n, f in enumerate(ScenarioFamily)}
    results = sorted(ev.data.results, key=lambda r: (order[r.family] if r.family else len(order), r.source, r.title))
    return ChaosView([_chaos_row(r) for r in results], ev.data.unreadable, ev.data.searched)


def chart_view(name: str, figure: Any) -> ChartView:
    """``figure`` as markup for the page (plotly.js not included), with a fixed element id so the
    page is the same for the same assessment."""
    config = {**PLOTLY_CONFIG, "toImageButtonOptions": {"filename": name}}
    markup = figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}", config=config)
    return ChartView(name, Markup(markup), tuple(_SCRIPT.findall(markup)))  # noqa: S704 (plotly's own markup)


def script_hash(script: str) -> str:
    """The CSP source expression allowing exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(scripts: Iterable[str]) -> str:
    """:data:`BASE_CSP` for a page without scripts; else :data:`CHARTS_CSP` with ``script-src``
    allowing exactly ``scripts`` by their hashes."""
    hashes = list(dict.fromkeys(script_hash(s) for s in scripts))
    return f"{CHARTS_CSP}; script-src {' '.join(hashes)}" if hashes else BASE_CSP


def _charts(view: ReportView, evidence: dict[str, Evidence]) -> None:
    figures, view.chart_failures = build_charts(view.assessment, evidence)
    sections = {"grades", "findings", *view.fact_groups}
    for name, figure in figures.items():
        place = CHART_PLACES.get(name, "other")
        view.charts.setdefault(place if place in sections else "other", []).append(chart_view(name, figure))
    if figures:
        view.plotlyjs = Markup(plotly.offline.get_plotlyjs())  # noqa: S704 (the package's own plotly.js)
    view.csp = content_security_policy(view.scripts)


def build_view(assessment: Assessment, evidence: dict[str, Evidence]) -> ReportView:
    groups: dict[str, list[Fact]] = {}
    for f in assessment.facts:
        groups.setdefault(f.key.split(".", 1)[0], []).append(f)
    coverage = evidence.get("coverage")
    tables = {
        "inventory": [_inventory_table(evidence.get("inventory"))],  # type: ignore[arg-type]
        "coverage": [_coverage_table(coverage), _test_run_table(coverage)],  # type: ignore[arg-type]
        "tests": [_tests_table(evidence.get("tests"))],  # type: ignore[arg-type]
        "complexity": [_complexity_table(evidence.get("complexity"))],  # type: ignore[arg-type]
    }
    view = ReportView(
        assessment,
        groups,
        stages=_stage_rows(assessment.run.stages),
        tables={k: [t for t in v if t] for k, v in tables.items()},
        problems=_by_category([f for f in assessment.findings if f.kind == "problem" and f.outside is None
                               and f.confidence == "confirmed"]),
        to_review=[f for f in assessment.findings if f.to_review],
        outside=[f for f in assessment.findings if f.kind == "problem" and f.outside],
        good=_by_category([f for f in assessment.findings if f.kind == "good"]),
        chaos=_chaos_view(evidence.get("chaos")),  # type: ignore[arg-type]
    )
    _charts(view, evidence)
    return view


def render_html(view: ReportView) -> str:
    return _ENV.get_template("report.html.j2").render(view=view, a=view.assessment)


def write_html(assessment: Assessment, evidence: dict[str, Evidence], path: Path) -> None:
    """Render and write atomically: a failure leaves no partial file."""
    atomic_write_text(path, render_html(build_view(assessment, evidence)))
