"""A target's ``[tool.assess]`` is untrusted: each bad key is one problem line naming the file and key and is
left out, the rest applies, and the report is still written (and reads back); exclude globs and waivers are
compiled once and bounded, with the same answers as matching them one by one."""

from __future__ import annotations

import datetime as dt
import json
import math
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.assessment import score_assessment
from assess.cli import EXIT_OK, main
from assess.config import GlobSet, TargetConfig, Waiver, apply_waivers, parse_config, target_config
from assess.config_schema import MAX_GLOBS, MAX_WAIVERS
from assess.model import Assessment
from assess.model.findings import Finding, Severity
from assess.model.io import read_model, write_model
from assess.report.html import write_html
from assess.rubric import Rubric, apply_overrides, load_rubric
from tests.conftest import MakeRepo
from tests.test_markdown import rich_assessment

WHERE = "pyproject.toml [tool.assess]"
CATEGORIES = ", ".join(sorted(c.name for c in load_rubric().categories))
GOOD: dict[str, Any] = {
    "weights": {"Security": 4},
    "thresholds": {"Test Coverage": {"coverage.percent_covered": {"B": 75}}},
    "disabled": ["Performance Testing"],
    "waivers": [{"rule": "security.*", "justification": "reviewed", "expires": dt.date(2030, 1, 1)}],
    "paths": {"exclude": ["docs"]},
    "test_command": "python -m pytest -q",
}
"""A config every key of which applies; each case below adds one bad key to it (or replaces one)."""
NAME = "a category name (1 to 200 characters)"
WAIVER = "a table with rule, justification, and optionally path and expires"
GLOB = "a glob of paths relative to the target (at most 2000 characters)"
COMMAND = "a command line (a string of at most 10000 characters)"
MAINTAINABILITY = "thresholds.Maintainability"


def merged(base: Any, extra: Any) -> Any:
    """``extra`` laid over ``base``: tables merged key by key, arrays appended, anything else replaced."""
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{k: merged(base[k], v) if k in base else v for k, v in extra.items()}}
    if isinstance(base, list) and isinstance(extra, list):
        return [*base, *extra]
    return extra


def applied(config: TargetConfig, rubric: Rubric) -> set[str]:
    """Which of GOOD's keys took effect."""
    checks = {
        "weights": rubric.category("Security").weight == 4,
        "thresholds": rubric.category("Test Coverage").signals[0].thresholds.get("B") == 75,
        "disabled": rubric.category("Performance Testing").disabled is not None,
        "waivers": [w.rule for w in config.waivers][:1] == ["security.*"],
        "paths": config.exclude[:1] == ("docs",),
        "test_command": config.test_command == "python -m pytest -q",
    }
    return {key for key, took in checks.items() if took}


def case(extra: dict[str, Any], problem: str, *lost: str, name: str) -> Any:
    return pytest.param(extra, problem, set(lost), id=name)


