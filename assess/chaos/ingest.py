"""Parsers for chaos results: Chaos Toolkit journals, JUnit XML of chaos suites, the native JSON format.

Each parser takes the file's display path and its text and returns facts (:class:`ChaosResult`);
anything malformed raises :class:`ChaosReportError` with one line naming the file (and the line,
where known). Nothing here judges a result against the success criteria.

Memory: the text is at most :data:`MAX_BYTES`; JUnit XML is streamed from it, and JSON, which has
no streaming decoder, is decoded only when its decoded size (an estimate from the text) is within
:data:`MAX_DECODED_BYTES`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from xml.etree.ElementTree import Element

from assess._json import decoded_size
from assess._xml import ParseError, XmlRefused, walk_xml
from assess.model.chaos import ChaosActivity, ChaosResult, ScenarioFamily

if TYPE_CHECKING:
    import jsonschema  # type: ignore[import-untyped]  # no stubs in the dependencies

MiB = 1024 * 1024
MAX_BYTES = 32 * MiB
"""Larger files are refused rather than read. The text is held whole (up to 4 bytes a character)
beside what is made of it: JSON is held to MAX_DECODED_BYTES and results to MAX_RESULTS, so the
worst stays under 0.9 GB. Measured with benchmarks/bench_reports.py: a journal takes 9 bytes of
memory a byte, a native file 9, a chaos suite's JUnit XML 15 (a result a test case)."""
MAX_DECODED_BYTES = 512 * MiB
"""JSON whose decoded size (:func:`assess._json.decoded_size`, an estimate on the high side) is
larger is refused undecoded: hostile JSON takes up to 35 times its size. Chaos Toolkit journals
estimate at about 10 bytes a byte, so any journal under MAX_BYTES is decoded."""
MAX_RESULTS = 100_000
"""JUnit files with more test cases, and journals with more activities, are refused: each result
or activity is a model of 1 to 1.5 KB however few bytes it took (75 bytes of memory a byte of
``<testcase name="t1"/>``, measured), so this bounds them to 150 MB. Chaos suites have tens of
cases; a journal, tens of activities."""
MAX_SCHEMA_ERRORS = 1000
"""A native file's errors looked at: the one reported is the first in the file among these, and
beyond them they are not counted (a file can have one a value, and each costs a line lookup)."""
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


def decodable(text: str) -> bool:
    """Whether decoding the JSON ``text`` stays within :data:`MAX_DECODED_BYTES` (see :func:`_load_json`)."""
    return decoded_size(text) <= MAX_DECODED_BYTES


def _load_json(path: str, text: str) -> Any:
    _check_size(path, text)
    if not decodable(text):
        raise ChaosReportError(
            f"{path}: JSON that would take about {decoded_size(text) // MiB} MiB to decode, "
            f"over the {MAX_DECODED_BYTES // MiB} MiB limit; not decoded"
        )
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


def _first_failure(run: Any) -> str | None:
    """Why the first method activity that failed did not do its job; every record is looked at
    (a malformed one raises), but only the first failure is kept: a run may have a million."""
    first = None
    for why in map(_activity_failed, run):
        first = first or why
    return first


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
    failure = _first_failure(run)
    if status in ("aborted", "interrupted", "failed"):
        detail = failure or f"{len(run)} method activities had run"
        return False, False, f"the run was {status} ({detail})"
    if not run:
        return False, True, "the method did not run, so nothing was tested"
    if failure:
        return False, False, f"the method did not complete: {failure} (the fault may not have been injected)"
    if journal.get("deviated") is True or (isinstance(after, dict) and after.get("steady_state_met") is False):
        reason = _unmet_probe(after) if isinstance(after, dict) else "no after-state recorded"
        return False, False, f"the steady state deviated after the method ({reason})"
    if not isinstance(after, dict):
        return False, True, "the steady state was not checked after the method"
    if status != "completed":
        return False, False, f"Chaos Toolkit status '{status}'"
    return True, False, "the steady state held before and after the method"


class _TooMany(Exception):
    """A journal with more activities than :data:`MAX_RESULTS`; the message says how many."""


def _journal_activities(journal: Mapping[str, Any]) -> tuple[ChaosActivity, ...]:
    states = journal.get("steady_states") or {}
    phases: list[tuple[Phase, list[Any]]] = [
        ("steady-state-before", (states.get("before") or {}).get("probes") or []),
        ("method", journal.get("run") or []),
        ("steady-state-after", (states.get("after") or {}).get("probes") or []),
        ("rollback", journal.get("rollbacks") or []),
    ]
    count = sum(len(records) for _, records in phases if isinstance(records, list))
    if count > MAX_RESULTS:
        raise _TooMany(f"{count} activities, over the {MAX_RESULTS} limit; not read")
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
    except _TooMany as err:
        raise ChaosReportError(f"{path}: {err}") from None
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


