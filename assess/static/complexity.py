"""Measuring one file's complexity: radon for Python, lizard for the other languages it reads.

The static analysis' workers (:mod:`assess.static.worker`) call these on each source file; the complexity
collector (:mod:`assess.collectors.complexity`) gathers the records. Each Python file is parsed once; cyclomatic
complexity, Halstead totals and the maintainability index are all derived from that one tree and one run of
radon's raw-metrics tokenizer, so the numbers equal ``radon cc --show-closures`` and ``radon mi`` while costing
about half of what radon's own per-file helpers do. Other languages go through lizard, whose numbers are not
comparable with radon's: each language is measured by exactly one tool, named on every record.
"""

from __future__ import annotations

import ast
import contextlib
import io
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePosixPath
from typing import Any, Literal

import lizard
from lizard_languages import get_reader_for
from radon.complexity import add_inner_blocks
from radon.metrics import h_visit_ast, mi_compute
from radon.raw import analyze
from radon.visitors import ComplexityVisitor

from assess.model import Block, FileMetrics, Halstead

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
