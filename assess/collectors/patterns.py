"""Patterns collector: read each source, test and config file once, and record where patterns are.

Python goes through ``ast``, JavaScript and TypeScript through tree-sitter, configuration through
YAML/JSON/TOML parsers and a Dockerfile reader. A file that does not parse is recorded with the
parser's message; an extractor that fails on a file is a warning. Nothing in the target stops the
collector.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assess.collectors import CollectContext, register_collector
from assess.collectors.listing import list_files
from assess.collectors.roles import classify, classify_file
from assess.model import Role, Status
from assess.model.patterns import PatternsData, PatternsEvidence, ScannedFile, Site
from assess.patterns import RepoFiles, load_extractors
from assess.patterns.configs import ConfigFile, config_format
from assess.patterns.pyast import PythonFile
from assess.patterns.scripts import SCRIPT_LANGUAGES, ScriptFile

MAX_PARSE_BYTES = 1024 * 1024
SCANNED_ROLES = {Role.SOURCE, Role.TEST, Role.TEST_SUPPORT, Role.CONFIG}
TOOLS = ("tree-sitter", "tree-sitter-javascript", "tree-sitter-typescript", "bandit", "pyyaml")


class _Scan:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.extractors = load_extractors()
        self.files: list[ScannedFile] = []
        self.sites: list[Site] = []
        self.warnings: list[str] = []

    def _run(self, kind: str, parsed: Any, path: str) -> None:
        for extract in self.extractors[kind]:  # type: ignore[index]
            try:
                self.sites.extend(extract(parsed))
            except Exception as err:  # an extractor bug on one file must not lose the others
                self.warnings.append(f"{extract.__module__}.{extract.__name__} failed on {path}: "
                                     f"{type(err).__name__}: {err}")  # fmt: skip

    def file(self, rel: str, role: Role, language: str | None, text: str) -> None:
        parse: Callable[[], Any] | None = None
        kind = ""
        fmt = config_format(rel)
        if language == "Python":
            parse, kind = (lambda: PythonFile.parse(rel, text)), "python"
        elif language in SCRIPT_LANGUAGES:
            parse, kind = (lambda: ScriptFile.parse(rel, language, text)), "script"
        elif fmt is not None:
            parse, kind = (lambda: ConfigFile.parse(rel, fmt, text)), "config"
            language = language or fmt.capitalize()
        if parse is None:
            return
        try:
            parsed = parse()
        except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
            error = f"{type(err).__name__}: {err}"[:300]
            self.files.append(ScannedFile(path=rel, language=language or "", role=role, parsed=False, error=error))
            return
        imports = getattr(parsed, "imports", ())
        self.files.append(ScannedFile(path=rel, language=language or "", role=role, parsed=True, imports=imports))
        self._run(kind, parsed, rel)


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_PARSE_BYTES:
            return None
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return None


def scan(root: Path) -> tuple[PatternsData, list[str]]:
    """Every pattern site in the repository at ``root``, and warnings."""
    scan = _Scan(root)
    roles: dict[str, Role] = {}
    listing = list_files(root)
    scan.warnings.extend(listing.warnings)
    for rel in listing.paths:
        cls = classify_file(root, rel) or classify(rel, b"")
        roles[rel] = cls.role
        if cls.role not in SCANNED_ROLES:
            continue
        text = _read(root / rel)
        if text is None:
            scan.warnings.append(f"{rel}: larger than {MAX_PARSE_BYTES // 1024} KiB or unreadable; not scanned")
            continue
        scan.file(rel, cls.role, cls.language, text)
    scan._run("repo", RepoFiles(root=root, roles=roles), "the repository")
    sites = sorted(scan.sites, key=lambda s: (s.path, s.line, s.kind))
    files = sorted(scan.files, key=lambda f: f.path)
    return PatternsData(files=tuple(files), sites=tuple(sites)), scan.warnings


def _versions() -> dict[str, str]:
    out = {}
    for name in TOOLS:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


@register_collector("patterns", title="Patterns")
def collect_patterns(ctx: CollectContext) -> PatternsEvidence:
    data, warnings = scan(ctx.target)
    unparsed = [f for f in data.files if not f.parsed]
    if unparsed:
        warnings.insert(0, f"{len(unparsed)} file(s) could not be parsed; they are listed with the parser's message")
    return PatternsEvidence(status=Status.OK, data=data, warnings=tuple(warnings[:50]), tool_versions=_versions())
