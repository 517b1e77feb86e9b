"""The schema of a target's assess config (``[tool.assess]``, or an ``assess.toml``) and the lines saying
what in it fails the schema.

:func:`check_table` checks a table read from the target, which is untrusted: finite numbers in range,
strings of bounded length, at most :data:`MAX_GLOBS` globs and :data:`MAX_WAIVERS` waivers. Each
key that fails is cut out, as little as can be (one weight, one grade's threshold, one waiver, one
glob), with one line naming the file, the key path and what the key must be; the rest is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from assess.rubric import capped, toml_key

KNOWN_KEYS = frozenset({"weights", "thresholds", "disabled", "waivers", "chaos", "paths", "test_command"})
MAX_GLOBS = 1000
"""``paths.exclude`` globs kept; the others are reported and ignored."""
MAX_WAIVERS = 1000
"""Waivers kept; the others are reported and ignored."""
MAX_ENTRIES = 100
"""Entries of ``weights``, ``disabled``, ``thresholds`` and each category's thresholds (the rubric has 15)."""
MAX_WEIGHT = 100.0
MAX_THRESHOLD = 1e9
_NAME = 200
_TEXT = 2000
_COMMAND = 10_000


def _date(value: object) -> object:
    """A date from TOML's date or an ISO string; a date-time is refused (a waiver ends on a day)."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date-time, not a date")
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _words(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value.strip()


def _glob(value: str) -> str:
    if not value.strip("/ "):
        raise ValueError("names no path")
    return value.strip().removeprefix("./")


Name = Annotated[str, Field(min_length=1, max_length=_NAME)]
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]
Threshold = Annotated[float, Field(ge=-MAX_THRESHOLD, le=MAX_THRESHOLD, allow_inf_nan=False)]
GradeKey = Literal["A", "B+", "B", "C+", "C", "D"]
Glob = Annotated[str, Field(max_length=_TEXT), AfterValidator(_glob)]
_TABLE = ConfigDict(extra="forbid", strict=True, frozen=True)


class WaiverSchema(BaseModel):
    model_config = _TABLE
    rule: Name
    justification: Annotated[str, Field(max_length=_TEXT), AfterValidator(_words)]
    path: Annotated[str, Field(max_length=_TEXT)] | None = None
    expires: Annotated[dt.date, BeforeValidator(_date)] | None = None


class PathsSchema(BaseModel):
    model_config = _TABLE
    exclude: list[Glob] = []


class ConfigSchema(BaseModel):
    """``[tool.assess]``, or an ``assess.toml``: what each key may hold. Category and signal names are
    checked against the rubric when it is applied (:func:`assess.rubric.apply_overrides`)."""

    model_config = _TABLE
    weights: Annotated[dict[Name, Weight], Field(max_length=MAX_ENTRIES)] = {}
    thresholds: Annotated[
        dict[Name, Annotated[dict[Name, dict[GradeKey, Threshold]], Field(max_length=MAX_ENTRIES)]],
        Field(max_length=MAX_ENTRIES),
    ] = {}
    disabled: Annotated[list[Name], Field(max_length=MAX_ENTRIES)] = []
    waivers: list[WaiverSchema] = []
    paths: PathsSchema = PathsSchema()
    test_command: Annotated[str, Field(max_length=_COMMAND), AfterValidator(_words)] | None = None
    chaos: dict[str, Any] | None = None
    """Checked by the chaos stage's own rules (:func:`assess.chaos.service.chaos_problems`)."""


EXPECTED: dict[tuple[str, ...], str] = {
    ("weights",): "a table of category = weight",
    ("weights", "*"): f"a number from 0 to {MAX_WEIGHT:g}",
    ("thresholds",): "a table of category = { signal = { grade = value } }",
    ("thresholds", "*"): "a table of signal = { grade = value }",
    ("thresholds", "*", "*"): "a table of grade = value",
    ("thresholds", "*", "*", "*"): f"a finite number (at most {MAX_THRESHOLD:g} either side of 0)",
    ("disabled",): "a list of category names",
    ("disabled", "*"): f"a category name (1 to {_NAME} characters)",
    ("waivers",): "an array of tables ([[tool.assess.waivers]])",
    ("waivers", "*"): "a table with rule, justification, and optionally path and expires",
    ("waivers", "*", "rule"): f"a rule id or glob (1 to {_NAME} characters)",
    ("waivers", "*", "justification"): f"a justification: why the finding is acceptable (at most {_TEXT} characters)",
    ("waivers", "*", "path"): f"a path glob (at most {_TEXT} characters)",
    ("waivers", "*", "expires"): "a date (YYYY-MM-DD)",
    ("paths",): "a table ([tool.assess.paths] or [paths])",
    ("paths", "exclude"): "a list of path globs",
    ("paths", "exclude", "*"): f"a glob of paths relative to the target (at most {_TEXT} characters)",
    ("test_command",): f"a command line (a string of at most {_COMMAND} characters)",
    ("chaos",): "a table (see docs/chaos.md)",
}
"""What each key must be, by its path with the names and positions the target chooses as ``*``."""
KNOWN: dict[tuple[str, ...], str] = {(): ", ".join(sorted(KNOWN_KEYS)), ("paths",): "exclude",
                                     ("waivers", "*"): "rule, path, justification, expires"}  # fmt: skip
"""The keys a table may hold, for the line about one it may not."""
_DEPTH = {"weights": 2, "thresholds": 4, "disabled": 2, "waivers": 2, "paths": 3}
"""How much a bad key takes with it: one weight, one grade's threshold, one waiver, one glob; else the whole key."""