CASES = [
    # weights: the nan (which wrote an assessment.json assess then refused), and every other shape
    case({"weights": {"Reliability Patterns": math.nan}},
         'weights."Reliability Patterns": must be a number from 0 to 100, got nan', name="weight-nan"),
    case({"weights": {"Observability": math.inf}}, "weights.Observability: must be a number from 0 to 100, got inf",
         name="weight-inf"),
    case({"weights": {"Observability": -math.inf}}, "weights.Observability: must be a number from 0 to 100, got -inf",
         name="weight-minus-inf"),
    case({"weights": {"Observability": -1}}, "weights.Observability: must be a number from 0 to 100, got -1",
         name="weight-negative"),
    case({"weights": {"Observability": 1e6}}, "weights.Observability: must be a number from 0 to 100, got 1000000.0",
         name="weight-huge"),
    case({"weights": {"Observability": True}}, "weights.Observability: must be a number from 0 to 100, got True",
         name="weight-bool"),
    case({"weights": {"Observability": "3"}}, "weights.Observability: must be a number from 0 to 100, got '3'",
         name="weight-string"),
    case({"weights": {"Speed": 1}}, f"weights.Speed: not a category of the rubric ({CATEGORIES})",
         name="weight-unknown-category"),
    case({"weights": 5}, "weights: must be a table of category = weight, got 5", "weights", name="weights-not-a-table"),
    # thresholds: the thresholds."Category" = 5, then each level down
    case({"thresholds": {"Maintainability": 5}},
         f"{MAINTAINABILITY}: must be a table of signal = {{ grade = value }}, got 5",
         name="thresholds-category-number"),
    case({"thresholds": {"Maintainability": {"complexity.max": "x"}}},
         f"{MAINTAINABILITY}.\"complexity.max\": must be a table of grade = value, got 'x'",
         name="thresholds-signal-string"),
    case({"thresholds": {"Maintainability": {"complexity.max": {"A": math.nan}}}},
         f'{MAINTAINABILITY}."complexity.max".A: must be a finite number (at most 1e+09 either side of 0), got nan',
         name="threshold-nan"),
    case({"thresholds": {"Maintainability": {"complexity.max": {"Z": 5}}}},
         f'{MAINTAINABILITY}."complexity.max".Z: not a grade (A, B+, B, C+, C, D)', name="threshold-unknown-grade"),
    case({"thresholds": {"Maintainability": {"complexity.max": {"A": 50}}}},
         f'{MAINTAINABILITY}."complexity.max": thresholds must get higher from A to D; the rubric\'s thresholds apply',
         name="thresholds-not-monotonic"),
    case({"thresholds": {"Maintainability": {"lines": {"A": 1}}}},
         f"{MAINTAINABILITY}.lines: not a signal of Maintainability (complexity.max, derived.complexity.share_over_10)",
         name="threshold-unknown-signal"),
    case({"thresholds": {"Speed": {"x": {"A": 1}}}}, f"thresholds.Speed: not a category of the rubric ({CATEGORIES})",
         name="threshold-unknown-category"),
    case({"thresholds": []}, "thresholds: must be a table of category = { signal = { grade = value } }, "
         "got an array of 0 item(s)", "thresholds", name="thresholds-not-a-table"),
    # disabled: the issue's [[1]], and the other shapes
    case({"disabled": [[1]]}, f"disabled[1]: must be {NAME}, got an array of 1 item(s)", name="disabled-nested"),
    case({"disabled": [1]}, f"disabled[1]: must be {NAME}, got 1", name="disabled-number"),
    case({"disabled": [""]}, f"disabled[1]: must be {NAME}, got ''", name="disabled-empty"),
    case({"disabled": ["x" * 300]}, f"disabled[1]: must be {NAME}, got '{'x' * 40}'...", name="disabled-long"),
    case({"disabled": ["Speed"]}, f'disabled: "Speed" is not a category of the rubric ({CATEGORIES})',
         name="disabled-unknown"),
    case({"disabled": "Security"}, "disabled: must be a list of category names, got 'Security'", "disabled",
         name="disabled-not-a-list"),
    # waivers: wrong shapes, missing and unknown keys, dates
    case({"waivers": [3]}, f"waivers[1]: must be {WAIVER}, got 3", name="waiver-number"),
    case({"waivers": [{"justification": "j"}]}, "waivers[1].rule: missing; must be a rule id or glob (1 to 200 "
         "characters)", name="waiver-no-rule"),
    case({"waivers": [{"rule": "", "justification": "j"}]},
         "waivers[1].rule: must be a rule id or glob (1 to 200 characters), got ''", name="waiver-empty-rule"),
    case({"waivers": [{"rule": "r"}]}, "waivers[1].justification: missing; must be a justification: why the "
         "finding is acceptable (at most 2000 characters)", name="waiver-no-justification"),
    case({"waivers": [{"rule": "r", "justification": "  "}]}, "waivers[1].justification: must be a justification: "
         "why the finding is acceptable (at most 2000 characters), got '  '", name="waiver-blank-justification"),
    case({"waivers": [{"rule": "r", "justification": "j", "owner": "me"}]},
         "waivers[1].owner: unknown key (known: rule, path, justification, expires)", name="waiver-unknown-key"),
    case({"waivers": [{"rule": "r", "justification": "j", "path": 3}]},
         "waivers[1].path: must be a path glob (at most 2000 characters), got 3", name="waiver-path-number"),
    case({"waivers": [{"rule": "r", "justification": "j", "expires": "soon"}]},
         "waivers[1].expires: must be a date (YYYY-MM-DD), got 'soon'", name="waiver-date-word"),
    case({"waivers": [{"rule": "r", "justification": "j", "expires": "2027-13-45"}]},
         "waivers[1].expires: must be a date (YYYY-MM-DD), got '2027-13-45'", name="waiver-date-impossible"),
    case({"waivers": [{"rule": "r", "justification": "j", "expires": 2027}]},
         "waivers[1].expires: must be a date (YYYY-MM-DD), got 2027", name="waiver-date-number"),
    case({"waivers": [{"rule": "r", "justification": "j", "expires": dt.datetime(2027, 1, 1, 12)}]},
         "waivers[1].expires: must be a date (YYYY-MM-DD), got datetime.datetime(2027, 1, 1, 12, 0)",
         name="waiver-date-time"),
    case({"waivers": {"rule": "r"}}, "waivers: must be an array of tables ([[tool.assess.waivers]]), "
         "got a table of 1 key(s)", "waivers", name="waivers-not-an-array"),
    # paths, test_command, unknown keys, chaos
    case({"paths": {"exclude": [3]}}, f"paths.exclude[1]: must be {GLOB}, got 3", name="glob-number"),
    case({"paths": {"exclude": ["/ "]}}, f"paths.exclude[1]: must be {GLOB}, got '/ '", name="glob-names-nothing"),
    case({"paths": {"include": ["src"]}}, "paths.include: unknown key (known: exclude)", name="paths-unknown-key"),
    case({"paths": ["docs"]}, "paths: must be a table ([tool.assess.paths] or [paths]), got an array of 1 item(s)",
         "paths", name="paths-not-a-table"),
    case({"test_command": ["pytest"]}, f"test_command: must be {COMMAND}, got an array of 1 item(s)", "test_command",
         name="command-list"),
    case({"test_command": "x" * 10_001}, f"test_command: must be {COMMAND}, got '{'x' * 40}'...", "test_command",
         name="command-long"),
    case({"weight": {}}, "weight: unknown key (known: chaos, disabled, paths, test_command, thresholds, waivers, "
         "weights)", name="unknown-key"),
    case({"chaos": {"command": "python -m app"}}, "chaos: command must be a non-empty list of strings",
         name="chaos-command"),
    case({"chaos": {"criteria": {"process-crash": {"max_recovery_s": math.inf}}}},
         "chaos.criteria: [process-crash] max_recovery_s: must be a finite number, got inf", name="chaos-criteria-inf"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "problem", "lost"), CASES)
