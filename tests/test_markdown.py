"""summary.md: escaping checked by rendering with GitHub's cmark-gfm, the golden summary, bounded size."""

from __future__ import annotations

import os
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from assess.model import RunParameters, Status
from assess.model.findings import Finding, Severity
from assess.model.grades import (
    CategoryGrade,
    CriticalArea,
    Plan,
    PlanItem,
    UntestedReliabilityCode,
    Verdict,
    VerdictRule,
)
from assess.model.run import Assessment, RunInfo, StageResult
from assess.report import markdown
from assess.report.markdown import MAX_BYTES, ZWSP, clip, code, escape, fit, summary_markdown, write_markdown

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ASSESS_UPDATE_GOLDEN") == "1"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SCRIPT = "<script>alert(1)</script>.py"
HOSTILE = [
    SCRIPT,
    "| x |",
    "`rm -rf /`",
    "``double`` and `single`",
    "[link](javascript:alert(1))",
    "![pixel](https://tracker.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "<!-- comment --> &amp; &lt;b&gt;",
    "**bold** __also__ *it* _it_ ~~gone~~ ~gone~",
    "# heading",
    "> quote",
    "- item",
    "+ item",
    "* item",
    "1. ordered",
    "12) ordered",
    "---",
    "===",
    "```python",
    "~~~",
    "    indented code",
    "- [ ] task",
    "[^1] footnote",
    "$x^2$ and $$y$$",
    "www.evil.example and WWW.evil.example",
    "see https://evil.example/x and ftp://evil.example",
    "mailto:someone@example.com and someone@example.com",
    "@octocat and @github/security",
    "#1 and owner/repo#2 and C# and #tag",
    "back\\slash at the end\\",
    "line one\nline two\r\nline three\ttab",
    "trailing two spaces  ",
    "nul\x00bell\x07esc\x1b[31mred",
    "bidi \u202eevil\u202c and \u2066iso\u2069",
    "surrogate \udcff byte",
    "<https://evil.example>",
    "a\\|b",
    "&#x3C;script&#x3E;",
    ":smile: and :x:",
]


# --- builders (also used by tests/test_assessment_schema.py) ------------------------------------


def make_finding(**changes: object) -> Finding:
    fields: dict[str, object] = {
        "rule": "reliability.http-no-timeout",
        "category": "Dependency Resilience",
        "severity": Severity.HIGH,
        "kind": "problem",
        "title": "HTTP call without a timeout",
        "path": "app/client.py",
        "line": 10,
        "snippet": "requests.get(url)",
        "message": "requests.get is called without a timeout",
        "recommendation": "Pass an explicit timeout.",
        "effort_hours": 0.5,
    }
    fields.update(changes)
    return Finding.model_validate(fields)


def make_run(**changes: object) -> RunInfo:
    fields: dict[str, object] = {
        "assess_version": "0.1.0",
        "run_id": "shop-20260102T010405Z",
        "target": "/src/shop",
        "target_name": "shop",
        "target_commit": COMMIT,
        "target_dirty": False,
        "started_at": "2026-01-02T01:04:05+00:00",
        "finished_at": "2026-01-02T01:05:00+00:00",
        "parameters": RunParameters(target="/src/shop"),
        "python": "/usr/bin/python3",
        "platform": "linux",
        "status": Status.OK,
    }
    fields.update(changes)
    return RunInfo.model_validate(fields)


def grade(category: str, status: str = "graded", **changes: object) -> CategoryGrade:
    fields: dict[str, object] = {"category": category, "status": status, "critical": False, "weight": 1.0}
    if status == "graded":
        fields.update(grade="B", points=3.2)
    fields.update(changes)
    return CategoryGrade.model_validate(fields)


def plan_item(title: str, priority: str = "P0", **changes: object) -> PlanItem:
    fields: dict[str, object] = {
        "priority": priority,
        "rule": "reliability.http-no-timeout",
        "title": title,
        "category": "Dependency Resilience",
        "count": 1,
        "effort_hours": 1.0,
        "locations": ("app/client.py:10",),
        "why": "high severity in a critical category",
    }
    fields.update(changes)
    return PlanItem.model_validate(fields)


