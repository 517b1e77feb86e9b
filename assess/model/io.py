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

from assess._files import FileTooLarge, atomic_write_bytes, atomic_write_text, read_beneath, read_bounded
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


def _load_json(path: Path, root: Path | None, follow: bool) -> dict[str, object]:
    """The JSON object in ``path``. With ``root`` (a run folder), ``path`` must be a regular file inside it,
    reached without following a symlink on the way; else a regular file, and a symlink only with ``follow``. A FIFO
    is never waited on. Raises :class:`ModelFileError`."""
    try:
        if root is not None:
            data = read_beneath(root, path.relative_to(root).as_posix(), MAX_DOCUMENT_BYTES)
        else:
            data = read_bounded(path, MAX_DOCUMENT_BYTES, follow=follow)
        raw = json.loads(data.decode("utf-8"))
    except FileNotFoundError as err:
        raise ModelFileError(f"{path}: no such file") from err
    except FileTooLarge as err:
        raise ModelFileError(f"{path}: larger than {MAX_DOCUMENT_BYTES} bytes") from err
    except ValueError as err:
        if isinstance(err, json.JSONDecodeError):
            raise ModelFileError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from err
        raise ModelFileError(f"{path}: cannot read ({err})") from err  # not UTF-8, or not under root
    except OSError as err:
        raise ModelFileError(f"{path}: cannot read ({err.strerror or err})") from err
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


def read_model(cls: type[M], path: Path, *, root: Path | None = None, follow: bool = False) -> M:
    """Read a document of type ``cls``: from the run folder ``root`` when given (see :func:`_load_json`; a run
    folder may come from an untrusted job), else from the file ``path`` (a symlink only with ``follow``).
    Raises :class:`ModelFileError`."""
    return _validate(cls, _load_json(path, root, follow), path)


def read_evidence(path: Path, *, root: Path | None = None) -> Evidence:
    """Read an evidence file of any registered kind (inside the run folder ``root`` when given). Raises
    :class:`ModelFileError`."""
    raw = _load_json(path, root, False)
    kind = raw.get("kind")
    cls = EVIDENCE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ModelFileError(f"{path}: unknown evidence kind {kind!r} (known: {', '.join(sorted(EVIDENCE_TYPES))})")
    return _validate(cls, raw, path)


def read_run_info(path: Path, *, root: Path | None = None) -> RunInfo:
    return read_model(RunInfo, path, root=root)


def read_assessment(path: Path, *, root: Path | None = None) -> Assessment:
    return read_model(Assessment, path, root=root)