def test_each_bad_key_is_one_line_and_the_rest_applies(extra: dict[str, Any], problem: str, lost: set[str]) -> None:
    config = parse_config(merged(GOOD, extra), WHERE)
    rubric = apply_overrides(load_rubric(), config.table, WHERE)
    assert (*config.problems, *rubric.problems) == (f"{WHERE} {problem}",)
    assert applied(config, rubric) == set(GOOD) - lost


def test_two_bad_keys_are_two_lines_naming_their_place_in_the_file() -> None:
    config = parse_config({"disabled": [[1], "Speed", "Security"], "waivers": [3, {"rule": "r"}]}, WHERE)
    rubric = apply_overrides(load_rubric(), config.table, WHERE)
    assert (*config.problems, *rubric.problems) == (
        f"{WHERE} disabled[0]: must be {NAME}, got an array of 1 item(s)",
        f"{WHERE} waivers[0]: must be {WAIVER}, got 3",
        f"{WHERE} waivers[1].justification: missing; must be a justification: why the finding is acceptable "
        "(at most 2000 characters)",
        f'{WHERE} disabled: "Speed" is not a category of the rubric ({CATEGORIES})',
    )
    assert rubric.category("Security").disabled == f"switched off in {WHERE}"


def test_the_good_config_has_no_problem() -> None:
    config = parse_config(GOOD, WHERE)
    rubric = apply_overrides(load_rubric(), config.table, WHERE)
    assert (config.problems, rubric.problems, applied(config, rubric)) == ((), (), set(GOOD))


# --- bounds ---------------------------------------------------------------------------------------


def test_twenty_thousand_globs_keep_the_first_thousand_and_say_so() -> None:
    config = parse_config({"paths": {"exclude": [f"gen{n}" for n in range(20_000)]}}, WHERE)
    assert config.problems == (f"{WHERE} paths.exclude: 20000 entries, more than 1000; the first 1000 apply, "
                               "the other 19000 do not",)  # fmt: skip
    assert len(config.exclude) == MAX_GLOBS
    assert config.excludes("gen999/x.py") and config.excludes("gen0")
    assert not config.excludes("gen1000/x.py") and not config.excludes("gen99x/y.py")


