"""Extracting pattern sites: parse each file once, hand the parsed file to every registered extractor.

An extractor is a function from one parsed file (or from the repository's file list) to the
:class:`~assess.model.patterns.Site` objects it recognises. Extractors register for one input:

- ``python``: a :class:`~assess.patterns.pyast.PythonFile` (``ast`` tree, import aliases, scopes);
- ``script``: a :class:`~assess.patterns.scripts.ScriptFile` (tree-sitter tree, JavaScript/TypeScript);
- ``config``: a :class:`~assess.patterns.configs.ConfigFile` (YAML/JSON/TOML documents, Dockerfile);
- ``repo``: a :class:`RepoFiles` (every path and its role), for facts about the whole repository.

Extractors never grade; probes (``assess.probes``) turn sites into findings.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pkgutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from assess._files import open_beneath
from assess.model import Role
from assess.model.patterns import Site

Input = Literal["python", "script", "config", "repo"]

SUPPORT_MODULES = frozenset({"pyast", "scripts", "configs"})
"""Modules of this package that parse files; every other module registers extractors."""

EXTRACTORS: dict[Input, list[Callable[[Any], Iterable[Site]]]] = {"python": [], "script": [], "config": [], "repo": []}


def register_extractor(kind: Input) -> Callable[[Callable[[Any], Iterable[Site]]], Callable[[Any], Iterable[Site]]]:
    def deco(fn: Callable[[Any], Iterable[Site]]) -> Callable[[Any], Iterable[Site]]:
        EXTRACTORS[kind].append(fn)
        return fn

    return deco


def load_extractors() -> dict[Input, list[Callable[[Any], Iterable[Site]]]]:
    """Import every extractor module of this package (each registers itself); return the registry."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in SUPPORT_MODULES:
            importlib.import_module(f"{__name__}.{info.name}")
    return EXTRACTORS


Read = tuple[str, str, int, str | None]
"""One thing a repository extractor learnt from a file: (what, path, limit, digest of the answer or None when
the file could not be read); see :meth:`RepoFiles.replay`."""


class RepoFiles:
    """The repository as a list of files, for extractors about what exists (lock files, CI, runbooks).

    Extractors read files only through :meth:`read`, :meth:`head` and :meth:`mode`, which keep a note of what
    each answer was (:attr:`reads`). A stored result of the extractors is then reused only while
    :meth:`replay` finds every file answering the same (:mod:`assess.static.memo`).
    """

    def __init__(self, root: Path, roles: dict[str, Role]) -> None:
        self._root = root
        self.roles = roles
        self.reads: list[Read] = []

    def paths(self) -> list[str]:
        return sorted(self.roles)

    def read(self, rel: str, limit: int) -> str | None:
        """The text of ``rel`` (UTF-8, undecodable bytes replaced); None when it cannot be read or has more
        than ``limit`` bytes."""
        data = _answer(self._root, "read", rel, limit)
        self.reads.append(("read", rel, limit, _digest(data)))
        return None if data is None else data.decode("utf-8", errors="replace")

    def head(self, rel: str, limit: int) -> bytes | None:
        """The first ``limit`` bytes of ``rel``; None when it cannot be read."""
        data = _answer(self._root, "head", rel, limit)
        self.reads.append(("head", rel, limit, _digest(data)))
        return data

    def mode(self, rel: str) -> int | None:
        """The permission bits of ``rel``; None when it cannot be read."""
        data = _answer(self._root, "mode", rel, 0)
        self.reads.append(("mode", rel, 0, _digest(data)))
        return None if data is None else int(data)

    @staticmethod
    def replay(root: Path, reads: list[Read]) -> bool:
        """Whether every file in ``reads`` still answers as it did."""
        return all(what in _ASK and _digest(_answer(root, what, rel, limit)) == digest
                   for what, rel, limit, digest in reads)  # fmt: skip


def _answer(root: Path, what: str, rel: str, limit: int) -> bytes | None:
    """The bytes an extractor's question gets (``mode`` as its decimal digits); None when the file cannot be read,
    is not the target's own regular file (a symlink, a file reached through a symlinked folder, a hard link, a
    FIFO that would block, a device: :func:`assess._files.open_beneath`), or for ``read``, is larger than
    ``limit``."""
    if what not in _ASK:
        return None
    try:
        fd = open_beneath(root, rel)
    except OSError:  # OutsideTarget and NotRegularFile too
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            if what == "mode":
                return str(stat.S_IMODE(os.fstat(fd).st_mode)).encode()
            data = fh.read(limit + 1 if what == "read" else limit)
        except OSError:
            return None
    return None if what == "read" and len(data) > limit else data


_ASK = frozenset({"read", "head", "mode"})
"""What an extractor may ask of a file: its text (whole, up to a limit), its first bytes, its permission bits."""


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


MAX_SNIPPET_LINES = 8
MAX_SNIPPET_CHARS = 800


def snippet(lines: list[str], line: int, end_line: int) -> str:
    """Lines ``line``..``end_line`` (1-based), at most a few, dedented and bounded in size."""
    chunk = lines[line - 1 : min(end_line, line + MAX_SNIPPET_LINES - 1)]
    indent = min((len(s) - len(s.lstrip()) for s in chunk if s.strip()), default=0)
    text = "\n".join(s[indent:].rstrip() for s in chunk)
    if end_line - line + 1 > MAX_SNIPPET_LINES:
        text += "\n..."
    return text[:MAX_SNIPPET_CHARS]
