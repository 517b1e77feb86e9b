"""git on an untrusted repository: its index, objects and refs, never its configuration, hooks or filters.

A repository's configuration can make git run commands: ``core.fsmonitor``, hooks (``core.hooksPath``, or
``.git/hooks``), clean and smudge filters (``filter.<name>.clean`` with a ``.gitattributes`` entry), textconv
and external diff drivers, ``include.path`` pulling in more of the same, a submodule's own configuration when
``git status`` recurses into it. A target delivered with its ``.git`` folder (a tarball, a CI cache, a shared
volume) would run them under ``--no-tests``. So assess never lets git read that configuration: each command
runs against a *stand-in git folder*, made in a temporary folder, that holds

- a configuration of its own with only the repository's format (``core.repositoryformatversion``,
  ``extensions.objectFormat``, ``extensions.refStorage``), read from the repository's ``config`` with
  ``git config --file`` (which runs nothing and follows no ``include``);
- a copy of ``HEAD``, of the index (so that ``git status`` refreshing it never writes into the target) and of
  ``info/exclude``;
- links to the repository's ``objects``, ``refs``, ``packed-refs``, ``reftable``, ``shallow`` and split-index
  files, which git only reads;

and git runs with no system or global configuration (``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL=/dev/null``,
``HOME`` in the temporary folder), no hooks, no fsmonitor, no untracked cache, no optional locks, no protocol
allowed, no lazy fetch, and ``--ignore-submodules=all``. ``.gitattributes`` alone runs nothing: a filter or diff
driver is a command only when configuration defines it. The user's own global ignore file is therefore not
applied either; the repository's ``.gitignore`` files and ``info/exclude`` are.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assess._files import read_bounded

MAX_INDEX_BYTES = 1024 * 1024 * 1024
"""A larger index is not copied: the repository is listed by walking it instead."""
MAX_SMALL_FILE_BYTES = 1024 * 1024
"""HEAD and info/exclude are a few bytes; larger ones are not copied."""
LINKED = ("objects", "refs", "packed-refs", "reftable", "shallow")
"""What the stand-in folder links to in the repository's common folder: git reads them and writes none of them
in the commands assess runs."""
FORMAT_KEYS = ("core.repositoryformatversion", "extensions.objectformat", "extensions.refstorage")
"""The only configuration taken from the repository: without them git cannot read its objects or refs."""
GIT_FLAGS = (
    "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.untrackedCache=false",
    "-c", "core.splitIndex=false", "-c", "safe.directory=*", "-c", "protocol.allow=never",
    "-c", "core.quotePath=false",
)  # fmt: skip
"""Defence in depth: the stand-in configuration sets none of these, and the command line wins over it anyway."""


@dataclass(frozen=True)
class Repository:
    """Where a target's repository keeps what assess reads."""

    worktree: Path
    """The folder holding ``.git``: the work tree's top."""
    gitdir: Path
    """The folder with HEAD and the index (``.git``, or what a ``gitdir:`` file names)."""
    common: Path
    """The folder with objects, refs and the configuration (``gitdir``, or what its ``commondir`` names)."""


def find_repository(target: Path) -> Repository | None:
    """The repository whose work tree holds ``target`` (``target`` or a folder above it with a ``.git``), or
    None. Nothing in it is run or trusted: this only reads ``.git`` files and folders."""
    folder = target.resolve()
    for candidate in (folder, *folder.parents):
        dot_git = candidate / ".git"
        gitdir = _gitdir(dot_git)
        if gitdir is not None:
            return Repository(candidate, gitdir, _common(gitdir))
        if dot_git.exists() or dot_git.is_symlink():
            return None  # something named .git that is not a repository: git would stop here too
    return None


def _gitdir(dot_git: Path) -> Path | None:
    """The git folder that ``dot_git`` is (a folder with HEAD) or names (a ``gitdir: PATH`` file); None."""
    if dot_git.is_dir():
        return dot_git if (dot_git / "HEAD").is_file() else None
    if not dot_git.is_file():
        return None
    text = _small(dot_git)
    if text is None or not text.startswith(b"gitdir: "):
        return None
    named = Path(os.fsdecode(text[len(b"gitdir: ") :].strip()))
    gitdir = named if named.is_absolute() else dot_git.parent / named
    return gitdir if (gitdir / "HEAD").is_file() else None


def _common(gitdir: Path) -> Path:
    text = _small(gitdir / "commondir")
    if not text:
        return gitdir
    named = Path(os.fsdecode(text.strip()))
    return named if named.is_absolute() else gitdir / named


def _small(path: Path) -> bytes | None:
    """The bytes of a small regular file (HEAD, a ``gitdir:`` file, ``info/exclude``), or None: a FIFO named
    HEAD is not waited on."""
    try:
        return read_bounded(path, MAX_SMALL_FILE_BYTES)
    except OSError:
        return None


