"""Complexity collector: radon for Python, lizard for the other languages it reads.

Only files whose role is ``source`` are measured (tests, vendored and generated code are not; each
such code file is listed in ``skipped`` with its reason). Each Python file is parsed once, by the
run's shared static analysis (``assess.static``); cyclomatic complexity, Halstead totals and the
maintainability index are all derived from that one tree and one run of radon's raw-metrics
tokenizer, so the numbers equal ``radon cc --show-closures`` and ``radon mi`` while costing about
half of what radon's own per-file helpers do. Other languages go through lizard, whose numbers are not
comparable with radon's: each language is measured by exactly one tool, named on every record.
"""

from __future__ import annotations

import ast
import contextlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

import lizard
from lizard_languages import get_reader_for
from radon.complexity import add_inner_blocks
from radon.metrics import h_visit_ast, mi_compute
from radon.raw import analyze
from radon.visitors import ComplexityVisitor

from assess.collectors import CollectContext, register_collector
from assess.model import Block, ComplexityData, ComplexityEvidence, FileMetrics, Halstead, Role, SkippedFile, Status
from assess.static.record import FileAnalysis

if TYPE_CHECKING:
    from assess.static.run import StaticAnalysis

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Larger files are listed as skipped and not analysed: they are almost always generated."""
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


def analyse_python(rel: str, code: str, tree: ast.Module | None = None) -> FileResult:
    """radon's metrics for one Python file, from a single parse.

    Blocks are what ``radon cc --show-closures`` lists: functions, classes, methods, and nested
    functions and classes named ``outer.inner`` (``ComplexityVisitor.from_ast(tree).blocks`` is
    exactly ``cc_visit_ast(tree)``; the visitor is kept for its total complexity, which MI needs).
    Raises whatever ``ast.parse`` or radon raise on code they cannot read (SyntaxError, ValueError,
    RecursionError ...). ``tree``, when given, is ``code`` already parsed.
    """
    tree = tree if tree is not None else ast.parse(code)
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


def tool_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in ("radon", "lizard"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def complexity_data(records: Iterable[FileAnalysis]) -> tuple[ComplexityData, list[str]]:
    """Complexity from the static analysis' records (in any order): (data sorted by path then line, warnings)."""
    files: list[FileMetrics] = []
    blocks: list[Block] = []
    skipped: list[SkippedFile] = []
    unmeasured: Counter[str] = Counter()
    for record in records:
        if record.metrics is not None:
            files.append(record.metrics)
            blocks.extend(record.blocks)
        elif record.complexity_skip is not None:
            skipped.append(record.complexity_skip)
        elif record.entry.role is Role.SOURCE and tool_for(record.path, record.entry.language) is None:
            unmeasured[record.entry.language or "unknown"] += 1
    warnings: list[str] = []
    if unmeasured:
        langs = ", ".join(f"{lang} {n}" for lang, n in sorted(unmeasured.items()))
        warnings.append(f"{sum(unmeasured.values())} source file(s) in languages neither radon nor lizard measures "
                        f"({langs})")  # fmt: skip
    if skipped:
        warnings.append(f"{len(skipped)} code file(s) not measured on purpose (vendored, generated, minified or too "
                        "large); each is listed with its reason")  # fmt: skip
    if failed := sum(1 for f in files if f.error):
        warnings.append(f"{failed} of {len(files)} source file(s) could not be analysed; see each file's error")
    data = ComplexityData(
        files=tuple(sorted(files, key=lambda f: f.path)),
        blocks=tuple(sorted(blocks, key=lambda b: (b.path, b.line, b.name))),
        skipped=tuple(sorted(skipped, key=lambda f: f.path)),
    )
    return data, warnings


@register_collector("complexity", title="Complexity")
def collect_complexity(ctx: CollectContext) -> ComplexityEvidence:
    """Cyclomatic complexity per block and size, Halstead and MI per file, for the target's source files.

    Skipped when the target has no source file that radon or lizard reads. Files that cannot be
    analysed are listed with an ``error`` and counted in a warning; they do not fail the run.
    """
    from assess.static.run import shared_analysis  # here: assess.static measures files with this module's functions

    static = shared_analysis(ctx)
    return static.evidence("complexity", lambda: (_evidence(static), []), ComplexityEvidence.model_validate_json)


def _evidence(static: StaticAnalysis) -> ComplexityEvidence:
    data, warnings = complexity_data(static.records("complexity"))
    warnings = [*static.summary.warnings, *warnings]
    if not data.files:
        return ComplexityEvidence(
            status=Status.SKIPPED,
            reason="no source files to analyse",
            data=data if data.skipped else None,
            warnings=tuple(warnings),
            tool_versions=tool_versions(),
        )
    return ComplexityEvidence(status=Status.OK, data=data, warnings=tuple(warnings), tool_versions=tool_versions())
