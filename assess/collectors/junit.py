"""Read test outcomes from JUnit XML: pytest's (``xunit1`` and ``xunit2``) and generic ones.

Each ``<testcase>`` anywhere under a ``<testsuites>`` or ``<testsuite>`` root is one result:
a ``<failure>`` child makes it failed, else ``<error>`` error, else ``<skipped>`` skipped (pytest
writes an xfail as a skip), else passed. Files are parsed with defusedxml (:mod:`assess._xml`),
so entity tricks are refused rather than expanded, and streamed: a test case is read when it ends
and only its result is kept.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.etree.ElementTree import Element

from assess._proc import strip_ansi
from assess._xml import ParseError, XmlRefused, refused, walk_xml
from assess.collectors.coverage_json import relative_path
from assess.model import TestOutcome, TestResult, TestsData

MiB = 1024 * 1024
MAX_JUNIT_BYTES = 96 * MiB
"""Larger files are refused unread. Files are streamed and what stays is a result a test case:
7.6 bytes of memory a byte of pytest's JUnit XML (measured with benchmarks/bench_reports.py),
almost all of it the results, whose number MAX_TEST_CASES bounds (pytest's XML reaches it at
about 72 MB). Past that, the bytes can only be names and messages, at most 4 bytes a byte once
decoded: 96 MiB stays under 1 GiB."""
MAX_TEST_CASES = 400_000
"""More test cases, over all the files given, are refused: each result is a model of about 1.1 KB
however few bytes its ``<testcase/>`` took (47 bytes of memory a byte of ``<testcase name="t1"/>``,
measured), so this bounds them to about 460 MB."""
MAX_MESSAGE_CHARS = 300

OUTCOME_TAGS: tuple[tuple[str, TestOutcome], ...] = (
    ("failure", TestOutcome.FAILED),
    ("error", TestOutcome.ERROR),
    ("skipped", TestOutcome.SKIPPED),
)
"""Child element -> outcome, first match wins (a failed test with a teardown error stays failed)."""
JUNIT_ROOTS = ("testsuites", "testsuite")


class JUnitError(ValueError):
    """A JUnit file is missing, too large, malformed or not JUnit."""


def _seconds(value: str | None) -> float:
    """A ``time`` attribute in seconds; missing, garbage, negative or infinite gives 0.0."""
    try:
        seconds = float(value or 0.0)
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _first_line(child: Element) -> str | None:
    text = strip_ansi(child.attrib.get("message") or child.text or "")
    lines = [line.strip() for line in text.strip().splitlines()]
    return lines[0][:MAX_MESSAGE_CHARS] if lines and lines[0] else None


def _line(value: str | None, zero_based: bool) -> int | None:
    try:
        line = int(value) if value is not None else None
    except ValueError:
        return None
    if line is not None and zero_based:
        line += 1
    return line if line is not None and line >= 1 else None  # a negative line is garbage, not a place


def _file(value: str | None, target: Path) -> str | None:
    if not value:
        return None
    return relative_path(value, target) or value  # outside the target: kept as given


FileOf = Callable[[str | None], str | None]
"""A ``file`` attribute -> the file of the result (:func:`_file` for one target)."""


def _result(case: Element, file_of: FileOf, pytest_lines: bool) -> TestResult:
    outcome, message = TestOutcome.PASSED, None
    for tag, candidate in OUTCOME_TAGS:
        child = case.find(tag)
        if child is not None:
            outcome, message = candidate, _first_line(child)
            break
    return TestResult(
        name=case.attrib.get("name", ""),
        classname=case.attrib.get("classname", ""),
        file=file_of(case.attrib.get("file")),
        line=_line(case.attrib.get("line"), pytest_lines),
        outcome=outcome,
        duration_s=_seconds(case.attrib.get("time")),
        message=message,
    )


def _is_pytest(root: Element) -> bool:
    """pytest names its root ``pytest tests`` (older versions: a lone suite named ``pytest``)."""
    return root.attrib.get("name") == "pytest tests" or (
        root.tag == "testsuite" and root.attrib.get("name") == "pytest"
    )


def _outcome_child(element: Element, parent: Element) -> bool:
    """Whether the walk keeps ``element``: it is the first of its kind of the test case's outcomes."""
    return parent.tag == "testcase" and element.tag in _OUTCOME_NAMES and parent.find(element.tag) is element


_OUTCOME_NAMES = frozenset(tag for tag, _ in OUTCOME_TAGS)


def _read_cases(path: Path, file_of: FileOf, room: int) -> list[TestResult]:
    """The results of every ``<testcase>`` of ``path``, in the order of ``root.iter("testcase")``.

    A case's slot is taken when it starts, so a case inside another comes after it, as in the tree.
    Raises XmlRefused, ParseError or OSError as the walk does, and JUnitError for more than
    ``room`` cases (at once) or a root that is not JUnit's (once the whole file is parsed, so that
    malformed XML is said first).
    """
    root: Element | None = None
    pytest_lines = False
    results: list[TestResult | None] = []
    open_slots: list[int] = []
    for event, element, _ in walk_xml(path, _outcome_child):
        if root is None:
            root, pytest_lines = element, _is_pytest(element)
        if element.tag != "testcase" or root.tag not in JUNIT_ROOTS:
            continue
        if event == "start":
            if len(results) >= room:
                raise JUnitError(f"{path}: more than {MAX_TEST_CASES} test cases (counting the files before it)")
            open_slots.append(len(results))
            results.append(None)
        else:
            results[open_slots.pop()] = _result(element, file_of, pytest_lines)
    if root is None or root.tag not in JUNIT_ROOTS:  # None cannot be: a parsed document has a root
        tag = getattr(root, "tag", None)
        raise JUnitError(f"{path}: not JUnit XML (root element <{tag}>, expected <testsuites> or <testsuite>)")
    return [r for r in results if r is not None]


def _results(path: Path, target: Path, room: int) -> list[TestResult]:
    """The results of one JUnit file, at most ``room``; raises JUnitError naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_JUNIT_BYTES:
            raise JUnitError(
                f"{path}: {size} bytes, over the {MAX_JUNIT_BYTES} byte limit for a JUnit file "
                f"({MAX_JUNIT_BYTES // MiB} MiB)"
            )
        # results of one file share their file names: each is made relative once
        return _read_cases(path, functools.lru_cache(maxsize=1024)(functools.partial(_file, target=target)), room)
    except FileNotFoundError as err:
        raise JUnitError(f"{path}: no such file") from err
    except OSError as err:
        raise JUnitError(f"{path}: cannot read ({err.strerror or err})") from err
    except XmlRefused as err:
        raise JUnitError(f"{path}: {refused(err)}") from err
    except ParseError as err:
        raise JUnitError(f"{path}: not well-formed XML, perhaps truncated ({err})") from err


def parse_junit(paths: Sequence[Path], target: Path) -> TestsData:
    """Every test case in the JUnit files ``paths``, in file order.

    ``file`` attributes are made relative to ``target`` when they are absolute and inside it;
    pytest's 0-based ``line`` attributes are made 1-based. Raises :class:`JUnitError` naming the
    file when one is missing, over :data:`MAX_JUNIT_BYTES`, malformed or not JUnit, or when there
    are more than :data:`MAX_TEST_CASES` test cases.
    """
    results: list[TestResult] = []
    for path in paths:
        results.extend(_results(Path(path), target, MAX_TEST_CASES - len(results)))
    return TestsData(
        sources=tuple(str(p) for p in paths),
        results=tuple(results),
        duration_s=round(sum(r.duration_s for r in results), 6),
    )