def rich_assessment(**changes: object) -> Assessment:
    """A NO-GO assessment that uses every part of the summary: failed stage, every grade status,
    P0 items (one repository-wide, one with many locations), critical areas, waived findings."""
    findings = (
        make_finding(rule="security.hardcoded-secret", category="Security", severity=Severity.CRITICAL,
                     title="Hard-coded secret", path="app/settings.py", line=3, tested=False,
                     recommendation="Read it from the environment; rotate the exposed value."),
        make_finding(line=10, tested=True),
        make_finding(line=42, tested=False),
        make_finding(rule="durability.no-migrations", category="Data Durability", title="Schema created in code",
                     path=None, line=None, snippet="", recommendation="Adopt a migration tool (Alembic, ...)."),
        make_finding(rule="errors.swallowed-exception", category="Error Handling", severity=Severity.MEDIUM,
                     title="Broad exception swallowed", path="app/worker.py", line=7),
        make_finding(rule="errors.swallowed-exception", category="Error Handling", severity=Severity.MEDIUM,
                     title="Broad exception swallowed", path="app/legacy.py", line=9,
                     waived="accepted until 2026-06-30: legacy module"),
        make_finding(rule="ops.print-logging", category="Observability", severity=Severity.LOW,
                     title="print used for logging", path="app/main.py", line=2),
        make_finding(rule="health.deep-check", category="Health Monitoring", severity=Severity.INFO, kind="good",
                     title="Health check that touches its dependencies", effort_hours=0.0),
    )  # fmt: skip
    grades = (
        grade("Test Coverage", critical=True, grade="C+", points=2.6,
              notes=("Coverage (lines and branches): 71.2 %, grade C+.",)),
        grade("Security", critical=True, grade="F", points=0.0,
              notes=("1 problem finding(s) (1 critical): Hard-coded secret (app/settings.py:3).",)),
        grade("Dependency Resilience", grade="C", points=2.0, findings=2),
        grade("Data Durability", "not-applicable", critical=True,
              reason="no database, queue or file writes were found (evidence/patterns.json)"),
        grade("Chaos Engineering", "not-measured", reason="no chaos evidence in this run"),
        grade("Performance Testing", "disabled", reason="switched off by pyproject.toml [tool.assess]: batch job"),
    )  # fmt: skip
    verdict = Verdict(
        decision="NO-GO",
        reasons=(
            "Security is graded F (critical category)",
            "1 unwaived critical finding(s): Hard-coded secret at app/settings.py:3",
        ),
        rules=(
            VerdictRule(rule="critical-category-failing", decision="NO-GO", fired=True, message="Security is F"),
            VerdictRule(rule="failing-tests", decision="NO-GO", fired=False, message="the target's own tests fail"),
        ),
    )
    plan = Plan(
        items=(
            plan_item("Hard-coded secret", rule="security.hardcoded-secret", category="Security",
                      locations=("app/settings.py:3",), why="critical severity"),
            plan_item("HTTP call without a timeout", count=14, effort_hours=3.75,
                      locations=tuple(f"app/client.py:{n}" for n in range(10, 20))),
            plan_item("Schema created in code", rule="durability.no-migrations", category="Data Durability",
                      effort_hours=4.0, locations=("repository",)),
            plan_item("Broad exception swallowed", "P2", rule="errors.swallowed-exception",
                      category="Error Handling", effort_hours=1.0),
        ),
        hours={"P0": 8.75, "P1": 0.0, "P2": 1.0},
        ready_low_days=1.1,
        ready_high_days=2.2,
        assumptions=("One engineer, 6 focused hours a day.",),
    )  # fmt: skip
    areas = (
        CriticalArea(path="app/client.py", line=30, name="Client.fetch_all", complexity=14, coverage=0.25,
                     crap=97.06, reason="complexity 14 with 25% of its statements executed"),
        CriticalArea(path="app/worker.py", line=5, name="run", complexity=6, coverage=None, crap=None,
                     reason="complexity 6; coverage unknown"),
    )  # fmt: skip
    untested = (
        UntestedReliabilityCode(path="app/settings.py", line=3, rule="security.hardcoded-secret",
                                title="Hard-coded secret", category="Security"),
    )  # fmt: skip
    stage = StageResult(name="tests", status=Status.ERROR, reason="JUnit XML unreadable", started_at="s", duration_s=1)
    fields: dict[str, object] = {
        "run": make_run(status=Status.ERROR, stages=(stage,)),
        "evidence": (),
        "facts": (),
        "findings": findings,
        "grades": grades,
        "verdict": verdict,
        "plan": plan,
        "critical_areas": areas,
        "untested_reliability_code": untested,
        "rubric": "assess/rubric/rubric.toml",
    }
    fields.update(changes)
    return Assessment.model_validate(fields)


