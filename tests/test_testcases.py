"""Static test counting: a snippet in, exact test cases out (docs/metrics.md)."""

from __future__ import annotations

import textwrap

import pytest

from assess.collectors.testcases import find_python_tests
from assess.model import TestKind

CASES = [
    (
        "plain functions",
        "tests/test_a.py",
        """
        def test_one(): pass
        async def test_two(): pass
        def helper(): pass
        def tes_typo(): pass
     """,
        [("test_one", "pytest-function", 1, "unit"), ("test_two", "pytest-function", 1, "unit")],
    ),
    (
        "pytest class, init class ignored, __test__ False ignored",
        "tests/test_b.py",
        """
        class TestThing:
            def test_x(self): pass
            def helper(self): pass
            class TestNested:
                def test_inner(self): pass
        class TestWithInit:
            def __init__(self): pass
            def test_never(self): pass
        class TestDisabled:
            __test__ = False
            def test_never(self): pass
        class NotATest:
            def test_never(self): pass
     """,
        [
            ("TestThing::test_x", "pytest-method", 1, "unit"),
            ("TestThing::TestNested::test_inner", "pytest-method", 1, "unit"),
        ],
    ),
    (
        "unittest through a local base",
        "tests/test_c.py",
        """
        import unittest
        class Base(unittest.TestCase):
            def test_base(self): pass
        class Derived(Base):
            def test_derived(self): pass
        class Other(object):
            def test_no(self): pass
     """,
        [("Base::test_base", "unittest", 1, "unit"), ("Derived::test_derived", "unittest", 1, "unit")],
    ),
    (
        "parametrize literal, stacked and unknown",
        "tests/test_d.py",
        """
        import pytest
        CASES = [1, 2]
        @pytest.mark.parametrize("a", [1, 2, 3])
        def test_lit(a): pass
        @pytest.mark.parametrize("a", [1, 2])
        @pytest.mark.parametrize("b", (1, 2, 3))
        def test_stacked(a, b): pass
        @pytest.mark.parametrize("a", CASES)
        def test_unknown(a): pass
        @pytest.mark.parametrize(argnames="a", argvalues=[pytest.param(1), pytest.param(2)])
        def test_kw(a): pass
     """,
        [
            ("test_lit", "pytest-function", 3, "unit"),
            ("test_stacked", "pytest-function", 6, "unit"),
            ("test_unknown", "pytest-function", None, "unit"),
            ("test_kw", "pytest-function", 2, "unit"),
        ],
    ),
    (
        "markers set kind, module pytestmark applies",
        "tests/test_e.py",
        """
        import pytest
        pytestmark = [pytest.mark.integration]
        def test_i(): pass
        @pytest.mark.e2e
        def test_e(): pass
     """,
        [("test_i", "pytest-function", 1, "integration"), ("test_e", "pytest-function", 1, "integration")],
    ),
    (
        "class marker and parametrize apply to methods",
        "tests/test_f.py",
        """
        import pytest
        @pytest.mark.parametrize("x", [1, 2])
        @pytest.mark.slow
        class TestK:
            def test_m(self, x): pass
     """,
        [("TestK::test_m", "pytest-method", 2, "unit")],
    ),
    (
        "path decides kind",
        "tests/integration/test_g.py",
        "def test_g(): pass\n",
        [("test_g", "pytest-function", 1, "integration")],
    ),
    (
        "benchmark fixture is performance",
        "tests/test_h.py",
        "def test_speed(benchmark): pass\n",
        [("test_speed", "pytest-function", 1, "performance")],
    ),
    (
        "name words decide kind, look-alikes do not",
        "tests/test_e2e_flow.py",
        "def test_flow(): pass\n",
        [("test_flow", "pytest-function", 1, "e2e")],
    ),
    (
        "'functional' in a file name is not an e2e test",
        "tests/test_functional.py",
        "def test_compose(): pass\n",
        [("test_compose", "pytest-function", 1, "unit")],
    ),
    (
        "'functional' as a folder still is",
        "tests/functional/test_api.py",
        "def test_api(): pass\n",
        [("test_api", "pytest-function", 1, "e2e")],
    ),
    (
        "'load' in a name is not a load test",
        "tests/test_loader.py",
        "def test_load_config(): pass\n",
        [("test_load_config", "pytest-function", 1, "unit")],
    ),
]


@pytest.mark.parametrize(("title", "path", "source", "expected"), CASES, ids=[c[0] for c in CASES])
def test_find_python_tests(title: str, path: str, source: str, expected: list[tuple[str, str, int | None, str]]):
    found = find_python_tests(path, textwrap.dedent(source))
    assert [(t.name, t.style, t.expanded, t.kind.value) for t in found] == expected


def test_marker_kind_reason_and_markers_recorded():
    (case,) = find_python_tests(
        "tests/test_x.py", "import pytest\n@pytest.mark.e2e\n@pytest.mark.slow\ndef test_a(): pass\n"
    )
    assert case.kind is TestKind.E2E
    assert case.kind_reason == "marker e2e"
    assert case.markers == ("e2e", "slow")
    assert case.line == 4


def test_syntax_error_raises():
    with pytest.raises(SyntaxError):
        find_python_tests("tests/test_bad.py", "def test_(:\n")
