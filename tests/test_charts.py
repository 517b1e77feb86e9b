"""Charts: their numbers are the evidence's, missing evidence draws nothing, target names show as text,
and the report page holds one plotly.js, one figure per chart and a CSP allowing exactly its scripts."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import plotly.io as pio
import plotly.offline
import pytest

from assess.facts import facts
from assess.model import (
    Assessment,
    Block,
    ComplexityData,
    ComplexityEvidence,
    CoverageCounts,
    CoverageData,
    CoverageEvidence,
    Evidence,
    FileCoverage,
    Finding,
    InventoryData,
    InventoryEvidence,
    Ratios,
    RunInfo,
    RunParameters,
    Severity,
    Status,
    TestCase,
    TestKind,
)
from assess.model.chaos import ChaosData, ChaosEvidence, ChaosResult, ScenarioFamily
from assess.model.grades import CategoryGrade, CriticalArea
from assess.report import charts
from assess.report.html import BASE_CSP, CHART_PLACES, build_view, render_html
from assess.rubric import POINTS
from assess.rubric.plan import block_coverage

BREAKOUT = "</script><script>alert(1)</script>.py"
HOSTILE_NAME = "<b>f</b> %{x} &lt;i&gt;"


def _counts(covered: int, missing: int) -> CoverageCounts:
    total = covered + missing
    pct = 100 * covered / total if total else None
    return CoverageCounts(statements=total, covered_lines=covered, missing_lines=missing, percent_lines=pct,
                          percent_covered=pct)  # fmt: skip


def _file(path: str, executed: range, missing: range) -> FileCoverage:
    return FileCoverage(path=path, counts=_counts(len(executed), len(missing)), executed_lines=tuple(executed),
                        missing_lines=tuple(missing))  # fmt: skip


COVERAGE_FILES = (
    _file("app.py", range(1, 11), range(11, 13)),
    _file("pkg/a.py", range(1, 5), range(5, 21)),
    _file("pkg/b.py", range(1, 31), range(0)),
    _file("pkg/sub/c.py", range(1, 3), range(3, 9)),
    _file(BREAKOUT, range(1, 4), range(4, 5)),
)


def coverage_evidence(files: tuple[FileCoverage, ...] = COVERAGE_FILES) -> CoverageEvidence:
    totals = _counts(sum(f.counts.covered_lines for f in files), sum(f.counts.missing_lines for f in files))
    return CoverageEvidence(status=Status.OK, data=CoverageData(origin="run", branch=False, totals=totals, files=files))


def _block(path: str, name: str, line: int, end: int, cc: int, kind: str = "function") -> Block:
    return Block(path=path, name=name, kind=kind, line=line, end_line=end, complexity=cc, tool="radon")  # type: ignore[arg-type]


BLOCKS = (
    _block("app.py", "main", 1, 12, 3),
    _block("pkg/a.py", "Parser", 1, 20, 9, kind="class"),  # classes are not points
    _block("pkg/a.py", "Parser.parse", 2, 20, 8, kind="method"),
    _block("pkg/b.py", "helper", 1, 30, 1),
    _block(BREAKOUT, HOSTILE_NAME, 1, 4, 2),
    _block("unmeasured.py", "lost", 1, 9, 12),  # no coverage for the file: not a point
)


def complexity_evidence(blocks: tuple[Block, ...] = BLOCKS) -> ComplexityEvidence:
    return ComplexityEvidence(status=Status.OK, data=ComplexityData(files=(), blocks=blocks))


def _test(name: str, kind: TestKind, expanded: int | None = 1) -> TestCase:
    return TestCase(path="tests/test_x.py", name=name, line=1, style="pytest-function", kind=kind,
                    kind_reason="default", expanded=expanded)  # fmt: skip


TESTS = (
    *(_test(f"test_u{n}", TestKind.UNIT) for n in range(7)),
    _test("test_p", TestKind.UNIT, expanded=4),
    _test("test_i1", TestKind.INTEGRATION),
    _test("test_i2", TestKind.INTEGRATION, expanded=None),
    _test("test_e", TestKind.E2E),
)


def inventory_evidence(tests: tuple[TestCase, ...] = TESTS) -> InventoryEvidence:
    ratios = Ratios(test_files=1, source_files=1, test_sloc=1, source_sloc=1, files_ratio=1, lines_ratio=1)
    return InventoryEvidence(status=Status.OK, data=InventoryData(listing="walk", files=(), tests=tests, ratios=ratios))


def _chaos(title: str, family: ScenarioFamily | None, successes: int, *, inconclusive: bool = False) -> ChaosResult:
    return ChaosResult(source=f"chaos/{title}.json", format="native", title=title, family=family, family_reason="tag",
                       trials=2, successes=successes, inconclusive=inconclusive, outcome_reason="why")  # fmt: skip


CHAOS = (
    _chaos("crash-1", ScenarioFamily.PROCESS_CRASH, 2),
    _chaos("crash-2", ScenarioFamily.PROCESS_CRASH, 1),
    _chaos("term", ScenarioFamily.GRACEFUL_TERMINATION, 2),
    _chaos("disk", ScenarioFamily.DISK_EXHAUSTION, 0, inconclusive=True),
    _chaos(BREAKOUT, None, 0),
)


def chaos_evidence() -> ChaosEvidence:
    return ChaosEvidence(status=Status.OK, data=ChaosData(results=CHAOS))


def _finding(category: str, severity: Severity, *, kind: str = "problem", waived: str | None = None) -> Finding:
    return Finding(rule="r", category=category, severity=severity, kind=kind, message="m", path=BREAKOUT, line=1,  # type: ignore[arg-type]
                   waived=waived)  # fmt: skip


FINDINGS = (
    _finding("Security", Severity.CRITICAL),
    _finding("Error Handling", Severity.HIGH),
    _finding("Security", Severity.HIGH),
    _finding("Security", Severity.HIGH, waived="accepted until 2027-01-01"),
    _finding("Error Handling", Severity.MEDIUM),
    _finding("Observability", Severity.LOW),
    _finding("Observability", Severity.INFO),
    _finding("Observability", Severity.INFO, kind="good"),
)


def _grade(category: str, status: str, grade: str | None = None, reason: str | None = None) -> CategoryGrade:
    points = POINTS[grade] + 0.2 if grade and grade != "A" else (4.0 if grade else None)  # type: ignore[index]
    return CategoryGrade(category=category, status=status, grade=grade, points=points, critical=category == "Security",  # type: ignore[arg-type]
                         weight=1.0, reason=reason)  # fmt: skip


GRADES = (
    _grade("Test Coverage", "graded", "C+"),
    _grade("Security", "graded", "A"),
    _grade("Chaos Engineering", "not-measured", reason="no chaos evidence"),
    _grade("Data Durability", "not-applicable", reason="no persistence sites"),
    _grade("Performance Testing", "disabled", reason="switched off in pyproject.toml"),
    _grade("Maintainability", "graded", "F"),
    _grade(HOSTILE_NAME, "graded", "D"),
)


def assessment(**update: Any) -> Assessment:
    run = RunInfo(assess_version="0", run_id="r", target="/t", target_name="t", started_at="2026-01-01T00:00:00Z",
                  parameters=RunParameters(target="/t"), python="3.11", platform="linux")  # fmt: skip
    base = Assessment(run=run, evidence=(), facts=(), findings=FINDINGS, grades=GRADES)
    return base.model_copy(update=update)


def all_evidence() -> dict[str, Evidence]:
    return {"coverage": coverage_evidence(), "complexity": complexity_evidence(), "inventory": inventory_evidence(),
            "chaos": chaos_evidence()}  # fmt: skip


def strings(value: Any) -> list[str]:
    """Every string in a figure's JSON (values, labels, titles, hover templates and custom data)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def figure_json(fig: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(pio.to_json(fig))
    data["layout"].pop("template", None)
    return data


