"""Files outside the target never reach a report (issue: the trust boundary).

Each case plants a canary secret in a file OUTSIDE the target and gives the target a way to it: a folder that
git's index lists but which is a symlink now, a hard link, a symlinked ``assess.toml`` or ``pyproject.toml``, a
symlinked CI folder. The secret must appear in no evidence, and the way to it is listed as skipped with why.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from assess._files import NotRegularFile, OutsideTarget, open_beneath, read_beneath
from assess.chaos.service import ChaosConfigError, chaos_table
from assess.collectors.listing import list_files
from assess.config import load_target_config
from assess.patterns import RepoFiles
from assess.rubric import RubricError
from tests.conftest import CALC_PROJECT, git, write_files
from tests.test_hostile_repos import collect_static, measured_normally

SECRET = "AKIAQWERTYUIOPASDFGH"
"""The canary: an AWS-key-shaped string that bandit and the secret rules would report, with its line."""
OUTSIDE_CODE = f'PASSWORD = "{SECRET}"\n\ndef run(s):\n    return eval(s + "{SECRET}")\n'


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    write_files(folder, {"secret.py": OUTSIDE_CODE, "ci.yml": f"env:\n  KEY: {SECRET}\n",
                         "assess.toml": f'[[waivers]]\nrule = "*"\njustification = "{SECRET}"\n',
                         "pyproject.toml": f'[tool.assess.chaos]\ncommand = "echo {SECRET}"\n'})  # fmt: skip
    return folder


def _repo(tmp_path: Path, *, git_repo: bool) -> Path:
    repo = tmp_path / "repo"
    write_files(repo, {**CALC_PROJECT, "lib/secret.py": "SAFE = 1\n", ".github/workflows/ci.yml": "on: push\n"})
    if git_repo:
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "fixture")
    return repo


def _swap_for_symlink(folder: Path, to: Path) -> None:
    """Replace a committed folder with a symlink to ``to``: git's index still lists the files under it."""
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()
    folder.symlink_to(to, target_is_directory=True)


def _no_secret(ev: dict[str, Any]) -> None:
    for kind in ("inventory.json", "complexity.json", "patterns.json"):
        assert SECRET not in ev[kind], kind
        assert "eval" not in ev[kind] or "secret.py" not in ev[kind], kind


@pytest.mark.parametrize("git_repo", [True, False], ids=["git", "walk"])
def test_a_folder_swapped_for_a_symlink_is_not_read(tmp_path: Path, git_repo: bool) -> None:
    outside = _outside(tmp_path)
    repo = _repo(tmp_path, git_repo=git_repo)
    _swap_for_symlink(repo / "lib", outside)
    _swap_for_symlink(repo / ".github" / "workflows", outside)
    ev = collect_static(repo, tmp_path / "run")
    measured_normally(ev)
    _no_secret(ev)
    if git_repo:  # the walk does not enter a symlinked folder at all; git's index names the files under it
        why = {f.path: f.reason for f in ev["inventory"].data.skipped_files}
        assert why["lib/secret.py"].startswith("reached through a symlinked folder"), why
        assert why[".github/workflows/ci.yml"].startswith("reached through a symlinked folder"), why


