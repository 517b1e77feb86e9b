"""Hostile and broken reports given to every parser of an external format.

Each case goes through the parser's real entry point (the function its collector calls) and must
end in a clear outcome: a result, or the parser's own error with one line naming the file. No
other exception may escape, nothing may be fetched or read on the file's behalf, and nothing is
printed. Enormous inputs print their timings and peak memory; only the outcome is asserted.
"""

from __future__ import annotations

import http.server
import json
import resource
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assess._json import decoded_size
from assess.chaos import ingest as chaos_ingest
from assess.chaos.service import ChaosConfigError, chaos_table
from assess.cli import EXIT_STAGE_ERRORS, main
from assess.collectors import coverage_hits, coverage_ingest, junit
from assess.collectors.chaos import collect_chaos_paths
from assess.collectors.coverage import collect_coverage
from assess.collectors.coverage_ingest import CoverageReportError, ingest_reports
from assess.collectors.junit import JUnitError, parse_junit
from assess.collectors.tests import collect_tests
from assess.config import load_target_config
from assess.model import Status
from assess.model.inventory import InventoryEvidence
from assess.model.io import ModelFileError, read_evidence, read_run_info, write_model
from assess.rubric import RubricError

# --- valid samples, one per format ------------------------------------------------------------

COBERTURA = """<?xml version="1.0" ?>
<coverage version="7.6" line-rate="0.5" branch-rate="0" timestamp="1" lines-valid="2" lines-covered="1">
  <sources><source>/nowhere</source></sources>
  <packages><package name="p"><classes>
    <class name="m" filename="pkg/m.py"><lines>
      <line number="1" hits="1"/><line number="2" hits="0" branch="true" condition-coverage="50% (1/2)"/>
    </lines></class>
  </classes></package></packages>
</coverage>
"""
LCOV = "TN:\nSF:pkg/m.py\nFN:1,2,f\nDA:1,1\nDA:2,0\nBRDA:2,0,0,1\nBRDA:2,0,1,-\nend_of_record\n"
SUMMARY = {"num_statements": 2, "covered_lines": 1, "missing_lines": 1, "excluded_lines": 0, "percent_covered": 50.0}
COVERAGE_JSON = json.dumps({
    "meta": {"format": 3, "version": "7.6", "branch_coverage": False},
    "files": {"pkg/m.py": {"executed_lines": [1], "missing_lines": [2], "excluded_lines": [], "summary": SUMMARY}},
    "totals": SUMMARY,
})  # fmt: skip
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" tests="3">
  <testcase classname="tests.test_m" name="test_a" file="tests/test_m.py" line="3" time="0.01"/>
  <testcase classname="tests.test_m" name="test_b" time="0.02"><failure message="boom">trace</failure></testcase>
  <testcase classname="tests.test_m" name="test_c" time="0"><skipped message="later"/></testcase>
</testsuite></testsuites>
"""
JOURNAL = json.dumps({
    "experiment": {"title": "kill -9 the worker", "tags": ["process-crash"]},
    "status": "completed", "deviated": False, "duration": 1.5,
    "steady_states": {"before": {"steady_state_met": True, "probes": []},
                      "after": {"steady_state_met": True, "probes": []}},
    "run": [{"activity": {"name": "kill", "type": "action"}, "status": "succeeded",
             "output": {"assess": {"recovery_s": 0.2, "data_lost": 0}}}],
})  # fmt: skip
NATIVE = json.dumps({"scenario": "latency on db", "trials": 3, "successes": 2, "recovery_times_s": [0.1, 0.2]})
CONFIG = '[project]\nname = "t"\n\n[tool.assess]\ndisabled = []\n\n[tool.assess.chaos]\ncommand = ["x", "{port}"]\n'
EVIDENCE = InventoryEvidence(status=Status.SKIPPED, reason="nothing").model_dump_json()

# --- the parsers, through the entry points their collectors use -------------------------------


@dataclass(frozen=True)
class Parser:
    """``read(path, target)`` returns a result or raises ``error``; its message names ``path``'s file."""

    read: Callable[[Path, Path], object]
    error: type[Exception]
    sample: str
    """A valid file's text."""
    file_name: str = "report"
    """The name the file is written under (config parsers read a fixed name)."""


def _chaos(path: Path, target: Path) -> object:
    data = collect_chaos_paths(target, [path], globs=())
    if data.unreadable:
        raise ChaosReportFailure(data.unreadable[0].message)
    return data.results