def test_twenty_thousand_waivers_keep_the_first_thousand_and_say_so() -> None:
    raw = [{"rule": f"rule.{n}", "justification": "j"} for n in range(20_000)]
    config = parse_config({"waivers": raw}, WHERE)
    assert config.problems == (f"{WHERE} waivers: 20000 entries, more than 1000; the first 1000 apply, "
                               "the other 19000 do not",)  # fmt: skip
    assert len(config.waivers) == MAX_WAIVERS
    findings = [finding("rule.999"), finding("rule.1000")]
    assert [f.waived for f in apply_waivers(findings, config.waivers, TODAY)[0]] == ["j", None]


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"weights": {f"c{n}": 1 for n in range(101)}}, "weights: more than 100 entries; must be a table of "
         "category = weight"),
        ({"disabled": [f"c{n}" for n in range(101)]}, "disabled: more than 100 entries; must be a list of category "
         "names"),
        ({"thresholds": {"Maintainability": {f"s{n}": {} for n in range(101)}}}, "thresholds.Maintainability: more "
         "than 100 entries; must be a table of signal = { grade = value }"),
    ],
)  # fmt: skip
def test_tables_past_their_bound_are_one_line(table: dict[str, Any], problem: str) -> None:
    config = parse_config(table, WHERE)
    assert config.problems == (f"{WHERE} {problem}",) and not any(config.table.values())


def test_thousands_of_bad_keys_are_a_hundred_lines() -> None:
    config = parse_config({"paths": {"exclude": list(range(5000))}}, WHERE)
    assert len(config.problems) == 100 and config.exclude == ()
    assert config.problems[0].startswith(f"{WHERE} paths.exclude: 5000 entries, more than 1000")
    assert config.problems[1] == f"{WHERE} paths.exclude[0]: must be a glob of paths relative to the target " \
        "(at most 2000 characters), got 0"  # fmt: skip
    assert config.problems[-1] == f"{WHERE}: 902 more problem(s) not listed"


