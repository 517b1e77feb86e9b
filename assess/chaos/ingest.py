"""Parsers for chaos results: Chaos Toolkit journals, JUnit XML of chaos suites, the native JSON format.

Each parser takes the file's display path and its text and returns facts (:class:`ChaosResult`);
anything malformed raises :class:`ChaosReportError` with one line naming the file (and the line,
where known). Nothing here judges a result against the success criteria.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any, Literal
from xml.etree.ElementTree import Element

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dependencies

from assess._xml import ParseError, XmlRefused, parse_xml
from assess.model.chaos import ChaosActivity, ChaosResult, ScenarioFamily

MAX_BYTES = 32 * 1024 * 1024
"""Larger files are refused rather than read."""
MAX_OUTPUT_CHARS = 300
"""An activity's output or exception is cut to this length."""
SCHEMA_FILE = Path(__file__).with_name("native.schema.json")

FamilyMapping = Mapping[str, str]
"""Config: test or scenario name glob (case-insensitive) -> family value."""

Phase = Literal["steady-state-before", "method", "steady-state-after", "rollback"]


FAMILY_VALUES = frozenset(f.value for f in ScenarioFamily)


class ChaosReportError(Exception):
    """A chaos result file that cannot be read; the message is one line naming the file."""


_F = ScenarioFamily
TAG_ALIASES: dict[str, ScenarioFamily] = {
    **{f.value: f for f in ScenarioFamily},
    **dict.fromkeys(("kill-9", "kill9", "sigkill", "crash", "process-kill"), _F.PROCESS_CRASH),
    **dict.fromkeys(("sigterm", "graceful", "shutdown", "termination"), _F.GRACEFUL_TERMINATION),
    **dict.fromkeys(("latency", "delay", "slow-network"), _F.NETWORK_LATENCY),
    **dict.fromkeys(("partition", "network", "connection-failure", "connection-reset"), _F.NETWORK_PARTITION),
    **dict.fromkeys(("dependency", "outage"), _F.DEPENDENCY_OUTAGE),
    **dict.fromkeys(("disk", "disk-full", "enospc"), _F.DISK_EXHAUSTION),
    **dict.fromkeys(("oom", "memory"), _F.MEMORY_PRESSURE),
    **dict.fromkeys(("timeout", "timeouts", "deadline"), _F.TIMEOUT),
    **dict.fromkeys(("load", "stress"), _F.LOAD),
}
"""Tags (lower-case) naming a family: the family values themselves and common aliases."""

# Checked in order, first match wins: latency before the broader "network", crash words first.
TITLE_WORDS: tuple[tuple[re.Pattern[str], ScenarioFamily], ...] = tuple(
    (re.compile(pattern), family)
    for pattern, family in (
        (r"\bkill\s*-?\s*9\b|\bsigkill\b|\bcrash(es|ed)?\b", _F.PROCESS_CRASH),
        (r"\bsigterm\b|\bgraceful(ly)?\b|\bshutdown\b|\bterminat(e|ion)\b", _F.GRACEFUL_TERMINATION),
        (r"\blatency\b|\bdelay(ed|s)?\b|\bjitter\b", _F.NETWORK_LATENCY),
        (r"\bpartition(ed)?\b|\bnetwork\b|\bconnection\b|\bresets?\b|\brefused\b", _F.NETWORK_PARTITION),
        (r"\bdependency\b|\boutage\b|\bdownstream\b|\bupstream\b", _F.DEPENDENCY_OUTAGE),
        (r"\bdisk\b|\benospc\b|\bno space\b|\bfilesystem full\b", _F.DISK_EXHAUSTION),
        (r"\boom\b|\bmemory\b", _F.MEMORY_PRESSURE),
        (r"\btime ?outs?\b|\btimed out\b|\bdeadline\b", _F.TIMEOUT),
        (r"\bload\b|\bstress\b|\btraffic spike\b", _F.LOAD),
    )
)