def test_a_hard_link_to_an_outside_file_is_skipped_with_its_reason(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    repo = _repo(tmp_path, git_repo=False)
    os.link(outside / "secret.py", repo / "calc" / "linked.py")
    ev = collect_static(repo, tmp_path / "run")
    measured_normally(ev)
    _no_secret(ev)
    why = {f.path: f.reason for f in ev["inventory"].data.skipped_files}
    assert why["calc/linked.py"] == "a hard link with 2 names, 1 of them not in the listing"


def test_hard_links_within_the_target_are_read(tmp_path: Path) -> None:
    repo = _repo(tmp_path, git_repo=False)
    write_files(repo, {"calc/twin.py": "def twin(x):\n    return eval(x)\n"})
    os.link(repo / "calc" / "twin.py", repo / "calc" / "twin2.py")
    listing = list_files(repo)
    assert {"calc/twin.py", "calc/twin2.py"} <= set(listing.paths)
    ev = collect_static(repo, tmp_path / "run")
    scanned = {f.path for f in ev["patterns"].data.files if f.parsed}
    assert {"calc/twin.py", "calc/twin2.py"} <= scanned


@pytest.mark.parametrize("name", ["assess.toml", "pyproject.toml"])
def test_a_symlinked_config_is_refused_not_followed(tmp_path: Path, name: str) -> None:
    outside = _outside(tmp_path)
    repo = _repo(tmp_path, git_repo=False)
    (repo / name).unlink(missing_ok=True)  # CALC_PROJECT has a pyproject.toml
    (repo / name).symlink_to(outside / name)
    try:
        config = load_target_config(repo)
    except RubricError as err:
        message = str(err)
    else:  # the config is left out, with one line saying why
        assert not config.waivers and not config.table
        message = " ".join(getattr(config, "problems", ()))
    assert f"{name}: cannot be read (a symlink, not followed)" in message
    ev = collect_static(repo, tmp_path / "run")
    _no_secret(ev)
    assert any(f"{name}: cannot be read (a symlink" in w for w in ev["inventory"].warnings), ev["inventory"].warnings
    if name == "pyproject.toml":
        with pytest.raises(ChaosConfigError, match="a symlink, not followed"):
            chaos_table(repo)


def test_repository_extractors_read_only_the_targets_own_files(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    repo = _repo(tmp_path, git_repo=True)
    _swap_for_symlink(repo / ".github" / "workflows", outside)
    os.link(outside / "ci.yml", repo / "linked.yml")
    files = RepoFiles(repo, {})
    assert files.read(".github/workflows/ci.yml", 10_000) is None
    assert files.read("linked.yml", 10_000) is None
    assert files.read("calc/__init__.py", 10_000) is not None


@pytest.mark.parametrize(
    ("rel", "error"),
    [
        ("lib/secret.py", OutsideTarget),  # lib is a symlink
        ("../outside/secret.py", OutsideTarget),
        ("/etc/passwd", OutsideTarget),
        ("calc/./__init__.py", OutsideTarget),
        ("link.py", NotRegularFile),
        ("fifo", NotRegularFile),
        ("calc", NotRegularFile),
        ("hard.py", OutsideTarget),
        ("missing.py", FileNotFoundError),
    ],
)
def test_open_beneath_refuses_every_way_out(tmp_path: Path, rel: str, error: type[OSError]) -> None:
    outside = _outside(tmp_path)
    repo = _repo(tmp_path, git_repo=False)
    _swap_for_symlink(repo / "lib", outside)
    (repo / "link.py").symlink_to(outside / "secret.py")
    os.mkfifo(repo / "fifo")
    os.link(outside / "secret.py", repo / "hard.py")
    with pytest.raises(error):
        open_beneath(repo, rel)
    assert read_beneath(repo, "calc/__init__.py", 1 << 20)  # the target's own file is read
    assert read_beneath(repo, "hard.py", 1 << 20, links=lambda st: True) == OUTSIDE_CODE.encode()  # when vouched


def test_a_file_over_the_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    write_files(tmp_path, {"big.txt": "x" * 2000})
    with pytest.raises(OSError) as err:
        read_beneath(tmp_path, "big.txt", 1000)
    assert err.value.errno == errno.EFBIG and err.value.strerror == "larger than 1000 bytes, not read"


@pytest.mark.slow
def test_no_outside_secret_reaches_any_output(tmp_path: Path) -> None:
    """The whole run: every way out at once, and every file the run writes searched for the secret."""
    from assess.cli import main

    outside = _outside(tmp_path)
    repo = _repo(tmp_path, git_repo=True)
    _swap_for_symlink(repo / "lib", outside)
    _swap_for_symlink(repo / ".github" / "workflows", outside)
    os.link(outside / "secret.py", repo / "calc" / "linked.py")
    (repo / "assess.toml").symlink_to(outside / "assess.toml")
    code = main(["run", str(repo), "--no-tests", "--no-chaos", "--quiet", "--out", str(tmp_path / "runs")])
    assert code in (0, 3)
    run_dir = next((tmp_path / "runs").iterdir())
    assert (run_dir / "assessment.html").is_file()
    leaks = [p for p in run_dir.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaks == []
