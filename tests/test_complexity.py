"""The complexity collector: radon's and lizard's own numbers, from one parse, never fatal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import lizard
import pytest
import radon
from radon.complexity import add_inner_blocks, cc_visit
from radon.metrics import h_visit, mi_visit
from radon.raw import analyze

from assess.collectors import COLLECTORS, CollectContext
from assess.collectors.complexity import collect_complexity, complexity_data
from assess.model import Block, FileMetrics, RunParameters, Status
from assess.model.io import read_evidence, write_model
from assess.static.complexity import MAX_FILE_BYTES, SourceFile, analyse_python, analyse_with_lizard
from assess.static.run import analyse_in_memory
from assess.static.worker import Analyser

MakeFile = Callable[[str, str | bytes], Path]


def analyse_file(root: Path, source: SourceFile) -> tuple[FileMetrics | None, tuple[Block, ...]]:
    """What the static analysis measures for one source file."""
    record = Analyser(root).analyse(source.path)
    assert record is not None
    return record.metrics, record.blocks


@pytest.fixture
def make_file(tmp_path: Path) -> MakeFile:
    """Write a file under tmp_path (text or bytes) and return its path."""

    def make(rel: str, content: str | bytes) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return make


def radon_blocks(code: str) -> set[tuple[str, int, int]]:
    """(name, line, complexity) of every block ``radon cc --show-closures`` reports."""
    return {(b.fullname, b.lineno, b.complexity) for b in add_inner_blocks(cc_visit(code))}


def our_blocks(code: str) -> set[tuple[str, int, int]]:
    _, blocks = analyse_python("m.py", code)
    return {(b.name, b.line, b.complexity) for b in blocks}


# snippet -> {block name: complexity}, as radon 6 counts. Notable: lambda bodies count in the
# enclosing function, closures do not; ``match`` adds one per non-wildcard case; ``except*`` adds nothing.
SNIPPETS: dict[str, tuple[str, dict[str, int]]] = {
    "straight": ("""
        def f():
            return 1
        """, {"f": 1}),
    "if_elif_else": ("""
        def f(x):
            if x:
                return 1
            elif x > 2:
                return 2
            else:
                return 3
        """, {"f": 3}),
    "for_else_while": ("""
        def f(xs):
            for x in xs:
                pass
            else:
                pass
            while xs:
                xs.pop()
        """, {"f": 4}),
    "except_else_finally": ("""
        def f():
            try:
                g()
            except ValueError:
                pass
            except KeyError:
                pass
            else:
                pass
            finally:
                pass
        """, {"f": 4}),
    "except_star": ("""
        def f():
            try:
                g()
            except* ValueError:
                pass
        """, {"f": 1}),
    "boolean_ops": ("""
        def f(a, b, c):
            return a and b or c
        """, {"f": 3}),
    "comprehensions": ("""
        def f(xs):
            return [x for x in xs if x if x > 1] + list({y for y in xs})
        """, {"f": 5}),
    "lambda": ("""
        def f(xs):
            return sorted(xs, key=lambda x: x if x else 0)
        """, {"f": 2}),
    "closure": ("""
        def outer(a):
            def inner(b):
                if b:
                    return a
            return inner if a else None
        """, {"outer": 2, "outer.inner": 2}),
    "nested_closures": ("""
        def f():
            def g():
                def h(x):
                    return x or 1
        """, {"f": 1, "f.g": 1, "f.g.h": 2}),
    "classes": ("""
        class A:
            def m(self, x):
                if x:
                    return 1
            def n(self):
                return [i for i in range(3)]
            class B:
                def k(self):
                    assert self
        """, {"A": 3, "A.m": 2, "A.n": 2, "A.B": 3, "A.B.k": 2}),
    "method_closure": ("""
        class A:
            def m(self):
                def inner(y):
                    return y and 1
                return inner
        """, {"A": 2, "A.m": 1, "m.inner": 2}),
    "match": ("""
        def f(x):
            match x:
                case 1:
                    return 1
                case [a, b]:
                    return 2
                case _:
                    return 3
        """, {"f": 3}),
    "async": ("""
        async def f(xs):
            async for x in xs:
                if x:
                    pass
            async with xs as y:
                await y
        """, {"f": 3}),
    "decorated": ("""
        @dec
        def f(x):
            return x or 1
        """, {"f": 2}),
    "module_only": ("""
        x = 1 if y else 2
        """, {}),
}  # fmt: skip
SNIPPETS = {name: (dedent(code).lstrip("\n"), expected) for name, (code, expected) in SNIPPETS.items()}


@pytest.mark.parametrize("code, expected", SNIPPETS.values(), ids=SNIPPETS.keys())
def test_block_complexity_equals_radon(code: str, expected: dict[str, int]) -> None:
    ours = our_blocks(code)
    assert ours == radon_blocks(code)
    assert {name: cc for name, _, cc in ours} == expected


def test_block_kinds_lines_and_tool() -> None:
    code = SNIPPETS["classes"][0] + "def top():\n    return (\n        1\n    )\n"
    _, blocks = analyse_python("pkg/m.py", code)
    by_name = {b.name: b for b in blocks}
    assert {n: b.kind for n, b in by_name.items()} == {
        "A": "class", "A.m": "method", "A.n": "method", "A.B": "class", "A.B.k": "method", "top": "function",
    }  # fmt: skip
    assert (by_name["top"].line, by_name["top"].end_line) == (10, 13)  # the AST's end, past radon's endline (11)
    assert (by_name["A"].line, by_name["A"].end_line) == (1, 9)
    assert {b.tool for b in blocks} == {"radon"} and {b.path for b in blocks} == {"pkg/m.py"}


RADON_DIR = Path(radon.__file__).parent
REAL_FILES = ["visitors.py", "metrics.py", "raw.py", "complexity.py", "cli/__init__.py", "cli/harvest.py"]


def _mi_cases() -> list[str]:
    return [code for code, _ in SNIPPETS.values()] + [
        "",
        "# only a comment\n",
        '"""Docstring only."""\n',
        'def f():\n    """A\n    multi-line docstring.\n    """\n    # note\n    return 1  # trailing\n',
    ]


@pytest.mark.parametrize("code", _mi_cases())
def test_mi_equals_mi_visit_on_snippets(code: str) -> None:
    metrics, _ = analyse_python("m.py", code)
    assert metrics.mi == mi_visit(code, True)


@pytest.mark.parametrize("rel", REAL_FILES)
def test_real_files_match_radon(rel: str) -> None:
    code = (RADON_DIR / rel).read_text(encoding="utf-8")
    metrics, blocks = analyse_python(rel, code)
    assert metrics.mi == mi_visit(code, True)
    assert metrics.mi != mi_visit(code, False)  # the files have docstrings: proves multi-line strings count
    assert {(b.name, b.line, b.complexity) for b in blocks} == radon_blocks(code)
    assert len(blocks) > 5
    raw = analyze(code)
    assert (metrics.loc, metrics.lloc, metrics.sloc, metrics.comments, metrics.multi, metrics.blank) == (
        raw.loc, raw.lloc, raw.sloc, raw.comments, raw.multi, raw.blank,
    )  # fmt: skip
    assert metrics.single_comments == raw.single_comments
    assert metrics.halstead is not None and metrics.halstead.volume == h_visit(code).total.volume
    assert metrics.halstead.N1 == h_visit(code).total.N1


JS = """function grade(score, bonus) {
  if (score > 90 && bonus) {
    return "A";
  } else if (score > 80) {
    return "B";
  }
  for (let i = 0; i < 3; i++) {
    score += i;
  }
  return "C";
}

const double = (x) => x * 2;
"""

TS = """export function pick(items: string[], wanted: string): string | undefined {
  for (const item of items) {
    if (item === wanted || item.startsWith(wanted)) {
      return item;
    }
  }
  return undefined;
}

class Box {
  size(n: number): number {
    while (n > 10) { n = n / 2; }
    return n;
  }
}
"""


@pytest.mark.parametrize(
    "rel, language, code, expected",
    [
        ("web/grade.js", "JavaScript", JS, {"grade ( score , bonus )": (1, 11, 5, 2), "double ( x )": (13, 13, 1, 1)}),
        ("web/pick.ts", "TypeScript", TS, {"pick ( items , wanted )": (1, 8, 4, 2), "size ( n )": (11, 14, 2, 1)}),
        ("web/pick.mts", "TypeScript", TS, {"pick ( items , wanted )": (1, 8, 4, 2), "size ( n )": (11, 14, 2, 1)}),
    ],
)
def test_lizard_languages(rel: str, language: str, code: str, expected: dict[str, tuple[int, int, int, int]]) -> None:
    metrics, blocks = analyse_with_lizard(rel, language, code)
    assert {b.name: (b.line, b.end_line, b.complexity, b.parameters) for b in blocks} == expected
    assert {(b.kind, b.tool, b.path) for b in blocks} == {("function", "lizard", rel)}
    assert (metrics.tool, metrics.language, metrics.error, metrics.mi) == ("lizard", language, None, None)
    reference = lizard.analyze_file.analyze_source_code(rel.replace(".mts", ".ts"), code)
    assert metrics.nloc == reference.nloc
    assert [(b.name, b.complexity, b.nloc) for b in blocks] == [
        (f.long_name, f.cyclomatic_complexity, f.nloc) for f in reference.function_list
    ]


def test_lizard_file_matches_lizard_analyze_file(make_file: MakeFile, tmp_path: Path) -> None:
    go = "package main\n\nfunc f(a int) int {\n\tif a > 1 && a < 5 {\n\t\treturn 1\n\t}\n"
    go += "\tswitch a {\n\tcase 1:\n\t\treturn 2\n\tcase 2:\n\t\treturn 3\n\t}\n\treturn 0\n}\n"
    path = make_file("src/app.go", go)
    metrics, blocks = analyse_file(tmp_path, SourceFile("src/app.go", "Go", "lizard"))
    reference = lizard.analyze_file(str(path))
    assert metrics.nloc == reference.nloc
    assert [(b.name, b.line, b.end_line, b.complexity, b.nloc) for b in blocks] == [
        (f.long_name, f.start_line, f.end_line, f.cyclomatic_complexity, f.nloc) for f in reference.function_list
    ]
    assert blocks[0].complexity == 5


@pytest.mark.parametrize(
    "content, error_start",
    [
        ("def f(:\n    pass\n", "SyntaxError"),
        # a NUL in the first 8 KiB makes the file binary by the role rules; later, it is Python that fails to parse
        (b"x = 1\n" * 2000 + b"\0\n", "SyntaxError: source code string cannot contain null bytes"),
        ("x = " + "(" * 300 + ")" * 300 + "\n", "SyntaxError: too many nested parentheses"),
        ("x = " + "a + " * 5000 + "a\n", "RecursionError"),
        ("x = " + "-" * 100_000 + "1\n", "MemoryError"),  # the parser gives up on deep unary chains
    ],
    ids=["syntax", "nul", "nesting", "recursion", "memory"],
)
def test_unparseable_python_is_an_error_not_a_crash(
    make_file: MakeFile, tmp_path: Path, content: str | bytes, error_start: str
) -> None:
    make_file("bad.py", content)
    metrics, blocks = analyse_file(tmp_path, SourceFile("bad.py", "Python", "radon"))
    assert metrics.error is not None and metrics.error.startswith(error_start)
    assert (metrics.mi, metrics.loc, metrics.halstead, blocks) == (None, None, None, ())


def test_undecodable_bytes_and_bom_are_read(make_file: MakeFile, tmp_path: Path) -> None:
    make_file("latin.py", "# caf\xe9\ndef f(x):\n    return x or 1\n".encode("latin-1"))
    make_file("bom.py", b"\xef\xbb\xbfdef g(x):\n    return x and 1\n")
    for rel, name in [("latin.py", "f"), ("bom.py", "g")]:
        metrics, blocks = analyse_file(tmp_path, SourceFile(rel, "Python", "radon"))
        assert metrics.error is None
        assert [(b.name, b.complexity) for b in blocks] == [(name, 2)]


def test_lizard_failure_is_an_error(monkeypatch: pytest.MonkeyPatch, make_file: MakeFile, tmp_path: Path) -> None:
    def explode(filename: str, code: str) -> None:
        raise IndexError("lizard lost its place")

    monkeypatch.setattr(lizard.analyze_file, "analyze_source_code", explode)
    make_file("a.js", JS)
    metrics, blocks = analyse_file(tmp_path, SourceFile("a.js", "JavaScript", "lizard"))
    assert (metrics.error, blocks) == ("IndexError: lizard lost its place", ())


def test_large_file_is_skipped(make_file: MakeFile, tmp_path: Path) -> None:
    make_file("big.py", "x = 1\n" * (MAX_FILE_BYTES // 6 + 1))
    make_file("edge.py", "#" * (MAX_FILE_BYTES - 1) + "\n")  # exactly 2 MiB: still analysed
    record = Analyser(tmp_path).analyse("big.py")
    assert record is not None and (record.metrics, record.blocks) == (None, ())
    assert record.complexity_skip is not None and record.complexity_skip.reason == "larger than 2 MiB"
    edge, _ = analyse_file(tmp_path, SourceFile("edge.py", "Python", "radon"))
    assert edge is not None and (edge.error, edge.loc) == (None, 1)


def test_only_source_roles_are_measured_and_the_rest_says_why(make_file: MakeFile, tmp_path: Path) -> None:
    for rel in ["pkg/a.py", "pkg/b.ts", "tests/test_a.py", "docs/conf.py", "setup.py", "vendor/x.js", "run.sh",
                "pkg/c_pb2.py", "README.md", "web/x.mts", "lib/s.pyx"]:  # fmt: skip
        make_file(rel, "x = 1\n")
    records, _ = analyse_in_memory(tmp_path)
    data, warnings = complexity_data(records)
    assert [(f.path, f.language, f.tool) for f in data.files] == [
        ("pkg/a.py", "Python", "radon"), ("pkg/b.ts", "TypeScript", "lizard"), ("web/x.mts", "TypeScript", "lizard"),
    ]  # fmt: skip
    assert [(f.path, f.reason) for f in data.skipped] == [
        ("pkg/c_pb2.py", "generated: name matches *_pb2.py"), ("vendor/x.js", "vendored: inside vendor/"),
    ]  # fmt: skip
    assert warnings[0] == "2 source file(s) in languages neither radon nor lizard measures (Cython 1, Shell 1)"


def _tiny_repo(make_file: MakeFile) -> None:
    make_file("pkg/__init__.py", "")
    make_file("pkg/core.py", "def helper(a, b):\n    return a and b\n\n\n"
              "class Store:\n    def get(self, k):\n        if k:\n            return 1\n")  # fmt: skip
    make_file("pkg/broken.py", "def oops(:\n")
    make_file("web/app.ts", TS)
    make_file("tests/test_core.py", "def test_x():\n    assert 1\n")
    make_file("scripts/deploy.sh", "echo hi\n")


def _ctx(tmp_path: Path) -> CollectContext:
    return CollectContext(params=RunParameters(target=str(tmp_path)), run_dir=tmp_path / "run")


def test_collector_on_tiny_repo(make_file: MakeFile, tmp_path: Path) -> None:
    _tiny_repo(make_file)
    evidence = collect_complexity(_ctx(tmp_path))
    assert evidence.status is Status.OK and evidence.data is not None
    assert set(evidence.tool_versions) == {"radon", "lizard"}
    assert evidence.tool_versions["radon"] == radon.__version__
    files = {f.path: f for f in evidence.data.files}
    assert list(files) == ["pkg/__init__.py", "pkg/broken.py", "pkg/core.py", "web/app.ts"]
    assert files["pkg/broken.py"].error is not None and files["pkg/broken.py"].error.startswith("SyntaxError")
    assert files["pkg/core.py"].mi == mi_visit((tmp_path / "pkg/core.py").read_text(), True)
    assert files["pkg/__init__.py"].mi == 100.0
    assert [(b.path, b.line, b.name, b.complexity) for b in evidence.data.blocks] == [
        ("pkg/core.py", 1, "helper", 2), ("pkg/core.py", 5, "Store", 3), ("pkg/core.py", 6, "Store.get", 2),
        ("web/app.ts", 1, "pick ( items , wanted )", 4), ("web/app.ts", 11, "size ( n )", 2),
    ]  # fmt: skip
    assert evidence.warnings == (
        "1 source file(s) in languages neither radon nor lizard measures (Shell 1)",
        "1 of 4 source file(s) could not be analysed; see each file's error",
    )


def test_collector_skips_without_sources(make_file: MakeFile, tmp_path: Path) -> None:
    make_file("README.md", "# hi\n")
    make_file("tests/test_a.py", "def test_a():\n    pass\n")
    evidence = collect_complexity(_ctx(tmp_path))
    assert (evidence.status, evidence.reason, evidence.data) == (Status.SKIPPED, "no source files to analyse", None)


def test_evidence_is_registered_and_round_trips(make_file: MakeFile, tmp_path: Path) -> None:
    _tiny_repo(make_file)
    ctx = _ctx(tmp_path)
    evidence = collect_complexity(ctx)
    assert COLLECTORS["complexity"].collect is collect_complexity
    assert read_evidence(write_model(evidence, ctx.evidence_path("complexity"))) == evidence