# --- grades ---------------------------------------------------------------------------------------


def test_grades_are_points_and_ungraded_categories_are_words_not_zero():
    fig = charts.grades_chart(assessment(), {})
    bars, words = fig.data
    graded = [g for g in GRADES if g.grade]
    assert list(bars.x) == [POINTS[g.grade] for g in graded]  # type: ignore[index]
    assert list(bars.text) == [g.grade for g in graded]
    assert list(bars.y) == ["Test Coverage", "Security (critical)", "Maintainability", charts.label(HOSTILE_NAME)]
    assert list(words.y) == ["Chaos Engineering", "Data Durability", "Performance Testing"]
    assert list(words.text) == ["not measured", "N/A", "off"]
    assert not set(words.y) & set(bars.y)
    assert len(fig.layout.yaxis.categoryarray) == len(GRADES)


def test_no_grades_no_grade_chart():
    assert charts.grades_chart(assessment(grades=()), {}) is None


# --- coverage by package --------------------------------------------------------------------------


def test_package_sums_equal_the_coverage_files():
    fig = charts.coverage_by_package_chart(assessment(), {"coverage": coverage_evidence()})
    covered, missing = fig.data
    assert (covered.name, missing.name) == ("covered", "missing")
    by_package = {y: (c, m) for y, c, m in zip(covered.y, covered.x, missing.x, strict=True)}
    hostile = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;"  # the breakout file's directory, escaped
    assert by_package == {charts.TOP_LEVEL: (10, 2), "pkg": (34, 16), "pkg/sub": (2, 6), hostile: (3, 1)}
    assert sum(covered.x) == sum(f.counts.covered_lines for f in COVERAGE_FILES)
    assert sum(missing.x) == sum(f.counts.missing_lines for f in COVERAGE_FILES)
    assert list(covered.y) == ["pkg/sub", "pkg", hostile, charts.TOP_LEVEL]  # least covered first


