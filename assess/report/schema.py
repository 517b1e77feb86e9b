"""The JSON Schema of ``assessment.json``, generated from the pydantic model and shipped in the package.

``python -m assess.report.schema`` prints it; ``--write`` replaces the shipped file
(``assess/report/schemas/assessment.schema.json``); ``--check`` exits 1 when that file is stale.
A test fails when the shipped file differs from :func:`assessment_schema`, so the file changes
with the model, in the same commit.

The schema is pydantic's serialisation schema of :class:`~assess.model.run.Assessment` (what
:func:`assess.model.io.write_model` writes), plus: ``$schema`` (draft 2020-12), an ``$id`` and
``x-schema-version`` that carry :data:`~assess.model.base.SCHEMA_VERSION`, and ``schema_version``
required to be that number, as :func:`assess.model.io.read_assessment` requires.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from assess._files import atomic_write_text
from assess.model.base import SCHEMA_VERSION
from assess.model.run import Assessment

Json = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:assess:schema:assessment:v{SCHEMA_VERSION}"
"""A URN, not a URL: the schema is identified, not fetched (it is in the package)."""
RESOURCE = "schemas/assessment.schema.json"
GENERATOR = "python -m assess.report.schema --write"


def assessment_schema() -> Json:
    """The JSON Schema (draft 2020-12) of ``assessment.json`` for this version of the model."""
    generated = Assessment.model_json_schema(mode="serialization")
    generated["properties"]["schema_version"] = {
        **generated["properties"]["schema_version"],
        "const": SCHEMA_VERSION,
    }
    generated["required"] = ["schema_version", *generated.get("required", [])]
    head: Json = {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": f"assess assessment.json, schema version {SCHEMA_VERSION}",
        "description": generated.pop("description", ""),
        "$comment": f"Generated from assess.model.run.Assessment by `{GENERATOR}`; do not edit.",
        "x-schema-version": SCHEMA_VERSION,
    }
    generated.pop("title", None)
    defs = generated.pop("$defs", {})
    return {**head, **generated, "$defs": defs}


def schema_text() -> str:
    """:func:`assessment_schema` as the shipped file holds it: indented JSON, ending in a newline."""
    return json.dumps(assessment_schema(), indent=2, ensure_ascii=False) + "\n"


def shipped_schema_path() -> Path:
    """Where the shipped schema is in the source tree (for ``--write`` and the currency test)."""
    return Path(__file__).parent / RESOURCE


def shipped_schema() -> Json:
    """The schema shipped in the package, freshly parsed."""
    text = resources.files("assess.report").joinpath(RESOURCE).read_text(encoding="utf-8")
    schema: Json = json.loads(text)
    return schema


def main(argv: Sequence[str] | None = None) -> int:
    """Print the schema, or write (``--write``) or check (``--check``) the shipped file; the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m assess.report.schema", description="The JSON Schema of assessment.json."
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="replace the shipped schema file")
    action.add_argument("--check", action="store_true", help="exit 1 when the shipped file is not current")
    args = parser.parse_args(argv)
    text, path = schema_text(), shipped_schema_path()
    if args.write:
        atomic_write_text(path, text)
        print(f"wrote {path}")
        return 0
    if args.check:
        current = path.is_file() and path.read_text(encoding="utf-8") == text
        print(f"{path} is {'current' if current else f'stale: run {GENERATOR}'}")
        return 0 if current else 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
