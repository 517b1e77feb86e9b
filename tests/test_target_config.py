"""A target's own config: ``paths.exclude`` and ``test_command`` reach the collectors; bad values are one line."""

from __future__ import annotations

import pytest

from assess.collectors.coverage import collect_coverage
from assess.collectors.inventory import collect_inventory
from assess.collectors.listing import list_files
from assess.config import TargetConfig, load_target_config, parse_config
from assess.model import Status

from .conftest import CALC_PROJECT

WHERE = "pyproject.toml [tool.assess]"


@pytest.mark.parametrize(
    ("globs", "path", "excluded"),
    [
        (["docs"], "docs/index.md", True),
        (["docs/"], "docs/api/x.md", True),
        (["docs"], "docsite/x.md", False),
        (["*/migrations/*"], "app/migrations/0001.py", True),
        (["*/migrations/*"], "app/models.py", False),
        (["*.generated.py"], "deep/down/x.generated.py", True),  # * crosses folders
        (["calc/unused.py"], "calc/unused.py", True),
        (["calc/unused.py"], "calc/used.py", False),
    ],
)
def test_exclude_globs(globs: list[str], path: str, excluded: bool) -> None:
    assert TargetConfig(table={}, exclude=tuple(globs)).excludes(path) is excluded


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"paths": ["docs"]}, "paths: must be a table ([tool.assess.paths] or [paths]), got an array of 1 item(s)"),
        ({"paths": {"exclude": "docs"}}, "paths.exclude: must be a list of path globs, got 'docs'"),
        ({"paths": {"exclude": ["/"]}},
         "paths.exclude[0]: must be a glob of paths relative to the target (at most 2000 characters), got '/'"),
        ({"paths": {"include": ["src"]}}, "paths.include: unknown key (known: exclude)"),
        ({"test_command": ["pytest"]},
         "test_command: must be a command line (a string of at most 10000 characters), got an array of 1 item(s)"),
        ({"test_command": "  "},
         "test_command: must be a command line (a string of at most 10000 characters), got '  '"),
        ({"testcommand": "pytest"},
         "testcommand: unknown key (known: chaos, disabled, paths, test_command, thresholds, waivers, weights)"),
    ],
)  # fmt: skip
def test_bad_values_name_the_file_and_key(table: dict, problem: str) -> None:
    config = parse_config(table, WHERE)
    assert config.problems == (f"{WHERE} {problem}",)
    assert (config.exclude, config.test_command, config.table) == ((), None, {})


def test_values_are_read() -> None:
    config = parse_config({"paths": {"exclude": ["./docs", "x/*.py"]}, "test_command": " pytest -q "}, WHERE)
    assert config.exclude == ("docs", "x/*.py")
    assert config.test_command == "pytest -q"


def _project(assess_table: str) -> dict[str, str | bytes]:
    return {**CALC_PROJECT, "pyproject.toml": CALC_PROJECT["pyproject.toml"] + assess_table}  # type: ignore[operator]


def test_excluded_files_are_left_out_of_every_collector_and_counted(make_repo, make_ctx) -> None:
    repo = make_repo(_project('\n[tool.assess.paths]\nexclude = ["calc/unused.py", "README.md"]\n'))
    listing = list_files(repo)
    assert listing.excluded == ("README.md", "calc/unused.py")
    assert "calc/unused.py" not in listing.paths
    ev = collect_inventory(make_ctx(repo))
    assert "2 file(s) left out by pyproject.toml [tool.assess] paths.exclude" in ev.warnings
    assert {f.path for f in ev.data.files}.isdisjoint({"README.md", "calc/unused.py"})


def test_a_broken_key_is_left_out_and_reported_once(make_repo) -> None:
    """The listing goes on without the bad key; the assessment reports it (``config_problems``), not the listing
    too, or the report would say it twice."""
    repo = make_repo(_project("\n[tool.assess]\npaths = 3\n"))
    listing = list_files(repo)
    assert "calc/unused.py" in listing.paths
    problem = "pyproject.toml [tool.assess] paths: must be a table ([tool.assess.paths] or [paths]), got 3"
    assert listing.warnings == ()
    assert load_target_config(repo).problems == (problem,)


def test_configured_test_command_runs_and_the_command_line_wins(make_repo, make_ctx) -> None:
    repo = make_repo(_project('\n[tool.assess]\ntest_command = "python -m pytest -k add"\n'))
    ev = collect_coverage(make_ctx(repo, timeout_s=120))
    assert ev.status is Status.OK, ev.reason
    command = " ".join(ev.data.test_run.command)
    assert " -k add" in command, command
    assert {f.path: f.counts.covered_lines for f in ev.data.files}["calc/__init__.py"] < 13  # only test_add ran
    ev = collect_coverage(make_ctx(repo, timeout_s=120, test_command="python -m pytest"))
    assert "-k" not in ev.data.test_run.command
    assert {f.path: f.counts.covered_lines for f in ev.data.files}["calc/__init__.py"] == 13