# --- rendering with GitHub's parser ------------------------------------------------------------


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def render(text: str, *, unsafe: bool = False) -> _Html:
    """``text`` rendered as GitHub does (cmark-gfm with its extensions: tables, autolinks,
    strikethrough, tag filter, task lists), parsed back into tags, text and comments."""
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE if unsafe else 0)
    parsed = _Html()
    parsed.feed(html)
    parsed.close()
    return parsed


CONTEXTS = {
    "paragraph": ("before {} after", {"p"}),
    "list item": ("- {}", {"ul", "li"}),
    "list item, alone": ("- {}\n- second", {"ul", "li"}),
    "table cell": ("| a | b |\n| --- | --- |\n| {} | x |", {"table", "thead", "tr", "th", "tbody", "td"}),
}


def assert_renders_as_text(escaped: str, original: str) -> None:
    expected = clip(original)
    for name, (template, tags) in CONTEXTS.items():
        parsed = render(template.format(escaped))
        assert set(parsed.tags) <= tags, f"{name}: {parsed.tags} from {escaped!r}"
        assert not parsed.comments, f"{name}: raw HTML in {escaped!r}"
        text = "".join(parsed.text).replace("\u200b", "")
        assert expected in " ".join(text.split()), f"{name}: {text!r} from {escaped!r}"
    if expected:
        cells = render(CONTEXTS["table cell"][0].format(escaped)).tags
        assert cells == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]  # one row of two cells


# --- escaping ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_itself(text: str):
    assert_renders_as_text(escape(text), text)


def test_random_punctuation_renders_as_itself():
    rng = random.Random(20260102)
    alphabet = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ aw1.:/@#\n\t"
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert_renders_as_text(escape(text), text)


PLAIN = "plain text, 78.6 %; (fine) {ok} 'q' \"q\" a/b ^ = + -"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        (PLAIN, PLAIN),
        (SCRIPT, "&lt;script&gt;alert(1)&lt;/script&gt;.py"),
        ("| x |", "\\| x \\|"),
        ("`rm -rf`", "\\`rm -rf\\`"),
        ("[link](javascript:alert(1))", "\\[link\\](javascript:alert(1))"),
        ("a ![p](x)", "a !\\[p\\](x)"),
        ("**b** _i_ ~s~ $m$", "\\*\\*b\\*\\* \\_i\\_ \\~s\\~ \\$m\\$"),
        ("a & b &amp; c", "a &amp; b &amp;amp; c"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. ordered", "1\\. ordered"),
        ("12) ordered", "12\\) ordered"),
        ("version 1.2", "version 1.2"),
        ("http://x.example", "http\\://x.example"),
        ("www.x.example", "www\\.x.example"),
        ("a@b.example", f"a@{ZWSP}b.example"),
        ("@octocat", f"\\@{ZWSP}octocat"),
        ("fixes #12, C# #x", f"fixes #{ZWSP}12, C# #x"),
        ("#12", f"\\#{ZWSP}12"),
        ("end\\", "end\\\\"),
        ("one\n two\r\n\tthree  ", "one two three"),
        ("nul\x00 \u202eevil", "nul\ufffd \ufffdevil"),
        ("", ""),
    ],
)
def test_escape(text: str, escaped: str):
    assert escape(text) == escaped


def test_escape_clips_before_escaping():
    assert escape("a" * 20, limit=10) == "a" * 9 + "…"
    assert escape("<" * 20, limit=5) == "&lt;" * 4 + "…"  # never half an entity
    assert clip("x" * 5, 5) == "xxxxx"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("app/__main__.py:24", "`app/__main__.py:24`"),
        ("a`b", "``a`b``"),
        ("``x``", "``` ``x`` ```"),
        ("`x", "`` `x ``"),
        (SCRIPT, f"`{SCRIPT}`"),
        ("a|b", "a\\|b"),  # a pipe would end a table cell inside a code span: plain escaped text
        ("many\n  lines", "`many lines`"),
        ("", ""),
    ],
)
def test_code(text: str, span: str):
    assert code(text) == span
    if text:
        assert_code_renders(span, text)


