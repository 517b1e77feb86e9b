"""git on a hostile repository runs nothing the repository configures (issue: the trust boundary).

A target delivered with its ``.git`` folder can configure git to run commands. Each hook point below is
configured to run a canary script that appends its name to a file outside the target; the listing and the
commit lookup (and a whole ``--no-tests`` run) must leave that file absent. For the hook points that plain git
runs during ``git status`` or ``git ls-files``, a control test runs plain git on the same repository and sees
the canary fire: the canary is live, so its silence under assess means something.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from assess.collectors.git import find_repository
from assess.collectors.listing import git_commit, list_files
from tests.conftest import git, write_files

HOOKS = (
    "applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit", "prepare-commit-msg",
    "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge", "pre-push", "pre-receive", "update",
    "proc-receive", "post-receive", "post-update", "reference-transaction", "push-to-checkout", "pre-auto-gc",
    "post-rewrite", "sendemail-validate", "fsmonitor-watchman", "p4-changelist", "p4-prepare-changelist",
    "p4-post-changelist", "p4-pre-submit", "post-index-change",
)  # fmt: skip
"""Every hook git documents (githooks(5)), each installed in .git/hooks and in the core.hooksPath folder."""


def _config(canary: str, hooks_path: Path, included: Path) -> str:
    """A repository configuration with a command at every hook point we know of."""
    c = canary
    return f"""
[core]
    fsmonitor = {c} core.fsmonitor
    hooksPath = {hooks_path}
    pager = {c} core.pager
    editor = {c} core.editor
    askPass = {c} core.askPass
    sshCommand = {c} core.sshCommand
    gitProxy = {c} core.gitProxy
    alternateRefsCommand = {c} core.alternateRefsCommand
    attributesFile = {hooks_path}/attributes
    untrackedCache = true
[include]
    path = {included}
[includeIf "gitdir:/"]
    path = {included}
[filter "evil"]
    clean = {c} filter.clean
    smudge = {c} filter.smudge
    process = {c} filter.process
    required = true
[diff "evil"]
    textconv = {c} diff.textconv
    command = {c} diff.command
[diff]
    external = {c} diff.external
[merge "evil"]
    driver = {c} merge.driver
[pager]
    status = {c} pager.status
    ls-files = {c} pager.ls-files
[credential]
    helper = !{c} credential.helper
[gpg]
    program = {c} gpg.program
[log]
    showSignature = true
[sequence]
    editor = {c} sequence.editor
[uploadpack]
    packObjectsHook = {c} uploadpack.packObjectsHook
[remote "origin"]
    url = ext::{c} remote.ext
    uploadpack = {c} remote.uploadpack
    receivepack = {c} remote.receivepack
[protocol "ext"]
    allow = always
[status]
    showUntrackedFiles = all
"""


def _canary(tmp_path: Path) -> tuple[Path, Path]:
    """(the canary script, the file it appends to); both outside the target."""
    fired = tmp_path / "fired.log"
    script = tmp_path / "canary.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> {fired}\ncat\n', encoding="utf-8")  # cat: a filter passes content on
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, fired


def hostile_repository(tmp_path: Path) -> tuple[Path, Path]:
    """(a committed repository configured to run the canary everywhere, the canary's log)."""
    script, fired = _canary(tmp_path)
    repo = tmp_path / "repo"
    write_files(repo, {"app/main.py": "def f():\n    return 1\n", "notes.txt": "hello\n", "sub/x.py": "y = 2\n"})
    git(repo / "sub", "init", "-q", "-b", "main")
    git(repo / "sub", "add", "-A")
    git(repo / "sub", "commit", "-q", "-m", "sub")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")  # sub/ goes in as a gitlink: a submodule with a configuration of its own
    git(repo, "commit", "-q", "-m", "fixture")
    hooks = tmp_path / "hooks"
    for folder in (hooks, repo / ".git" / "hooks"):
        folder.mkdir(exist_ok=True)
        for name in HOOKS:
            (folder / name).write_text(f"#!/bin/sh\n{script} hook.{name}\n", encoding="utf-8")
            (folder / name).chmod(0o755)
    (hooks / "attributes").write_text("* filter=evil diff=evil\n", encoding="utf-8")
    included = tmp_path / "included.config"
    included.write_text(f'[filter "inc"]\n    clean = {script} include.filter.clean\n', encoding="utf-8")
    (repo / ".gitattributes").write_text("* filter=evil diff=evil merge=evil\n*.txt filter=inc\n", encoding="utf-8")
    with (repo / ".git" / "config").open("a", encoding="utf-8") as fh:
        fh.write(_config(str(script), hooks, included))
    with (repo / "sub" / ".git" / "config").open("a", encoding="utf-8") as fh:
        fh.write(f"[core]\n    fsmonitor = {script} submodule.fsmonitor\n")
    _touch_all(repo)
    return repo, fired


def _touch_all(repo: Path) -> None:
    """New modification times for every file, so that git status must read them again (through the filters)."""
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**10))