def test_many_packages_show_the_least_covered_and_say_so():
    files = tuple(_file(f"p{n:02}/m.py", range(1, n + 2), range(100, 110)) for n in range(40))
    fig = charts.coverage_by_package_chart(assessment(), {"coverage": coverage_evidence(files)})
    assert len(fig.data[0].y) == charts.MAX_PACKAGES
    assert list(fig.data[0].y)[:2] == ["p00", "p01"]
    assert f"{charts.MAX_PACKAGES} least covered of 40" in fig.layout.title.text


@pytest.mark.parametrize(
    "evidence",
    [
        {},
        {"coverage": CoverageEvidence(status=Status.ERROR, reason="tests timed out")},
        {"coverage": CoverageEvidence(status=Status.OK, data=CoverageData(origin="run", branch=False, totals=None))},
        {"coverage": coverage_evidence(files=())},
    ],
    ids=["absent", "error", "no-totals", "no-files"],
)
def test_no_coverage_no_coverage_charts(evidence: dict[str, Evidence]):
    evidence = {**evidence, "complexity": complexity_evidence()}
    assert charts.coverage_by_package_chart(assessment(), evidence) is None
    assert charts.hotspots_chart(assessment(), evidence) is None


# --- hotspots -------------------------------------------------------------------------------------


def test_one_point_per_joined_function_with_the_rubrics_join():
    area = CriticalArea(path="pkg/a.py", line=2, name="Parser.parse", complexity=8, coverage=0.2, crap=40, reason="r")
    fig = charts.hotspots_chart(assessment(critical_areas=(area,)), all_evidence())
    data = coverage_evidence().data
    assert data is not None
    joined = [(b, block_coverage(data, b.path, b.line, b.end_line)) for b in BLOCKS if b.kind != "class"]
    expected = [(b, share) for b, share in joined if share is not None]
    points = [(y, x, c) for trace in fig.data for x, y, c in zip(trace.x, trace.y, trace.customdata, strict=True)]
    assert len(points) == len(expected) == 4
    assert sorted((y, x) for y, x, _ in points) == sorted((b.complexity, 100 * s) for b, s in expected)
    assert [t.name for t in fig.data] == ["function", "critical area"]
    assert list(fig.data[1].customdata[0]) == ["Parser.parse", "pkg/a.py:2"]
    assert "1 function(s) without coverage data not shown" in fig.layout.title.text