def assert_code_renders(span: str, text: str) -> None:
    parsed = render(CONTEXTS["table cell"][0].format(span))
    assert not parsed.comments and "a" not in parsed.tags and "script" not in parsed.tags
    assert clip(text) in "".join(parsed.text)


# --- the summary -------------------------------------------------------------------------------


def test_golden_summary():
    text = summary_markdown(rich_assessment())
    path = GOLDEN / "summary-no-go.md"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        path.with_suffix(".actual.md").write_text(text, encoding="utf-8")
    assert text == expected, f"see {path.with_suffix('.actual.md')}; ASSESS_UPDATE_GOLDEN=1 rewrites the gold"


def test_golden_summary_renders_as_github_shows_it():
    parsed = render((GOLDEN / "summary-no-go.md").read_text(encoding="utf-8"), unsafe=True)
    assert parsed.tags.count("table") == 5  # grade card, P0, critical areas, untested code, findings
    assert parsed.tags.count("h2") == 1 and parsed.tags.count("h3") == 4
    assert set(parsed.tags) <= {"h2", "h3", "p", "ul", "li", "strong", "em", "code", "table", "thead", "tbody",
                                "tr", "th", "td", "hr", "sub", "blockquote"}  # fmt: skip
    assert "a" not in parsed.tags


def test_what_the_summary_says():
    text = summary_markdown(rich_assessment())
    assert text.startswith("## ⛔ NO-GO: production readiness of `shop`\n")
    assert "- Security is graded F (critical category)\n" in text
    assert "**Time to production-ready: about 1.1 to 2.2 working days** (3 P0 item(s), 8.75 h;" in text
    assert "| Data Durability (critical) | N/A | Not applicable: no database, queue" in text
    assert "| Chaos Engineering | not measured | Not measured: no chaos evidence in this run |" in text
    assert "| Performance Testing | off | Switched off: switched off by pyproject.toml \\[tool.assess\\]" in text
    assert "| Security (critical) | **F** |" in text
    assert "1 stage(s) failed, so some evidence is missing: tests: JUnit XML unreadable" in text
    assert "`app/client.py:10`, `app/client.py:11`, `app/client.py:12` and 11 more" in text
    assert "| whole repository |" in text and "Broad exception swallowed" not in text.split("### P0")[1].split("###")[0]
    assert "| `run` | `app/worker.py:5` | 6 | not measured |   |" in text
    assert "| critical | 1 | 1 | 0 |" in text and "| medium | 1 | 0 | 1 |" in text
    assert "7 problem(s) and 1 good practice(s) found; 0 to review (not proved by the code)." in text
    assert "`assessment.html`" in text and text.endswith("</sub>\n")


@pytest.mark.parametrize(
    ("changes", "heading"),
    [
        ({"verdict": Verdict(decision="GO", reasons=(), rules=())}, "## ✅ GO: production readiness of `shop`"),
        ({"verdict": Verdict(decision="NEEDS_WORK", reasons=("x",), rules=())}, "## ⚠️ NEEDS_WORK: production"),
        ({"verdict": None, "scoring_error": "rubric.toml: <bad> value"}, "## ❔ No verdict: production readiness"),
    ],
)
def test_other_verdicts(changes: dict, heading: str):
    text = summary_markdown(rich_assessment(**changes))
    assert text.startswith(heading)
    if changes["verdict"] is None:
        assert "The rubric could not be applied: rubric.toml: &lt;bad&gt; value" in text
    if changes["verdict"] and not changes["verdict"].reasons:
        assert "**GO**: no verdict rule fired." in text


def test_an_empty_assessment_still_says_where_the_report_is():
    text = summary_markdown(Assessment(run=make_run(target_dirty=True), evidence=(), facts=()))
    assert text.startswith("## ❔ No verdict")
    assert "### Findings" in text and "0 problem(s) and 0 good practice(s) found;" in text
    assert "(with uncommitted changes)" in text and "`assessment.html`" in text