def test_plain_git_fires_the_canaries(tmp_path: Path) -> None:
    """Control: plain ``git status`` on the repository runs its commands (so the canary is live). A failing
    filter stops git, so each round takes away the hook point that fired first and runs git again."""
    repo, fired = hostile_repository(tmp_path)
    names: set[str] = set()
    for unset in ([], ["core.fsmonitor"], ["filter.evil.process"], ["filter.evil.clean", "filter.evil.required"]):
        for key in unset:
            git(repo, "config", "--unset", key)
        _touch_all(repo)
        subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, check=False, timeout=60)
        names |= set(fired.read_text(encoding="utf-8").split()) if fired.exists() else set()
    live = {"core.fsmonitor", "filter.process", "filter.clean", "include.filter.clean", "hook.post-index-change",
            "submodule.fsmonitor"}  # fmt: skip
    assert live <= names, live - names


def test_listing_and_commit_run_nothing_from_the_repository(tmp_path: Path) -> None:
    repo, fired = hostile_repository(tmp_path)
    head = git(repo, "rev-parse", "HEAD").strip()
    listing = list_files(repo)
    commit, dirty = git_commit(repo)
    assert not fired.exists(), fired.read_text(encoding="utf-8")
    assert listing.method == "git"
    assert {"app/main.py", "notes.txt", ".gitattributes"} <= set(listing.paths)
    assert commit == head
    assert dirty is True  # .gitattributes and the touched files; the submodule is not looked into
    assert not list((repo / ".git").glob("index.lock"))


def test_the_repository_is_never_written(tmp_path: Path) -> None:
    repo, _ = hostile_repository(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in (repo / ".git").rglob("*")}
    list_files(repo)
    git_commit(repo)
    after = {p: p.stat().st_mtime_ns for p in (repo / ".git").rglob("*")}
    assert before == after  # git status refreshes its copy of the index, not the target's


@pytest.mark.parametrize("where", ["worktree", "gitdir-file"])
def test_a_repository_elsewhere_is_read_without_its_configuration(tmp_path: Path, where: str) -> None:
    """``core.worktree`` pointing out of the target, and a ``.git`` file naming a git folder elsewhere."""
    script, fired = _canary(tmp_path)
    outside = tmp_path / "outside"
    write_files(outside, {"secret.py": "KEY = 'x'\n"})
    repo = tmp_path / "repo"
    write_files(repo, {"app.py": "x = 1\n"})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    with (repo / ".git" / "config").open("a", encoding="utf-8") as fh:
        fh.write(f"[core]\n    worktree = {outside}\n    fsmonitor = {script} fsmonitor\n")
    if where == "gitdir-file":
        (repo / ".git").rename(tmp_path / "elsewhere.git")
        (repo / ".git").write_text(f"gitdir: {tmp_path / 'elsewhere.git'}\n", encoding="utf-8")
    _touch_all(repo)
    listing = list_files(repo)
    assert listing.paths == ("app.py",) and listing.method == "git"
    assert git_commit(repo)[0] is not None
    assert not fired.exists()


def test_a_target_below_the_repository_top_is_listed_from_the_enclosing_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_files(repo, {"svc/app.py": "x = 1\n", "other/b.py": "y = 2\n", "svc/.gitignore": "*.log\n",
                       "svc/out.log": "ignored\n"})  # fmt: skip
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    found = find_repository(repo / "svc")
    assert found is not None and found.worktree == repo.resolve()
    listing = list_files(repo / "svc")
    assert listing.method == "git" and listing.paths == (".gitignore", "app.py")


def test_no_repository_is_walked(tmp_path: Path) -> None:
    write_files(tmp_path / "plain", {"a.py": "x = 1\n"})
    (tmp_path / "plain" / ".git").write_text("not a gitdir line\n", encoding="utf-8")
    assert find_repository(tmp_path / "plain") is None
    assert list_files(tmp_path / "plain").method == "walk"
    assert git_commit(tmp_path / "plain") == (None, None)


def test_a_fifo_for_head_does_not_hang(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_files(repo, {"a.py": "x = 1\n"})
    git(repo, "init", "-q", "-b", "main")
    (repo / ".git" / "HEAD").unlink()
    os.mkfifo(repo / ".git" / "HEAD")
    assert list_files(repo).method == "walk"  # not a repository git could read: walked, at once


@pytest.mark.slow
def test_a_no_tests_run_runs_nothing_from_the_repository(tmp_path: Path) -> None:
    from assess.cli import main

    repo, fired = hostile_repository(tmp_path)
    code = main(["run", str(repo), "--no-tests", "--no-chaos", "--quiet", "--out", str(tmp_path / "runs")])
    assert code in (0, 3)
    assert not fired.exists(), fired.read_text(encoding="utf-8")
    assert list((tmp_path / "runs").glob("*/assessment.html"))
