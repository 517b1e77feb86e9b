"""Complexity collector: radon for Python, lizard for the other languages it reads.

Only files whose role is ``source`` are measured (tests, vendored and generated code are not).
Each Python file is parsed once; cyclomatic complexity, Halstead totals and the maintainability
index are all derived from that one tree and one run of radon's raw-metrics tokenizer, so the
numbers equal ``radon cc --show-closures`` and ``radon mi`` while costing about half of what
radon's own per-file helpers do. Other languages go through lizard, whose numbers are not
comparable with radon's: each language is measured by exactly one tool, named on every record.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from itertools import repeat
from multiprocessing import get_context
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import lizard
from lizard_languages import get_reader_for
from radon.complexity import add_inner_blocks
from radon.metrics import h_visit_ast, mi_compute
from radon.raw import analyze
from radon.visitors import ComplexityVisitor

from assess.collectors import CollectContext, register_collector
from assess.collectors.listing import list_files
from assess.collectors.roles import classify_file
from assess.model import Block, ComplexityData, ComplexityEvidence, FileMetrics, Halstead, Role, Status

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Larger files are recorded with an error and not analysed: they are almost always generated."""
MAX_WORKERS = 2
"""Two processes cut the time on Django from about 37 s to 24 s; more gain little on two cores."""
MIN_FILES_FOR_POOL = 50
"""Below this many files, starting worker processes costs more than it saves."""
CHUNK_FILES = 16
"""Files per task sent to a worker: small enough to balance uneven files, large enough to amortise pickling."""

LIZARD_LANGUAGES = frozenset({"JavaScript", "TypeScript", "Go", "Java", "Kotlin", "Scala", "C", "C++", "C#", "Rust",
                              "Ruby", "PHP", "Swift", "Objective-C", "Lua", "Perl", "R", "Vue"})  # fmt: skip
"""Languages (as :mod:`assess.collectors.roles` names them) measured with lizard, when lizard has a reader
for the file's extension. Python is measured with radon only."""
_LIZARD_SUFFIX_ALIASES = {".mts": ".ts", ".cts": ".ts"}
"""Extensions lizard does not know, and the one whose reader fits them."""

Tool = Literal["radon", "lizard"]
FileResult = tuple[FileMetrics, tuple[Block, ...]]


@dataclass(frozen=True)
class SourceFile:
    """A source file to measure, and the tool that measures it."""

    path: str
    language: str
    tool: Tool


@dataclass(frozen=True)
class Selection:
    sources: tuple[SourceFile, ...]
    unmeasured: dict[str, int]
    """Language -> number of source files that neither radon nor lizard reads (Shell, SQL ...)."""
    unreadable: tuple[str, ...]
    """Listed files whose first bytes could not be read."""


def _lizard_name(rel: str) -> str:
    """The file name to give lizard, which picks its reader by extension."""
    path = PurePosixPath(rel)
    alias = _LIZARD_SUFFIX_ALIASES.get(path.suffix.lower())
    return str(path.with_suffix(alias)) if alias else rel


def tool_for(rel: str, language: str | None) -> Tool | None:
    """radon for Python, lizard for the languages it reads, None for the rest."""
    if language == "Python":
        return "radon"
    if language in LIZARD_LANGUAGES and get_reader_for(_lizard_name(rel)) is not None:
        return "lizard"
    return None


def select_sources(target: Path, paths: Iterable[str]) -> Selection:
    """The files among ``paths`` (relative to ``target``) that have the ``source`` role."""
    sources: list[SourceFile] = []
    unmeasured: Counter[str] = Counter()
    unreadable: list[str] = []
    for rel in paths:
        cls = classify_file(target, rel)
        if cls is None:
            unreadable.append(rel)
            continue
        if cls.role is not Role.SOURCE:
            continue
        tool = tool_for(rel, cls.language)
        if tool is None or cls.language is None:
            unmeasured[cls.language or "unknown"] += 1
        else:
            sources.append(SourceFile(rel, cls.language, tool))
    return Selection(tuple(sources), dict(sorted(unmeasured.items())), tuple(unreadable))


