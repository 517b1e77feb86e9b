"""The one place that reads and writes assess's JSON documents.

Writes are atomic (temporary file, then rename), so a crash never leaves half a file.
Reads check the schema version and validate strictly, so a malformed file gives a clear
:class:`ModelFileError` naming the file, not a traceback deep in a later stage.
"""

from __future__ import annotations

import json
import weakref
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from assess._files import atomic_write_bytes, atomic_write_text
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


_DUMPS: dict[int, bytes] = {}
"""Evidence object id -> its :func:`dumps` text in UTF-8, for evidence whose text is at hand (read from the evidence
cache, or just written to it: :func:`remember_dumps`); entries leave with their object (weakref.finalize)."""
_DURATION = TypeAdapter(float | None)
"""Evidence's ``duration_s``, to write its value as pydantic writes it."""
_NO_DURATION = b'\n  "duration_s": null,\n'
"""The line of a :func:`dumps` text of an evidence whose ``duration_s`` is None: the only one at the top level's
indent, and before ``data``, so its first occurrence is that field's."""


def remember_dumps(evidence: Evidence, document: bytes) -> None:
    """Note that ``document`` is ``dumps(evidence)`` in UTF-8, so that :func:`write_evidence` writes it without
    serialising the evidence again (0.2 s for Django's patterns evidence, 17 MB)."""
    if evidence.duration_s is None and dumps_duration(document, None) is not None:
        _DUMPS[id(evidence)] = document
        weakref.finalize(evidence, _DUMPS.pop, id(evidence), None)


def dumps_duration(document: bytes, duration_s: float | None) -> bytes | None:
    """``document`` (a :func:`dumps` text, in UTF-8, of an evidence without a duration) with ``duration_s``, or
    None if it has no such line. Bytes, not text: one character beyond the BMP in a 17 MB document makes a
    ``str`` of it 87 MB, and each copy of it a tenth of a second."""
    at = document.find(_NO_DURATION)
    if at < 0:
        return None
    line = b'\n  "duration_s": %s,\n' % _DURATION.dump_json(duration_s)
    return b"".join((document[:at], line, document[at + len(_NO_DURATION) :]))


def write_evidence(evidence: Evidence, duration_s: float | None, path: Path) -> Evidence:
    """Write ``evidence`` with ``duration_s`` to ``path`` atomically; the evidence written."""
    written = evidence.model_copy(update={"duration_s": duration_s})
    remembered = _DUMPS.get(id(evidence))
    document = None if remembered is None else dumps_duration(remembered, duration_s)
    atomic_write_bytes(path, dumps(written).encode() if document is None else document)
    return written


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