def family_of(
    title: str, tags: tuple[str, ...] | list[str] = (), mapping: FamilyMapping | None = None
) -> tuple[ScenarioFamily | None, str]:
    """(family, how it was decided): tags first, then the config mapping, then words of the title.

    Returns (None, reason) when nothing names a family.
    """
    for tag in tags:
        family = TAG_ALIASES.get(tag.strip().lower())
        if family is not None:
            return family, f"tag '{tag}'"
    for glob, value in (mapping or {}).items():
        if fnmatchcase(title.lower(), glob.lower()) and value in FAMILY_VALUES:
            return ScenarioFamily(value), f"config mapping '{glob}'"
    words = re.sub(r"[_./:\\]+", " ", title.lower())
    for pattern, family in TITLE_WORDS:
        match = pattern.search(words)
        if match:
            return family, f"title words '{match.group(0)}'"
    tagged = f"tags {', '.join(tags)}" if tags else "no tags"
    return None, f"no tag, mapping or title word names a scenario family ({tagged})"


def _bounded(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= MAX_OUTPUT_CHARS else text[: MAX_OUTPUT_CHARS - 3] + "..."


def _finite(value: object) -> float | None:
    """``value`` as a float when it is a finite number (not a bool); None otherwise.

    Journals are written by Python's json, which writes NaN and Infinity; they measure nothing."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _check_size(path: str, text: str) -> None:
    if len(text) > MAX_BYTES:
        raise ChaosReportError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB, not read")


def _load_json(path: str, text: str) -> Any:
    _check_size(path, text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ChaosReportError(f"{path}:{err.lineno}: not valid JSON ({err.msg}; truncated?)") from None
    except RecursionError:
        raise ChaosReportError(f"{path}: JSON nested too deeply") from None


# --- Chaos Toolkit journals -------------------------------------------------------------------


def _activity(record: Mapping[str, Any], phase: Phase) -> ChaosActivity:
    """One journal run record; an interrupted activity has no status and is ``unfinished``."""
    spec = record.get("activity") or {}
    exception = record.get("exception")
    if isinstance(exception, list):  # a traceback as lines: the last line says what was raised
        exception = "".join(exception).strip().splitlines()[-1] if "".join(exception).strip() else None
    duration = record.get("duration")
    return ChaosActivity(
        name=str(spec.get("name", "?")),
        type=str(spec.get("type", "?")),
        status=str(record.get("status") or "unfinished"),
        duration_s=_finite(duration),
        phase=phase,
        tolerance_met=record.get("tolerance_met") if isinstance(record.get("tolerance_met"), bool) else None,
        output=_bounded(exception if exception else record.get("output")),
    )


def _activity_failed(record: Mapping[str, Any]) -> str | None:
    """Why a method activity did not do its job, or None. A process exiting non-zero is
    recorded by Chaos Toolkit as ``succeeded`` with ``output.status`` != 0, so look there too."""
    name = _name(record)
    status = record.get("status")
    if status != "succeeded":
        return f"activity '{name}' {status or 'did not finish'}"
    output = record.get("output")
    if isinstance(output, dict) and isinstance(output.get("status"), int) and output["status"] != 0:
        return f"activity '{name}' exited with status {output['status']}"
    return None


def _unmet_probe(state: Mapping[str, Any]) -> str:
    """Every probe of ``state`` that failed or was out of tolerance, in one phrase."""
    unmet = []
    for probe in state.get("probes") or []:
        if probe.get("tolerance_met") is not True:
            name = (probe.get("activity") or {}).get("name", "?")
            if probe.get("status") != "succeeded":
                unmet.append(f"probe '{name}' {probe.get('status') or 'did not finish'}")
            else:
                unmet.append(f"probe '{name}' out of tolerance (output {_bounded(probe.get('output'))})")
    return "; ".join(unmet) if unmet else "no probe out of tolerance recorded"


def _journal_outcome(journal: Mapping[str, Any]) -> tuple[bool, bool, str]:
    """(succeeded, inconclusive, reason) from deviated, steady states and outputs, not status alone."""
    status = journal.get("status")
    states = journal.get("steady_states") or {}
    before, after = states.get("before"), states.get("after")
    run = journal.get("run") or []
    if not isinstance(before, dict):
        return False, True, "the experiment has no steady-state hypothesis, so nothing checked the system"
    if before.get("steady_state_met") is not True:
        return (
            False,
            True,
            (
                f"the steady state was not met before the method ({_unmet_probe(before)}), "
                "so the method never ran: nothing was tested"
            ),
        )
    failures = [why for why in map(_activity_failed, run) if why]
    if status in ("aborted", "interrupted", "failed"):
        detail = failures[0] if failures else f"{len(run)} method activities had run"
        return False, False, f"the run was {status} ({detail})"
    if not run:
        return False, True, "the method did not run, so nothing was tested"
    if failures:
        return False, False, f"the method did not complete: {failures[0]} (the fault may not have been injected)"
    if journal.get("deviated") is True or (isinstance(after, dict) and after.get("steady_state_met") is False):
        reason = _unmet_probe(after) if isinstance(after, dict) else "no after-state recorded"
        return False, False, f"the steady state deviated after the method ({reason})"
    if not isinstance(after, dict):
        return False, True, "the steady state was not checked after the method"
    if status != "completed":
        return False, False, f"Chaos Toolkit status '{status}'"
    return True, False, "the steady state held before and after the method"


def _journal_activities(journal: Mapping[str, Any]) -> tuple[ChaosActivity, ...]:
    states = journal.get("steady_states") or {}
    phases: list[tuple[Phase, list[Any]]] = [
        ("steady-state-before", (states.get("before") or {}).get("probes") or []),
        ("method", journal.get("run") or []),
        ("steady-state-after", (states.get("after") or {}).get("probes") or []),
        ("rollback", journal.get("rollbacks") or []),
    ]
    return tuple(_activity(rec, phase) for phase, records in phases for rec in records if isinstance(rec, dict))


MEASUREMENT_KEY = "assess"
"""Activities that measure something return ``{"assess": {"recovery_s": 0.21, "data_lost": 0, ...}}``
(``assess``'s own activities do; any extension may). ``recovery_s`` values become recovery times,
``data_lost`` the data loss (the last value), ``fault_injected: 0`` (the fault had no visible
effect) and ``testable: 0`` (nothing to test, e.g. the service never calls the dependency) make a
passing run inconclusive, and every other number is kept as a measurement
named ``activity.key``."""


REASON_MEASUREMENTS = 6
"""A failed run's reason ends with this many of its last measurements."""


@dataclass
class _Measured:
    recovery: list[float] = field(default_factory=list)
    data_lost: int | None = None
    no_effect: str | None = None
    """Why a run that held tested nothing: an activity saw no effect of its fault."""
    untestable: str | None = None
    """Why the run could test nothing at all, whatever its outcome: an activity found nothing to test."""
    values: dict[str, float] = field(default_factory=dict)


def _name(record: Mapping[str, Any]) -> str:
    return str((record.get("activity") or {}).get("name", "?"))


def _measurements(journal: Mapping[str, Any]) -> _Measured:
    states = journal.get("steady_states") or {}
    records = [*(journal.get("run") or []), *((states.get("after") or {}).get("probes") or [])]
    out = _Measured()
    for record in records:
        output = record.get("output") if isinstance(record, dict) else None
        values = output.get(MEASUREMENT_KEY) if isinstance(output, dict) else None
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if (number := _finite(value)) is None:
                continue
            if key == "recovery_s":
                out.recovery.append(number)
            elif key == "data_lost":
                out.data_lost = int(value)
            elif key == "fault_injected" and not value:
                out.no_effect = f"activity '{_name(record)}' saw no effect of the fault"
            elif key == "testable" and not value:
                out.untestable = f"activity '{_name(record)}' found nothing to test"
            else:
                out.values[f"{_name(record)}.{key}"] = number
    return out


def parse_journal(path: str, text: str, mapping: FamilyMapping | None = None) -> ChaosResult:
    """One result (one trial) from a Chaos Toolkit ``journal.json``.

    Success needs the steady state met before, the method run without failed activities, the
    steady state met after, and status ``completed``. A hypothesis unmet before the method is
    inconclusive (Chaos Toolkit says ``completed``, not deviated). Raises ChaosReportError.
    """
    journal = _load_json(path, text)
    experiment = journal.get("experiment") if isinstance(journal, dict) else None
    if not isinstance(experiment, dict):
        raise ChaosReportError(f"{path}: not a Chaos Toolkit journal (no 'experiment' object)")
    try:
        title = str(experiment.get("title") or Path(path).stem)
        tags = tuple(str(t) for t in experiment.get("tags") or ())
        succeeded, inconclusive, reason = _journal_outcome(journal)
        activities = _journal_activities(journal)
        measured = _measurements(journal)
    except (AttributeError, TypeError, ValueError, OverflowError) as err:
        raise ChaosReportError(f"{path}: malformed Chaos Toolkit journal ({_bounded(str(err))})") from None
    except RecursionError:
        raise ChaosReportError(f"{path}: malformed Chaos Toolkit journal (nested too deeply)") from None
    family, family_reason = family_of(title, tags, mapping)
    duration = journal.get("duration")
    why_nothing = measured.untestable or (measured.no_effect if succeeded else None)
    if why_nothing and not inconclusive:
        succeeded, inconclusive = False, True
        reason = f"{why_nothing}, so nothing was tested"
    elif not succeeded and not inconclusive and measured.values:
        last = list(measured.values.items())[-REASON_MEASUREMENTS:]  # the activities nearest the deviation
        shown = ", ".join(f"{key} {value:g}" for key, value in last)
        reason = _bounded(f"{reason}; measured last: {shown}") or reason
    return ChaosResult(
        source=path,
        format="chaostoolkit",
        title=title,
        family=family,
        family_reason=family_reason,
        trials=1,
        successes=int(succeeded),
        inconclusive=inconclusive,
        outcome_reason=reason,
        status=str(journal.get("status")) if journal.get("status") is not None else None,
        deviated=journal.get("deviated") if isinstance(journal.get("deviated"), bool) else None,
        started_at=str(journal["start"]) if journal.get("start") else None,
        duration_s=_finite(duration),
        activities=activities,
        tags=tags,
        recovery_times_s=tuple(measured.recovery),
        data_loss=measured.data_lost,
        measurements=measured.values,
    )


# --- JUnit XML from chaos suites --------------------------------------------------------------


def _properties(element: Element) -> dict[str, str]:
    props = element.find("properties")
    if props is None:
        return {}
    return {p.get("name", ""): p.get("value", p.text or "") for p in props.findall("property")}


def _case_outcome(case: Element) -> tuple[str, bool, bool, str]:
    """(status, passed, inconclusive, reason) of one testcase."""
    for tag, status in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        child = case.find(tag)
        if child is not None:
            lines = (child.text or "").strip().splitlines()
            message = _bounded(child.get("message") or (lines[0] if lines else ""))
            detail = f": {message}" if message else ""
            if status == "skipped":
                return status, False, True, f"the test was skipped{detail}"
            return status, False, False, f"the test {'failed' if status == 'failed' else 'errored'}{detail}"
    return "passed", True, False, "the test passed"


def _case_family(
    case: Element, suite_props: Mapping[str, str], title: str, mapping: FamilyMapping | None
) -> tuple[ScenarioFamily | None, str]:
    for where, props in (("testcase", _properties(case)), ("testsuite", suite_props)):
        value = props.get("chaos.family", "").strip().lower()
        if value in FAMILY_VALUES:
            return ScenarioFamily(value), f"{where} property chaos.family"
    return family_of(title, (), mapping)


def _testcase_result(
    path: str, case: Element, suite_props: Mapping[str, str], mapping: FamilyMapping | None
) -> ChaosResult:
    name, classname = case.get("name", "?"), case.get("classname", "")
    title = f"{classname}::{name}" if classname else name
    status, passed, inconclusive, reason = _case_outcome(case)
    family, family_reason = _case_family(case, suite_props, title, mapping)
    try:
        duration = _finite(float(case.get("time", "")))
    except ValueError:
        duration = None
    return ChaosResult(
        source=path,
        format="junit",
        title=title,
        family=family,
        family_reason=family_reason,
        trials=1,
        successes=int(passed),
        inconclusive=inconclusive,
        outcome_reason=reason,
        status=status,
        duration_s=duration,
    )


def parse_junit_chaos(path: str, text: str, mapping: FamilyMapping | None = None) -> list[ChaosResult]:
    """One result per ``<testcase>`` (one trial each): passed, failed/errored, or skipped (inconclusive).

    The family comes from a ``chaos.family`` property on the testcase or its suite, else the config
    ``mapping`` (glob on ``classname::name``), else words of the name. Raises ChaosReportError.
    """
    _check_size(path, text)
    try:
        root = parse_xml(text)
    except ParseError as err:
        line = err.position[0] if getattr(err, "position", None) else "?"
        raise ChaosReportError(f"{path}:{line}: not well-formed XML ({err.msg}; truncated?)") from None
    except XmlRefused as err:
        raise ChaosReportError(f"{path}: refused XML ({type(err).__name__})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ChaosReportError(f"{path}: not JUnit XML (root element <{root.tag}>)")
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    results: list[ChaosResult] = []
    for suite in suites:
        props = _properties(suite)
        results.extend(_testcase_result(path, case, props, mapping) for case in suite.findall("testcase"))
    return results


# --- native JSON ------------------------------------------------------------------------------


@cache
def native_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def value_offsets(text: str) -> dict[tuple[str | int, ...], int]:
    """Character offset of every value in a valid JSON ``text``, by its path of keys and indices."""
    decoder = json.JSONDecoder()
    scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]
    out: dict[tuple[str | int, ...], int] = {}
    ws = re.compile(r"[ \t\r\n]*")

    def skip(i: int) -> int:
        match = ws.match(text, i)
        return match.end() if match else i

    def value(i: int, path: tuple[str | int, ...]) -> int:
        i = skip(i)
        out[path] = i
        if text[i] not in "{[":
            return int(decoder.raw_decode(text, i)[1])
        closing, index = ("}" if text[i] == "{" else "]"), 0
        i = skip(i + 1)
        while text[i] != closing:
            if closing == "}":
                key, i = scanstring(text, skip(i) + 1)
                i = value(skip(i) + 1, (*path, key))  # past the ':'
            else:
                i = value(i, (*path, index))
                index += 1
            i = skip(i)
            i = skip(i + 1) if text[i] == "," else i
        return i + 1

    value(0, ())
    return out


def _line(text: str, offsets: Mapping[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int:
    while path not in offsets and path:
        path = path[:-1]
    return text.count("\n", 0, offsets.get(path, 0)) + 1


def _error_path(error: jsonschema.ValidationError) -> tuple[str | int, ...]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [k for k in error.instance if k not in allowed]
        return (*path, extra[0]) if extra else path
    return path


def _schema_errors(path: str, text: str, document: Any) -> list[str]:
    try:
        offsets = value_offsets(text)
    except (IndexError, ValueError, RecursionError):
        offsets = {}
    found: list[tuple[int, str]] = []
    for error in native_validator().iter_errors(document):
        where = _error_path(error)
        pointer = "/".join(str(p) for p in error.absolute_path)
        message = _bounded(error.message) or ""  # it quotes the value, which may be huge
        found.append((_line(text, offsets, where), f"{pointer}: {message}" if pointer else message))
    if isinstance(document, dict) and not found and document["successes"] > document["trials"]:
        line = _line(text, offsets, ("successes",))
        found.append((line, f"successes: {document['successes']} is more than trials ({document['trials']})"))
    if isinstance(document, dict) and not found:
        for n, value in enumerate(document.get("recovery_times_s", ())):
            if not math.isfinite(value):
                line = _line(text, offsets, ("recovery_times_s", n))
                found.append((line, f"recovery_times_s/{n}: {value} is not finite"))
    return [f"{path}:{line}: {message}" for line, message in sorted(found)]


def parse_native(path: str, text: str, mapping: FamilyMapping | None = None) -> ChaosResult:
    """One result from the native JSON format (``native.schema.json``), validated on read.

    Raises ChaosReportError with the first error's line, e.g. ``run-3.json:7: trials: -1 is less
    than the minimum of 0``, followed by how many more errors there are.
    """
    document = _load_json(path, text)
    try:
        errors = _schema_errors(path, text, document)
    except RecursionError:  # jsonschema and its messages recurse into the value
        raise ChaosReportError(f"{path}: JSON nested too deeply") from None
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ChaosReportError(errors[0] + more)
    title = document.get("title") or document["scenario"]
    tags = tuple(document.get("tags", ()))
    if "family" in document:
        family: ScenarioFamily | None = ScenarioFamily(document["family"])
        family_reason = "declared family"
    else:
        family, family_reason = family_of(document["scenario"], tags, mapping)
    trials, successes = document["trials"], document["successes"]
    reason = f"{successes} of {trials} trials held" if trials else "no trials were run"
    return ChaosResult(
        source=path,
        format="native",
        title=title,
        family=family,
        family_reason=family_reason,
        trials=trials,
        successes=successes,
        inconclusive=trials == 0,
        outcome_reason=reason,
        recovery_times_s=tuple(float(t) for t in document.get("recovery_times_s", ())),
        data_loss=document.get("data_loss"),
        started_at=document.get("started_at"),
        tags=tags,
        notes=document.get("notes"),
    )