SCALARS = (st.text(max_size=12) | st.floats() | st.integers() | st.booleans() | st.dates()
           | st.datetimes().map(lambda d: d.replace(microsecond=0)))  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from([*GOOD, "chaos", "weight", "paths"]) | st.text(max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_any_table_gives_a_config_and_one_line_per_problem(table: dict[str, Any]) -> None:
    config = parse_config(table, WHERE)
    rubric = apply_overrides(load_rubric(), config.table, WHERE)
    for problem in (*config.problems, *rubric.problems):
        assert problem.startswith(WHERE) and len(problem.splitlines()) == 1 and len(problem) < 1000, problem
    assert all(math.isfinite(c.weight) and 0 <= c.weight <= 100 for c in rubric.categories)
    assert all(math.isfinite(v) for c in rubric.categories for s in c.signals for v in s.thresholds.values())


# --- reading the file, and the report ---------------------------------------------------------------------

BAD_PYPROJECT = '[project]\nname = "t"\n\n[tool.assess]\nweights = { Security = nan }\ndisabled = [[1]]\n'
BAD_LINES = (
    f"{WHERE} weights.Security: must be a number from 0 to 100, got nan",
    f"{WHERE} disabled[0]: must be {NAME}, got an array of 1 item(s)",
)


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"pyproject.toml": "[tool]\nassess = 3\n"}, f"{WHERE}: must be a table, got 3"),
        ({"pyproject.toml": b"\xff\xfe[tool.assess]"}, "pyproject.toml: cannot be read"),
        ({"assess.toml": "[tool.assess\n"}, "assess.toml: cannot be read"),
        ({"assess.toml": "weights = { Security = inf }\n"}, "assess.toml weights.Security: must be a number from 0 "
         "to 100, got inf"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_and_no_exception(
    make_repo: MakeRepo, files: dict[str, str | bytes], problem: str
) -> None:
    config = target_config(make_repo(files))
    assert len(config.problems) == 1 and config.problems[0].startswith(problem), config.problems
    assert "\n" not in config.problems[0]


def test_problems_reach_the_assessment_and_its_html(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo({"pyproject.toml": BAD_PYPROJECT})
    run = rich_assessment().run.model_copy(update={"target": str(repo)})
    scored = score_assessment(Assessment(run=run, evidence=(), facts=()), {})
    assert scored.config_problems == BAD_LINES
    assert scored.scoring_error is None and scored.verdict is not None and scored.grades
    write_model(scored, tmp_path / "assessment.json")
    assert read_model(Assessment, tmp_path / "assessment.json") == scored
    write_html(scored, {}, tmp_path / "assessment.html")
    html = (tmp_path / "assessment.html").read_text(encoding="utf-8")
    assert 'id="config-problems"' in html and "weights.Security: must be a number from 0 to 100, got nan" in html


@pytest.mark.slow
def test_a_run_with_nan_weights_and_nested_disabled_writes_a_report_that_reads_back(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo({"pyproject.toml": BAD_PYPROJECT, "app.py": "def f(x):\n    return x + 1\n"})
    out = tmp_path / "runs"
    # a bad key is not a failed stage (3) nor a failed gate (1): the run measured everything, the report
    # lists the key, and the rubric applied the rest of the config
    assert main(["run", str(repo), "--no-tests", "--no-chaos", "--out", str(out), "--quiet"]) == EXIT_OK
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    document = json.loads((run_dir / "assessment.json").read_text(encoding="utf-8"))
    assert tuple(document["config_problems"]) == BAD_LINES and document["verdict"] is not None
    assert all(math.isfinite(g["weight"]) for g in document["grades"])
    assert "got nan" in (run_dir / "assessment.html").read_text(encoding="utf-8")
    baseline = str(run_dir / "assessment.json")
    assert main(["render", str(run_dir), "--baseline", baseline]) == EXIT_OK
    assert main(["score", str(run_dir), "--baseline", baseline]) == EXIT_OK


# --- globs and waivers compiled once --------------------------------------------------------------

TODAY = dt.date(2026, 6, 1)
PIECES = st.text(alphabet="ab/.*?[]!-", min_size=1, max_size=8)
PATHS = st.text(alphabet="ab/.-[]", max_size=10)


def finding(rule: str, path: str | None = "app.py", kind: Literal["problem", "good"] = "problem") -> Finding:
    return Finding(rule=rule, category="Security", severity=Severity.HIGH, kind=kind, path=path, message="m")


def old_excludes(globs: list[str], rel: str) -> bool:
    """``TargetConfig.excludes`` as it was: each glob tried in turn."""
    return any(fnmatchcase(rel, g) or rel.startswith(g.rstrip("/") + "/") for g in globs)


def old_waived(findings: list[Finding], waivers: list[Waiver]) -> list[str | None]:
    """``apply_waivers`` as it was, reduced to each finding's ``waived``: every waiver tried in turn."""
    out: list[str | None] = []
    for f in findings:
        w = next((w for w in waivers if f.kind == "problem" and not w.expired(TODAY) and fnmatchcase(f.rule, w.rule)
                  and (w.path is None or (f.path is not None and fnmatchcase(f.path, w.path)))), None)  # fmt: skip
        out.append(None if w is None else w.justification + (f" (until {w.expires})" if w.expires else ""))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=8), st.lists(PATHS, max_size=10))
def test_compiled_globs_agree_with_the_globs_one_by_one(globs: list[str], paths: list[str]) -> None:
    config = TargetConfig(table={}, exclude=tuple(globs))
    assert [config.excludes(p) for p in paths] == [old_excludes(globs, p) for p in paths]
    matcher = GlobSet(globs)
    assert [matcher(p) for p in paths] == [any(fnmatchcase(p, g) for g in globs) for p in paths]


WAIVERS = st.builds(
    Waiver,
    rule=st.sampled_from(["sec.a", "sec.b", "sec.*", "*", "sec.[ab]", "lint.?"]),
    justification=st.sampled_from(["x", "y", "z"]),
    path=st.none() | st.sampled_from(["a/*", "a/b.py", "*.py", "b.py"]),
    expires=st.none() | st.sampled_from([dt.date(2026, 1, 1), dt.date(2027, 1, 1)]),
)
FINDINGS = st.builds(
    finding,
    rule=st.sampled_from(["sec.a", "sec.b", "sec.c", "lint.x", "lint.xy"]),
    path=st.none() | st.sampled_from(["a/b.py", "b.py", "a/c/d.py", "c.txt"]),
    kind=st.sampled_from(["problem", "problem", "good"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WAIVERS, max_size=8), st.lists(FINDINGS, max_size=12))
def test_indexed_waivers_agree_with_the_waivers_one_by_one(waivers: list[Waiver], findings: list[Finding]) -> None:
    done, statuses = apply_waivers(findings, waivers, TODAY)
    expected = old_waived(findings, waivers)
    assert [f.waived for f in done] == expected
    assert [s.matched for s in statuses] == [
        sum(1 for f, why in zip(findings, expected, strict=True) if why is not None and _first(f, waivers) is w)
        for w in waivers
    ]


def _first(f: Finding, waivers: list[Waiver]) -> Waiver | None:
    return next((w for w in waivers if not w.expired(TODAY) and w.covers(f)), None)
