"""``summary.md``: the assessment in GitHub-flavoured Markdown, for a CI job summary or a PR comment.

What it holds, most important first: the verdict and the reasons that decided it, the grade card,
the P0 items of the plan with the time to production-ready, the top critical untested areas, the
problem findings counted by severity, and where the full report is (``assessment.html``).

It is bounded: each list shows at most ``top`` entries and says how many it left out, each text is
clipped, and the whole document is cut to ``max_bytes`` of UTF-8 (default :data:`MAX_BYTES`, under
GitHub's 65,536 characters for a comment and 1 MiB for a step summary), saying so.

Everything taken from the target (paths, names, messages, snippets, even category names, which a
target's config can override) goes through :func:`escape` or :func:`code`, so it shows as text:
it cannot open HTML, a link or an image, break a table row or mention a GitHub user.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from assess._files import atomic_write_text
from assess.model.base import Status
from assess.model.findings import Finding, Severity
from assess.model.grades import CategoryGrade, CriticalArea, PlanItem, UntestedReliabilityCode
from assess.model.run import Assessment
from assess.report.text import one_line

MAX_BYTES = 60_000
"""Default size bound in UTF-8 bytes; below GitHub's comment limit in characters (65,536), which a
byte count never undercounts."""
TOP_N = 10
"""Entries shown per list (verdict reasons, P0 items, critical areas, untested reliability code)."""
TEXT_LIMIT = 400
"""Characters kept of one text (a note, a reason) before escaping; the rest is cut to '…'."""
NAME_LIMIT = 160
"""Characters kept of a path, function name or title."""
ZWSP = "&#8203;"
"""Zero-width space, written as an entity: put after ``@`` and ``#`` so that a PR comment neither
mentions a user nor links an issue, as Renovate writes `@&#8203;user` and `#&#8203;123` in its PR bodies."""

DECISION_MARKS = {"GO": "✅", "NEEDS_WORK": "⚠️", "NO-GO": "⛔"}
GRADE_STATUS = {"not-applicable": "N/A", "not-measured": "not measured", "disabled": "off"}
STATUS_WORDS = {"not-applicable": "Not applicable", "not-measured": "Not measured", "disabled": "Switched off"}

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` on one line (every run of whitespace, line breaks included, made one space), with
    control, surrogate and bidirectional formatting characters replaced by U+FFFD, cut to ``limit``
    characters with a final '…' (:func:`assess.report.text.one_line`, which every report shares).
    Reads only as much of ``text`` as it keeps."""
    return one_line(text, limit)


