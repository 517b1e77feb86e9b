"""Patterns evidence: the places in the target's code and config where a pattern was seen.

A :class:`Site` is a fact ("a requests call without a timeout argument at client.py:88"), not a
judgement. Each kind of site is a subclass registered with :func:`register_site`, so a family of
extractors and probes adds its own typed facts without touching a shared union.
"""

from __future__ import annotations

import functools
import weakref
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import ConfigDict, Field, SerializeAsAny, TypeAdapter, create_model, field_validator

from assess.model.base import Model
from assess.model.evidence import Evidence, register_evidence
from assess.model.inventory import Role, SkippedFile


class Site(Model):
    """Where a pattern was seen. Subclasses fix ``kind`` and add what the probes need."""

    # Sites are not in the published schema (assessment.json), so their fields' docstrings are not read into
    # descriptions: pydantic finds each class's source to read them, 0.1 s of every process's start for 60 kinds.
    model_config = ConfigDict(use_attribute_docstrings=False)  # merged with Model's: frozen, extra forbidden

    kind: str
    path: str
    """Relative to the target root."""
    line: int
    end_line: int
    language: str
    snippet: str = ""
    """The source lines (trimmed, bounded in size)."""
    function: str | None = None
    """Enclosing function or method (qualified), None at module level."""


S = TypeVar("S", bound=type[Site])
T = TypeVar("T", bound=Site)

SITE_TYPES: dict[str, type[Site]] = {}


def register_site(cls: S) -> S:
    """Class decorator: make a site kind readable from JSON."""
    kind = cls.__pydantic_fields__["kind"].default
    if not isinstance(kind, str):
        raise TypeError(f"{cls.__name__}.kind needs a string default")
    SITE_TYPES[kind] = cls
    return cls


@functools.cache
def _load_site_types() -> None:
    """Site kinds are defined beside their extractors; import those modules (once) to read a file."""
    from assess.patterns import load_extractors

    load_extractors()


class ScannedFile(Model):
    path: str
    language: str
    role: Role
    parsed: bool
    error: str | None = None
    """Why the file could not be parsed; its sites are then missing."""
    imports: tuple[str, ...] = ()
    """Modules or packages the file imports (``requests``, ``urllib.request``, ``axios`` ...)."""
    links: tuple[str, ...] = ()
    """What the file imports, for the project's import graph: Python modules and ``module.name`` (relative ones
    with their leading dots), or JavaScript/TypeScript specifiers (``./queries``) (:mod:`assess.project`)."""


@functools.cache
def _sites_adapter(types: tuple[type[Site], ...]) -> TypeAdapter[list[Site]]:
    """A validator for a list of sites of any registered kind, told apart by ``kind`` (rebuilt when a kind
    is registered). Unknown kinds fail, as they must: a site nobody can read is a malformed file."""
    site: Any = _site_union(types)
    return TypeAdapter(list[site])


def _site_union(types: tuple[type[Site], ...]) -> Any:
    """One site of any of ``types``, chosen by its ``kind``."""
    if len(types) == 1:
        return types[0]
    return Annotated[Union[types], Field(discriminator="kind")]  # noqa: UP007


_ROLES: dict[int, dict[str, Role]] = {}
"""PatternsData object id -> path -> role; entries leave with their object (weakref.finalize)."""


