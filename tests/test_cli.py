"""The command line: clear one-line errors for bad input; whole runs on fixtures (slow)."""

from __future__ import annotations

import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assess.cli import EXIT_GATE, EXIT_OK, EXIT_STAGE_ERRORS, EXIT_USAGE, main
from assess.model.io import read_assessment, read_run_info
from assess.paths import sample_target

from .conftest import CALC_PROJECT
from .test_coverage_run import tree_digest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "/nonexistent/folder"], "target '/nonexistent/folder' does not exist"),
        (["run", "--timeout", "0", "."], "--timeout must be positive"),
        (["run", ".", "--coverage-report", "/nonexistent.xml"], "report '/nonexistent.xml' does not exist"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]):
    assert main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == f"assess: error: {message}\n"


def test_a_file_is_not_a_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "x.py"
    path.write_text("x = 1\n")
    assert main(["run", str(path)]) == EXIT_USAGE
    assert "is a file; give the repository's folder" in capsys.readouterr().err


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "action", "srcset", "data"} and value and "://" in value:
                self.found.append(f"<{tag} {name}={value}>")


def external_references(html: str) -> list[str]:
    """Attributes that would make a browser fetch something from elsewhere (text in snippets does not count)."""
    parser = _Links()
    parser.feed(html)
    return parser.found


def _last_line(capsys: pytest.CaptureFixture[str]) -> Path:
    out = capsys.readouterr().out.strip().splitlines()
    return Path(out[-1])


def _stages(run_dir: Path) -> dict[str, tuple[str, str | None]]:
    info = read_run_info(run_dir / "run.json")
    return {s.name: (s.status.value, s.reason) for s in info.stages}


@pytest.mark.slow
def test_run_on_the_bundled_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    before = tree_digest(sample_target())
    # The sample is NO-GO: --fail-on makes that exit 1, after the whole report is written.
    assert main(["run", "--out", str(tmp_path), "--fail-on", "NO-GO"]) == EXIT_GATE
    run_dir = _last_line(capsys)
    assert run_dir.parent == tmp_path
    assert tree_digest(sample_target()) == before, "assess wrote into the target"
    stages = _stages(run_dir)
    assert {k: v[0] for k, v in stages.items()} == {
        "inventory": "ok",
        "coverage": "ok",
        "tests": "ok",
        "complexity": "ok",
        "patterns": "ok",
        "chaos": "ok",  # the bundled experiments ran against the sample's service
        "assessment": "ok",
    }
    for name in ("inventory", "coverage", "tests", "complexity", "patterns", "assessment"):
        nb = json.loads((run_dir / "notebooks" / f"{name}.ipynb").read_text())
        assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    assessment = read_assessment(run_dir / "assessment.json")
    facts = {f.key: f.value for f in assessment.facts}
    coverage = json.loads((run_dir / "raw" / "coverage" / "coverage.json").read_text())
    assert facts["coverage.percent_covered"] == coverage["totals"]["percent_covered"]
    assert facts["tests.passed"] > 0 and facts["tests.failed"] == 0
    # Every test found statically ran: parametrize expansion known for all of them.
    assert facts["inventory.tests.expanded"] == facts["tests.passed"]
    html = (run_dir / "assessment.html").read_text()
    assert "Line coverage" in html and "taskstore/" in html
    # Findings with file:line evidence, and the never-executed retry path flagged as such.
    assert assessment.findings and all(f.path for f in assessment.findings if f.line)
    assert "never executed by the tests" in html
    assert external_references(html) == []
    # Chaos: the sample has no SIGTERM handler, so graceful termination fails; the rest holds.
    chaos = {f.message.split(" ")[0]: f.rule for f in assessment.findings if f.category == "Chaos Engineering"}
    assert chaos["graceful-termination"] == "chaos.durability-scenario-failed"
    for family in ("process-crash", "network-latency", "network-partition", "disk-exhaustion", "memory-pressure"):
        assert chaos[family] == "chaos.scenario-passed", family
    assert "raw/chaos/graceful-termination-1/journal.json" in html


@pytest.mark.slow
def test_empty_folder_gives_a_report_saying_what_was_not_measured(tmp_path: Path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main(["run", str(empty), "--out", str(tmp_path / "runs")])
    run_dir = _last_line(capsys)
    assert code == EXIT_OK
    stages = _stages(run_dir)
    assert stages["inventory"] == ("ok", "the target has no files")
    assert stages["coverage"][0] == "skipped" and "collected no tests" in stages["coverage"][1]
    assert stages["complexity"][0] == "skipped"
    assert stages["tests"][0] == "skipped"
    html = (run_dir / "assessment.html").read_text()
    assert "not measured" in html


@pytest.mark.slow
def test_hung_suite_is_stopped_and_the_run_completes(make_repo, tmp_path: Path, capsys):
    repo = make_repo({**CALC_PROJECT, "tests/test_hang.py": "import time\ndef test_hang():\n    time.sleep(600)\n"})
    code = main(["run", str(repo), "--timeout", "5", "--out", str(tmp_path / "runs")])
    run_dir = _last_line(capsys)
    assert code == EXIT_STAGE_ERRORS
    stages = _stages(run_dir)
    assert stages["coverage"] == ("error", "the test suite ran longer than the 5 s timeout and was stopped")
    assert stages["inventory"][0] == "ok" and stages["complexity"][0] == "ok"
    assert stages["assessment"][0] == "ok"
    assert "ran longer than the 5 s timeout" in (run_dir / "assessment.html").read_text()


@pytest.mark.slow
def test_no_tests_flag_runs_nothing_from_the_target(make_repo, tmp_path: Path, capsys):
    repo = make_repo({**CALC_PROJECT, "tests/test_boom.py": "open('/tmp/should-not-run', 'w')\n"})
    assert main(["run", str(repo), "--no-tests", "--out", str(tmp_path / "runs"), "--quiet"]) == EXIT_OK
    stages = _stages(_last_line(capsys))
    assert stages["coverage"] == ("skipped", "tests were not run (--no-tests)")
    assert stages["tests"][0] == "skipped"


def test_without_the_bundled_sample_a_target_is_required(monkeypatch, tmp_path: Path, capsys):
    monkeypatch.setattr("assess.cli_common.sample_target", lambda: tmp_path / "not-installed")
    assert main(["run"]) == EXIT_USAGE
    assert "give a TARGET folder" in capsys.readouterr().err


def test_notebooks_ship_inside_the_package():
    from assess.paths import PACKAGE_DIR, notebooks_dir

    assert notebooks_dir() == PACKAGE_DIR / "notebooks"
    assert {p.stem for p in notebooks_dir().glob("*.ipynb")} >= {"inventory", "coverage", "assessment"}


def test_python_is_made_absolute_without_leaving_the_virtualenv(tmp_path: Path, monkeypatch):
    from assess.cli import UsageError, resolve_interpreter

    venv_python = tmp_path / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    monkeypatch.chdir(tmp_path)
    # Stages run elsewhere: a relative --python must not depend on the working directory, and the
    # symlink is kept (resolving it would run the base interpreter, outside the virtualenv).
    assert resolve_interpreter("venv/bin/python") == str(venv_python)
    assert resolve_interpreter("./venv/bin/../bin/python") == str(venv_python)
    assert resolve_interpreter(Path(sys.executable).name) is not None  # a bare name: looked up on PATH
    assert resolve_interpreter(None) is None
    with pytest.raises(UsageError, match="does not exist"):
        resolve_interpreter("nope/bin/python")
    with pytest.raises(UsageError, match="is not on PATH"):
        resolve_interpreter("no-such-python-3.99")