class ChaosReportFailure(Exception):
    """The chaos collector listed the file as unreadable (it never raises)."""


PARSERS: dict[str, Parser] = {
    "cobertura": Parser(lambda p, t: ingest_reports([p], t, lambda _: True), CoverageReportError, COBERTURA),
    "lcov": Parser(lambda p, t: ingest_reports([p], t, lambda _: True), CoverageReportError, LCOV),
    "coverage-json": Parser(lambda p, t: ingest_reports([p], t, lambda _: True), CoverageReportError, COVERAGE_JSON),
    "junit": Parser(lambda p, t: parse_junit([p], t), JUnitError, JUNIT),
    "chaos-junit": Parser(_chaos, ChaosReportFailure, JUNIT, "chaos.xml"),
    "journal": Parser(_chaos, ChaosReportFailure, JOURNAL, "journal.json"),
    "native": Parser(_chaos, ChaosReportFailure, NATIVE, "run.json"),
    "config": Parser(lambda p, t: load_target_config(t), RubricError, CONFIG, "pyproject.toml"),
    "chaos-config": Parser(lambda p, t: chaos_table(t), ChaosConfigError, CONFIG, "pyproject.toml"),
    "evidence": Parser(lambda p, t: read_evidence(p), ModelFileError, EVIDENCE, "evidence.json"),
}
XML = ("cobertura", "junit", "chaos-junit")
JSON = ("coverage-json", "journal", "native", "evidence")


def outcome(name: str, content: bytes, tmp_path: Path) -> tuple[str, object]:
    """("ok", result) or ("error", message) of parser ``name`` on ``content``; anything else fails."""
    parser = PARSERS[name]
    target = tmp_path / "target"
    target.mkdir(exist_ok=True)
    path = target / parser.file_name
    path.write_bytes(content)
    try:
        return "ok", parser.read(path, target)
    except parser.error as err:
        message = str(err)
        assert "\n" not in message, f"not one line: {message!r}"
        assert parser.file_name in message, f"the file is not named: {message!r}"
        assert len(message) < 1000, f"too long: {len(message)} characters"
        return "error", message


@pytest.fixture(autouse=True)
def _nothing_printed(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    yield
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err


@pytest.mark.parametrize("name", PARSERS)
def test_the_valid_samples_read(name: str, tmp_path: Path) -> None:
    kind, result = outcome(name, PARSERS[name].sample.encode(), tmp_path)
    assert kind == "ok", result


# --- malformed input every parser must refuse -------------------------------------------------

DEEP_JSON = b"[" * 200_000 + b"]" * 200_000
HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b" \n\t\r\n",
    "nul-bytes": b"\x00" * 64,
    "nul-inside": b"<testsuite>\x00</testsuite>\nSF:\x00\n{\x00}",
    "not-utf-8": b"\xff\xfe\xfa\xde" * 8,
    "binary": bytes(range(256)) * 4,
    "deep-json": DEEP_JSON,
    "deep-json-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "deep-toml": b"a = " + b"[" * 100_000 + b"]" * 100_000,
    "deep-toml-inline": b"a = " + b"{b = " * 20_000 + b"1" + b"}" * 20_000,
    "json-list": b"[1, 2, 3]",
    "json-string": b'"just a string"',
    "json-null": b"null",
    "html": b"<!doctype html><html><body>404</body></html>",
    "wrong-root": b'<?xml version="1.0"?><report><testcase name="x"/></report>',
    "lcov-garbage": b"SF:\nDA:x,y\nend_of_record\n",
}


@pytest.mark.parametrize("case", HOSTILE)
@pytest.mark.parametrize("name", PARSERS)
def test_hostile_input_gives_a_one_line_error(name: str, case: str, tmp_path: Path) -> None:
    kind, result = outcome(name, HOSTILE[case], tmp_path)
    if kind == "ok":
        # only a found-but-foreign file may be passed over: the chaos collector skips JSON that is
        # not a chaos result, and a config without [tool.assess] is no config
        assert not result or getattr(result, "source", "x") is None, result
    else:
        assert result