@dataclass(frozen=True)
class _Case:
    """What one ``<testcase>`` says: all a result needs but its suite's properties."""

    title: str
    outcome: tuple[str, bool, bool, str]
    """(status, passed, inconclusive, reason)."""
    duration_s: float | None
    properties: dict[str, str]


def _case(case: Element) -> _Case:
    name, classname = case.get("name", "?"), case.get("classname", "")
    try:
        duration = _finite(float(case.get("time", "")))
    except ValueError:
        duration = None
    title = f"{classname}::{name}" if classname else name
    return _Case(title, _case_outcome(case), duration, _properties(case))


def _case_family(
    case_props: Mapping[str, str], suite_props: Mapping[str, str], title: str, mapping: FamilyMapping | None
) -> tuple[ScenarioFamily | None, str]:
    for where, props in (("testcase", case_props), ("testsuite", suite_props)):
        value = props.get("chaos.family", "").strip().lower()
        if value in FAMILY_VALUES:
            return ScenarioFamily(value), f"{where} property chaos.family"
    return family_of(title, (), mapping)


def _testcase_result(
    path: str, case: _Case, suite_props: Mapping[str, str], mapping: FamilyMapping | None
) -> ChaosResult:
    status, passed, inconclusive, reason = case.outcome
    family, family_reason = _case_family(case.properties, suite_props, case.title, mapping)
    return ChaosResult(
        source=path,
        format="junit",
        title=case.title,
        family=family,
        family_reason=family_reason,
        trials=1,
        successes=int(passed),
        inconclusive=inconclusive,
        outcome_reason=reason,
        status=status,
        duration_s=case.duration_s,
    )


_OUTCOME_TAGS = frozenset(("failure", "error", "skipped"))


def _kept(element: Element, parent: Element) -> bool:
    """Whether the walk keeps ``element``: it is read when its suite or case ends (the first
    ``<properties>`` of either and their ``<property>`` elements, a case's first outcome of each kind)."""
    if element.tag == "property":
        return parent.tag == "properties"
    if element.tag == "properties":
        return parent.tag in ("testsuite", "testcase") and parent.find("properties") is element
    return parent.tag == "testcase" and element.tag in _OUTCOME_TAGS and parent.find(element.tag) is element


@dataclass
class _Suites:
    """The results of a JUnit document's suites as it streams by: a case's facts when it ends, its
    result when its suite ends (the suite's properties may come after its cases).

    The suites are the root when it is a ``<testsuite>``, else every ``<testsuite>`` below it, in
    the order of ``root.iter``; a suite's cases are its ``<testcase>`` children.
    """

    path: str
    mapping: FamilyMapping | None
    root: str | None = None
    results: list[list[ChaosResult]] = field(default_factory=list)
    """Per suite, in the order the suites start."""
    open: list[tuple[Element, list[_Case], int]] = field(default_factory=list)
    """The suites open: element, its cases so far, its place in ``results``."""
    cases: int = 0

    def start(self, element: Element) -> None:
        if self.root is None:
            self.root = element.tag
        elif self.root != "testsuites" or element.tag != "testsuite":
            return
        if element.tag == "testsuite":
            self.open.append((element, [], len(self.results)))
            self.results.append([])

    def end(self, element: Element, ancestors: list[Element]) -> None:
        if not self.open:
            return
        suite, cases, slot = self.open[-1]
        if element is suite:
            self.open.pop()
            props = _properties(suite)
            self.results[slot] = [_testcase_result(self.path, case, props, self.mapping) for case in cases]
        elif element.tag == "testcase" and ancestors and ancestors[-1] is suite:
            self.cases += 1
            if self.cases > MAX_RESULTS:
                raise ChaosReportError(f"{self.path}: more than {MAX_RESULTS} test cases; not read further")
            cases.append(_case(element))


def parse_junit_chaos(path: str, text: str, mapping: FamilyMapping | None = None) -> list[ChaosResult]:
    """One result per ``<testcase>`` (one trial each): passed, failed/errored, or skipped (inconclusive).

    The family comes from a ``chaos.family`` property on the testcase or its suite, else the config
    ``mapping`` (glob on ``classname::name``), else words of the name. Raises ChaosReportError.
    """
    _check_size(path, text)
    suites = _Suites(path, mapping)
    try:
        for event, element, ancestors in walk_xml(text, _kept):
            if event == "start":
                suites.start(element)
            else:
                suites.end(element, ancestors)
    except ParseError as err:
        line = err.position[0] if getattr(err, "position", None) else "?"
        raise ChaosReportError(f"{path}:{line}: not well-formed XML ({err.msg}; truncated?)") from None
    except XmlRefused as err:
        raise ChaosReportError(f"{path}: refused XML ({type(err).__name__})") from None
    if suites.root not in ("testsuites", "testsuite"):
        raise ChaosReportError(f"{path}: not JUnit XML (root element <{suites.root}>)")
    return [result for suite in suites.results for result in suite]


