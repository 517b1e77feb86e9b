"""docs/ci.md: its workflows are valid YAML and every assess command in it parses with today's CLI."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from assess.cli import _parser

DOC = (Path(__file__).parent.parent / "docs" / "ci.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", DOC, flags=re.S)


def assess_commands() -> list[str]:
    """Each ``assess ...`` invocation in the page, shell variables replaced by plain words."""
    found = []
    for _, body in BLOCKS:
        for line in body.splitlines():
            match = re.search(r"(?:^|[\s/(])assess (run|score|render|chaos)\b(.*)", line)
            if match:
                rest = re.split(r"\s(?:>|\||\|\||#)\s", " " + match.group(2) + " ")[0]
                rest = rest.replace("$gate", "--fail-on NO-GO").rstrip().removesuffix(")")
                rest = re.sub(r"\$\w+|\$\{[^}]+\}|\"?\$\([^)]*\)\"?", "X", rest)
                found.append(f"{match.group(1)} {rest.strip()}")
    return found


def test_the_page_has_workflows_and_commands() -> None:
    assert [lang for lang, _ in BLOCKS].count("yaml") == 2
    assert len(assess_commands()) >= 5


@pytest.mark.parametrize("body", [b for lang, b in BLOCKS if lang == "yaml"])
def test_workflows_are_valid_yaml(body: str) -> None:
    document = yaml.safe_load(body)
    assert isinstance(document, dict) and document


@pytest.mark.parametrize("command", assess_commands())
def test_commands_parse(command: str) -> None:
    args = _parser().parse_args(shlex.split(command))
    assert args.command in {"run", "score", "render", "chaos"}
