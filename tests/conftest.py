"""Shared fixtures: tiny repositories built in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from assess.collectors import CollectContext
from assess.model import RunParameters

MakeRepo = Callable[..., Path]

collect_ignore = ["corpus"]
"""The labelled corpus holds small repositories whose test files are data for the probes, not tests."""


@pytest.fixture(autouse=True, scope="session")
def _cache_outside_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """``assess run`` caches analyses in ~/.cache/assess by default, signed with a key kept in ~/.local/state/assess;
    the tests keep both in temporary folders."""
    os.environ["ASSESS_CACHE_DIR"] = str(tmp_path_factory.mktemp("assess-cache"))
    os.environ["ASSESS_CACHE_KEY"] = str(tmp_path_factory.mktemp("assess-state") / "cache.key")


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """make_repo({"path": "content"}, git=False, name="repo") -> the repository folder."""

    def make(files: dict[str, str | bytes], *, git_repo: bool = False, name: str = "repo") -> Path:
        root = tmp_path / name
        root.mkdir()
        write_files(root, files)
        if git_repo:
            git(root, "init", "-q", "-b", "main")
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "fixture")
        return root

    return make


@pytest.fixture
def make_ctx(tmp_path: Path) -> Callable[..., CollectContext]:
    def make(target: Path, **params: object) -> CollectContext:
        run_dir = tmp_path / "run"
        run_dir.mkdir(exist_ok=True)
        return CollectContext(params=RunParameters(target=str(target), **params), run_dir=run_dir)  # type: ignore[arg-type]

    return make


CALC_PROJECT: dict[str, str | bytes] = {
    "calc/__init__.py": """
        def add(a, b):
            return a + b


        def divide(a, b):
            if b == 0:
                raise ZeroDivisionError("b is zero")
            return a / b


        class Stack:
            def __init__(self):
                self.items = []

            def push(self, item):
                self.items.append(item)

            def pop(self):
                if not self.items:
                    return None
                return self.items.pop()
    """,
    "calc/unused.py": """
        def never_called(x):
            for i in range(x):
                if i % 2:
                    return i
            return None
    """,
    "tests/__init__.py": "",
    "tests/conftest.py": "import pytest\n",
    "tests/test_calc.py": """
        import pytest
        from calc import Stack, add, divide


        def test_add():
            assert add(1, 2) == 3


        @pytest.mark.parametrize("a,b", [(1, 1), (4, 2), (9, 3)])
        def test_divide(a, b):
            assert divide(a, b) == a / b


        class TestStack:
            def test_push_pop(self):
                s = Stack()
                s.push(1)
                assert s.pop() == 1
    """,
    "pyproject.toml": """
        [project]
        name = "calc"
        version = "0"

        [tool.coverage.report]
        fail_under = 50
    """,
    "README.md": "# calc\n",
}
"""A small project: 2 source files, 1 test file, known coverage gaps."""

PYTHON = sys.executable


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie still answers kill(0) but is dead for our purpose."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"
