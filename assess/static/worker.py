"""Analyse one file: read it once, parse it once, and give every static collector its part.

A Python file is read, hashed, classified and parsed with ``ast`` a single time; the one tree feeds
radon's complexity and Halstead visitors, the test-case finder, every pattern extractor and, last
(its visitor marks the nodes), bandit. JavaScript and TypeScript are parsed once by tree-sitter for
the extractors; lizard, which has its own tokenizer, measures their complexity. Nothing here raises
on what the file contains: a failure becomes an error or a warning in the record.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assess._files import open_beneath
from assess.collectors.roles import HEAD_BYTES, Classified, classify, count_sloc
from assess.collectors.testcases import find_python_tests
from assess.collectors.testresources import TestModule
from assess.model import FileEntry, FileMetrics, Role, ScannedFile, Site, SkippedFile
from assess.model.patterns import PatternsData
from assess.patterns import load_extractors
from assess.patterns.configs import ConfigFile, config_format
from assess.patterns.pyast import PythonFile
from assess.patterns.scripts import SCRIPT_LANGUAGES, ScriptFile
from assess.patterns.security_bandit import bandit_sites
from assess.static.complexity import (
    MAX_FILE_BYTES as COMPLEXITY_MAX_BYTES,
)
from assess.static.complexity import (
    SourceFile,
    analyse_python,
    analyse_with_lizard,
    tool_for,
)
from assess.static.record import FileAnalysis

LinkCheck = Callable[[os.stat_result], bool]

READ_MAX_BYTES = 4 * 1024 * 1024
"""Larger files are classified from their first bytes and measured by size only."""
PATTERNS_MAX_BYTES = 1024 * 1024
"""Larger files are not scanned for patterns (they are almost always generated or data)."""
SCANNED_ROLES = frozenset({Role.SOURCE, Role.TEST, Role.TEST_SUPPORT, Role.CONFIG})
LEFT_OUT_ROLES = frozenset({Role.VENDORED, Role.GENERATED})
"""Code with these roles is not ours to measure; each such file is recorded with the rule that matched."""
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
"""What parsers raise on code they cannot read (ValueError: NUL bytes; RecursionError: deep nesting)."""

OPTIONS = {"read_max": READ_MAX_BYTES, "patterns_max": PATTERNS_MAX_BYTES, "complexity_max": COMPLEXITY_MAX_BYTES}
"""Everything besides the file's bytes and path that decides a record (part of the cache key)."""


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"


def read_file(root: str | Path, rel: str, links: LinkCheck | None = None) -> tuple[int, bytes, bool]:
    """(size, bytes, whole) of the file ``rel`` under ``root``: the whole file when it is at most
    ``READ_MAX_BYTES``, else its head.

    The file is opened without following a symlink anywhere on its path (:func:`assess._files.open_beneath`),
    and a file with several hard links only when ``links`` vouches that all of them are in the target. Raises
    OSError when it cannot be read or is not the target's own regular file."""
    with os.fdopen(open_beneath(root, rel, links=links), "rb") as fh:
        data = fh.read(READ_MAX_BYTES + 1)
        if len(data) <= READ_MAX_BYTES:
            return len(data), data, True
        return os.fstat(fh.fileno()).st_size, data[:HEAD_BYTES], False


def vouched(linked: frozenset[tuple[int, int]]) -> LinkCheck:
    """A check for :func:`read_file`: a hard-linked file is read when its (device, inode) is in ``linked``."""
    return lambda st: (st.st_dev, st.st_ino) in linked


def digest_of(size: int, data: bytes, whole: bool) -> str:
    """sha256 of the file, or for a file too large to read whole, of what the record depends on:
    its size and its first bytes."""
    h = hashlib.sha256(data if whole else f"{size}:".encode() + data[:HEAD_BYTES])
    return h.hexdigest()


class _Tree:
    """The file's Python syntax tree, parsed on first use, or the parser's error."""

    def __init__(self, rel: str, text: str) -> None:
        self.rel, self.text = rel, text
        self._tree: ast.Module | None = None
        self.error: str | None = None
        self._tried = False
        self._file: PythonFile | None = None

    def python_file(self) -> PythonFile | None:
        """The tree indexed for the pattern extractors (made once; shared by the test facts and the extractors), or
        None when it does not parse. Raises what indexing a pathological tree raises (``PARSE_ERRORS``)."""
        if self._file is None and (tree := self.get()) is not None:
            self._file = PythonFile.parse(self.rel, self.text, tree=tree)
        return self._file

    def get(self) -> ast.Module | None:
        if not self._tried:
            self._tried = True
            try:
                self._tree = ast.parse(self.text, filename=self.rel)
            except PARSE_ERRORS as err:
                self.error = f"{type(err).__name__}: {err}"[:300]
        return self._tree