class PatternsData(Model):
    files: tuple[ScannedFile, ...]
    sites: tuple[SerializeAsAny[Site], ...]
    skipped: tuple[SkippedFile, ...] = ()
    """Source, test and config files not scanned on purpose (too large), each with the rule."""

    @field_validator("sites", mode="before")
    @classmethod
    def _typed_sites(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        if value and all(type(item) is dict for item in value):  # as read from JSON: validate in one call
            if any(item.get("kind") not in SITE_TYPES for item in value):
                _load_site_types()
            return tuple(_sites_adapter(tuple(SITE_TYPES.values())).validate_python(value))
        out = []
        for item in value:
            if isinstance(item, dict):
                kind = item.get("kind")
                if isinstance(kind, str) and kind not in SITE_TYPES:
                    _load_site_types()
                site_type = SITE_TYPES.get(kind) if isinstance(kind, str) else None
                if site_type is None:
                    raise ValueError(f"unknown site kind {kind!r}")
                item = site_type.model_validate(item)
            out.append(item)
        return tuple(out)

    def role_of(self, path: str) -> Role | None:
        """The role of a scanned file. The lookup table is built once per object and kept outside it,
        so that equality and serialisation see only the fields."""
        roles = _ROLES.get(id(self))
        if roles is None:
            roles = _ROLES[id(self)] = {f.path: f.role for f in self.files}
            weakref.finalize(self, _ROLES.pop, id(self), None)
        return roles.get(path)

    def of(self, site_type: type[T]) -> list[T]:
        """Sites of one type, in file and line order."""
        return [s for s in self.sites if isinstance(s, site_type)]


@functools.cache
def _typed_data(types: tuple[type[Site], ...]) -> type[Model]:
    """A model of :class:`PatternsData` with the sites' kinds in its schema, so that JSON is validated to typed
    sites in one pass (PatternsData's own validator goes through Python objects first: twice as slow on a
    large tree)."""
    site: Any = _site_union(types)
    return create_model(
        "TypedPatternsData",
        __base__=Model,
        files=(tuple[ScannedFile, ...], ...),
        sites=(tuple[site, ...], ...),
        skipped=(tuple[SkippedFile, ...], ()),
    )


def _untyped(data: Any) -> PatternsData | None:
    """The PatternsData of a :func:`_typed_data` object (already validated)."""
    if data is None:
        return None
    return PatternsData.model_construct(files=data.files, sites=data.sites, skipped=data.skipped)


@functools.cache
def _typed_scan(types: tuple[type[Site], ...]) -> type[Model]:
    """A model of one file's scan as the static analysis stores it (``scan`` and ``patterns_skip``)."""
    typed_data = _typed_data(types)
    fields: dict[str, Any] = {"scan": (typed_data | None, None), "patterns_skip": (SkippedFile | None, None)}
    return create_model("TypedScan", __base__=Model, **fields)


def read_scan(text: str) -> dict[str, Any]:
    """``{"scan": PatternsData | None, "patterns_skip": SkippedFile | None}`` from their JSON object, every
    site of a registered kind; raises pydantic's ValidationError (a ValueError) on anything else."""
    _load_site_types()
    typed: Any = _typed_scan(tuple(SITE_TYPES.values())).model_validate_json(text)
    return {"scan": _untyped(typed.scan), "patterns_skip": typed.patterns_skip}


@register_evidence
class PatternsEvidence(Evidence):
    kind: Literal["patterns"] = "patterns"
    data: PatternsData | None = None


@functools.cache
def _typed_evidence(types: tuple[type[Site], ...]) -> type[Evidence]:
    typed_data = _typed_data(types)
    fields: dict[str, Any] = {"data": (typed_data | None, None)}
    return create_model("TypedPatternsEvidence", __base__=PatternsEvidence, **fields)


def read_patterns_evidence(text: str | bytes) -> PatternsEvidence:
    """A :class:`PatternsEvidence` from its JSON, validated in one pass (see :func:`_typed_data`): as
    ``PatternsEvidence.model_validate_json`` would read it, in about half the time on a large tree (Django:
    0.14-0.28 s against 0.35-0.53 s). Raises pydantic's ValidationError (a ValueError) on anything it would
    refuse."""
    _load_site_types()
    typed = _typed_evidence(tuple(SITE_TYPES.values())).model_validate_json(text)
    fields = {name: getattr(typed, name) for name in PatternsEvidence.model_fields}
    fields["data"] = _untyped(typed.data)
    return PatternsEvidence.model_construct(_fields_set=typed.model_fields_set, **fields)
