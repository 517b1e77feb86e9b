"""assess's own output inside the target (issue: the trust boundary).

``assess run .`` from a repository's root with the default ``--out runs`` puts the run folder inside the
target. The run must then not inventory its own (or an earlier run's) output, must not take its own writes for
the tests', and must never follow a ``runs`` symlink the target ships.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.cli import EXIT_USAGE, main
from assess.collectors import CollectContext
from assess.collectors.chaos import collect_chaos_paths
from assess.collectors.coverage import collect_coverage
from assess.collectors.inventory import collect_inventory
from assess.model import RunParameters
from tests.conftest import CALC_PROJECT, git, write_files


def _earlier_run(runs: Path) -> Path:
    """A run folder as an earlier ``assess run`` left it, with a Python file and a chaos journal in it."""
    folder = runs / "repo-20260101T000000Z"
    write_files(folder, {"run.json": "{}", "notebooks/x.py": "def f():\n    return eval('1')\n",
                         "raw/chaos/kill-1/journal.json": '{"experiment": {}, "run": []}'})  # fmt: skip
    return folder


@pytest.mark.parametrize("git_repo", [True, False], ids=["git", "walk"])
def test_run_folders_inside_the_target_are_not_inventoried(make_repo, tmp_path: Path, git_repo: bool) -> None:
    repo = make_repo(CALC_PROJECT, git_repo=git_repo)
    _earlier_run(repo / "runs")
    write_files(repo, {"runs/notes.py": "X = 1\n"})  # the target's own file in a folder called runs: kept
    if git_repo:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "a runs folder committed by mistake")
    run_dir = repo / "runs" / "repo-20260202T000000Z"
    run_dir.mkdir(parents=True)
    ctx = CollectContext(RunParameters(target=str(repo)), run_dir)
    evidence = collect_inventory(ctx)
    assert evidence.data is not None
    paths = {f.path for f in evidence.data.files}
    assert "runs/notes.py" in paths
    assert not any(p.startswith("runs/repo-") for p in paths), sorted(paths)
    found = collect_chaos_paths(repo, leave_out=ctx.leave_out)
    assert [r.path for r in found.unreadable] == [] and found.results == ()


def test_the_runs_own_writes_are_not_taken_for_the_tests(make_repo) -> None:
    repo = make_repo(CALC_PROJECT)
    run_dir = repo / "runs" / "repo-20260202T000000Z"
    run_dir.mkdir(parents=True)
    ev = collect_coverage(CollectContext(RunParameters(target=str(repo), timeout_s=120), run_dir))
    assert ev.data is not None and ev.data.test_run is not None
    assert (run_dir / "raw" / "coverage" / "junit.xml").exists()  # written during the tests, inside the target
    assert ev.data.test_run.tree_changes == ()


@pytest.mark.parametrize("link", ["runs", "out/nested"])
def test_an_out_through_a_symlink_in_the_target_is_refused(make_repo, tmp_path: Path, link: str) -> None:
    repo = make_repo(CALC_PROJECT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / link).parent.mkdir(parents=True, exist_ok=True)
    (repo / link).symlink_to(elsewhere, target_is_directory=True)
    code = main(["run", str(repo), "--no-tests", "--no-chaos", "--quiet", "--out", str(repo / link / "sub")])
    assert code == EXIT_USAGE
    assert list(elsewhere.iterdir()) == []


@pytest.mark.slow
def test_a_second_run_into_the_target_sees_the_same_tree(make_repo, tmp_path: Path, monkeypatch) -> None:
    """``assess run .`` twice from the target's root, default ``--out``: the second inventory equals the first."""
    import json

    repo = make_repo(CALC_PROJECT, git_repo=True)
    monkeypatch.chdir(repo)
    first = second = None
    for n in range(2):
        assert main(["run", ".", "--no-tests", "--no-chaos", "--quiet"]) in (0, 3)
        runs = sorted((repo / "runs").iterdir())
        assert len(runs) == n + 1
        inventory = json.loads((runs[-1] / "evidence" / "inventory.json").read_text())
        files = sorted(f["path"] for f in inventory["data"]["files"])
        first, second = (files, second) if n == 0 else (first, files)
    assert first == second and not any(p.startswith("runs/") for p in first or [])