def test_hostile_target_cannot_inject_anything():
    evil = "<script>alert(1)</script> | `x` [a](javascript:b) @admin #1"
    assessment = rich_assessment(
        run=make_run(target_name=evil, run_id=evil, target_commit="``|<b>", started_at=evil, assess_version=evil),
        findings=(make_finding(rule="x.y", recommendation=evil),),
        grades=(grade(evil, notes=(evil,)), grade(evil, "not-measured", reason=evil)),
        verdict=Verdict(decision="NO-GO", reasons=(evil,), rules=()),
        plan=Plan(
            items=(plan_item(evil, rule="x.y", category=evil, locations=(evil, "repository")),),
            hours={},
            ready_low_days=1,
            ready_high_days=2,
            assumptions=(),
        ),
        critical_areas=(CriticalArea(path=evil, line=1, name=evil, complexity=3, coverage=0, crap=1, reason=evil),),
        untested_reliability_code=(UntestedReliabilityCode(path=evil, line=1, rule=evil, title=evil, category=evil),),
        rubric=evil,
    )
    parsed = render(summary_markdown(assessment), unsafe=True)
    assert not {"a", "script", "img", "b"} & set(parsed.tags)
    assert parsed.tags.count("td") == 3 * 2 + 6 + 5 + 3 + 5 * 5  # every row kept its cells
    text = "".join(parsed.text)
    assert "<script>alert(1)</script>" in text and "[a](javascript:b)" in text


def test_lists_are_cut_and_say_so():
    many = tuple(plan_item(f"Item {n}", locations=(f"a.py:{n}",)) for n in range(25))
    reasons = tuple(f"reason {n}" for n in range(14))
    plan = Plan(items=many, hours={"P0": 25.0}, ready_low_days=3, ready_high_days=6, assumptions=())
    verdict = Verdict(decision="NO-GO", reasons=reasons, rules=())
    areas = tuple(CriticalArea(path="a.py", line=n, name=f"f{n}", complexity=9, coverage=0.5, crap=20, reason="r")
                  for n in range(12))  # fmt: skip
    text = summary_markdown(rich_assessment(plan=plan, verdict=verdict, critical_areas=areas))
    assert "| Item 9 |" in text and "| Item 10 |" not in text
    assert "_…and 15 more P0 items, in assessment.html._" in text
    assert "_…and 4 more reasons, in assessment.html._" in text
    assert "_…and 2 more functions, in assessment.html._" in text
    assert "more places" not in text
    short = summary_markdown(rich_assessment(plan=plan), top=3)
    assert "| Item 2 |" in short and "| Item 3 |" not in short and "…and 22 more P0 items" in short


def test_size_is_bounded_whatever_the_target_holds():
    noisy = "@<|`" * 5000  # the characters that grow most when escaped
    grades = tuple(grade(f"{noisy}{n}", notes=(noisy,) * 3) for n in range(200))
    items = tuple(plan_item(noisy, locations=(noisy,) * 10) for _ in range(5000))
    plan = Plan(items=items, hours={}, ready_low_days=1, ready_high_days=2, assumptions=())
    text = summary_markdown(rich_assessment(grades=grades, plan=plan))
    assert len(text.encode("utf-8")) <= MAX_BYTES < 65_536
    assert re.search(r"_Summary cut to fit 60,000 bytes: \d+ more line\(s\) left out", text)
    assert "`assessment.html` in the run folder" in text and text.endswith("</sub>\n")
    small = summary_markdown(rich_assessment(), max_bytes=2_000)
    assert len(small.encode("utf-8")) <= 2_000 and "Summary cut to fit 2,000 bytes" in small


def test_fit():
    assert fit(["a", "b"], ["f"], 100) == "a\nb\nf\n"
    cut = fit(["x" * 50] * 10, ["footer"], 400)
    assert len(cut.encode()) <= 400 and cut.endswith("footer\n") and "left out" in cut
    with pytest.raises(ValueError, match="footer"):
        fit(["a"], ["f" * 500], 400)


def test_write_markdown_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_markdown(rich_assessment(), tmp_path / "out" / "summary.md")
    written = path.read_text(encoding="utf-8")
    assert written == summary_markdown(rich_assessment())
    assert [p.name for p in path.parent.iterdir()] == ["summary.md"]

    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("render failed")

    monkeypatch.setattr(markdown, "summary_markdown", broken)
    with pytest.raises(RuntimeError):
        write_markdown(rich_assessment(), path)
    assert path.read_text(encoding="utf-8") == written
    assert [p.name for p in path.parent.iterdir()] == ["summary.md"]
