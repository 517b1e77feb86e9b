"""The one place that reads and writes assess's JSON documents.

Writes are atomic (temporary file, then rename), so a crash never leaves half a file.
Reads check the schema version and validate strictly, so a malformed file gives a clear
:class:`ModelFileError` naming the file, not a traceback deep in a later stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from assess._files import atomic_write_text
from assess.model.base import SCHEMA_VERSION
from assess.model.evidence import EVIDENCE_TYPES, Evidence
from assess.model.run import Assessment, RunInfo

M = TypeVar("M", bound=BaseModel)

MAX_DOCUMENT_BYTES = 512 * 1024 * 1024


class ModelFileError(ValueError):
    """A document could not be read: missing, not JSON, wrong schema version or invalid."""


def dumps(model: BaseModel) -> str:
    """Serialise ``model`` to JSON text (stable key order as declared, indented)."""
    return model.model_dump_json(indent=2) + "\n"


def write_model(model: BaseModel, path: Path) -> Path:
    """Write ``model`` to ``path`` atomically; returns ``path``."""
    atomic_write_text(path, dumps(model))
    return path


def _load_json(path: Path) -> dict[str, object]:
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ModelFileError(f"{path}: larger than {MAX_DOCUMENT_BYTES} bytes")
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ModelFileError(f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{path}: cannot read ({err})") from err
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from err
    except RecursionError:
        raise ModelFileError(f"{path}: not valid JSON (nested too deeply)") from None
    if not isinstance(raw, dict):
        raise ModelFileError(f"{path}: expected a JSON object")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ModelFileError(f"{path}: schema version {version!r}, this assess reads version {SCHEMA_VERSION}")
    return raw


def _validate(cls: type[M], raw: object, path: Path) -> M:
    try:
        return cls.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise ModelFileError(f"{path}: invalid {cls.__name__} at {where or 'top level'}: {first['msg']}") from err


def read_model(cls: type[M], path: Path) -> M:
    """Read a document of type ``cls``. Raises :class:`ModelFileError`."""
    return _validate(cls, _load_json(path), path)


def read_evidence(path: Path) -> Evidence:
    """Read an evidence file of any registered kind. Raises :class:`ModelFileError`."""
    raw = _load_json(path)
    kind = raw.get("kind")
    cls = EVIDENCE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ModelFileError(f"{path}: unknown evidence kind {kind!r} (known: {', '.join(sorted(EVIDENCE_TYPES))})")
    return _validate(cls, raw, path)


def read_run_info(path: Path) -> RunInfo:
    return read_model(RunInfo, path)


def read_assessment(path: Path) -> Assessment:
    return read_model(Assessment, path)