def _pattern(loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """``loc`` with the names and positions the target chose as ``*``: a key of :data:`EXPECTED`."""
    if loc and loc[0] in ("weights", "thresholds"):
        return (str(loc[0]), *("*" for _ in loc[1:]))
    return tuple("*" if isinstance(part, int) else part for part in loc)


def shown(value: object) -> str:
    """A bad value in a few characters: the target wrote it, and a problem is one short line."""
    if isinstance(value, Mapping):
        return f"a table of {len(value)} key(s)"
    if isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    if isinstance(value, str):
        return repr(value[:40]) + ("..." if len(value) > 40 else "")
    return repr(value)[:40]


def _problem(where: str, error: ErrorDetails) -> str:
    """One line for one of pydantic's errors: the file and key path, then what the key must be."""
    loc = tuple(part for part in error["loc"] if part != "[key]")
    at, pattern = f"{where} {toml_key(loc)}", _pattern(loc)
    if error["type"] == "extra_forbidden":
        return f"{at}: unknown key (known: {KNOWN.get(_pattern(loc[:-1]), 'none')})"
    if error["loc"][-1] == "[key]":
        grades = pattern[0] == "thresholds" and len(pattern) == 4
        return f"{at}: not a {'grade (A, B+, B, C+, C, D)' if grades else f'name of 1 to {_NAME} characters'}"
    expected = EXPECTED.get(pattern, "something else")
    if error["type"] == "missing":
        return f"{at}: missing; must be {expected}"
    if error["type"] == "too_long":
        return f"{at}: more than {MAX_ENTRIES} entries; must be {expected}"
    return f"{at}: must be {expected}, got {shown(error['input'])}"


def check_table(table: Mapping[str, Any], where: str) -> tuple[ConfigSchema, tuple[str, ...]]:
    """``table`` (read from ``where``) checked, less what fails the schema, and one line for each key that
    did (at most :data:`assess.rubric.MAX_PROBLEMS`). ``chaos`` is checked by the chaos stage's own rules
    (:func:`assess.chaos.service.chaos_problems`) and left out when they refuse it. Raises nothing."""
    problems: list[str] = []
    checked, errors = _validate(_bounded(dict(table), where, problems))
    problems += dict.fromkeys(_problem(where, e) for e in errors)
    if checked.chaos is not None:
        from assess.chaos.service import chaos_problems  # it imports assess.config, which imports this module

        chaos = chaos_problems(checked.chaos, f"{where} chaos")
        if chaos:
            problems += chaos
            checked = checked.model_copy(update={"chaos": None})
    return checked, capped(problems, where)


def _bounded(raw: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    """``raw`` with at most :data:`MAX_WAIVERS` waivers and :data:`MAX_GLOBS` globs, the excess reported:
    matching costs findings x waivers and files x globs, and a config file has room for tens of thousands."""
    waivers, paths = raw.get("waivers"), raw.get("paths")
    if isinstance(waivers, list) and len(waivers) > MAX_WAIVERS:
        problems.append(_excess(where, "waivers", len(waivers), MAX_WAIVERS))
        raw["waivers"] = waivers[:MAX_WAIVERS]
    exclude = paths.get("exclude") if isinstance(paths, Mapping) else None
    if isinstance(paths, Mapping) and isinstance(exclude, list) and len(exclude) > MAX_GLOBS:
        problems.append(_excess(where, "paths.exclude", len(exclude), MAX_GLOBS))
        raw["paths"] = {**paths, "exclude": exclude[:MAX_GLOBS]}
    return raw


def _excess(where: str, key: str, count: int, limit: int) -> str:
    ignored = count - limit
    return f"{where} {key}: {count} entries, more than {limit}; the first {limit} apply, the other {ignored} do not"


def _validate(raw: dict[str, Any]) -> tuple[ConfigSchema, list[ErrorDetails]]:
    """``raw`` checked, less each bad key (cut out as deep as :data:`_DEPTH` says), and the errors.

    Cutting out what failed leaves a table that passes, so the second round succeeds; the third is a
    guard, and should even that fail the config is empty rather than wrong.
    """
    errors: list[ErrorDetails] = []
    for _ in range(3):
        try:
            return ConfigSchema.model_validate(raw), errors
        except ValidationError as err:
            found = err.errors(include_url=False)
            errors += found
            raw = _without(raw, {_cut(e["loc"]) for e in found})
    return ConfigSchema(), errors


def _cut(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    loc = tuple(part for part in loc if part != "[key]")
    return loc[: _DEPTH.get(str(loc[0]), 1)] if loc else loc


_GONE = object()


def _without(raw: dict[str, Any], cuts: Iterable[tuple[str | int, ...]]) -> dict[str, Any]:
    """``raw`` less the values at ``cuts``; the containers on the way are copied, ``raw`` is left as it is."""
    out = dict(raw)
    copies: list[Any] = [out]  # kept alive, so that their ids stay theirs
    mine = {id(out)}
    for cut in sorted((c for c in cuts if c), key=len):  # a shorter cut first: one under it then finds nothing
        parent: Any = out
        for part in cut[:-1]:
            child = _at(parent, part)
            if not isinstance(child, dict | list):
                break
            if id(child) not in mine:
                child = parent[part] = type(child)(child)
                copies.append(child)
                mine.add(id(child))
            parent = child
        else:
            if isinstance(parent, dict):
                parent.pop(cut[-1], None)
            elif _at(parent, cut[-1]) is not _GONE:
                parent[cut[-1]] = _GONE  # removed below, so that the positions of the other cuts hold
    for container in copies:
        if isinstance(container, list):
            container[:] = [item for item in container if item is not _GONE]
    return out


def _at(container: object, part: str | int) -> object:
    if isinstance(container, dict):
        return container.get(part, _GONE)
    if isinstance(container, list) and isinstance(part, int) and part < len(container):
        return container[part]
    return _GONE
