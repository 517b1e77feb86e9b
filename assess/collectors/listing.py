"""List the target's files: ``git ls-files`` in a git work tree, otherwise a walk.

Both apply the same default excludes, so the two listings of one tree agree apart from
files that git ignores.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assess.collectors.git import safe_git
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


@dataclass(frozen=True)
class Listing:
    method: str
    """``git`` or ``walk``."""
    paths: tuple[str, ...]
    """Relative paths with forward slashes, sorted."""
    skipped: tuple[str, ...]
    """Entries left out: symlinks, special files, files reached through a symlinked folder, hard links."""
    warnings: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    """Files the target's config leaves out (``paths.exclude``)."""
    stats: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)
    """Path -> (size, modification time in ns) of each listed file, as the listing saw it."""
    why_skipped: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Path in ``skipped`` -> why it was left out."""
    linked: frozenset[tuple[int, int]] = frozenset()
    """(device, inode) of the listed files that have more than one hard link, every one of them listed: readers
    may open these (:func:`links_inside`); any other file with several links is not read."""

    def links_inside(self, st: os.stat_result) -> bool:
        """Whether a file with several hard links has all of them among the listed files."""
        return (st.st_dev, st.st_ino) in self.linked


def _excluded(rel: str, *, walk: bool) -> bool:
    return any(_excluded_dir(part, walk=walk) for part in rel.split("/")[:-1])


def _excluded_dir(name: str, *, walk: bool) -> bool:
    return name in EXCLUDED_DIRS or name.endswith(".egg-info") or (walk and name in WALK_ONLY_EXCLUDED_DIRS)


def git_commit(target: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether the tree under ``target`` has uncommitted changes), or (None, None). git runs with
    none of the repository's configuration (:mod:`assess.collectors.git`)."""
    with safe_git(target) as git:
        head = git.run("rev-parse", "--verify", "-q", "HEAD^{commit}", timeout=30) if git else None
        if git is None or head is None:
            return None, None
        status = git.run("status", "--porcelain", "--ignore-submodules=all", "--", ".")
    return head.decode("ascii", errors="replace").strip(), None if status is None else bool(status.strip())


def _git_paths(target: Path) -> list[str] | None:
    with safe_git(target) as git:
        out = git.run("ls-files", "-z", "--cached", "--others", "--exclude-standard", timeout=120) if git else None
    if out is None:
        return None
    return [p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p]


def run_folders_inside(target: Path, run_dir: Path) -> tuple[str, ...]:
    """The run folder ``run_dir`` and the other run folders beside it (folders with a ``run.json``), as paths
    relative to ``target``, when they are inside it (``assess run .`` with the default ``--out runs``); else none.
    They are assess's own output, never the target's: the listing and the search for the tests' writes leave
    them out."""
    try:
        rel = run_dir.relative_to(target)
    except ValueError:
        return ()
    folders = {rel.as_posix()}
    with contextlib.suppress(OSError), os.scandir(run_dir.parent) as entries:
        for entry in entries:
            run_json = os.path.join(entry.path, "run.json")  # noqa: PTH118
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False) and stat.S_ISREG(os.lstat(run_json).st_mode):
                    folders.add((rel.parent / entry.name).as_posix())
    return tuple(sorted(folders))


def _left_out(rel: str, folders: frozenset[str]) -> bool:
    return any(rel.startswith(folder + "/") for folder in folders)


def _walk_paths(target: Path, leave_out: frozenset[str] = frozenset()) -> dict[str, os.stat_result]:
    """Path -> its ``lstat`` for every entry under ``target`` but folders, as ``os.walk`` (not following
    symlinks) finds them, the folders in ``leave_out`` not entered; the stats come with the folder's listing, so
    no file is asked twice."""
    found: dict[str, os.stat_result] = {}
    base = os.fspath(target)
    folders = [""]
    while folders and len(found) <= MAX_FILES:
        prefix = folders.pop()
        try:
            with os.scandir(os.path.join(base, prefix) if prefix else base) as entries:  # noqa: PTH118
                for entry in entries:
                    if _is_dir(entry):  # as os.walk tells them: a symlink to a folder is a folder, not entered
                        if (
                            not entry.is_symlink()
                            and not _excluded_dir(entry.name, walk=True)
                            and (prefix + entry.name not in leave_out)
                        ):
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
    """The target's config; a config file that cannot be read is a warning (a bad key in it is reported once,
    by the assessment: ``config_problems``)."""
    try:
        return load_target_config(target)
    except RubricError as err:
        warnings.append(f"the target's assess config is ignored: {err}")
        return TargetConfig(table={})


