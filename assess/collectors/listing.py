"""List the target's files: ``git ls-files`` in a git work tree, otherwise a walk.

Both apply the same default excludes, so the two listings of one tree agree apart from
files that git ignores.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assess.config import TargetConfig, load_target_config
from assess.rubric import RubricError

EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
        "htmlcov",
        ".hypothesis",
        ".benchmarks",
        ".ipynb_checkpoints",
        ".idea",
    }
)
"""Directory names never listed: version control, virtualenvs, caches."""

WALK_ONLY_EXCLUDED_DIRS = frozenset({"node_modules", "build", "dist", "site-packages"})
"""Also left out by the walk; in git they are listed when committed (and then counted as vendored or generated)."""

MAX_FILES = 200_000

# Untrusted repository: keep git from running anything configured in it.
_SAFE_GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.untrackedCache=false")


@dataclass(frozen=True)
class Listing:
    method: str
    """``git`` or ``walk``."""
    paths: tuple[str, ...]
    """Relative paths with forward slashes, sorted."""
    skipped: tuple[str, ...]
    """Entries left out: symlinks, special files."""
    warnings: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    """Files the target's config leaves out (``paths.exclude``)."""
    stats: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)
    """Path -> (size, modification time in ns) of each listed file, as the listing saw it."""


def _excluded(rel: str, *, walk: bool) -> bool:
    return any(_excluded_dir(part, walk=walk) for part in rel.split("/")[:-1])


def _excluded_dir(name: str, *, walk: bool) -> bool:
    return name in EXCLUDED_DIRS or name.endswith(".egg-info") or (walk and name in WALK_ONLY_EXCLUDED_DIRS)


def _git(target: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes] | None:
    """Run git safely in ``target``; None when git is missing, hangs or fails."""
    try:
        out = subprocess.run([*_SAFE_GIT, "-C", str(target), *args], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out if out.returncode == 0 else None


def git_toplevel(target: Path) -> Path | None:
    """The git work tree containing ``target``, or None (not a repo, or git missing/refusing)."""
    out = _git(target, "rev-parse", "--show-toplevel", timeout=30)
    top = out.stdout.decode(errors="replace").strip() if out else ""
    return Path(top) if top else None


def git_commit(target: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether the tree under ``target`` has uncommitted changes), or (None, None)."""
    head = _git(target, "rev-parse", "HEAD", timeout=30)
    if head is None:
        return None, None
    status = _git(target, "status", "--porcelain", "--", ".")
    dirty = bool(status.stdout.strip()) if status else None
    return head.stdout.decode().strip(), dirty


def _git_paths(target: Path) -> list[str] | None:
    out = _git(target, "ls-files", "-z", "--cached", "--others", "--exclude-standard", timeout=120)
    if out is None:
        return None
    return [p for p in out.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _walk_paths(target: Path) -> dict[str, os.stat_result]:
    """Path -> its ``lstat`` for every entry under ``target`` but folders, as ``os.walk`` (not following
    symlinks) finds them; the stats come with the folder's listing, so no file is asked twice."""
    found: dict[str, os.stat_result] = {}
    base = os.fspath(target)
    folders = [""]
    while folders and len(found) <= MAX_FILES:
        prefix = folders.pop()
        try:
            with os.scandir(os.path.join(base, prefix) if prefix else base) as entries:  # noqa: PTH118
                for entry in entries:
                    if _is_dir(entry):  # as os.walk tells them: a symlink to a folder is a folder, not entered
                        if not entry.is_symlink() and not _excluded_dir(entry.name, walk=True):
                            folders.append(prefix + entry.name + "/")
                        continue
                    with contextlib.suppress(OSError):  # gone since the folder was read
                        found[prefix + entry.name] = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # an unreadable folder is left out, as os.walk leaves it
    return found


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _config(target: Path, warnings: list[str]) -> TargetConfig:
    try:
        return load_target_config(target)
    except RubricError as err:
        warnings.append(f"the target's assess config is ignored: {err}")
        return TargetConfig(table={})


def list_files(target: Path) -> Listing:
    """List regular files under ``target`` that belong to the project, less those its config's
    ``paths.exclude`` leaves out."""
    warnings: list[str] = []
    config = _config(target, warnings)
    excluded: list[str] = []
    method = "walk"
    raw = _git_paths(target) if git_toplevel(target) else None
    walked: dict[str, os.stat_result] = {}
    if raw is not None:
        method = "git"
    else:
        walked = _walk_paths(target)
        raw = list(walked)
    kept: dict[str, tuple[int, int]] = {}
    skipped: list[str] = []
    base = os.fspath(target)
    for rel in sorted(set(raw)):
        if method == "git" and _excluded(rel, walk=False):  # the walk did not enter excluded folders
            continue
        if config.excludes(rel):
            excluded.append(rel)
            continue
        if not _utf8(rel):  # cannot be written to JSON or shown as it is
            skipped.append(rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
            continue
        try:
            st = walked.get(rel) or os.lstat(os.path.join(base, rel))  # noqa: PTH118 (a Path per file costs more)
        except OSError:
            continue  # deleted since it was listed
        if not stat.S_ISREG(st.st_mode):
            skipped.append(rel)  # symlinks may lead out of the target; devices, sockets and fifos are not code
            continue
        kept[rel] = (st.st_size, st.st_mtime_ns)
    paths = list(kept)
    if len(paths) > MAX_FILES:
        warnings.append(f"more than {MAX_FILES} files; only the first {MAX_FILES} are inventoried")
        paths = paths[:MAX_FILES]
        kept = {rel: kept[rel] for rel in paths}
    if excluded:
        warnings.append(f"{len(excluded)} file(s) left out by {config.source} paths.exclude")
    return Listing(method, tuple(paths), tuple(skipped), tuple(warnings), tuple(excluded), kept)
