"""A content-addressed cache of file analyses, so a re-run redoes only the files that changed.

An entry's key is the sha256 of everything its record depends on: the file's path and content
digest, the analysis options, the versions of Python and of every analysing tool, and a
fingerprint of assess's own code (so an edited checkout never reads records an older version
wrote). An entry is a file ``<dir>/files/v3/<2 hex>/<key>.json`` holding the key on its first line, the
sha256 of the rest on the second, and the record's groups (:data:`assess.static.record.GROUPS`), one JSON
object per line, after them; it is written atomically.

An entry is used only if it names the key it was looked up by and the rest of it has the checksum on
its second line; anything else (truncated, edited, half-written, from another layout) is ignored and
overwritten. A record is validated when a collector reads it from the run's stream, as every record
is; checking the entry's checksum instead of validating it again here halves a warm run's reading.
Collectors' whole evidence is kept beside the records, in ``<dir>/evidence`` (:mod:`assess.static.memo`).
The folder is safe to delete at any time. A cache that cannot be written (read-only, full disk)
is reported once and the run goes on without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
from collections.abc import Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from assess._files import atomic_write_bytes
from assess.static.record import LINES, FileAnalysis, record_lines

CACHE_ENV = "ASSESS_CACHE_DIR"
LAYOUT = "files/v3"
MAX_ENTRY_BYTES = 64 * 1024 * 1024
TOOLS = ("radon", "lizard", "bandit", "tree-sitter", "tree-sitter-javascript", "tree-sitter-typescript", "pyyaml",
         "pydantic")  # fmt: skip


def default_cache_dir() -> Path:
    """``$ASSESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/assess``, else ``~/.cache/assess``."""
    if env := os.environ.get(CACHE_ENV):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assess"


@cache
def code_fingerprint() -> str:
    """sha256 over assess's own modules and rule files: any change to the code changes every key."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in {".py", ".toml", ".json"}):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


@cache
def _tool_versions() -> tuple[tuple[str, str], ...]:
    versions = [("python", platform.python_version())]
    for name in TOOLS:
        try:
            versions.append((name, version(name)))
        except PackageNotFoundError:
            versions.append((name, "missing"))
    return tuple(versions)


def entry_key(path: str, digest: str, options: Mapping[str, object]) -> str:
    context = _context(tuple(sorted(options.items())), _tool_versions(), code_fingerprint())
    return hashlib.sha256(f"{context}\0{path}\0{digest}".encode()).hexdigest()


@cache
def _context(options: tuple[tuple[str, object], ...], tools: tuple[tuple[str, str], ...], code: str) -> str:
    """sha256 over what every key shares, made once (a warm run makes thousands of keys)."""
    return hashlib.sha256(json.dumps({"options": options, "tools": tools, "code": code}).encode()).hexdigest()


class Cache:
    """The cache in ``root``. ``get`` and ``put`` never raise."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hits = self.misses = self.ignored = 0
        self.write_error: str | None = None
        """Why the cache could not be written, the first time it failed; it is not tried again."""

    def _file(self, key: str) -> Path:
        return self.root / LAYOUT / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        """The lines of the record stored under ``key`` (its groups, without a final newline), or None when
        there is none or it cannot be trusted."""
        path = self._file(key)
        try:
            with path.open("rb") as fh:
                raw = fh.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            self.misses += 1
            return None
        try:
            if len(raw) > MAX_ENTRY_BYTES:
                raise ValueError("too large")
            stored_key, checksum, lines = raw.split(b"\n", 2)
            if stored_key.decode("ascii") != key:
                raise ValueError("not the entry for this key")
            if hashlib.sha256(lines).hexdigest() != checksum.decode("ascii"):
                raise ValueError("damaged")
            if lines.count(b"\n") != LINES - 1 or b"\r" in lines:  # they become lines of the run's stream
                raise ValueError("not the record's lines")
            record = lines.decode("utf-8")
        except ValueError:  # UnicodeDecodeError is one
            self.ignored += 1
            return None
        self.hits += 1
        return record

    def put(self, key: str, record: FileAnalysis) -> None:
        if self.write_error is not None:
            return
        try:
            lines = record_lines(record).encode()
            entry = b"%s\n%s\n%s" % (key.encode(), hashlib.sha256(lines).hexdigest().encode(), lines)
            atomic_write_bytes(self._file(key), entry, fsync=False)
        except OSError as err:
            why = err.strerror or str(err)
            self.write_error = f"the cache in {self.root} could not be written ({why}); going on without it"


ENTRY_FOLDERS = ("files", "evidence")
"""The cache's folders: file records (this module) and collectors' evidence (:mod:`assess.static.memo`)."""


def _entry_files(root: Path) -> list[Path]:
    """The cache's entry files (and temporary files left by a killed writer); nothing else under ``root``."""
    found = []
    for folder in ENTRY_FOLDERS:
        found += [p for p in (root / folder).glob("v*/??/*") if p.is_file() and p.suffix in {".json", ".tmp"}]
    return found


def cache_usage(root: Path) -> tuple[int, int]:
    """(entries, bytes) of the cache in ``root``."""
    files = _entry_files(root)
    return sum(1 for p in files if p.suffix == ".json"), sum(p.stat().st_size for p in files)


def clear_cache(root: Path) -> int:
    """Delete the cache's entries in ``root`` (only files it wrote, so a mistyped folder loses nothing else);
    how many entries were removed."""
    removed = 0
    for path in _entry_files(root):
        path.unlink(missing_ok=True)
        removed += path.suffix == ".json"
    for name in ENTRY_FOLDERS:
        for folder in [*sorted((root / name).glob("v*/??"), reverse=True), *sorted((root / name).glob("v*"))]:
            with contextlib.suppress(OSError):
                folder.rmdir()
        with contextlib.suppress(OSError):
            (root / name).rmdir()
    return removed