# --- native JSON ------------------------------------------------------------------------------


@cache
def native_validator() -> jsonschema.protocols.Validator:
    """The native format's validator. jsonschema is imported here, not with the module: with jupyterlab
    installed its format checkers import rfc3987_syntax, which builds an IRI grammar for 1.6 s, and every
    ``assess run`` imports this module to plan its stages."""
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


JsonPath = tuple[str | int, ...]


def value_offsets(text: str, wanted: Container[JsonPath] | None = None) -> dict[JsonPath, int]:
    """Character offset of every value in a valid JSON ``text`` (or of those whose path is in
    ``wanted``), by its path of keys and indices."""
    decoder = json.JSONDecoder()
    scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]
    out: dict[JsonPath, int] = {}
    ws = re.compile(r"[ \t\r\n]*")

    def skip(i: int) -> int:
        match = ws.match(text, i)
        return match.end() if match else i

    def value(i: int, path: JsonPath) -> int:
        i = skip(i)
        if wanted is None or path in wanted:
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


def _found_at(offsets: Mapping[JsonPath, int], path: JsonPath) -> int:
    """The offset of the value at ``path``, or of its nearest ancestor found (0: none)."""
    while path not in offsets and path:
        path = path[:-1]
    return offsets.get(path, 0)


def _line_numbers(text: str, offsets: Iterable[int]) -> dict[int, int]:
    """Offset -> its line number (from 1) in ``text``, for each of ``offsets``, counting the text once."""
    numbers: dict[int, int] = {}
    line, at = 1, 0
    for offset in sorted(set(offsets)):
        line += text.count("\n", at, offset)
        numbers[offset], at = line, offset
    return numbers


def _error_path(error: jsonschema.ValidationError) -> JsonPath:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [k for k in error.instance if k not in allowed]
        return (*path, extra[0]) if extra else path
    return path


def _schema_problems(document: Any) -> list[tuple[JsonPath, str]]:
    """(where, message) of up to MAX_SCHEMA_ERRORS + 1 problems of ``document``: schema errors, else
    values the schema lets through (more successes than trials, recovery times not finite)."""
    found: list[tuple[JsonPath, str]] = []
    for error in islice(native_validator().iter_errors(document), MAX_SCHEMA_ERRORS + 1):
        pointer = "/".join(str(p) for p in error.absolute_path)
        message = _bounded(error.message) or ""  # it quotes the value, which may be huge
        found.append((_error_path(error), f"{pointer}: {message}" if pointer else message))
    if isinstance(document, dict) and not found and document["successes"] > document["trials"]:
        found.append((("successes",), f"successes: {document['successes']} is more than trials ({document['trials']})"))
    if isinstance(document, dict) and not found:
        times = enumerate(document.get("recovery_times_s", ()))
        not_finite = ((n, value) for n, value in times if not math.isfinite(value))
        for n, value in islice(not_finite, MAX_SCHEMA_ERRORS + 1):
            found.append((("recovery_times_s", n), f"recovery_times_s/{n}: {value} is not finite"))
    return found


def _schema_errors(path: str, text: str, document: Any) -> tuple[list[str], bool]:
    """('file:line: message' for each problem of ``document``, sorted; whether there were more than these).

    Lines are looked up only for the problems found (their values' offsets, in one pass over the text).
    """
    found = _schema_problems(document)
    more = len(found) > MAX_SCHEMA_ERRORS
    found = found[:MAX_SCHEMA_ERRORS]
    if not found:
        return [], False
    wanted = {where[:n] for where, _ in found for n in range(len(where) + 1)}  # with their ancestors
    try:
        offsets = value_offsets(text, wanted)
    except (IndexError, ValueError, RecursionError):
        offsets = {}
    at = [_found_at(offsets, where) for where, _ in found]
    lines = _line_numbers(text, at)
    errors = sorted((lines[offset], message) for offset, (_, message) in zip(at, found, strict=True))
    return [f"{path}:{line}: {message}" for line, message in errors], more


def parse_native(path: str, text: str, mapping: FamilyMapping | None = None) -> ChaosResult:
    """One result from the native JSON format (``native.schema.json``), validated on read.

    Raises ChaosReportError with the first error's line, e.g. ``run-3.json:7: trials: -1 is less
    than the minimum of 0``, followed by how many more errors there are.
    """
    document = _load_json(path, text)
    try:
        errors, over = _schema_errors(path, text, document)
    except RecursionError:  # jsonschema and its messages recurse into the value
        raise ChaosReportError(f"{path}: JSON nested too deeply") from None
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        if over:
            more = f" (and more than {len(errors) - 1} more; only the first {MAX_SCHEMA_ERRORS} were looked at)"
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