def maintainability_index(volume: float, total_complexity: int, raw: Any) -> float:
    """MI as ``radon mi`` computes it by default, ``mi_visit(code, multi=True)``, from parts already measured.

    ``raw`` is radon's raw-metrics ``Module``. The arguments follow ``radon.metrics.mi_parameters``:
    multi-line strings count as comment lines, the comment percentage is over ``sloc`` (0 when there
    is none), and what ``mi_compute`` calls ``sloc`` is the logical line count ``lloc``.
    """
    comment_lines = raw.comments + raw.multi
    comment_percent = comment_lines / float(raw.sloc) * 100 if raw.sloc != 0 else 0
    return float(mi_compute(volume, total_complexity, raw.lloc, comment_percent))


def _end_lines(tree: ast.AST) -> dict[tuple[int, int], int]:
    """(line, column) of each def and class -> its last line. radon's own end line stops at the
    first line of the last statement, so a block ending in a multi-line call would look shorter."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        (node.lineno, node.col_offset): node.end_lineno or node.lineno
        for node in ast.walk(tree)
        if isinstance(node, defs)
    }


def _radon_block(rel: str, block: Any, ends: dict[tuple[int, int], int]) -> Block:
    if hasattr(block, "methods"):
        kind: Literal["function", "method", "class"] = "class"
    else:
        kind = "method" if block.is_method else "function"
    return Block(
        path=rel,
        name=block.fullname,
        kind=kind,
        line=block.lineno,
        end_line=ends.get((block.lineno, block.col_offset), block.endline),
        complexity=block.complexity,
        tool="radon",
    )


def analyse_python(rel: str, code: str) -> FileResult:
    """radon's metrics for one Python file, from a single parse.

    Blocks are what ``radon cc --show-closures`` lists: functions, classes, methods, and nested
    functions and classes named ``outer.inner`` (``ComplexityVisitor.from_ast(tree).blocks`` is
    exactly ``cc_visit_ast(tree)``; the visitor is kept for its total complexity, which MI needs).
    Raises whatever ``ast.parse`` or radon raise on code they cannot read (SyntaxError, ValueError,
    RecursionError ...).
    """
    tree = ast.parse(code)
    visitor = ComplexityVisitor.from_ast(tree)
    ends = _end_lines(tree)
    blocks = tuple(_radon_block(rel, b, ends) for b in add_inner_blocks(visitor.blocks))
    halstead = h_visit_ast(tree).total
    raw = analyze(code)
    metrics = FileMetrics(
        path=rel,
        language="Python",
        tool="radon",
        mi=maintainability_index(halstead.volume, visitor.total_complexity, raw),
        loc=raw.loc,
        lloc=raw.lloc,
        sloc=raw.sloc,
        comments=raw.comments,
        multi=raw.multi,
        blank=raw.blank,
        single_comments=raw.single_comments,
        halstead=Halstead(**halstead._asdict()),
    )
    return metrics, blocks


def analyse_with_lizard(rel: str, language: str, code: str) -> FileResult:
    """lizard's functions and NLOC for one file. Raises whatever lizard raises on code it cannot read, and
    RecursionError on code nested too deeply (lizard itself only prints that, and returns what it had so far)."""
    complaints = io.StringIO()
    with contextlib.redirect_stderr(complaints):
        info = lizard.analyze_file.analyze_source_code(_lizard_name(rel), code)
    if "RecursionError" in complaints.getvalue():
        raise RecursionError("lizard gave up: the code is nested too deeply")
    blocks = tuple(
        Block(
            path=rel,
            name=fn.long_name,
            kind="function",
            line=fn.start_line,
            end_line=fn.end_line,
            complexity=fn.cyclomatic_complexity,
            nloc=fn.nloc,
            parameters=len(fn.parameters),
            tool="lizard",
        )
        for fn in info.function_list
    )
    return FileMetrics(path=rel, language=language, tool="lizard", nloc=info.nloc), blocks


def analyse_file(target: Path, source: SourceFile) -> FileResult:
    """Measure one file. Never raises: a file that cannot be read or analysed gets an ``error``."""
    try:
        path = target / source.path
        if path.stat().st_size > MAX_FILE_BYTES:
            return _failed(source, "larger than 2 MB"), ()
        # utf-8-sig: a byte-order mark is legal at the start of a Python file but ast.parse rejects it in a str
        code = path.read_bytes().decode("utf-8-sig", errors="replace")
        if source.tool == "radon":
            return analyse_python(source.path, code)
        return analyse_with_lizard(source.path, source.language, code)
    except Exception as err:  # the target is untrusted and the parsers are third-party: one file must not stop the run
        return _failed(source, f"{type(err).__name__}: {err}"[:300]), ()


def _failed(source: SourceFile, reason: str) -> FileMetrics:
    return FileMetrics(path=source.path, language=source.language, tool=source.tool, error=reason)


def _analyse_chunk(target: str, chunk: Sequence[SourceFile]) -> list[FileResult]:
    """Worker task; module-level so it can be pickled."""
    root = Path(target)
    return [analyse_file(root, source) for source in chunk]


def _analyse_in_pool(target: Path, sources: Sequence[SourceFile], workers: int) -> tuple[list[FileResult], list[str]]:
    """Measure in worker processes; if the pool cannot start or dies, finish in this process with a warning.

    Workers are spawned rather than forked: collectors may run in threads, and forking a threaded
    process can deadlock the child.
    """
    chunks = [sources[i : i + CHUNK_FILES] for i in range(0, len(sources), CHUNK_FILES)]
    results: list[FileResult] = []
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            for chunk_results in pool.map(_analyse_chunk, repeat(str(target)), chunks):
                results.extend(chunk_results)
                done += 1
    except (BrokenProcessPool, OSError) as err:
        rest = [source for chunk in chunks[done:] for source in chunk]
        results.extend(_analyse_chunk(str(target), rest))
        return results, [f"worker processes failed ({type(err).__name__}); {len(rest)} file(s) analysed in-process"]
    return results, []


def analyse_sources(
    target: Path, sources: Sequence[SourceFile], workers: int = MAX_WORKERS
) -> tuple[ComplexityData, tuple[str, ...]]:
    """Measure ``sources`` with up to ``workers`` processes; (data sorted by path then line, warnings)."""
    workers = max(1, min(workers, os.cpu_count() or 1))
    warnings: list[str] = []
    if workers == 1 or len(sources) < MIN_FILES_FOR_POOL:
        results = _analyse_chunk(str(target), sources)
    else:
        results, warnings = _analyse_in_pool(target, sources, workers)
    files = sorted((metrics for metrics, _ in results), key=lambda f: f.path)
    blocks = sorted((b for _, file_blocks in results for b in file_blocks), key=lambda b: (b.path, b.line, b.name))
    return ComplexityData(files=tuple(files), blocks=tuple(blocks)), tuple(warnings)


def tool_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in ("radon", "lizard"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _selection_warnings(selection: Selection) -> list[str]:
    warnings: list[str] = []
    if selection.unmeasured:
        langs = ", ".join(f"{lang} {n}" for lang, n in selection.unmeasured.items())
        total = sum(selection.unmeasured.values())
        warnings.append(f"{total} source file(s) in languages neither radon nor lizard measures ({langs})")
    if selection.unreadable:
        warnings.append(f"{len(selection.unreadable)} listed file(s) could not be read and were not classified")
    return warnings


@register_collector("complexity", title="Complexity")
def collect_complexity(ctx: CollectContext) -> ComplexityEvidence:
    """Cyclomatic complexity per block and size, Halstead and MI per file, for the target's source files.

    Skipped when the target has no source file that radon or lizard reads. Files that cannot be
    analysed are listed with an ``error`` and counted in a warning; they do not fail the run.
    """
    listing = list_files(ctx.target)
    selection = select_sources(ctx.target, listing.paths)
    warnings = [*listing.warnings, *_selection_warnings(selection)]
    if not selection.sources:
        return ComplexityEvidence(
            status=Status.SKIPPED,
            reason="no source files to analyse",
            warnings=tuple(warnings),
            tool_versions=tool_versions(),
        )
    data, pool_warnings = analyse_sources(ctx.target, selection.sources)
    warnings.extend(pool_warnings)
    if failed := sum(1 for f in data.files if f.error):
        warnings.append(f"{failed} of {len(data.files)} source file(s) could not be analysed; see each file's error")
    return ComplexityEvidence(status=Status.OK, data=data, warnings=tuple(warnings), tool_versions=tool_versions())
