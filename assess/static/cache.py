"""A content-addressed cache of file analyses, so a re-run redoes only the files that changed.

An entry's key is the sha256 of everything its record depends on: the file's path and content
digest, the analysis options, the versions of Python and of every analysing tool, and a
fingerprint of assess's own code (so an edited checkout never reads records an older version
wrote). An entry is a file ``<dir>/files/v4/<2 hex>/<key>.json`` holding the key on its first line, the
HMAC-SHA256 of the key and the rest under the user's cache key (:mod:`assess.static.cachekey`) on the second,
and the record's groups (:data:`assess.static.record.GROUPS`), one JSON object per line, after them; it is
written atomically.

An entry is used only if it names the key it was looked up by and its signature verifies; anything else
(truncated, edited, half-written, from another layout, forged, signed by another user's key) is ignored,
counted and overwritten. A record is validated when a collector reads it from the run's stream, as every
record is; checking the entry's signature instead of validating it again here halves a warm run's reading.
Collectors' whole evidence is kept beside the records, in ``<dir>/evidence`` (:mod:`assess.static.memo`).
The cache folder may be writable by others than assess (the target's tests run as the same user), so every
read, write and deletion in it goes a folder at a time without following a symlink, and reads refuse FIFOs
and devices. The folder is safe to delete at any time. A cache that cannot be written (read-only, full disk)
is reported once and the run goes on without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import stat
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from assess._files import (
    FileTooLarge,
    NotRegularFile,
    OutsideTarget,
    atomic_write_beneath,
    list_beneath,
    read_beneath,
    unlink_beneath,
)
from assess.static.cachekey import CacheKeyError, cache_secret, sign, verify
from assess.static.record import LINES, FileAnalysis, record_lines

CACHE_ENV = "ASSESS_CACHE_DIR"
LAYOUT = "files/v4"
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
    """The cache in ``root``. ``get`` and ``put`` never raise.

    Entries are signed with the user's cache key (:mod:`assess.static.cachekey`); when the key cannot be made or
    trusted, the cache is not used at all and :attr:`write_error` says why.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hits = self.misses = self.ignored = 0
        self.write_error: str | None = None
        """Why the cache could not be written (or used), the first time it failed; it is not tried again."""
        self.secret: bytes | None = None
        try:
            self.secret = cache_secret()
        except CacheKeyError as err:
            self.write_error = f"{err}; going on without the cache"

    @staticmethod
    def _rel(key: str) -> str:
        return f"{LAYOUT}/{key[:2]}/{key}.json"

    def get(self, key: str) -> str | None:
        """The lines of the record stored under ``key`` (its groups, without a final newline), or None when
        there is none or it cannot be trusted."""
        if self.secret is None:
            return None
        try:  # never through a symlink, never a FIFO: the folder is writable by others than assess
            raw = read_beneath(self.root, self._rel(key), MAX_ENTRY_BYTES)
        except (OutsideTarget, NotRegularFile, FileTooLarge):  # put there by someone else than assess
            self.ignored += 1
            return None
        except OSError:  # none, or the folder cannot be read
            self.misses += 1
            return None
        try:
            stored_key, signature, lines = raw.split(b"\n", 2)
            if stored_key.decode("ascii") != key:
                raise ValueError("not the entry for this key")
            if not verify(self.secret, key, lines, signature):
                raise ValueError("not signed with this user's key: damaged, forged, or another user's")
            if lines.count(b"\n") != LINES - 1 or b"\r" in lines:  # they become lines of the run's stream
                raise ValueError("not the record's lines")
            record = lines.decode("utf-8")
        except ValueError:  # UnicodeDecodeError is one
            self.ignored += 1
            return None
        self.hits += 1
        return record

    def put(self, key: str, record: FileAnalysis) -> None:
        if self.write_error is not None or self.secret is None:
            return
        try:
            lines = record_lines(record).encode()
            entry = b"%s\n%s\n%s" % (key.encode(), sign(self.secret, key, lines).encode(), lines)
            atomic_write_beneath(self.root, self._rel(key), entry)
        except OSError as err:
            why = err.strerror or str(err)
            self.write_error = f"the cache in {self.root} could not be written ({why}); going on without it"


ENTRY_FOLDERS = ("files", "evidence")
"""The cache's folders: file records (this module) and collectors' evidence (:mod:`assess.static.memo`)."""
_ENTRY = re.compile(r"[0-9a-f]{64}\.json|\.[0-9a-f]{64}\.json\.[0-9a-zA-Z_]+\.tmp")
"""The names of the files the cache writes: entries, and temporary files a killed writer left."""


def entry_files(root: Path, folder: str) -> Iterator[tuple[str, os.stat_result]]:
    """(path relative to ``root``, lstat) of each entry file (and left temporary file) in the cache folder
    ``folder`` (``files`` or ``evidence``), in every layout: ``<folder>/v*/<2 hex>/<name>``. The walk never
    follows a symlink and yields only regular files with the names the cache writes."""
    for layout, st in list_beneath(root, folder):
        if not (layout.startswith("v") and stat.S_ISDIR(st.st_mode)):
            continue
        for shard, sst in list_beneath(root, f"{folder}/{layout}"):
            if len(shard) != 2 or not stat.S_ISDIR(sst.st_mode):
                continue
            for name, fst in list_beneath(root, f"{folder}/{layout}/{shard}"):
                if stat.S_ISREG(fst.st_mode) and _ENTRY.fullmatch(name):
                    yield f"{folder}/{layout}/{shard}/{name}", fst


def cache_usage(root: Path) -> tuple[int, int]:
    """(entries, bytes) of the cache in ``root``."""
    entries = size = 0
    for folder in ENTRY_FOLDERS:
        for rel, st in entry_files(root, folder):
            entries += rel.endswith(".json")
            size += st.st_size
    return entries, size


def clear_cache(root: Path) -> int:
    """Delete the cache's entries in ``root``; how many entries were removed. Only files it wrote, found without
    following a symlink: a mistyped folder, or a cache whose folders someone replaced with symlinks to elsewhere,
    loses nothing else. Folders left empty are removed too."""
    removed = 0
    for folder in ENTRY_FOLDERS:
        for rel, _ in list(entry_files(root, folder)):
            removed += unlink_beneath(root, rel) and rel.endswith(".json")
        for layout, st in list_beneath(root, folder):
            if stat.S_ISDIR(st.st_mode):
                for shard, _ in list_beneath(root, f"{folder}/{layout}"):
                    unlink_beneath(root, f"{folder}/{layout}/{shard}", folders=True)
                unlink_beneath(root, f"{folder}/{layout}", folders=True)
        unlink_beneath(root, folder, folders=True)
    return removed
