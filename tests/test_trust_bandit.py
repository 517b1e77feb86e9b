"""Bandit's issues are mapped back to syntax nodes from an index made once per file, with the same sites as
the walk per issue it replaced (which took 32 s for a file of 4,000 ``assert`` lines)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from assess.patterns import security_bandit
from assess.patterns.pyast import PythonFile
from assess.patterns.security_bandit import bandit_sites

RANDOM_FLOWS = """
import random


def token():
    value = random.random() * 10
    return value


def pick(items):
    return random.choice(items)


CONFIG = {'seed': random.randint(0, 9)}
call(jitter=random.uniform(0, 1))
sorter = sorted([], key=lambda _: random.random())
"""
PASSWORDS = """
def login(user, password='hunter2-pw'):
    if user.token_type == 'lbracket':
        connect(
            user,
            password='tiger-42',
        )
    secrets = {'password': 'abc-1234'}
    return secrets


TOKEN = 'xyz-5678'
"""
LINE_2 = "x = [random.random(), random.random()]; subprocess.call('ls', shell=True)"
SAME_LINE = f"import random, subprocess\n{LINE_2}\n"

# (test id, line, function, first line of the snippet, literal, flows into, compared with): the function and
# the snippet come from the node the issue was mapped to, so they show that the mapping found the same node.
CASES: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "asserts": ("def check(x):\n    assert x\n    assert x > 1, 'big'\n", [
        ("B101", 2, "check", "assert x", None, (), ()),
        ("B101", 3, "check", "assert x > 1, 'big'", None, (), ()),
    ]),
    # the call, not the product around it that starts at the same place; a value passed on through a
    # variable the function returns; a return; a dict key; a keyword; a sort key (no name)
    "random-flows": (RANDOM_FLOWS, [
        ("B311", 5, "token", "value = random.random() * 10", None, ("value", "token"), ()),
        ("B311", 10, "pick", "return random.choice(items)", None, ("pick",), ()),
        ("B311", 13, None, "CONFIG = {'seed': random.randint(0, 9)}", None, ("seed",), ()),
        ("B311", 14, None, "call(jitter=random.uniform(0, 1))", None, ("jitter",), ()),
        ("B311", 15, None, "sorter = sorted([], key=lambda _: random.random())", None, (), ()),
    ]),
    # B107 at the function, B105 in a comparison and in a dict, B106 at a call over several lines (the
    # line of the literal, the column of the call: no node starts there, so the lines are the snippet)
    "passwords": (PASSWORDS, [
        ("B107", 1, None, "def login(user, password='hunter2-pw'):", "hunter2-pw", ("password",), ()),
        ("B105", 2, "login", "if user.token_type == 'lbracket':", "lbracket", (), ("token_type",)),
        ("B106", 5, None, "    password='tiger-42',", "tiger-42", ("password",), ()),
        ("B105", 7, "login", "secrets = {'password': 'abc-1234'}", "abc-1234", ("password",), ()),
        ("B105", 11, None, "TOKEN = 'xyz-5678'", "xyz-5678", ("TOKEN",), ()),
    ]),
    "same-line": (SAME_LINE, [
        ("B404", 1, None, "import random, subprocess", None, (), ()),
        ("B311", 2, None, LINE_2, None, ("x",), ()),
        ("B311", 2, None, LINE_2, None, ("x",), ()),
        ("B602", 2, None, LINE_2, None, (), ()),
        ("B607", 2, None, LINE_2, None, (), ()),
    ]),
}  # fmt: skip


class _CountingAst:
    """The ``ast`` module as ``security_bandit`` sees it, counting the walks of one tree."""

    def __init__(self, tree: ast.AST) -> None:
        self.tree, self.walks = tree, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(ast, name)

    def walk(self, node: ast.AST) -> Any:
        self.walks += node is self.tree
        return ast.walk(node)


def _sites(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[Any, ...]], int]:
    """The sites bandit's issues in ``code`` map to, and how often the mapping walked the whole tree."""
    text = code.lstrip("\n")
    path = tmp_path / "m.py"
    path.write_text(text, encoding="utf-8")
    parsed = PythonFile.parse("m.py", text)
    counting = _CountingAst(parsed.tree)
    monkeypatch.setattr(security_bandit, "ast", counting)
    sites = bandit_sites(parsed, path, text.encode())
    found = [(s.test_id, s.line, s.function, s.snippet.splitlines()[0], s.literal, s.flows_into, s.compared_with)
             for s in sites]  # fmt: skip
    return sorted(found, key=lambda s: (s[1], s[0])), counting.walks


@pytest.mark.parametrize("name", CASES)
def test_issues_map_to_the_same_sites_with_at_most_one_walk(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, expected = CASES[name]
    sites, walks = _sites(code, tmp_path, monkeypatch)
    assert sites == expected
    assert walks <= 1, f"the tree was walked {walks} times for {len(sites)} issues"


def test_a_file_of_asserts_is_not_walked_once_per_assert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "def check(x):\n" + "    assert x\n" * 400
    sites, walks = _sites(code, tmp_path, monkeypatch)
    assert [(s[0], s[1], s[2]) for s in sites] == [("B101", n, "check") for n in range(2, 402)]
    assert walks <= 1