def list_files(target: Path, leave_out: Sequence[str] = ()) -> Listing:
    """List regular files under ``target`` that belong to the project, less those its config's
    ``paths.exclude`` leaves out and those in the folders ``leave_out`` (assess's own run folders: see
    :func:`run_folders_inside`). A file is listed only if every folder on its path is a folder of the target
    (not a symlink) and, with several hard links, all of them are listed: nothing outside is ever read."""
    warnings: list[str] = []
    config = _config(target, warnings)
    own = frozenset(leave_out)
    raw = _git_paths(target)
    method, walked = "git", {}
    if raw is None:
        method, walked = "walk", _walk_paths(target, own)
        raw = list(walked)
    found = _Found(os.fspath(target))
    for rel in sorted(set(raw)):
        if method == "git" and (_excluded(rel, walk=False) or _left_out(rel, own)):  # the walk did not enter them
            continue
        if config.excludes(rel):
            found.excluded.append(rel)
            continue
        found.add(rel, walked.get(rel))
    paths, linked = found.vouch_links()
    if len(paths) > MAX_FILES:
        warnings.append(f"more than {MAX_FILES} files; only the first {MAX_FILES} are inventoried")
        paths = paths[:MAX_FILES]
    if found.excluded:
        warnings.append(f"{len(found.excluded)} file(s) left out by {config.source} paths.exclude")
    kept = {rel: found.kept[rel] for rel in paths}
    return Listing(method, tuple(paths), tuple(found.skipped), tuple(warnings), tuple(found.excluded), kept,
                   dict(found.skipped), linked)  # fmt: skip


class _Found:
    """What the listing keeps, skips and leaves out, entry by entry."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.kept: dict[str, tuple[int, int]] = {}
        self.skipped: dict[str, str] = {}
        self.excluded: list[str] = []
        self.inodes: dict[tuple[int, int], tuple[int, list[str]]] = {}
        """(device, inode) -> (its link count, listed paths) of files with several links."""
        self._folders: dict[str, bool] = {"": True}

    def add(self, rel: str, st: os.stat_result | None) -> None:
        if not _utf8(rel):  # cannot be written to JSON or shown as it is
            self.skip(rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"), "name not UTF-8")
            return
        if not self._real_folders(rel):
            self.skip(rel, "reached through a symlinked folder (it may lead out of the target)")
            return
        try:
            st = st or os.lstat(os.path.join(self.base, rel))  # noqa: PTH118 (a Path per file costs more)
        except OSError:
            return  # deleted since it was listed
        if not stat.S_ISREG(st.st_mode):
            kind = "a symlink (it may lead out of the target)" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            self.skip(rel, kind)
            return
        self.kept[rel] = (st.st_size, st.st_mtime_ns)
        if st.st_nlink > 1:
            self.inodes.setdefault((st.st_dev, st.st_ino), (st.st_nlink, []))[1].append(rel)

    def skip(self, rel: str, why: str) -> None:
        self.skipped[rel] = why

    def _real_folders(self, rel: str) -> bool:
        """Whether every folder on ``rel``'s path is a folder, not a symlink (git lists ``link/x.py`` when
        ``link`` was a folder when committed and is a symlink now)."""
        folder = rel.rpartition("/")[0]
        known = self._folders.get(folder)
        if known is None:
            try:
                mode = os.lstat(os.path.join(self.base, folder)).st_mode  # noqa: PTH118
            except OSError:
                mode = 0
            known = stat.S_ISDIR(mode) and self._real_folders(folder)
            self._folders[folder] = known
        return known

    def vouch_links(self) -> tuple[list[str], frozenset[tuple[int, int]]]:
        """The kept paths, less hard-linked files with a name that is not listed (it may be outside the
        target: its content is not the target's to show); and the inodes whose names are all listed."""
        linked = set()
        for inode, (count, names) in self.inodes.items():
            if len(names) >= count:
                linked.add(inode)
                continue
            for rel in names:
                del self.kept[rel]
                self.skip(rel, f"a hard link with {count} names, {count - len(names)} of them not in the listing")
        return sorted(self.kept), frozenset(linked)
