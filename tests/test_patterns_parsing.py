"""The shared parsing layer for extractors: configs, Python files, scripts; bad input is reported, not raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.patterns.configs import ConfigFile, config_format
from assess.patterns.pyast import PythonFile
from assess.patterns.scripts import ScriptFile


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [("A=1 # comment", "A", "1"), ('B="x y" # c', "B", "x y"), ("C='q'", "C", "q"), ("export D=v", "D", "v"),
     ("E=", "E", ""), ('F="unterminated', "F", "unterminated"), ("G=a#b", "G", "a#b")],
)  # fmt: skip
def test_dotenv_values(line: str, key: str, value: str):
    (instruction,) = ConfigFile.parse(".env", "env", line).instructions
    assert (instruction.keyword, instruction.value, instruction.line) == (key, value, 1)


def test_dockerfile_continuations_keep_the_first_line():
    f = ConfigFile.parse("Dockerfile", "dockerfile", 'FROM python:3.11\n# c\nRUN a \\\n  && b\nCMD ["x"]\n')
    assert [(i.keyword, i.line) for i in f.instructions] == [("FROM", 1), ("RUN", 3), ("CMD", 5)]
    assert f.instructions[1].value == "a && b"


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("a/Dockerfile.prod", "dockerfile"), (".env", "env"), (".env.local", "env"), ("x.yml", "yaml"), ("x.txt", None)],
)
def test_config_format(path: str, fmt: str | None):
    assert config_format(path) == fmt


def test_python_aliases_resolve_calls():
    f = PythonFile.parse("a.py", "import requests as r\nfrom urllib.request import urlopen\nr.get(u)\nurlopen(u)\n")
    assert [name for _, name in f.calls()] == ["requests.get", "urllib.request.urlopen"]


def test_script_imports_from_import_and_require():
    f = ScriptFile.parse("a.ts", "TypeScript", "import axios from 'axios';\nconst pg = require('pg');\n")
    assert f.imports == ("axios", "pg")


def test_unparsable_files_are_recorded_not_raised(tmp_path: Path):
    (tmp_path / "bad.py").write_text("def f(:\n")
    (tmp_path / "bad.yml").write_text("a: [1, 2\n")
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "ok.py").write_text("x = 1\n")
    data, _ = scan(tmp_path)
    by_path = {f.path: f for f in data.files}
    assert not by_path["bad.py"].parsed and "SyntaxError" in by_path["bad.py"].error
    assert not by_path["bad.yml"].parsed and not by_path["bad.json"].parsed
    assert by_path["ok.py"].parsed


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(12)
)


def test_yaml_alias_bombs_are_refused_not_expanded():
    with pytest.raises(ValueError, match="YAML aliases"):
        ConfigFile.parse("bomb.yml", "yaml", BILLION_LAUGHS)


HOSTILE_FILES: dict[str, bytes] = {
    "deep.py": b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "latin1.py": b"s = '\xe9t\xe9'\n",
    "nul.py": b"x = 1\x00\n",
    "empty.py": b"",
    "only_comment.ts": b"// nothing\n",
    "broken.ts": b"function (((( {\n",
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "bomb.yml": BILLION_LAUGHS.encode(),
    "scalar.yml": b"just a string\n",
    "list.yml": b"- 1\n- 2\n",
    "Dockerfile": b"\\\n\\\n",
    ".env": b"=novalue\nKEY\n",
    "weird.toml": b"[[a]]\n[a]\n",
}


def test_nothing_in_a_target_crashes_the_scan(tmp_path: Path):
    for name, content in HOSTILE_FILES.items():
        (tmp_path / name).write_bytes(content)
    data, warnings = scan(tmp_path)
    assert warnings == [], warnings  # no extractor failed on any of them
    unparsed = {f.path for f in data.files if not f.parsed}
    assert {"deep.json", "bomb.yml", "weird.toml"} <= unparsed