class Analyser:
    """Analyses files under ``root``; one per process, holding the extractors it loaded. A file with several hard
    links is read only when its (device, inode) is in ``linked`` (:attr:`assess.collectors.listing.Listing.linked`).
    """

    def __init__(self, root: Path, linked: frozenset[tuple[int, int]] = frozenset()) -> None:
        self.root = root
        self.extractors = load_extractors()
        self._links = vouched(linked)

    def analyse(self, rel: str) -> FileAnalysis | None:
        """The record of ``rel``, or None when the file cannot be read at all."""
        try:
            size, data, whole = read_file(self.root, rel, self._links)
        except OSError:
            return None
        return self.analyse_bytes(rel, size, data, whole)

    def analyse_bytes(self, rel: str, size: int, data: bytes, whole: bool) -> FileAnalysis:
        cls = classify(rel, data[:HEAD_BYTES])
        lines = sloc = None
        if cls.role is not Role.BINARY and whole:
            lines, sloc = count_sloc(data.decode("utf-8", errors="replace"), cls.language)
        entry = FileEntry(path=rel, role=cls.role, language=cls.language, size_bytes=size, lines=lines, sloc=sloc,
                          role_reason=cls.reason)  # fmt: skip
        record: dict[str, Any] = {"path": rel, "digest": digest_of(size, data, whole), "entry": entry}
        if cls.role is Role.BINARY:
            return FileAnalysis(**record)
        # utf-8-sig: a byte-order mark is legal at the start of a Python file but ast.parse rejects it in a str
        text = data.decode("utf-8-sig", errors="replace") if whole else ""
        tree = _Tree(rel, text) if cls.language == "Python" and whole else None
        if cls.role in (Role.TEST, Role.TEST_SUPPORT) and tree is not None:
            record.update(_test_facts(rel, cls.role, text, tree))
        record.update(self._complexity(rel, cls, size, text, tree))
        warnings: list[str] = []
        record.update(self._patterns(rel, cls, size, data, text, tree, warnings))
        record["warnings"] = tuple(warnings)
        return FileAnalysis(**record)

    def _complexity(self, rel: str, cls: Classified, size: int, text: str, tree: _Tree | None) -> dict[str, Any]:
        tool = tool_for(rel, cls.language)
        if tool is None or cls.language is None:
            return {}
        if cls.role in LEFT_OUT_ROLES:
            return {"complexity_skip": SkippedFile(path=rel, reason=f"{cls.role.value}: {cls.reason}")}
        if cls.role is not Role.SOURCE:
            return {}
        if size > COMPLEXITY_MAX_BYTES:
            return {"complexity_skip": SkippedFile(path=rel, reason=f"larger than {_mib(COMPLEXITY_MAX_BYTES)}")}
        source = SourceFile(rel, cls.language, tool)
        try:
            if tool == "lizard":
                metrics, blocks = analyse_with_lizard(rel, cls.language, text)
            elif tree is not None and (parsed := tree.get()) is not None:
                metrics, blocks = analyse_python(rel, text, parsed)
            else:
                reason = tree.error if tree is not None else "not parsed"
                return {"metrics": _failed(source, reason or "not parsed")}
        except Exception as err:  # third-party analysers on untrusted code: one file must not stop the run
            return {"metrics": _failed(source, f"{type(err).__name__}: {err}"[:300])}
        return {"metrics": metrics, "blocks": blocks}

    def _patterns(
        self, rel: str, cls: Classified, size: int, data: bytes, text: str, tree: _Tree | None, warnings: list[str]
    ) -> dict[str, Any]:
        language = cls.language
        fmt = config_format(rel)
        kind = "python" if language == "Python" else "script" if language in SCRIPT_LANGUAGES else None
        if kind is None and fmt is not None:
            kind, language = "config", language or fmt.capitalize()
        if kind is None:
            return {}
        if cls.role in LEFT_OUT_ROLES:
            return {"patterns_skip": SkippedFile(path=rel, reason=f"{cls.role.value}: {cls.reason}")}
        if cls.role not in SCANNED_ROLES:
            return {}
        if size > PATTERNS_MAX_BYTES:
            return {"patterns_skip": SkippedFile(path=rel, reason=f"larger than {_mib(PATTERNS_MAX_BYTES)}")}
        lang = language or ""
        parsed, error = _parse(rel, kind, lang, fmt, text, tree)
        if parsed is None:
            scanned = ScannedFile(path=rel, language=lang, role=cls.role, parsed=False, error=error)
            return {"scan": PatternsData(files=(scanned,), sites=())}
        sites: list[Site] = []
        for extract in self.extractors[kind]:  # type: ignore[index]
            _extend(sites, extract, parsed, rel, warnings)
        if kind == "python" and cls.role is Role.SOURCE:
            _extend(sites, lambda p: bandit_sites(p, self.root / rel, data), parsed, rel, warnings, "bandit")
        imports = getattr(parsed, "imports", ())
        links = getattr(parsed, "links", imports)
        scanned = ScannedFile(path=rel, language=lang, role=cls.role, parsed=True, imports=imports, links=links)
        return {"scan": PatternsData(files=(scanned,), sites=tuple(sites))}


