"""Property-based tests of every parser of an external format.

(a) Any bytes, and any text shaped like the format, give a result or the parser's own one-line
error, never another exception. (b) Reports generated from known numbers (odd file and test names,
line numbers, hit counts, outcomes) read back as exactly those numbers.

``HYPOTHESIS_PROFILE=ci`` runs ten times as many examples.
"""

from __future__ import annotations

import functools
import io
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assess._xml import ParseError, XmlRefused, parse_xml, walk_xml
from assess.chaos import ingest as chaos_ingest
from assess.chaos.ingest import ChaosReportError, parse_journal, parse_junit_chaos, parse_native
from assess.chaos.service import ChaosConfigError, chaos_table
from assess.collectors import cobertura, coverage_hits, junit, lcov
from assess.collectors.chaos import read_results
from assess.collectors.coverage_ingest import SQLITE_MAGIC, CoverageReportError, ingest_reports
from assess.collectors.junit import JUnitError, parse_junit
from assess.config import load_target_config
from assess.model import TestOutcome
from assess.model.io import ModelFileError, read_evidence
from assess.rubric import RubricError

settings.register_profile(
    "assess", max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", parent=settings.get_profile("assess"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "assess"))


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """One folder for the whole module: hypothesis runs many examples per test function."""
    with tempfile.TemporaryDirectory(prefix="assess-props-") as tmp:
        target = Path(tmp) / "target"
        target.mkdir()
        yield target


def _one_line(err: Exception, name: str) -> None:
    message = str(err)
    assert "\n" not in message and name in message, message


# --- (a) nothing but the documented error -----------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)
"""JSON values, NaN and infinities included (Python's json writes them)."""


def _keys(*names: str) -> st.SearchStrategy[str]:
    return st.sampled_from(names) | st.text(max_size=8)


def _shaped_json(keys: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """JSON text whose objects use the format's own keys, so parsing goes past the first check."""
    value = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10) | keys,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
        max_leaves=40,
    )
    return st.dictionaries(keys, value, max_size=8).map(json.dumps)


COVERAGE_KEYS = _keys("meta", "format", "files", "totals", "summary", "executed_lines", "missing_lines",
                      "excluded_lines", "num_statements", "covered_lines", "branch_coverage", "executed_branches",
                      "missing_branches", "functions", "classes", "start_line", "percent_covered")  # fmt: skip
JOURNAL_KEYS = _keys("experiment", "title", "tags", "status", "deviated", "steady_states", "before", "after",
                     "steady_state_met", "probes", "run", "rollbacks", "activity", "name", "output", "assess",
                     "recovery_s", "data_lost", "tolerance_met", "exception", "duration", "start")  # fmt: skip
NATIVE_KEYS = _keys("scenario", "trials", "successes", "recovery_times_s", "data_loss", "family", "tags", "notes")


def _xml_text(tags: list[str], attrs: list[str]) -> st.SearchStrategy[str]:
    """Random element trees using the format's tags and attributes, serialised (well-formed)."""
    attr_values = st.text(max_size=12) | st.sampled_from(["1", "0", "-1", "1e999", "nan", "true", "(1/2)", "x.py"])

    def element(children: st.SearchStrategy[list[ET.Element]]) -> st.SearchStrategy[ET.Element]:
        def build(tag: str, attrib: dict[str, str], kids: list[ET.Element]) -> ET.Element:
            node = ET.Element(tag, {k: _xml_safe(v) for k, v in attrib.items()})
            node.extend(kids)
            return node

        return st.builds(build, st.sampled_from(tags), st.dictionaries(st.sampled_from(attrs), attr_values), children)

    tree = st.recursive(element(st.just([])), lambda inner: element(st.lists(inner, max_size=4)), max_leaves=20)
    return tree.map(lambda e: ET.tostring(e, encoding="unicode"))


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd"))