@pytest.mark.parametrize("name", PARSERS)
def test_truncated_files_give_a_one_line_error(name: str, tmp_path: Path) -> None:
    sample = PARSERS[name].sample.encode()
    for cut in sorted({1, 7, len(sample) // 3, len(sample) // 2, len(sample) - 9}):
        kind, result = outcome(name, sample[:cut], tmp_path)
        if name in ("config", "chaos-config", "lcov") and kind == "ok":
            continue  # a TOML or LCOV prefix can be a whole, smaller file
        assert kind == "error", f"cut at {cut}: {result}"


# --- numbers JSON should not hold -------------------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_coverage_json_with_non_finite_numbers_is_refused(number: str, tmp_path: Path) -> None:
    text = COVERAGE_JSON.replace('"percent_covered": 50.0', f'"percent_covered": {number}', 1)
    kind, message = outcome("coverage-json", text.encode(), tmp_path)
    assert kind == "error" and "not valid JSON" in str(message) and "not finite" in str(message)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_coverage_json_non_finite_counts_are_refused(number: str, tmp_path: Path) -> None:
    text = COVERAGE_JSON.replace('"excluded_lines": 0', f'"excluded_lines": {number}', 1)
    assert outcome("coverage-json", text.encode(), tmp_path)[0] == "error"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_journal_non_finite_measurements_are_ignored(number: str, tmp_path: Path) -> None:
    text = JOURNAL.replace('"recovery_s": 0.2, "data_lost": 0', f'"recovery_s": {number}, "data_lost": {number}')
    text = text.replace('"duration": 1.5', f'"duration": {number}')
    kind, results = outcome("journal", text.encode(), tmp_path)
    assert kind == "ok" and isinstance(results, tuple)
    (result,) = results
    assert (result.recovery_times_s, result.data_loss, result.duration_s) == ((), None, None)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_native_non_finite_recovery_time_is_refused(number: str, tmp_path: Path) -> None:
    kind, message = outcome("native", NATIVE.replace("0.2", number).encode(), tmp_path)
    assert kind == "error" and "recovery_times_s/1" in str(message), message


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_native_non_finite_trials_are_refused(number: str, tmp_path: Path) -> None:
    kind, message = outcome("native", NATIVE.replace('"trials": 3', f'"trials": {number}').encode(), tmp_path)
    assert kind == "error" and "trials" in str(message), message


@pytest.mark.parametrize("hits", ["inf", "1e999", "nan", "-inf", "lots"])
def test_cobertura_non_finite_hits_are_refused(hits: str, tmp_path: Path) -> None:
    kind, message = outcome("cobertura", COBERTURA.replace('hits="1"', f'hits="{hits}"').encode(), tmp_path)
    assert kind == "error" and "<line> without a valid number and hits" in str(message)


@pytest.mark.parametrize("time_", ["inf", "1e999", "nan", "-1"])
def test_junit_non_finite_times_are_zero_or_unknown(time_: str, tmp_path: Path) -> None:
    kind, data = outcome("junit", JUNIT.replace('time="0.01"', f'time="{time_}"').encode(), tmp_path)
    assert kind == "ok" and data.results[0].duration_s == 0.0  # type: ignore[attr-defined]
    kind, results = outcome("chaos-junit", JUNIT.replace('time="0.01"', f'time="{time_}"').encode(), tmp_path)
    assert kind == "ok" and results[0].duration_s in (None, -1.0)  # type: ignore[index]


def test_junit_negative_and_huge_lines(tmp_path: Path) -> None:
    text = JUNIT.replace('line="3"', 'line="-7"')
    assert outcome("junit", text.encode(), tmp_path)[1].results[0].line is None  # type: ignore[attr-defined]
    text = JUNIT.replace('line="3"', 'line="' + "9" * 5000 + '"')
    assert outcome("junit", text.encode(), tmp_path)[1].results[0].line is None  # type: ignore[attr-defined]


def test_cobertura_claiming_a_billion_branches_is_refused_not_expanded(tmp_path: Path) -> None:
    text = COBERTURA.replace("50% (1/2)", "50% (1/999999999999)")
    started = time.perf_counter()
    kind, message = outcome("cobertura", text.encode(), tmp_path)
    print(f"billion branches: {time.perf_counter() - started:.3f} s")
    assert kind == "error" and "claims 999999999999 branches" in str(message)


def test_cobertura_lines_claiming_many_branches_are_counted_not_expanded(tmp_path: Path) -> None:
    claims = "".join(
        f'<line number="{n}" hits="1" branch="true" condition-coverage="50% (5000/10000)"/>' for n in range(1, 2001)
    )
    text = f'<coverage><packages><package><classes><class filename="a.py"><lines>{claims}</lines></class>'
    text += "</classes></package></packages></coverage>"
    tracemalloc.start()
    try:
        kind, data = outcome("cobertura", text.encode(), tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kind == "ok" and (data.totals.branches, data.totals.covered_branches) == (20_000_000, 10_000_000)  # type: ignore[attr-defined]
    assert peak < 32 * MiB, f"{peak} bytes: the claimed branches were made one by one"


def test_cobertura_file_names_too_long_for_the_file_system(tmp_path: Path) -> None:
    text = COBERTURA.replace('filename="pkg/m.py"', 'filename="' + "a" * 5000 + '"')
    kind, data = outcome("cobertura", text.encode(), tmp_path)
    assert kind == "ok" and [f.path for f in data.files] == ["a" * 5000]  # type: ignore[attr-defined]


def test_config_tool_that_is_not_a_table(tmp_path: Path) -> None:
    assert outcome("config", b"tool = 1\n", tmp_path)[0] == "ok"
    assert outcome("chaos-config", b"tool = 1\n", tmp_path) == ("ok", None)


def test_malformed_coverage_json_error_is_one_line(tmp_path: Path) -> None:
    text = COVERAGE_JSON.replace('"executed_lines": [1]', '"executed_lines": "abc"')
    kind, message = outcome("coverage-json", text.encode(), tmp_path)
    assert kind == "error" and "ValidationError" in str(message)


def test_native_schema_error_quoting_a_huge_value_is_bounded(tmp_path: Path) -> None:
    text = NATIVE.replace('"trials": 3', '"trials": "' + "x" * 1_000_000 + '"')
    kind, message = outcome("native", text.encode(), tmp_path)
    assert kind == "error" and "trials" in str(message)


# --- XML bombs and external references --------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10))
    + ']>\n<{root}><testcase name="&lol9;"/>&lol9;</{root}>\n'
)
QUADRATIC = '<?xml version="1.0"?>\n<!DOCTYPE q [<!ENTITY a "{big}">]>\n<{root}>{refs}</{root}>\n'
ROOTS = {"cobertura": "coverage", "junit": "testsuites", "chaos-junit": "testsuites"}


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server: (base URL, paths requested)."""
    requested: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "fetched">')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requested
    server.shutdown()
    server.server_close()


OPENED: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and args and "secret" in str(args[0]):
        OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # hooks cannot be removed; this one only records opens of "secret" files


def _bombs(root: str, secret: Path, url: str) -> dict[str, str]:
    xml = '<?xml version="1.0"?>'
    return {
        "billion-laughs": LAUGHS.format(root=root),
        "quadratic": QUADRATIC.format(root=root, big="x" * 100_000, refs="&a;" * 100_000),
        "external-file-entity": f'{xml}<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><{root}>&x;</{root}>',
        "external-url-entity": f'{xml}<!DOCTYPE r [<!ENTITY x SYSTEM "{url}/entity">]><{root}>&x;</{root}>',
        "parameter-entity": f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/param"> %p;]><{root}/>',
        "internal-subset-attlist": f'<?xml version="1.0"?><!DOCTYPE r [<!ATTLIST line hits CDATA "1">]><{root}/>',
        "xinclude": (
            f'<{root} xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{secret}" parse="text"/></{root}>'
        ),
        "external-dtd-file": f'<?xml version="1.0"?><!DOCTYPE {root} SYSTEM "{secret}"><{root}>&leak;</{root}>',
        "external-dtd-url": f'<?xml version="1.0"?><!DOCTYPE {root} SYSTEM "{url}/dtd"><{root}>&leak;</{root}>',
    }  # fmt: skip


BOMB_NAMES = list(_bombs("r", Path("/s"), "http://x"))


@pytest.mark.parametrize("bomb", BOMB_NAMES)
@pytest.mark.parametrize("name", XML)
def test_xml_bombs_are_refused_and_nothing_is_fetched(
    name: str, bomb: str, tmp_path: Path, loopback: tuple[str, list[str]]
) -> None:
    url, requested = loopback
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "SECRET-CONTENT">', encoding="utf-8")
    OPENED.clear()
    started = time.perf_counter()
    kind, result = outcome(name, _bombs(ROOTS[name], secret, url)[bomb].encode(), tmp_path)
    print(f"{name} {bomb}: {kind} in {time.perf_counter() - started:.3f} s")
    assert requested == [] and OPENED == []
    assert "SECRET" not in repr(result) and "fetched" not in repr(result)
    if bomb == "xinclude":  # not processed, so harmless: the element is just unknown
        assert kind == "ok" or "not a Cobertura report" in str(result)
    else:
        assert kind == "error", result


def test_a_bare_doctype_naming_an_external_dtd_is_allowed(tmp_path: Path) -> None:
    # Java Cobertura, istanbul and gcovr write one; expat never loads it
    doctype = '<!DOCTYPE coverage SYSTEM "http://127.0.0.1:9/coverage-04.dtd">\n'
    text = COBERTURA.replace("<coverage ", doctype + "<coverage ", 1)
    kind, data = outcome("cobertura", text.encode(), tmp_path)
    assert kind == "ok" and data.totals.covered_lines == 1  # type: ignore[attr-defined]


# --- too big, and enormous --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size"),
    [("cobertura", 300 << 20), ("junit", 300 << 20), ("journal", 40 << 20), ("evidence", 600 << 20),
     ("config", 5 << 20), ("chaos-config", 5 << 20)],
)  # fmt: skip
def test_oversized_files_are_refused_unread(name: str, size: int, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    path = target / PARSERS[name].file_name
    with path.open("wb") as fh:
        fh.truncate(size)  # sparse: costs no disk
    started = time.perf_counter()
    try:
        PARSERS[name].read(path, target)
        raise AssertionError("read an oversized file")
    except PARSERS[name].error as err:
        message = str(err)
    print(f"{name} {size >> 20} MiB: refused in {time.perf_counter() - started:.3f} s: {message}")
    assert "\n" not in message and PARSERS[name].file_name in message
    assert any(word in message for word in ("larger than", "over the", "limit")), message


# --- over each format's cap, and just under it ------------------------------------------------

MiB = 1024 * 1024
CAPS: dict[str, tuple[str, int, bytes]] = {
    "cobertura": ("cobertura", coverage_ingest.MAX_FORMAT_BYTES["cobertura"], b"<coverage><packages>"),
    "lcov": ("lcov", coverage_ingest.MAX_FORMAT_BYTES["lcov"], b"TN:\nSF:a.py\n"),
    "coverage-json": ("coverage-json", coverage_ingest.MAX_FORMAT_BYTES["coverage.py-json"], b'{"meta": {}, '),
    "coverage-data": ("lcov", coverage_ingest.MAX_REPORT_BYTES, b"SQLite format 3\x00"),
    "junit": ("junit", junit.MAX_JUNIT_BYTES, b"<testsuites>"),
    "chaos-junit": ("chaos-junit", chaos_ingest.MAX_BYTES, b"<testsuites>"),
    "journal": ("journal", chaos_ingest.MAX_BYTES, b'{"experiment": {}, "run": ['),
    "native": ("native", chaos_ingest.MAX_BYTES, b'{"scenario": "s", "trials": 1, "successes": 1, "times": ['),
}
"""Format -> (the parser that reads it, its cap in bytes, how a file of it starts, so that it is
taken for that format)."""


@pytest.mark.parametrize("name", CAPS)
def test_a_file_one_byte_over_its_cap_is_refused_unread(name: str, tmp_path: Path) -> None:
    parser_name, cap, head = CAPS[name]
    parser = PARSERS[parser_name]
    target = tmp_path / "target"
    target.mkdir()
    path = target / parser.file_name
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(cap + 1)  # sparse: costs no disk
    tracemalloc.start()
    try:
        with pytest.raises(parser.error) as err:
            parser.read(path, target)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert "\n" not in message and parser.file_name in message
    assert str(cap) in message or f"{cap // MiB} MiB" in message, message
    assert peak < 8 * MiB, f"{peak} bytes allocated: the file was read"


def _cobertura_lines(n: int) -> str:
    lines = "".join(f'<line number="{k}" hits="{k % 2}"/>' for k in range(1, 201))
    classes = "".join(f'<class filename="pkg/m{i}.py"><lines>{lines}</lines></class>\n' for i in range(n))
    return f"<coverage><packages><package><classes>{classes}</classes></package></packages></coverage>"


def _lcov_records(n: int) -> str:
    body = "FN:1,100,f\n" + "".join(f"DA:{k},{k % 2}\n" for k in range(1, 201)) + "BRDA:3,0,0,1\nBRDA:3,0,1,-\n"
    return "TN:\n" + "".join(f"SF:pkg/m{i}.py\n{body}end_of_record\n" for i in range(n))


def _coverage_json(n: int) -> str:
    entry = {"executed_lines": list(range(1, 201, 2)), "missing_lines": list(range(2, 201, 2)),
             "excluded_lines": [], "summary": {**SUMMARY, "num_statements": 200, "covered_lines": 100}}  # fmt: skip
    files = {f"pkg/m{i}.py": entry for i in range(n)}
    return json.dumps({"meta": {"format": 3, "branch_coverage": False}, "files": files, "totals": SUMMARY})


def _junit_cases(n: int) -> str:
    failure = '<failure message="boom">trace</failure>'
    cases = "".join(
        f'<testcase classname="t.m" name="test_{i}" time="0.1">{failure if i % 10 == 0 else ""}</testcase>\n'
        for i in range(n)
    )
    return f'<testsuites name="pytest tests"><testsuite name="pytest">{cases}</testsuite></testsuites>'


def _journal_runs(n: int) -> str:
    journal = json.loads(JOURNAL)
    journal["run"] = journal["run"] * n
    return json.dumps(journal)


def _native_times(n: int) -> str:
    return json.dumps({"scenario": "latency on db", "trials": n, "successes": n, "recovery_times_s": [0.25] * n})


LARGE: dict[str, tuple[Callable[[int], str], int, Callable[[object], int]]] = {
    "cobertura": (_cobertura_lines, 500, lambda data: len(data.files)),  # type: ignore[attr-defined]
    "lcov": (_lcov_records, 1000, lambda data: len(data.files)),  # type: ignore[attr-defined]
    "coverage-json": (_coverage_json, 2000, lambda data: len(data.files)),  # type: ignore[attr-defined]
    "junit": (_junit_cases, 40_000, lambda data: len(data.results)),  # type: ignore[attr-defined]
    "chaos-junit": (_junit_cases, 30_000, len),  # type: ignore[arg-type]
    "journal": (_journal_runs, 12_000, lambda results: len(results[0].activities)),  # type: ignore[index]
    "native": (_native_times, 300_000, lambda results: len(results[0].recovery_times_s)),  # type: ignore[index]
}
"""Format -> (a valid file of n items, n for a few MB, how many items a result holds)."""


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "native" else n for n in LARGE])
def test_a_large_file_under_its_cap_is_read(name: str, tmp_path: Path) -> None:
    make, n, count = LARGE[name]
    text = make(n)
    assert len(text) > 1_500_000
    kind, result = outcome(name, text.encode(), tmp_path)
    assert kind == "ok", result
    assert count(result) == n


COUNTED: dict[str, tuple[object, str, Callable[[int], str], int, str]] = {
    "cobertura": (coverage_hits, "MAX_COVERAGE_ENTRIES", _cobertura_lines, 50, "more than 50 files"),
    "lcov": (coverage_hits, "MAX_COVERAGE_ENTRIES", _lcov_records, 25, "more than 50 files and functions"),
    "coverage-json": (coverage_hits, "MAX_COVERAGE_ENTRIES", _coverage_json, 50, "51 files, functions and classes"),
    "junit": (junit, "MAX_TEST_CASES", _junit_cases, 50, "more than 50 test cases"),
    "chaos-junit": (chaos_ingest, "MAX_RESULTS", _junit_cases, 50, "more than 50 test cases"),
    "journal": (chaos_ingest, "MAX_RESULTS", _journal_runs, 50, "51 activities, over the 50 limit"),
}
"""Format -> (module, its cap of 50 models made from a file, a file of n items, the n that makes 50 models,
what the refusal says): each item becomes a model of 1 to 2 KB however few bytes it takes."""


@pytest.mark.parametrize("name", COUNTED)
def test_more_items_than_the_cap_are_refused(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module, cap, make, n, says = COUNTED[name]
    monkeypatch.setattr(module, cap, 50)
    assert outcome(name, make(n).encode(), tmp_path)[0] == "ok"
    kind, message = outcome(name, make(n + 1).encode(), tmp_path)
    assert kind == "error" and says in str(message), message


NESTED = b"[[]]," * 200_000
"""A megabyte of JSON that decodes to 400,000 lists: about 30 MB."""
DECODED: dict[str, tuple[object, str, bytes]] = {
    "coverage-json": (coverage_ingest, "MAX_JSON_DECODED_BYTES", b'{"meta": {"format": 3}, "x": [' + NESTED + b"[]]}"),
    "journal": (chaos_ingest, "MAX_DECODED_BYTES", b'{"experiment": {}, "run": [' + NESTED + b"[]]}"),
    "native": (chaos_ingest, "MAX_DECODED_BYTES", b'{"scenario": "s", "recovery_times_s": [' + NESTED + b"[]]}"),
}


@pytest.mark.parametrize("name", DECODED)
def test_json_too_costly_to_decode_is_refused_undecoded(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, budget, content = DECODED[name]
    monkeypatch.setattr(module, budget, 16 * MiB)
    tracemalloc.start()
    try:
        kind, message = outcome(name, content, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert kind == "error" and "to decode, over the 16 MiB limit; not decoded" in str(message), message
    assert peak < 8 * MiB, f"{peak} bytes allocated: the JSON was decoded"


SHAPES: dict[str, bytes] = {
    "lists": b"[" + b"[]," * 300_000 + b"[]]",
    "objects": b"[" + b"{}," * 300_000 + b"{}]",
    "nested": b"[" + b"[[[[1]]]]," * 100_000 + b"1]",
    "ints": b"[" + b"1000," * 200_000 + b"1]",
    "floats": b"[" + b"1.5," * 250_000 + b"1]",
    "short-strings": b"[" + b'"ab",' * 200_000 + b'""]',
    "wide-strings": b"[" + ('"ab\u20ac",' * 150_000).encode() + b'""]',
    "keys": b"{" + b",".join(b'"k%d":0' % i for i in range(100_000)) + b"}",
    "coverage.py": COVERAGE_JSON.encode(),
}
"""JSON of about a megabyte, each of one kind of value (and coverage.py's, small)."""


@pytest.mark.parametrize("shape", SHAPES)
def test_the_decoded_size_estimate_is_on_the_high_side(shape: str) -> None:
    text = SHAPES[shape].decode()
    tracemalloc.start()
    try:
        json.loads(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= decoded_size(text) <= 3 * peak + 4096, (peak, decoded_size(text))


@pytest.mark.parametrize(
    ("bad", "says"),
    [(3, "recovery_times_s/0: [] is not of type 'number' (and 2 more)"),
     (5000, "recovery_times_s/0: [] is not of type 'number' (and more than 999 more; only the first 1000 were")],
)  # fmt: skip
def test_native_errors_are_counted_up_to_a_limit(bad: int, says: str, tmp_path: Path) -> None:
    text = json.dumps({"scenario": "s", "trials": 1, "successes": 1, "recovery_times_s": [[]] * bad}, indent=1)
    kind, message = outcome("native", text.encode(), tmp_path)
    assert kind == "error" and f"run.json:6: {says}" in str(message), message


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write_until(path: Path, size: int, head: str, item: Callable[[int], str], tail: str) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        while fh.tell() < size:
            fh.write("".join(item(n + i) for i in range(1000)))
            n += 1000
        fh.write(tail)
    return n


@pytest.mark.slow
def test_enormous_junit_file(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    n = _write_until(  # 25 MB is some 340,000 test cases, under MAX_TEST_CASES
        path, 25_000_000, '<testsuites name="pytest tests"><testsuite name="pytest">',
        lambda i: f'<testcase classname="t.m" name="test_{i}[&lt;x&gt;]" line="{i}" time="0.001"/>\n'
        if i % 10 else f'<testcase classname="t.m" name="test_{i}"><failure message="boom">x</failure></testcase>\n',
        "</testsuite></testsuites>",
    )  # fmt: skip
    before, started = _peak_mb(), time.perf_counter()
    data = parse_junit([path], tmp_path)
    print(f"JUnit {path.stat().st_size >> 20} MiB, {n} cases: {time.perf_counter() - started:.1f} s, "
          f"process peak RSS so far {_peak_mb():.0f} MB (before: {before:.0f} MB)")  # fmt: skip
    assert len(data.results) == n
    assert sum(r.outcome.value == "failed" for r in data.results) == n // 10


@pytest.mark.slow
def test_enormous_cobertura_file(tmp_path: Path) -> None:
    path = tmp_path / "coverage.xml"
    lines = "".join(f'<line number="{n}" hits="{n % 2}"/>' for n in range(1, 501))
    n = _write_until(
        path, 50_000_000, "<coverage><packages><package><classes>",
        lambda i: f'<class filename="pkg/m{i}.py"><lines>{lines}</lines></class>\n',
        "</classes></package></packages></coverage>",
    )  # fmt: skip
    before, started = _peak_mb(), time.perf_counter()
    data = ingest_reports([path], tmp_path, lambda _: True)
    print(f"Cobertura {path.stat().st_size >> 20} MiB, {n} files: {time.perf_counter() - started:.1f} s, "
          f"process peak RSS so far {_peak_mb():.0f} MB (before: {before:.0f} MB)")  # fmt: skip
    assert len(data.files) == n and data.totals.covered_lines == 250 * n


def test_lcov_with_many_functions_is_not_quadratic(tmp_path: Path) -> None:
    functions = "".join(f"FN:{n},{n + 1},f{n}\n" for n in range(1, 40_001, 2))
    path = tmp_path / "lcov.info"
    path.write_text("SF:a.py\n" + functions + "".join(f"DA:{n},1\n" for n in range(1, 40_001)) + "end_of_record\n")
    started = time.perf_counter()
    data = ingest_reports([path], tmp_path, lambda _: True)
    print(f"LCOV 20,000 functions x 40,000 lines: {time.perf_counter() - started:.2f} s")
    assert len(data.files[0].regions) == 20_000


# --- through the collectors -------------------------------------------------------------------


def test_coverage_collector_gives_error_evidence(make_ctx: Callable[..., object], tmp_path: Path) -> None:
    report = tmp_path / "bomb.xml"
    report.write_text(LAUGHS.format(root="coverage"), encoding="utf-8")
    evidence = collect_coverage(make_ctx(tmp_path, coverage_reports=(str(report),)))  # type: ignore[arg-type]
    assert evidence.status is Status.ERROR and evidence.reason is not None
    assert "bomb.xml" in evidence.reason and "\n" not in evidence.reason


def test_tests_collector_gives_error_evidence(make_ctx: Callable[..., object], tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_bytes(JUNIT.encode()[:200])
    evidence = collect_tests(make_ctx(tmp_path, junit_reports=(str(report),)))  # type: ignore[arg-type]
    assert evidence.status is Status.ERROR and evidence.reason is not None
    assert "junit.xml: not well-formed XML" in evidence.reason and "\n" not in evidence.reason


def test_chaos_results_with_non_finite_numbers_round_trip_as_evidence(tmp_path: Path) -> None:
    from assess.model.chaos import ChaosEvidence

    journal = JOURNAL.replace('"recovery_s": 0.2', '"recovery_s": NaN, "latency_ms": Infinity')
    assert outcome("journal", journal.encode(), tmp_path)[0] == "ok"
    data = collect_chaos_paths(tmp_path / "target", [tmp_path / "target" / "journal.json"], globs=())
    evidence = ChaosEvidence(status=Status.OK, data=data)
    path = write_model(evidence, tmp_path / "chaos.json")
    assert read_evidence(path) == evidence


# --- the whole command line -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (LAUGHS.format(root="coverage"), "XML with entity or DTD tricks refused"),
        (COVERAGE_JSON[: len(COVERAGE_JSON) // 2], "not valid JSON"),
    ],
    ids=["billion-laughs", "truncated-json"],
)
def test_run_with_a_hostile_coverage_report(
    content: str, reason: str, make_repo: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo({"pkg/m.py": "x = 1\n"})
    report = tmp_path / "report.dat"
    report.write_text(content, encoding="utf-8")
    code = main(["run", str(repo), "--no-tests", "--coverage-report", str(report), "--out", str(tmp_path / "runs")])
    out, err = capsys.readouterr()
    assert code == EXIT_STAGE_ERRORS and "Traceback" not in out + err
    run_dir = Path(out.strip().splitlines()[-1])
    stages = {s.name: (s.status.value, s.reason or "") for s in read_run_info(run_dir / "run.json").stages}
    status, why = stages["coverage"]
    assert status == "error" and why.startswith(f"{report}: {reason}") and "\n" not in why
    assert (run_dir / "assessment.html").is_file()
    assert not list(run_dir.rglob("*.tmp")), "a half-written file was left behind"


def test_a_report_naming_a_symlink_loop_leaves_that_file_out(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    (target / "pkg").mkdir(parents=True)
    (target / "pkg" / "a.py").write_text("x = 1\n")
    (target / "loop1").symlink_to(target / "loop2")
    (target / "loop2").symlink_to(target / "loop1")
    entry = {"executed_lines": [1], "missing_lines": [], "excluded_lines": [],
             "summary": {**SUMMARY, "num_statements": 1, "covered_lines": 1}}  # fmt: skip
    files = {str(target / "pkg" / "a.py"): entry, str(target / "loop1" / "b.py"): entry}
    report = tmp_path / "coverage.json"
    report.write_text(json.dumps({"meta": {"format": 3, "branch_coverage": False}, "files": files, "totals": SUMMARY}))
    data = ingest_reports([report], target, lambda rel: True)
    assert [f.path for f in data.files] == ["pkg/a.py"] and data.omitted_files == 1
