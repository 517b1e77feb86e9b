"""List the target's files: ``git ls-files`` in a git work tree, otherwise a walk.

Both apply the same default excludes, so the two listings of one tree agree apart from
files that git ignores.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

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


def _excluded(rel: str, *, walk: bool) -> bool:
    parts = rel.split("/")[:-1]
    for part in parts:
        if part in EXCLUDED_DIRS or part.endswith(".egg-info"):
            return True
        if walk and part in WALK_ONLY_EXCLUDED_DIRS:
            return True
    return False


def git_toplevel(target: Path) -> Path | None:
    """The git work tree containing ``target``, or None (not a repo, or git missing/refusing)."""
    try:
        out = subprocess.run(
            [*_SAFE_GIT, "-C", str(target), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def git_commit(target: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether the tree under ``target`` has uncommitted changes), or (None, None)."""
    try:
        head = subprocess.run(
            [*_SAFE_GIT, "-C", str(target), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if head.returncode != 0:
            return None, None
        status = subprocess.run(
            [*_SAFE_GIT, "-C", str(target), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return head.stdout.strip(), dirty


def _git_paths(target: Path) -> list[str] | None:
    try:
        out = subprocess.run(
            [*_SAFE_GIT, "-C", str(target), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [p for p in out.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _walk_paths(target: Path) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(target, followlinks=False):
        rel_root = Path(root).relative_to(target).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        dirs[:] = sorted(d for d in dirs if not _excluded(prefix + d + "/x", walk=True))
        found.extend(prefix + name for name in files)
        if len(found) > MAX_FILES:
            break
    return found


def list_files(target: Path) -> Listing:
    """List regular files under ``target`` that belong to the project."""
    warnings: list[str] = []
    method = "walk"
    raw = _git_paths(target) if git_toplevel(target) else None
    if raw is not None:
        method = "git"
    else:
        raw = _walk_paths(target)
    kept: list[str] = []
    skipped: list[str] = []
    for rel in sorted(set(raw)):
        if _excluded(rel, walk=method == "walk"):
            continue
        path = target / rel
        if path.is_symlink() or not path.is_file():
            if path.is_symlink() or path.exists():
                skipped.append(rel)
            continue  # symlinks may lead out of the target; deleted files are gone
        kept.append(rel)
    if len(kept) > MAX_FILES:
        warnings.append(f"more than {MAX_FILES} files; only the first {MAX_FILES} are inventoried")
        kept = kept[:MAX_FILES]
    return Listing(method=method, paths=tuple(kept), skipped=tuple(skipped), warnings=tuple(warnings))