def escape(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` as inline Markdown that GitHub renders as exactly that text (clipped, see :func:`clip`).

    Safe in a paragraph, a list item and a table cell. ``&``, ``<`` and ``>`` become entities (no
    HTML, no ``<...>`` autolink); :data:`ALWAYS_ESCAPED` is backslash-escaped everywhere (no
    emphasis, strikethrough, code, link, image, footnote, task box, cell break or math); a first
    character that is punctuation, and the ``.`` or ``)`` after leading digits, are escaped too (no
    heading, quote, list or rule when the text starts a list item); ``:`` before ``/`` and ``.``
    after ``www`` are escaped (no URL autolink); ``@``, and ``#`` before a digit, are followed by a
    zero-width space (no e-mail autolink, mention or issue reference, :data:`ZWSP`). Other
    punctuation is left alone, so the Markdown stays readable as plain text.
    """
    flat = clip(text, limit)
    return "".join(_escape_char(flat, i) for i in range(len(flat)))


ALWAYS_ESCAPED = frozenset("\\`*_~[]|$")


def _escape_char(text: str, i: int) -> str:
    char = text[i]
    if char in _ENTITIES:
        return _ENTITIES[char]
    punctuation = char.isascii() and not char.isalnum() and not char.isspace()
    backslash = punctuation and (
        char in ALWAYS_ESCAPED
        or i == 0
        or (char in ".)" and text[:i].isdigit())
        or (char == ":" and text[i + 1 : i + 2] == "/")
        or (char == "." and text[max(i - 3, 0) : i].lower() == "www")
    )
    quiet = char == "@" or (char == "#" and text[i + 1 : i + 2].isdigit())
    return ("\\" if backslash else "") + char + (ZWSP if quiet else "")


def code(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` as an inline code span (clipped), for paths and names; safe in a table cell.

    The fence is one backtick longer than the longest run of backticks in the text, and padded
    with a space when the text starts or ends with one. A text holding ``|`` is escaped as plain
    text instead: a pipe inside a code span would end a table cell. Empty text gives ``""``.
    """
    flat = clip(text, limit)
    if not flat:
        return ""
    if "|" in flat:
        return escape(flat, limit)
    longest, run = 0, 0
    for char in flat:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: frozenset[int] = frozenset()) -> list[str]:
    """A GFM table; cells must already be escaped. Columns in ``numeric`` are right-aligned."""
    rule = ["---:" if i in numeric else "---" for i in range(len(header))]
    return [_row(header), _row(rule), *(_row(r) for r in rows)]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c or " " for c in cells) + " |"


def more(shown: int, total: int, what: str) -> list[str]:
    """The line saying how many of ``what`` were left out, or nothing when none was."""
    left = total - shown
    return [f"_…and {left} more {what}, in assessment.html._", ""] if left > 0 else []


# --- sections ----------------------------------------------------------------------------------


def _header(a: Assessment, top: int) -> list[str]:
    name = code(a.run.target_name) or "the target"
    if a.verdict is None:
        why = escape(a.scoring_error or "the rubric was not applied")
        return [f"## ❔ No verdict: production readiness of {name}", "", f"The rubric could not be applied: {why}", ""]
    decision = a.verdict.decision
    lines = [f"## {DECISION_MARKS[decision]} {decision}: production readiness of {name}", ""]
    if a.verdict.reasons:
        lines += [f"**{decision}** because:", ""]
        lines += [f"- {escape(r)}" for r in a.verdict.reasons[:top]]
        lines += ["", *more(min(top, len(a.verdict.reasons)), len(a.verdict.reasons), "reasons")]
    else:
        lines += [f"**{decision}**: no verdict rule fired.", ""]
    return lines


def _failed_stages(a: Assessment) -> list[str]:
    failed = [s for s in a.run.stages if s.status is Status.ERROR]
    if not failed:
        return []
    said = "; ".join(f"{escape(s.name, NAME_LIMIT)}: {escape(s.reason or 'no reason given')}" for s in failed)
    return ["> [!WARNING]", f"> {len(failed)} stage(s) failed, so some evidence is missing: {said}", ""]


def _ready(a: Assessment) -> list[str]:
    if a.plan is None:
        return []
    hours = a.plan.hours
    p0 = sum(1 for i in a.plan.items if i.priority == "P0")
    return [
        f"**Time to production-ready: about {a.plan.ready_low_days:g} to {a.plan.ready_high_days:g} working days** "
        f"({p0} P0 item(s), {_hours(hours.get('P0', 0.0))}; then P1: {_hours(hours.get('P1', 0.0))}, "
        f"P2: {_hours(hours.get('P2', 0.0))}).",
        "",
    ]


def _grade_card(a: Assessment) -> list[str]:
    if not a.grades:
        return []
    rows = [[_category(g), _grade(g), _notes(g)] for g in a.grades]
    return ["### Grade card", "", *table(["Category", "Grade", "Notes"], rows), ""]


def _category(g: CategoryGrade) -> str:
    return escape(g.category, NAME_LIMIT) + (" (critical)" if g.critical else "")


def _grade(g: CategoryGrade) -> str:
    if g.status == "graded" and g.grade is not None:
        return f"**{escape(g.grade, 4)}**"
    return GRADE_STATUS.get(g.status, "not measured")


def _notes(g: CategoryGrade) -> str:
    notes = escape(" ".join(g.notes))
    if g.status == "graded":
        return notes
    reason = f"{STATUS_WORDS.get(g.status, 'Not graded')}: {escape(g.reason or 'no reason given')}"
    return f"{reason} {notes}".strip()


def _p0(a: Assessment, top: int) -> list[str]:
    if a.plan is None:
        return []
    items = [i for i in a.plan.items if i.priority == "P0"]
    lines = ["### P0: before production", ""]
    if not items:
        return [*lines, "No P0 item: nothing in the plan has to be done before production.", ""]
    fixes = _fixes(a.findings)
    rows = [_p0_row(i, fixes.get(i.rule, "")) for i in items[:top]]
    header = ["What", "Category", "Findings", "Effort", "Where", "Fix"]
    return [*lines, *table(header, rows, frozenset({2, 3})), "", *more(len(rows), len(items), "P0 items")]


def _fixes(findings: Sequence[Finding]) -> dict[str, str]:
    """The recommendation of each rule's first finding (the plan item does not carry it)."""
    fixes: dict[str, str] = {}
    for f in findings:
        if f.recommendation and f.rule not in fixes:
            fixes[f.rule] = f.recommendation
    return fixes


def _p0_row(item: PlanItem, fix: str) -> list[str]:
    shown = [_location(x) for x in item.locations[:3]]
    left = item.count - len(shown)
    where = ", ".join(shown) + (f" and {left} more" if left > 0 else "")
    return [escape(item.title, NAME_LIMIT), escape(item.category, NAME_LIMIT), str(item.count),
            _hours(item.effort_hours), where, escape(fix, 200)]  # fmt: skip


def _location(text: str) -> str:
    return "whole repository" if text == "repository" else code(text)


def _critical(a: Assessment, top: int) -> list[str]:
    if not a.critical_areas and not a.untested_reliability_code:
        return []
    lines = ["### Critical untested areas", ""]
    if a.critical_areas:
        rows = [_area_row(c) for c in a.critical_areas[:top]]
        header = ["Function", "Location", "Complexity", "Coverage", "CRAP"]
        lines += [*table(header, rows, frozenset({2, 3, 4})), ""]
        lines += more(len(rows), len(a.critical_areas), "functions")
    if a.untested_reliability_code:
        lines += ["Reliability code no test executes:", ""]
        rows = [_untested_row(u) for u in a.untested_reliability_code[:top]]
        lines += [*table(["What", "Category", "Location"], rows), ""]
        lines += more(len(rows), len(a.untested_reliability_code), "places")
    return lines


def _area_row(c: CriticalArea) -> list[str]:
    coverage = "not measured" if c.coverage is None else f"{c.coverage * 100:.0f} %"
    crap = "" if c.crap is None else f"{c.crap:.1f}"
    return [code(c.name), code(f"{c.path}:{c.line}"), str(c.complexity), coverage, crap]


def _untested_row(u: UntestedReliabilityCode) -> list[str]:
    return [escape(u.title, NAME_LIMIT), escape(u.category, NAME_LIMIT), code(f"{u.path}:{u.line}")]


def _findings(a: Assessment) -> list[str]:
    every = [f for f in a.findings if f.kind == "problem"]
    problems = [f for f in every if f.outside is None and f.confidence == "confirmed"]
    good = len(a.findings) - len(every)
    open_ = Counter(f.severity for f in problems if not f.waived)
    waived = Counter(f.severity for f in problems if f.waived)
    untested = Counter(f.severity for f in problems if not f.waived and f.tested is False)
    review = Counter(f.severity for f in every if f.to_review)
    rows = [[s.value, str(open_[s]), str(untested[s]), str(waived[s]), str(review[s])] for s in Severity]
    header = ["Severity", "Problems", "Not executed by the tests", "Waived", "To review"]
    lines = ["### Findings", "", *table(header, rows, frozenset({1, 2, 3, 4})), ""]
    outside = sum(1 for f in every if f.outside)
    apart = f" {outside} more in developer tooling, examples or tests count toward nothing." if outside else ""
    return [*lines, f"{len(problems)} problem(s) and {good} good practice(s) found; "
                    f"{sum(review.values())} to review (not proved by the code).{apart}", ""]  # fmt: skip


def _footer(a: Assessment) -> list[str]:
    run = a.run
    commit = f" at commit {code(run.target_commit[:12])}" if run.target_commit else ""
    dirty = " (with uncommitted changes)" if run.target_dirty else ""
    return [
        "---",
        "",
        "The full report, with every finding and its evidence, the verdict rules and the notebooks, is "
        "`assessment.html` in the run folder (beside `assessment.json` and `findings.sarif`).",
        "",
        f"<sub>Run {code(run.run_id)} of {code(run.target_name)}{commit}{dirty}, started {code(run.started_at, 40)}; "
        f"assess {code(run.assess_version, 40)}; rubric {escape(a.rubric or 'none')}.</sub>",
    ]


def _hours(hours: float) -> str:
    return f"{hours:g} h"


# --- document ----------------------------------------------------------------------------------


def summary_markdown(assessment: Assessment, *, max_bytes: int = MAX_BYTES, top: int = TOP_N) -> str:
    """``summary.md`` of ``assessment``: at most ``max_bytes`` of UTF-8, ending in a newline.

    When the sections do not fit, lines are left out from the end of the body (the footer that
    points at ``assessment.html`` stays) and a line says how many. Raises ValueError when
    ``max_bytes`` cannot even hold the footer.
    """
    a = assessment
    body = [*_header(a, top), *_failed_stages(a), *_ready(a), *_grade_card(a), *_p0(a, top), *_critical(a, top),
            *_findings(a)]  # fmt: skip
    return fit(body, _footer(a), max_bytes)


def fit(body: list[str], footer: list[str], max_bytes: int) -> str:
    """``body`` then ``footer`` as one text of at most ``max_bytes`` UTF-8 bytes; body lines are
    left out from the end, and replaced by a line saying how many, until it fits."""
    text = "\n".join([*body, *footer]) + "\n"
    if _size(text) <= max_bytes:
        return text
    tail = "\n".join(footer) + "\n"
    kept: list[str] = []
    used = _size(tail) + 200  # room for the cut note
    if used > max_bytes:
        raise ValueError(f"{max_bytes} bytes cannot hold the summary's footer")
    for line in body:
        size = _size(line) + 1
        if used + size > max_bytes:
            break
        kept.append(line)
        used += size
    note = (f"_Summary cut to fit {max_bytes:,} bytes: {len(body) - len(kept)} more line(s) left out; "
            f"everything is in assessment.html._")  # fmt: skip
    return "\n".join([*kept, "", note, "", *footer]) + "\n"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def write_markdown(assessment: Assessment, path: Path) -> Path:
    """Write :func:`summary_markdown` of ``assessment`` to ``path`` atomically; returns ``path``."""
    atomic_write_text(path, summary_markdown(assessment))
    return path