CRASHED = "analysing it killed the worker process"


def crashed_record(root: Path, rel: str) -> FileAnalysis:
    """What can be said of a file whose analysis killed the worker: its role and size, and that error."""
    head, size = b"", 0
    with contextlib.suppress(OSError), os.fdopen(open_beneath(root, rel, links=lambda st: True), "rb") as fh:
        size = os.fstat(fh.fileno()).st_size  # a hard link is only measured here: its bytes go nowhere
        head = fh.read(HEAD_BYTES)
    cls = classify(rel, head)
    entry = FileEntry(path=rel, role=cls.role, language=cls.language, size_bytes=size, role_reason=cls.reason)
    record: dict[str, Any] = {"path": rel, "digest": "", "entry": entry, "warnings": (f"{rel}: {CRASHED}",)}
    tool = tool_for(rel, cls.language)
    if cls.role is Role.SOURCE and tool is not None and cls.language is not None:
        record["metrics"] = _failed(SourceFile(rel, cls.language, tool), CRASHED)
    if cls.role in SCANNED_ROLES and (cls.language in {"Python", *SCRIPT_LANGUAGES} or config_format(rel)):
        scanned = ScannedFile(path=rel, language=cls.language or "", role=cls.role, parsed=False, error=CRASHED)
        record["scan"] = PatternsData(files=(scanned,), sites=())
    return FileAnalysis(**record)


def _test_facts(rel: str, role: Role, text: str, tree: _Tree) -> dict[str, Any]:
    """A test file's test cases, and the real resources a test or test-support file's code uses (one
    :class:`TestModule` for both)."""
    parsed = tree.get()
    if parsed is None:
        return {"tests_unparsed": True} if role is Role.TEST else {}
    out: dict[str, Any] = {}
    module = None
    with contextlib.suppress(*PARSE_ERRORS):
        module = TestModule(parsed, tree.python_file())
        found = module.resources()
        out["test_resources"] = found if found.all or found.bases else None
    if role is Role.TEST:
        try:
            out["tests"] = tuple(find_python_tests(rel, text, parsed, module))
        except PARSE_ERRORS:
            out["tests_unparsed"] = True
    return out


def _parse(rel: str, kind: str, language: str, fmt: Any, text: str, tree: _Tree | None) -> tuple[Any, str | None]:
    """(the file parsed for ``kind``'s extractors, None) or (None, the parser's message)."""
    try:
        if kind == "python":
            file = tree.python_file() if tree is not None else None
            if file is None:
                return None, (tree.error if tree is not None else None) or "not parsed"
            return file, None
        if kind == "script":
            return ScriptFile.parse(rel, language, text), None
        return ConfigFile.parse(rel, fmt, text), None
    except PARSE_ERRORS as err:
        return None, f"{type(err).__name__}: {err}"[:300]


def _extend(
    sites: list[Site], extract: Callable[[Any], Iterable[Site]], parsed: Any, rel: str, warnings: list[str],
    name: str | None = None,
) -> None:  # fmt: skip
    try:
        sites.extend(extract(parsed))
    except Exception as err:  # an extractor bug on one file must not lose the others
        name = name or f"{extract.__module__}.{extract.__name__}"
        warnings.append(f"{name} failed on {rel}: {type(err).__name__}: {err}"[:500])


def _failed(source: SourceFile, reason: str) -> FileMetrics:
    return FileMetrics(path=source.path, language=source.language, tool=source.tool, error=reason)