def _env(home: Path, gitdir: Path, worktree: Path) -> dict[str, str]:
    """git's environment: none of the caller's ``GIT_*`` variables or configuration files."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    env.update({
        "HOME": str(home), "XDG_CONFIG_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_SYSTEM": "/dev/null", "GIT_ATTR_NOSYSTEM": "1", "GIT_DIR": str(gitdir),
        "GIT_WORK_TREE": str(worktree), "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0",
        "GIT_NO_LAZY_FETCH": "1", "GIT_NO_REPLACE_OBJECTS": "1", "GIT_ALLOW_PROTOCOL": "", "LC_ALL": "C",
    })  # fmt: skip
    return env


def _format_config(common: Path, scratch: Path) -> str:
    """The stand-in's configuration: the repository's format keys, nothing else. The repository's ``config`` is
    read from a copy in ``scratch`` (``git config --file`` follows no ``include`` and runs nothing)."""
    lines: dict[str, list[str]] = {"core": ["\tbare = false"], "extensions": []}
    text = _small(common / "config")
    if text is None:
        return _config_text(lines)
    copy = scratch / "repository-config"
    copy.write_bytes(text)
    env = {**_env(scratch, scratch, scratch)}
    del env["GIT_DIR"], env["GIT_WORK_TREE"]
    for key in FORMAT_KEYS:
        found = _run(["git", "config", "--file", str(copy), "--get", key], env, cwd=scratch, timeout=30)
        value = (found or b"").strip()
        if value and value.isascii() and value.replace(b"-", b"").replace(b"_", b"").isalnum():
            section, name = key.split(".")
            lines[section].append(f"\t{name} = {value.decode('ascii')}")
    return _config_text(lines)


def _config_text(lines: dict[str, list[str]]) -> str:
    return "".join(f"[{section}]\n" + "".join(f"{line}\n" for line in body) for section, body in lines.items() if body)


def _run(cmd: list[str], env: dict[str, str], *, cwd: Path, timeout: float) -> bytes | None:
    """stdout of ``cmd``, or None when it cannot start, fails or overruns."""
    try:
        out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False,
                             stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def _stand_in(repo: Repository, folder: Path) -> bool:
    """Fill ``folder`` as the stand-in git folder for ``repo``; False when the repository cannot be read so."""
    head = _small(repo.gitdir / "HEAD")
    if head is None:
        return False
    (folder / "HEAD").write_bytes(head)
    (folder / "config").write_text(_format_config(repo.common, folder.parent), encoding="utf-8")
    for name in LINKED:
        if (repo.common / name).exists():
            (folder / name).symlink_to(repo.common / name)
    for shared in repo.gitdir.glob("sharedindex.*"):  # a split index names its shared part from the index
        (folder / shared.name).symlink_to(shared)
    (folder / "info").mkdir()
    exclude = _small(repo.common / "info" / "exclude")
    if exclude is not None:
        (folder / "info" / "exclude").write_bytes(exclude)
    return _copy_index(repo.gitdir / "index", folder / "index")


def _copy_index(index: Path, to: Path) -> bool:
    """Copy the index (a repository with no commit yet may have none); False when it is too large or odd."""
    try:
        data = read_bounded(index, MAX_INDEX_BYTES)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    to.write_bytes(data)
    return True


class SafeGit:
    """Runs read-only git commands on a repository through a stand-in git folder (see the module's docstring).

    Use as a context manager; :meth:`run` returns a command's stdout, or None when git is missing, fails or
    overruns. ``cwd`` is where commands run: paths git prints are relative to it.
    """

    def __init__(self, repo: Repository, cwd: Path) -> None:
        self.repo, self.cwd = repo, cwd
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._env: dict[str, str] | None = None

    def __enter__(self) -> SafeGit:
        self._tmp = tempfile.TemporaryDirectory(prefix="assess-git-")
        gitdir = Path(self._tmp.name) / "git"
        gitdir.mkdir()
        with contextlib.suppress(OSError):
            if _stand_in(self.repo, gitdir):
                self._env = _env(Path(self._tmp.name), gitdir, self.repo.worktree)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def run(self, *args: str, timeout: float = 60) -> bytes | None:
        if self._env is None:
            return None
        return _run(["git", *GIT_FLAGS, *args], self._env, cwd=self.cwd, timeout=timeout)


@contextlib.contextmanager
def safe_git(target: Path) -> Iterator[SafeGit | None]:
    """A :class:`SafeGit` for the repository holding ``target`` (commands run in ``target``), or None when
    ``target`` is in no repository."""
    repo = find_repository(target)
    if repo is None:
        yield None
        return
    with SafeGit(repo, target) as git:
        yield git
