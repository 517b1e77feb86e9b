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

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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


@dataclass(frozen=True)
class RepoFiles:
    """The repository as a list of files, for extractors about what exists (lock files, CI, runbooks)."""

    root: Path
    roles: dict[str, Role]

    def paths(self) -> list[str]:
        return sorted(self.roles)


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