def test_no_complexity_no_hotspots():
    assert charts.hotspots_chart(assessment(), {"coverage": coverage_evidence()}) is None


# --- test pyramid ---------------------------------------------------------------------------------


def test_pyramid_counts_test_functions_by_kind():
    fig = charts.pyramid_chart(assessment(), {"inventory": inventory_evidence()})
    (bars,) = fig.data
    assert dict(zip(bars.y, bars.x, strict=True)) == {"unit": 8, "integration": 2, "e2e": 1, "performance": 0}
    assert dict(zip(bars.y, bars.customdata, strict=True)) == {"unit": 11, "integration": 2, "e2e": 1, "performance": 0}
    assert sum(bars.x) == len(TESTS)
    assert list(bars.base) == [-x / 2 for x in bars.x]


@pytest.mark.parametrize(
    "evidence",
    [
        {},
        {"inventory": InventoryEvidence(status=Status.ERROR, reason="x")},
        {"inventory": inventory_evidence(tests=())},
    ],
    ids=["absent", "error", "no-tests"],
)
def test_no_tests_no_pyramid(evidence: dict[str, Evidence]):
    assert charts.pyramid_chart(assessment(), evidence) is None


# --- chaos ----------------------------------------------------------------------------------------


def test_chaos_results_per_family_and_outcome():
    fig = charts.chaos_outcomes_chart(assessment(), {"chaos": chaos_evidence()})
    got = {(y, t.name): x for t in fig.data for y, x in zip(t.y, t.x, strict=True) if x}
    assert got == Counter((r.family.value if r.family else "(unmapped)", r.outcome) for r in CHAOS)
    assert list(fig.data[0].y) == ["process-crash", "graceful-termination", "disk-exhaustion", "(unmapped)"]
    assert sum(sum(t.x) for t in fig.data) == len(CHAOS)


@pytest.mark.parametrize(
    "evidence",
    [{}, {"chaos": ChaosEvidence(status=Status.SKIPPED, reason="none")}, {"chaos": ChaosEvidence(status=Status.OK,
                                                                                                   data=ChaosData(results=()))}],
    ids=["absent", "skipped", "no-results"],
)  # fmt: skip
def test_no_chaos_results_no_chaos_chart(evidence: dict[str, Evidence]):
    assert charts.chaos_outcomes_chart(assessment(), evidence) is None


# --- findings -------------------------------------------------------------------------------------


def test_findings_count_unwaived_problems_only():
    fig = charts.findings_chart(assessment(), {})
    got = {(y, t.name): x for t in fig.data for y, x in zip(t.y, t.x, strict=True) if x}
    counted = [f for f in FINDINGS if f.kind == "problem" and not f.waived]
    assert got == Counter((f.category, f.severity.value) for f in counted)
    assert sum(sum(t.x) for t in fig.data) == len(counted) == 6
    assert [t.name for t in fig.data] == [s.value for s in Severity]
    assert list(fig.data[0].y) == ["Security", "Error Handling", "Observability"]
    assert "1 waived not counted" in fig.layout.title.text


def test_no_problems_no_findings_chart():
    only_good = tuple(f for f in FINDINGS if f.kind == "good")
    assert charts.findings_chart(assessment(findings=only_good), {}) is None


# --- untrusted names ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "shown"), [
    ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
    ('a "quoted" & \'x\'', "a \"quoted\" &amp; 'x'"),  # plotly does not decode &quot;: quotes stay
    ("&lt;", "&amp;lt;"),
    (BREAKOUT, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;.py"),
])  # fmt: skip
def test_label_escapes_what_plotly_would_read_as_markup(text: str, shown: str):
    assert charts.label(text) == shown


def test_short_labels_keep_the_end_and_never_merge_two_names():
    long_a, long_b = "x" * 60 + "/same/tail.py", "y" * 60 + "/same/tail.py"
    assert charts.short_labels(["a/b.py", "z" * 60 + "/c.py"], width=10) == ["a/b.py", "…zzzz/c.py"]
    assert charts.short_labels([long_a, long_b], width=13) == [long_a, long_b]  # both would be "…same/tail.py"


