"""The second level of the cache: a static collector's whole evidence, for a tree it has seen before.

A warm re-run finds every file in the file cache (:mod:`assess.static.cache`), but rebuilding the
inventory, complexity and patterns evidence from some thousands of records still costs seconds on a
large tree. This cache keeps each of the three pieces of evidence under a key made from the collector's
kind and the analysis' *tree key*: a sha256 over the listing and every file's cache key, which holds the
file's path and content digest, the analysis options, the tool versions and assess's own code. Evidence
is a function of the records and the listing, so the same tree key gives the same evidence, with one
exception: repository extractors (:class:`assess.patterns.RepoFiles`) read a few files themselves (CI
pipelines, requirement files, key files' modes). What each of them learnt is stored with the evidence,
and the evidence is used only if every such file still answers the same.

Only analyses where nothing went wrong are stored or looked up (:attr:`StaticSummary.reusable`): no
unreadable or crashed file, no distrusted or unwritable cache entry, no file that changed while it was
analysed. An entry is a file ``<dir>/evidence/v2/<2 hex>/<key>.json``: the key, the HMAC of the key and the rest,
the extractors' reads as JSON, each on a line of its own, then the evidence as the run writes it
(:func:`assess.model.io.dumps`, without a duration), so that a run writes it as it is. It is checked like a
file entry, and ignored (and overwritten) when anything is wrong with it. The newest
:data:`MAX_ENTRIES` entries are kept; older ones are deleted when a new one is written.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assess._files import (
    FileTooLarge,
    NotRegularFile,
    OutsideTarget,
    atomic_write_beneath,
    read_beneath,
    unlink_beneath,
)
from assess.model import Evidence
from assess.model.io import dumps, remember_dumps
from assess.patterns import Read, RepoFiles
from assess.static.cache import entry_files
from assess.static.cachekey import CacheKeyError, cache_secret, sign, verify

LAYOUT = "evidence/v2"
MAX_ENTRIES = 30
"""Ten trees' worth of the three collectors' evidence."""
MAX_ENTRY_BYTES = 512 * 1024 * 1024


def memo_key(kind: str, tree_key: str) -> str:
    return hashlib.sha256(f"{LAYOUT}\0{kind}\0{tree_key}".encode()).hexdigest()


class EvidenceMemo:
    """The evidence cache in ``root`` (the file cache's folder). ``get`` and ``put`` never raise; entries are
    signed as the file cache's are (:mod:`assess.static.cachekey`), and an entry that does not verify is
    recomputed and counted in :attr:`distrusted`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.distrusted = 0
        self.secret: bytes | None = None
        with contextlib.suppress(CacheKeyError):  # the file cache says why there is no cache
            self.secret = cache_secret()

    @staticmethod
    def _rel(key: str) -> str:
        return f"{LAYOUT}/{key[:2]}/{key}.json"

    def get(self, kind: str, tree_key: str, target: Path, read: Callable[[bytes], Evidence]) -> Evidence | None:
        """The evidence stored for ``kind`` on the tree ``tree_key``, read by ``read`` from its JSON, if the files
        the repository extractors read in ``target`` still answer the same; else None."""
        key = memo_key(kind, tree_key)
        if self.secret is None:
            return None
        try:  # never through a symlink, never a FIFO
            raw = read_beneath(self.root, self._rel(key), MAX_ENTRY_BYTES)
        except (OutsideTarget, NotRegularFile, FileTooLarge):  # put there by someone else than assess
            self.distrusted += 1
            return None
        except OSError:  # none, or the folder cannot be read
            return None
        try:
            evidence = self._verified(raw, key, kind, target, read)
        except (ValueError, TypeError, ValidationError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            self.distrusted += 1
            return None  # not trusted: recomputed, and overwritten by put
        if evidence is None:
            return None
        with contextlib.suppress(OSError):
            os.utime(self.root / self._rel(key), follow_symlinks=False)  # newest first when the oldest are pruned
        return evidence

    def _verified(self, raw: bytes, key: str, kind: str, target: Path,
                  read: Callable[[bytes], Evidence]) -> Evidence | None:  # fmt: skip
        """The evidence in the entry ``raw``, or None when a file the extractors read answers otherwise now.
        Raises ValueError (TypeError, ValidationError) when the entry is not to be trusted."""
        assert self.secret is not None
        first = raw.index(b"\n")
        second = raw.index(b"\n", first + 1)
        third = raw.index(b"\n", second + 1)
        if raw[:first].decode("ascii") != key:
            raise ValueError("not the entry for this key")
        if not verify(self.secret, key, memoryview(raw)[second + 1 :], raw[first + 1 : second]):
            raise ValueError("not signed with this user's key")
        document = raw[third + 1 :]  # the one copy of the evidence's bytes (17 MB for Django's patterns)
        found = json.loads(raw[second + 1 : third])
        reads = [(str(what), str(rel), int(limit), digest) for what, rel, limit, digest in found]
        if not RepoFiles.replay(target, reads):  # a file an extractor read answers otherwise now
            return None
        with _gc_paused():
            evidence = read(document)
        if evidence.kind != kind or evidence.duration_s is not None:
            raise ValueError("not what this entry stores")
        remember_dumps(evidence, document)  # written as it is stored, not serialised again
        return evidence

    def put(self, kind: str, tree_key: str, evidence: Evidence, reads: list[Read]) -> None:
        key = memo_key(kind, tree_key)
        document = dumps(evidence.model_copy(update={"duration_s": None})).encode()
        remember_dumps(evidence, document)  # the run writes these bytes too, rather than serialise it twice
        if self.secret is None:
            return
        rest = json.dumps(reads).encode() + b"\n" + document
        entry = b"%s\n%s\n%s" % (key.encode(), sign(self.secret, key, rest).encode(), rest)
        with contextlib.suppress(OSError):  # an unwritable cache: the file cache has said so in the warnings
            atomic_write_beneath(self.root, self._rel(key), entry)
            self._prune()

    def _prune(self) -> None:
        """Delete all but the newest :data:`MAX_ENTRIES` entries, never through a symlink."""
        entries = [(st.st_mtime, rel) for rel, st in entry_files(self.root, "evidence") if rel.startswith(LAYOUT)]
        for _, rel in sorted(entries, reverse=True)[MAX_ENTRIES:]:
            unlink_beneath(self.root, rel)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large evidence is built: its tens of thousands of new objects set
    off collection after collection, each going over all of them, and none of them is garbage (Django's
    patterns evidence: 0.23 s to 0.15 s to read)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def tree_key(facts: dict[str, Any], keys: dict[str, tuple[str, str]]) -> str:
    """sha256 over the listing's ``facts`` and every file's cache key, in path order."""
    h = hashlib.sha256(json.dumps(facts, sort_keys=True).encode())
    for rel in sorted(keys):
        h.update(f"\0{rel}\0{keys[rel][0]}".encode())
    return h.hexdigest()
