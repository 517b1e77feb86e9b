"""assessment.schema.json: current with the model, a valid 2020-12 schema, and real outputs valid against it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from assess.assessment import write_outputs
from assess.collectors import CollectContext, run_collector
from assess.model import SCHEMA_VERSION, RunParameters
from assess.model.io import dumps
from assess.pipeline import Pipeline
from assess.report.schema import (
    DIALECT,
    SCHEMA_ID,
    assessment_schema,
    main,
    schema_text,
    shipped_schema,
    shipped_schema_path,
)
from tests.test_markdown import rich_assessment

SERVICE = {
    "app/__init__.py": "",
    "app/client.py": "import requests\n\n\ndef fetch(url):\n    try:\n        return requests.get(url).json()\n"
    "    except Exception:\n        return None\n",
    "app/store.py": "import sqlite3\n\n\ndef save(db, x):\n    c = sqlite3.connect(db)\n"
    "    c.execute('insert into t values (?)', (x,))\n    c.execute('update n set v = v + 1')\n    c.commit()\n",
    "<img src=x onerror=alert(1)>.py": "def f(x):\n    if x:\n        return 1\n    return 2\n",
    "tests/test_client.py": "def test_nothing():\n    assert True\n",
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = shipped_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(validator: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    """Every error, with those under an ``anyOf`` (a nullable field) too, as ``path: message``."""
    found: list[jsonschema.ValidationError] = []
    todo = list(validator.iter_errors(document))
    while todo:
        error = todo.pop()
        found.append(error)
        todo.extend(error.context or ())
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found)


def test_shipped_schema_is_current():
    assert shipped_schema_path().read_text(encoding="utf-8") == schema_text(), (
        "the model changed: run python -m assess.report.schema --write"
    )
    assert main(["--check"]) == 0


def test_schema_header():
    schema = assessment_schema()
    assert schema["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID == f"urn:assess:schema:assessment:v{SCHEMA_VERSION}"
    assert schema["x-schema-version"] == SCHEMA_VERSION
    assert schema["title"].endswith(f"schema version {SCHEMA_VERSION}")
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert "schema_version" in schema["required"] and schema["additionalProperties"] is False
    assert list(schema)[:3] == ["$schema", "$id", "title"]


def test_generator_prints_the_schema(capsys: pytest.CaptureFixture[str]):
    assert main([]) == 0
    assert capsys.readouterr().out == schema_text()


def test_check_fails_on_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    stale = tmp_path / "assessment.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr("assess.report.schema.shipped_schema_path", lambda: stale)
    assert main(["--check"]) == 1
    assert main(["--write"]) == 0
    assert stale.read_text(encoding="utf-8") == schema_text()
    assert main(["--check"]) == 0


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of a tiny service, through the collectors and write_outputs."""
    root = tmp_path_factory.mktemp("schema")
    target = root / "svc"
    for rel, text in SERVICE.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
    run_dir = root / "run"
    run_dir.mkdir()
    ctx_params = RunParameters(target=str(target), no_tests=True)
    Pipeline(ctx_params, run_dir).write_info()
    ctx = CollectContext(params=ctx_params, run_dir=run_dir)
    for kind in ("inventory", "complexity", "coverage", "patterns"):
        run_collector(kind, ctx)
    write_outputs(run_dir)
    return run_dir


def test_a_real_assessment_is_valid(validator, real_run: Path):
    document = json.loads((real_run / "assessment.json").read_text(encoding="utf-8"))
    assert errors(validator, document) == []
    assert document["findings"] and document["grades"] and document["verdict"]  # not a vacuous document
    assert {p.name for p in real_run.iterdir()} >= {"summary.md", "badge.svg", "findings.sarif", "assessment.html"}


def test_an_assessment_without_evidence_is_valid(validator, tmp_path: Path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    Pipeline(RunParameters(target=str(tmp_path)), run_dir).write_info()
    write_outputs(run_dir)
    assert errors(validator, json.loads((run_dir / "assessment.json").read_text(encoding="utf-8"))) == []


def test_every_part_of_the_model_is_valid(validator):
    assert errors(validator, json.loads(dumps(rich_assessment()))) == []
    assert errors(validator, json.loads(dumps(rich_assessment(verdict=None, plan=None, scoring_error="x")))) == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("schema_version",), 2, "1 was expected"),
        (("findings", 0, "line"), "ten", "'ten' is not valid under any of the given schemas"),
        (("findings", 0, "severity"), "severe", "'severe' is not one of"),
        (("grades", 0, "status"), "graded-ish", "'graded-ish' is not one of"),
        (("verdict", "decision"), "MAYBE", "'MAYBE' is not one of"),
        (("plan", "items", 0, "count"), 1.5, "1.5 is not of type 'integer'"),
        (("run", "parameters", "chaos_trials"), 0, "0 is less than the minimum of 1"),
        (("facts",), {}, "{} is not of type 'array'"),
        (("unexpected",), True, "Additional properties are not allowed"),
    ],
)
def test_a_wrong_document_fails(validator, path: tuple[str | int, ...], value: object, message: str):
    document = json.loads(dumps(rich_assessment()))
    broken = copy.deepcopy(document)
    holder: Any = broken
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    found = errors(validator, broken)
    assert any(message in e for e in found), found


def test_a_missing_schema_version_fails(validator):
    document = json.loads(dumps(rich_assessment()))
    del document["schema_version"]
    assert any("'schema_version' is a required property" in e for e in errors(validator, document))