def test_no_chart_carries_markup_from_the_target():
    figures, failures = charts.build_charts(assessment(), all_evidence())
    assert failures == [] and list(figures) == list(charts.CHARTS)
    for name, fig in figures.items():
        for text in strings(figure_json(fig)):
            assert "<script" not in text and "<b>" not in text and "</b>" not in text, (name, text)
            # The only tags are ours: line breaks and the source line under the title.
            assert set(re.findall(r"<[^>]*>", text)) <= {"<br>", "<sup>", "</sup>", "<extra>", "</extra>"}, (name, text)


def test_plotly_json_cannot_close_the_script_tag():
    fig = charts.hotspots_chart(assessment(), all_evidence())
    fig.update_layout(title_text=BREAKOUT)  # even unescaped, plotly's JSON escapes < > and /
    text = pio.to_json(fig)
    assert "<" not in text and ">" not in text and "</" not in text
    markup = fig.to_html(full_html=False, include_plotlyjs=False)
    assert markup.count("<script") == 1 and markup.count("</script>") == 1
    assert "\\u003c\\u002fscript\\u003e" in markup


# --- the report page ------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.script_attrs: list[dict[str, str | None]] = []
        self.csp = ""
        self.charts: list[str | None] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._in_script, self.script_attrs = True, [*self.script_attrs, a]
            self.scripts.append("")
        elif tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a["content"] or ""
        elif tag == "figure" and a.get("class") == "chart":
            self.charts.append(a.get("data-chart"))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _page(a: Assessment, evidence: dict[str, Evidence]) -> tuple[str, _Page]:
    text = render_html(build_view(a, evidence))
    page = _Page()
    page.feed(text)
    return text, page


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_page_has_one_plotlyjs_one_figure_per_chart_and_a_csp_of_exactly_its_scripts():
    text, page = _page(assessment(facts=facts(all_evidence())), all_evidence())
    assert page.charts == ["grades", "test-pyramid", "coverage-by-package", "hotspots", "chaos-outcomes",
                           "findings-by-severity"]  # fmt: skip
    assert text.count(plotly.offline.get_plotlyjs()) == 1
    assert len(page.scripts) == 1 + len(page.charts)
    assert all("src" not in attrs for attrs in page.script_attrs)  # nothing loaded from anywhere
    directives = dict(d.strip().split(" ", 1) for d in page.csp.split(";"))
    assert sorted(directives.pop("script-src").split()) == sorted(_sha256(s) for s in page.scripts)
    assert directives == {"default-src": "'none'", "style-src": "'unsafe-inline'", "img-src": "data: blob:"}
    for name in page.charts:
        assert f'id="chart-{name}"' in text  # fixed ids: the same assessment renders the same page
    assert "alert(1)</script>" not in text and "&lt;/script&gt;&lt;script&gt;alert(1)" in text


def test_charts_whose_section_is_missing_are_still_shown():
    _, page = _page(assessment(facts=()), all_evidence())
    assert sorted(page.charts) == sorted(charts.CHARTS)


def test_page_without_charts_runs_no_script():
    text, page = _page(assessment(grades=(), findings=()), {})
    assert page.charts == [] and page.scripts == []
    assert page.csp == BASE_CSP and "script-src" not in BASE_CSP
    assert plotly.offline.get_plotlyjs()[:200] not in text


def test_every_chart_has_a_place_in_the_report():
    assert set(CHART_PLACES) == set(charts.CHARTS)


def test_a_failing_chart_costs_that_chart_only(monkeypatch: pytest.MonkeyPatch):
    def broken(_a: Assessment, _e: object) -> None:
        raise ValueError("odd evidence")

    monkeypatch.setitem(charts.CHARTS, "hotspots", broken)
    text, page = _page(assessment(), all_evidence())
    assert "hotspots" not in page.charts and "grades" in page.charts
    assert "chart hotspots could not be drawn (ValueError: odd evidence)" in text