COBERTURA_SHAPED = _xml_text(
    ["coverage", "packages", "package", "classes", "class", "lines", "line", "sources", "source"],
    ["filename", "number", "hits", "branch", "condition-coverage", "missing-branches", "name"],
)
JUNIT_SHAPED = _xml_text(
    ["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "properties", "property"],
    ["name", "classname", "file", "line", "time", "message", "value"],
)
LCOV_SHAPED = st.lists(
    st.tuples(
        st.sampled_from(["SF", "DA", "BRDA", "FN", "FNDA", "TN", "LF", "end_of_record", "VER"]),
        st.lists(st.integers(-3, 10**20).map(str) | st.sampled_from(["-", "", "x", "a.py"]), max_size=5),
    ),
    max_size=30,
).map(lambda lines: "".join(k + "\n" if k == "end_of_record" else f"{k}:{','.join(v)}\n" for k, v in lines))


def _ingest(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    try:
        ingest_reports([path], path.parent, lambda _: True)
    except CoverageReportError as err:
        _one_line(err, path.name)


@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_coverage_any_bytes(workdir: Path, content: bytes) -> None:
    assume(not content.startswith(SQLITE_MAGIC))  # a data file starts a coverage.py process
    _ingest(workdir / "report.any", content)


@given(_shaped_json(COVERAGE_KEYS) | COBERTURA_SHAPED | LCOV_SHAPED)
def test_coverage_shaped_text(workdir: Path, text: str) -> None:
    _ingest(workdir / "report.shaped", text.encode())


@given(st.binary(max_size=2000) | JUNIT_SHAPED.map(str.encode))
def test_junit_any_input(workdir: Path, content: bytes) -> None:
    path = workdir / "junit.xml"
    path.write_bytes(content)
    try:
        parse_junit([path], workdir)
    except JUnitError as err:
        _one_line(err, "junit.xml")


@given(
    st.text(max_size=2000)
    | JUNIT_SHAPED
    | _shaped_json(JOURNAL_KEYS)
    | _shaped_json(NATIVE_KEYS)
    | JSONISH.map(json.dumps),
    st.sampled_from(["r.json", "r.xml", "journal.json"]),
    st.booleans(),
)
def test_chaos_any_input(text: str, source: str, explicit: bool) -> None:
    try:
        read_results(source, text, None, explicit=explicit)
    except ChaosReportError as err:
        _one_line(err, source)


@given(_shaped_json(JOURNAL_KEYS))
def test_journal_shaped(text: str) -> None:
    try:
        parse_journal("j.json", text)
    except ChaosReportError as err:
        _one_line(err, "j.json")


@given(_shaped_json(NATIVE_KEYS) | JSONISH.map(json.dumps))
def test_native_shaped(text: str) -> None:
    try:
        parse_native("n.json", text)
    except ChaosReportError as err:
        _one_line(err, "n.json")


TOML_SHAPED = st.lists(
    st.sampled_from(["[tool]", "[tool.assess]", "[tool.assess.chaos]", "[tool.assess.paths]", "[[tool.assess.waivers]]",
                     "tool = 1", "assess = []", "exclude = ['a', 1]", "rule = 'x'", "justification = ''",
                     "expires = 2020-01-01", "expires = 'soon'", "weights = {a = 1}", "command = ['x', '{port}']",
                     "disabled = 'x'", "test_command = ''", "criteria = 3", "[tool.assess.chaos.criteria.load]",
                     "min_success_rate = 2"]) | st.text(max_size=30),
    max_size=12,
).map("\n".join)  # fmt: skip


@given(st.binary(max_size=1000) | TOML_SHAPED.map(str.encode))
def test_config_any_input(workdir: Path, content: bytes) -> None:
    (workdir / "pyproject.toml").write_bytes(content)
    try:
        load_target_config(workdir)
    except RubricError as err:
        _one_line(err, "pyproject.toml")
    try:
        chaos_table(workdir)
    except ChaosConfigError as err:
        _one_line(err, "pyproject.toml")


@given(st.binary(max_size=1000) | JSONISH.map(lambda v: json.dumps({"schema_version": 1, "kind": "x", "v": v})))
def test_evidence_any_input(workdir: Path, content: bytes | str) -> None:
    path = workdir / "evidence.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    try:
        read_evidence(path)
    except ModelFileError as err:
        _one_line(err, "evidence.json")


# --- (b) generated reports read back as their numbers -----------------------------------------

ODD = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="/\\\ufeff\ufffe\uffff"
)
SEGMENT = st.text(ODD, min_size=1, max_size=12).filter(lambda s: s.strip() == s and s not in (".", ".."))
FILE_NAME = st.lists(SEGMENT, min_size=1, max_size=3).map("/".join)
LINES = st.dictionaries(st.integers(1, 10**6), st.integers(0, 10**9), min_size=1, max_size=30)
FILES = st.dictionaries(FILE_NAME, LINES, min_size=1, max_size=5)


def _expect(files: dict[str, dict[int, int]]) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    return {
        name: (tuple(sorted(n for n, h in lines.items() if h)), tuple(sorted(n for n, h in lines.items() if not h)))
        for name, lines in files.items()
    }


def _read_back(path: Path, text: str) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    path.write_text(text, encoding="utf-8")
    data = ingest_reports([path], path.parent / "empty-target", lambda _: True)
    return {f.path: (f.executed_lines, f.missing_lines) for f in data.files}


def _cobertura(files: dict[str, dict[int, int]]) -> str:
    classes = "".join(
        f"<class name={quoteattr(name)} filename={quoteattr(name)}><lines>"
        + "".join(f'<line number="{n}" hits="{h}"/>' for n, h in sorted(lines.items()))
        + "</lines></class>"
        for name, lines in files.items()
    )
    return f'<coverage><packages><package name="p"><classes>{classes}</classes></package></packages></coverage>'


@given(FILES)
def test_cobertura_round_trip(workdir: Path, files: dict[str, dict[int, int]]) -> None:
    assert _read_back(workdir / "coverage.xml", _cobertura(files)) == _expect(files)


def _lcov(files: dict[str, dict[int, int]], branches: dict[str, dict[int, list[int]]]) -> str:
    out = ["TN:\n"]
    for name, lines in files.items():
        out.append(f"SF:{name}\n")
        out += [f"DA:{n},{h}\n" for n, h in sorted(lines.items())]
        for line, taken in branches.get(name, {}).items():
            out += [f"BRDA:{line},0,{i},{t if t else '-'}\n" for i, t in enumerate(taken)]
        out.append("end_of_record\n")
    return "".join(out)


TAKEN = st.lists(st.integers(0, 5), min_size=1, max_size=4)
"""Hit counts of the branches leaving one line (0 is written as LCOV's ``-``)."""


@given(FILES, st.data())
def test_lcov_round_trip(workdir: Path, files: dict[str, dict[int, int]], data: st.DataObject) -> None:
    branches = {
        name: data.draw(st.dictionaries(st.sampled_from(sorted(lines)), TAKEN)) for name, lines in files.items()
    }
    path = workdir / "lcov.info"
    assert _read_back(path, _lcov(files, branches)) == _expect(files)
    got = {f.path: f.counts for f in ingest_reports([path], workdir / "empty-target", lambda _: True).files}
    for name, per_line in branches.items():
        if any(per_line.values()):
            total = sum(len(t) for t in per_line.values())
            taken = sum(1 for t in per_line.values() for x in t if x)
            assert (got[name].branches, got[name].covered_branches) == (total, taken)


NAME = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=20)
CASES = st.lists(st.tuples(NAME, NAME, st.sampled_from(["passed", "failure", "error", "skipped"])), max_size=20)


def _junit(cases: list[tuple[str, str, str]], suite_name: str = "pytest") -> str:
    root = ET.Element("testsuites", {"name": "pytest tests"})
    suite = ET.SubElement(root, "testsuite", {"name": suite_name})
    for name, classname, outcome in cases:
        case = ET.SubElement(suite, "testcase", {"name": _xml_safe(name), "classname": _xml_safe(classname)})
        if outcome != "passed":
            ET.SubElement(case, outcome, {"message": _xml_safe(name)}).text = _xml_safe(classname)
    return ET.tostring(root, encoding="unicode")


OUTCOMES = {"passed": TestOutcome.PASSED, "failure": TestOutcome.FAILED, "error": TestOutcome.ERROR,
            "skipped": TestOutcome.SKIPPED}  # fmt: skip


@given(CASES)
def test_junit_round_trip(workdir: Path, cases: list[tuple[str, str, str]]) -> None:
    path = workdir / "junit.xml"
    path.write_text(_junit(cases), encoding="utf-8")
    results = parse_junit([path], workdir).results
    assert [(r.name, r.classname) for r in results] == [(_xml_safe(n), _xml_safe(c)) for n, c, _ in cases]
    assert Counter(r.outcome for r in results) == Counter(OUTCOMES[o] for _, _, o in cases)


@given(CASES)
def test_chaos_junit_round_trip(cases: list[tuple[str, str, str]]) -> None:
    results = parse_junit_chaos("c.xml", _junit(cases))
    assert len(results) == len(cases)
    assert sum(r.successes for r in results) == sum(o == "passed" for _, _, o in cases)
    assert sum(r.inconclusive for r in results) == sum(o == "skipped" for _, _, o in cases)


FINITE = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


@given(
    title=NAME.filter(str.strip),
    recoveries=st.lists(FINITE, max_size=5),
    data_lost=st.integers(0, 10**12),
    failed=st.booleans(),
    status=st.sampled_from(["completed", "failed", "aborted"]),
)
def test_journal_round_trip(title: str, recoveries: list[float], data_lost: int, failed: bool, status: str) -> None:
    run = [{"activity": {"name": f"a{i}", "type": "action"}, "status": "succeeded",
            "output": {"assess": {"recovery_s": r}}} for i, r in enumerate(recoveries)]  # fmt: skip
    run.append({"activity": {"name": "last", "type": "action"}, "status": "failed" if failed else "succeeded",
                "output": {"assess": {"data_lost": data_lost}}})  # fmt: skip
    journal = {
        "experiment": {"title": title}, "status": status, "deviated": False, "run": run,
        "steady_states": {"before": {"steady_state_met": True}, "after": {"steady_state_met": True}},
    }  # fmt: skip
    result = parse_journal("j.json", json.dumps(journal))
    assert (result.title, result.recovery_times_s, result.data_loss) == (title, tuple(recoveries), data_lost)
    assert result.successes == int(status == "completed" and not failed)
    assert len(result.activities) == len(run)


@given(
    scenario=NAME.filter(bool),
    trials=st.integers(0, 10**6),
    data=st.data(),
    recoveries=st.lists(FINITE, max_size=5),
)
def test_native_round_trip(scenario: str, trials: int, data: st.DataObject, recoveries: list[float]) -> None:
    successes = data.draw(st.integers(0, trials))
    text = json.dumps({"scenario": scenario, "trials": trials, "successes": successes, "recovery_times_s": recoveries})
    result = parse_native("n.json", text)
    assert (result.title, result.trials, result.successes) == (scenario, trials, successes)
    assert result.recovery_times_s == tuple(recoveries) and result.inconclusive == (trials == 0)


GLOB = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\x7f"), max_size=15)


@given(st.lists(GLOB.filter(lambda g: g.strip("/ ")), max_size=6))
def test_config_exclude_round_trip(workdir: Path, globs: list[str]) -> None:
    toml = "[tool.assess.paths]\nexclude = [" + ", ".join(json.dumps(g, ensure_ascii=False) for g in globs) + "]\n"
    (workdir / "pyproject.toml").write_text(toml, encoding="utf-8")
    assert load_target_config(workdir).exclude == tuple(g.strip().removeprefix("./") for g in globs)


# --- (c) streamed parsers read what the whole tree said ---------------------------------------
# The JUnit, chaos JUnit and Cobertura readers once built the whole tree and walked it; they now
# stream it (assess._xml.walk_xml). Here the tree walks they replaced are the reference.

XML_SHAPED = JUNIT_SHAPED | COBERTURA_SHAPED


def _tree(text: str) -> ET.Element | str:
    """The whole tree of ``text``, or why it is refused."""
    try:
        return parse_xml(text)
    except (ParseError, XmlRefused) as err:
        return type(err).__name__


@given(XML_SHAPED, st.integers(0, 3))
def test_walking_and_keeping_everything_builds_the_whole_tree(text: str, skip: int) -> None:
    root, starts = None, []
    for event, element, ancestors in walk_xml(text, lambda element, parent: True):
        if event == "start":
            starts.append((element.tag, dict(element.attrib), len(ancestors)))
        root = element if not ancestors else root
    tree = _tree(text)
    assert isinstance(tree, ET.Element) and root is not None
    assert ET.tostring(root) == ET.tostring(tree)
    depth = {id(e): 0 for e in [tree]}
    for e in tree.iter():
        depth.update({id(c): depth[id(e)] + 1 for c in e})
    assert starts == [(e.tag, dict(e.attrib), depth[id(e)]) for e in tree.iter()]


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=3000))
def test_walking_keeps_exactly_what_it_is_told_even_when_the_parser_is_ahead(children: list[tuple[bool, bool]]) -> None:
    # 3,000 children are some 90 KB: the parser works 16 KB at a time, so it is ahead of the events
    text = "<r>" + "".join(f'<c i="{i}" k="{int(k)}">{"<g/>" if g else ""}</c>' for i, (k, g) in enumerate(children))
    root = None
    for _, element, ancestors in walk_xml(text + "</r>", lambda element, parent: element.get("k") == "1"):
        root = element if not ancestors else root
    assert root is not None
    assert [c.get("i") for c in root] == [str(i) for i, (k, _) in enumerate(children) if k]
    assert all(len(c) == 0 for c in root)  # their children were not kept


def _tree_junit(path: Path, target: Path) -> list[object] | str:
    """parse_junit as it was: the whole tree, then ``root.iter("testcase")``."""
    root = _tree(path.read_text(encoding="utf-8"))
    if isinstance(root, str) or root.tag not in junit.JUNIT_ROOTS:
        return "refused"
    file_of = functools.partial(junit._file, target=target)
    return [junit._result(case, file_of, junit._is_pytest(root)) for case in root.iter("testcase")]


@given(JUNIT_SHAPED | CASES.map(_junit))
def test_streamed_junit_reads_as_the_tree_did(workdir: Path, text: str) -> None:
    path = workdir / "junit.xml"
    path.write_text(text, encoding="utf-8")
    try:
        streamed: list[object] | str = list(parse_junit([path], workdir).results)
    except JUnitError:
        streamed = "refused"
    assert streamed == _tree_junit(path, workdir)


def _tree_chaos_junit(text: str) -> list[object] | str:
    """parse_junit_chaos as it was: the whole tree, then each suite's ``testcase`` children."""
    root = _tree(text)
    if isinstance(root, str) or root.tag not in ("testsuites", "testsuite"):
        return "refused"
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    return [
        chaos_ingest._testcase_result("c.xml", chaos_ingest._case(case), chaos_ingest._properties(suite), None)
        for suite in suites
        for case in suite.findall("testcase")
    ]


@given(JUNIT_SHAPED | CASES.map(_junit))
def test_streamed_chaos_junit_reads_as_the_tree_did(text: str) -> None:
    try:
        streamed: list[object] | str = parse_junit_chaos("c.xml", text)
    except ChaosReportError:
        streamed = "refused"
    assert streamed == _tree_chaos_junit(text)


def _tree_cobertura(path: Path, target: Path) -> tuple[object, ...] | str:
    """The files ingest_reports read from a Cobertura report as it was: the whole tree, then
    ``root.iter("class")`` and each class's ``lines/line``; or the message it refused it with."""
    root = _tree(path.read_text(encoding="utf-8"))
    if isinstance(root, str) or root.tag != "coverage" or root.find("packages") is None:
        return "refused"
    sources = [s.text.strip() for s in root.iter("source") if s.text and s.text.strip()]
    by_file: dict[str, coverage_hits.Hits] = {}
    try:
        for cls in root.iter("class"):
            if not cls.attrib.get("filename"):
                raise CoverageReportError(f"{path}: <class> without a filename")
            rel = cobertura.resolve_cobertura(cls.attrib["filename"], sources, target)
            if rel is not None:
                for line in cls.findall("lines/line"):
                    cobertura.cobertura_line(line, by_file.setdefault(rel, coverage_hits.Hits()), path)
                by_file.setdefault(rel, coverage_hits.Hits())
    except CoverageReportError as err:
        return str(err)
    branch = any(h.branches for h in by_file.values())
    return tuple(coverage_hits.file_coverage(rel, by_file[rel], branch) for rel in sorted(by_file))


COBERTURA_VALID_SHAPED = st.builds(
    lambda classes, sources, where: (
        f"<coverage>{sources if where else ''}<packages><package><classes>{classes}</classes></package></packages>"
        f"{'' if where else sources}</coverage>"
    ),
    COBERTURA_SHAPED,
    st.sampled_from(["", "<sources><source>src</source></sources>", "<sources><source> </source></sources>"]),
    st.booleans(),
)
"""Cobertura's skeleton around random elements, with its sources before or (oddly) after the classes."""


@given(COBERTURA_VALID_SHAPED | COBERTURA_SHAPED)
def test_streamed_cobertura_reads_as_the_tree_did(workdir: Path, text: str) -> None:
    path = workdir / "coverage.xml"
    path.write_text(text, encoding="utf-8")
    try:
        streamed: tuple[object, ...] | str = ingest_reports([path], workdir, lambda _: True).files
    except CoverageReportError as err:
        streamed = "refused" if "not a Cobertura report" in str(err) or "XML" in str(err) else str(err)
    assert streamed == _tree_cobertura(path, workdir)


@given(st.binary(max_size=300), st.integers(1, 7))
def test_lcov_lines_read_a_piece_at_a_time_are_the_whole_texts(content: bytes, chunk: int) -> None:
    raw = io.BufferedReader(io.BytesIO(content), buffer_size=chunk)
    fh = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
    fh._CHUNK_SIZE = chunk  # type: ignore[attr-defined]  # cut multi-byte characters and \r\n in two
    assert list(lcov.text_lines(fh)) == content.decode("utf-8", errors="replace").splitlines()
