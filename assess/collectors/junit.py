"""Read test outcomes from JUnit XML: pytest's (``xunit1`` and ``xunit2``) and generic ones.

Each ``<testcase>`` anywhere under a ``<testsuites>`` or ``<testsuite>`` root is one result:
a ``<failure>`` child makes it failed, else ``<error>`` error, else ``<skipped>`` skipped (pytest
writes an xfail as a skip), else passed. Files are parsed with defusedxml (:mod:`assess._xml`),
so entity tricks are refused rather than expanded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from xml.etree.ElementTree import Element

from assess._proc import strip_ansi
from assess._xml import ParseError, XmlRefused, parse_xml
from assess.collectors.coverage_json import relative_path
from assess.model import TestOutcome, TestResult, TestsData

MAX_JUNIT_BYTES = 256 * 1024 * 1024
MAX_MESSAGE_CHARS = 300

OUTCOME_TAGS: tuple[tuple[str, TestOutcome], ...] = (
    ("failure", TestOutcome.FAILED),
    ("error", TestOutcome.ERROR),
    ("skipped", TestOutcome.SKIPPED),
)
"""Child element -> outcome, first match wins (a failed test with a teardown error stays failed)."""


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


def _result(case: Element, target: Path, pytest_lines: bool) -> TestResult:
    outcome, message = TestOutcome.PASSED, None
    for tag, candidate in OUTCOME_TAGS:
        child = case.find(tag)
        if child is not None:
            outcome, message = candidate, _first_line(child)
            break
    return TestResult(
        name=case.attrib.get("name", ""),
        classname=case.attrib.get("classname", ""),
        file=_file(case.attrib.get("file"), target),
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


def _root(path: Path) -> Element:
    try:
        size = path.stat().st_size
        if size > MAX_JUNIT_BYTES:
            raise JUnitError(f"{path}: {size} bytes, over the {MAX_JUNIT_BYTES} byte limit for a JUnit file")
        root = parse_xml(path)
    except FileNotFoundError as err:
        raise JUnitError(f"{path}: no such file") from err
    except OSError as err:
        raise JUnitError(f"{path}: cannot read ({err.strerror or err})") from err
    except XmlRefused as err:
        raise JUnitError(f"{path}: XML with entity or DTD tricks refused ({type(err).__name__})") from err
    except ParseError as err:
        raise JUnitError(f"{path}: not well-formed XML, perhaps truncated ({err})") from err
    if root.tag not in ("testsuites", "testsuite"):
        raise JUnitError(f"{path}: not JUnit XML (root element <{root.tag}>, expected <testsuites> or <testsuite>)")
    return root


def parse_junit(paths: Sequence[Path], target: Path) -> TestsData:
    """Every test case in the JUnit files ``paths``, in file order.

    ``file`` attributes are made relative to ``target`` when they are absolute and inside it;
    pytest's 0-based ``line`` attributes are made 1-based. Raises :class:`JUnitError` naming the
    file when one is missing, over 256 MB, malformed or not JUnit.
    """
    results: list[TestResult] = []
    for path in paths:
        root = _root(Path(path))
        pytest_lines = _is_pytest(root)
        results.extend(_result(case, target, pytest_lines) for case in root.iter("testcase"))
    return TestsData(
        sources=tuple(str(p) for p in paths),
        results=tuple(results),
        duration_s=round(sum(r.duration_s for r in results), 6),
    )
