"""SARIF output: valid against the official 2.1.0 schema, problems only, stable fingerprints, atomic writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from assess.model import RunParameters, Status
from assess.model.findings import Finding, Severity
from assess.model.run import Assessment, RunInfo, StageResult
from assess.report import sarif
from assess.report.sarif import (
    FINGERPRINT_KEY,
    REPOSITORY_NOTE,
    repository_anchor,
    sarif_document,
    sarif_schema,
    write_sarif,
)
from assess.rules import default_rules

COMMIT = "0123456789abcdef0123456789abcdef01234567"
# A relative URI reference made only of unreserved characters, "/" and percent escapes: nothing in
# it can be read as a scheme, query or fragment. Checked without jsonschema's optional format extras.
SAFE_URI = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+")


def make_finding(**changes: object) -> Finding:
    fields: dict[str, object] = {
        "rule": "reliability.http-no-timeout",
        "category": "Dependency Resilience",
        "severity": Severity.HIGH,
        "kind": "problem",
        "title": "HTTP call without a timeout",
        "path": "app/client.py",
        "line": 10,
        "snippet": "    requests.get(url)",
        "message": "requests.get is called without a timeout",
        "recommendation": "Pass an explicit timeout.",
        "effort_hours": 0.5,
    }
    fields.update(changes)
    return Finding.model_validate(fields)


def make_assessment(target: Path, findings: list[Finding], **run_changes: object) -> Assessment:
    run: dict[str, object] = {
        "assess_version": "0.1.0",
        "run_id": "r1",
        "target": str(target),
        "target_name": target.name,
        "target_commit": COMMIT,
        "target_dirty": False,
        "started_at": "2026-01-02T03:04:05+02:00",
        "finished_at": "2026-01-02T03:05:00+02:00",
        "parameters": RunParameters(target=str(target)),
        "python": "/usr/bin/python3",
        "platform": "linux",
        "tool_versions": {"radon": "6.0.1", "coverage": "7.10.0"},
        "status": Status.OK,
    }
    run.update(run_changes)
    return Assessment(run=RunInfo.model_validate(run), evidence=(), facts=(), findings=tuple(findings))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = sarif_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"] == sarif.SARIF_SCHEMA_URI
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid(validator: jsonschema.Draft4Validator, document: dict) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    json.dumps(document, allow_nan=False)  # plain JSON, no NaN or objects


def only_result(document: dict) -> dict:
    (result,) = document["runs"][0]["results"]
    return result


def physical(result: dict) -> dict:
    (location,) = result["locations"]
    return location["physicalLocation"]


HOSTILE = "<script>alert(1)</script>.py"
CASES = [
    # id, finding changes, expected uri, expected region (None: no region)
    ("line", {}, "app/client.py", {"startLine": 10, "snippet": {"text": "    requests.get(url)"}}),
    (
        "line-range",
        {"line": 10, "end_line": 14, "snippet": "a\nb"},
        "app/client.py",
        {"startLine": 10, "endLine": 14, "snippet": {"text": "a\nb"}},
    ),
    ("end-before-start", {"line": 10, "end_line": 3, "snippet": ""}, "app/client.py", {"startLine": 10}),
    ("no-line", {"line": None, "end_line": None}, "app/client.py", None),
    ("hostile", {"path": HOSTILE}, "%3Cscript%3Ealert%281%29%3C/script%3E.py", {}),
    ("spaces", {"path": "my dir/my file.py"}, "my%20dir/my%20file.py", {}),
    ("unicode", {"path": "café/ünï.py"}, "caf%C3%A9/%C3%BCn%C3%AF.py", {}),
    ("hash-percent", {"path": "a#b/100%.py"}, "a%23b/100%25.py", {}),
    ("colon-first", {"path": "c:/x.py"}, "c%3A/x.py", {}),
    ("dot-slash", {"path": "./app/x.py"}, "app/x.py", {}),
]


@pytest.mark.parametrize(("changes", "uri", "region"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_locations(validator, tmp_path: Path, changes: dict, uri: str, region: dict | None):
    finding = make_finding(**changes)
    document = sarif_document(make_assessment(tmp_path, [finding]))
    assert_valid(validator, document)
    where = physical(only_result(document))
    assert where["artifactLocation"] == {"uri": uri, "uriBaseId": "SRCROOT"}
    assert SAFE_URI.fullmatch(uri)
    assert unquote(uri) == finding.path.removeprefix("./")
    if region is None:
        assert "region" not in where
    elif region:
        assert where["region"] == region
    else:
        assert where["region"]["startLine"] == finding.line


def test_finding_without_path_is_placed_at_the_repository_front_file(validator, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    finding = make_finding(path=None, line=None, snippet="", rule="ops.no-ci", category="Operational Readiness")
    document = sarif_document(make_assessment(tmp_path, [finding]))
    assert_valid(validator, document)
    result = only_result(document)
    (location,) = result["locations"]  # code scanning rejects the whole upload when one has none
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "pyproject.toml", "uriBaseId": "SRCROOT"}}
    assert location["message"]["text"] == REPOSITORY_NOTE
    assert result["properties"]["scope"] == "repository"


@pytest.mark.parametrize(
    ("files", "anchor"),
    [
        ((), "README.md"),
        (("setup.py", "pyproject.toml"), "pyproject.toml"),
        (("pyproject.toml", "README.rst"), "README.rst"),
        (("README.md", "README.rst"), "README.md"),
    ],
)
def test_repository_anchor(tmp_path: Path, files: tuple[str, ...], anchor: str):
    (tmp_path / "README.txt").mkdir()  # a folder named like a candidate is not a file
    for name in files:
        (tmp_path / name).write_text("", encoding="utf-8")
    assert repository_anchor(tmp_path) == anchor
    assert repository_anchor(tmp_path / "gone") == "README.md"


def test_good_practices_are_not_results(validator, tmp_path: Path):
    good = make_finding(
        rule="reliability.circuit-breaker", kind="good", severity=Severity.INFO, title="Circuit breaker"
    )
    document = sarif_document(make_assessment(tmp_path, [good]))
    assert_valid(validator, document)
    run = document["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


def test_message_text_is_plain_and_braces_are_doubled(validator, tmp_path: Path):
    finding = make_finding(
        message='<img src=x onerror=alert(1)> called with {"a": 1} at d[k]', recommendation="Use <b>timeouts</b>"
    )
    document = sarif_document(make_assessment(tmp_path, [finding]))
    assert_valid(validator, document)
    text = only_result(document)["message"]["text"]
    assert text == '<img src=x onerror=alert(1)> called with {{"a": 1}} at d[k]. Use <b>timeouts</b>'


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_level_from_severity(validator, tmp_path: Path, severity: Severity, level: str):
    document = sarif_document(make_assessment(tmp_path, [make_finding(severity=severity)]))
    assert_valid(validator, document)
    assert only_result(document)["level"] == level


def test_rules_are_the_rules_used(validator, tmp_path: Path):
    findings = [
        make_finding(),
        make_finding(line=30),
        make_finding(rule="security.shell-injection", category="Security", title="Command run through a shell", line=3),
        make_finding(rule="custom.own-rule", category="Security", severity=Severity.INFO, title="Own rule"),
        make_finding(rule="reliability.circuit-breaker", kind="good", severity=Severity.INFO),
    ]
    document = sarif_document(make_assessment(tmp_path, findings))
    assert_valid(validator, document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["custom.own-rule", "reliability.http-no-timeout", "security.shell-injection"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]

    custom, http, shell = rules
    data = default_rules()["reliability.http-no-timeout"]
    assert http["name"] == "ReliabilityHttpNoTimeout"
    assert http["shortDescription"] == {"text": data.title}
    assert http["fullDescription"] == http["help"] == {"text": data.recommendation}
    assert http["defaultConfiguration"] == {"level": "error"}
    assert http["properties"] == {
        "category": "Dependency Resilience",
        "severity": "high",
        "kind": "problem",
        "effort_hours": 0.5,
        "tags": ["Dependency Resilience"],
    }
    assert shell["properties"]["security-severity"] == "8.0"
    assert shell["properties"]["tags"] == ["Security", "security"]
    assert custom["shortDescription"] == {"text": "Own rule"}
    assert "security-severity" not in custom["properties"]  # info is no vulnerability


def test_result_properties(validator, tmp_path: Path):
    document = sarif_document(make_assessment(tmp_path, [make_finding(tested=False, language="python")]))
    assert_valid(validator, document)
    assert only_result(document)["properties"] == {
        "category": "Dependency Resilience",
        "severity": "high",
        "confidence": "confirmed",
        "effort_hours": 0.5,
        "tested": False,
        "language": "python",
    }


def test_findings_to_review_are_notes_and_findings_outside_the_service_are_left_out(tmp_path: Path) -> None:
    review = make_finding(confidence="possible", confidence_reason="the code cannot show it")
    outside = make_finding(path="scripts/deploy.py", outside="tooling: inside scripts/")
    document = sarif_document(make_assessment(tmp_path, [review, outside]))
    (result,) = document["runs"][0]["results"]
    assert result["level"] == "note" and result["properties"]["confidence"] == "possible"


def fingerprint(tmp_path: Path, finding: Finding) -> str:
    return only_result(sarif_document(make_assessment(tmp_path, [finding])))["partialFingerprints"][FINGERPRINT_KEY]


def test_fingerprints_survive_moves_and_follow_rule_and_file(tmp_path: Path):
    base = fingerprint(tmp_path, make_finding(line=10, end_line=12))
    assert fingerprint(tmp_path, make_finding(line=13, end_line=15)) == base
    assert fingerprint(tmp_path, make_finding(line=13, snippet="\trequests.get(url)  ")) == base
    assert fingerprint(tmp_path, make_finding(rule="reliability.db-no-timeout")) != base
    assert fingerprint(tmp_path, make_finding(path="app/other.py")) != base
    assert fingerprint(tmp_path, make_finding(snippet="requests.post(url)")) != base
    assert fingerprint(tmp_path / "elsewhere", make_finding()) == base  # not tied to the checkout folder


def test_identical_findings_get_distinct_fingerprints_in_line_order(tmp_path: Path):
    first, second = make_finding(line=10), make_finding(line=20)
    results = sarif_document(make_assessment(tmp_path, [second, first]))["runs"][0]["results"]
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results]
    assert len(set(prints)) == 2
    assert prints[1].endswith(":1") and prints[0].endswith(":2")
    moved = sarif_document(make_assessment(tmp_path, [make_finding(line=23), make_finding(line=13)]))
    assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in moved["runs"][0]["results"]] == prints


def test_run_information(validator, tmp_path: Path):
    target = tmp_path / "my repo #1"
    document = sarif_document(make_assessment(target, [make_finding()]))
    assert_valid(validator, document)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "assess" and driver["version"] == "0.1.0"
    assert driver["properties"] == {"toolVersions": {"coverage": "7.10.0", "radon": "6.0.1"}}
    root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert root == target.as_uri() + "/" and "%20" in root and "%231" in root
    assert run["versionControlProvenance"] == [
        {
            "repositoryUri": root,
            "revisionId": COMMIT,
            "mappedTo": {"uriBaseId": "SRCROOT"},
            "properties": {"uncommittedChanges": False},
        }
    ]
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "startTimeUtc": "2026-01-02T01:04:05.000Z",
            "endTimeUtc": "2026-01-02T01:05:00.000Z",
        }
    ]


def test_failed_run_without_commit(validator, tmp_path: Path):
    stage = StageResult(name="coverage", status=Status.ERROR, reason="tests {timed} out", started_at="s", duration_s=1)
    assessment = make_assessment(
        tmp_path,
        [],
        target_commit=None,
        status=Status.ERROR,
        finished_at=None,
        started_at="not a time",
        stages=(stage,),
    )
    document = sarif_document(assessment)
    assert_valid(validator, document)
    (run,) = document["runs"]
    assert "versionControlProvenance" not in run
    assert run["invocations"] == [
        {
            "executionSuccessful": False,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": "Stage coverage failed: tests {{timed}} out"}}
            ],
        }
    ]


def test_waived_finding_is_suppressed(validator, tmp_path: Path):
    if "waived" not in Finding.model_fields:
        pytest.skip("this Finding model has no waivers")
    document = sarif_document(make_assessment(tmp_path, [make_finding(waived="accepted risk until 2027-01-01")]))
    assert_valid(validator, document)
    assert only_result(document)["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "accepted risk until 2027-01-01"}
    ]


def test_a_whole_table_in_one_document_is_valid(validator, tmp_path: Path):
    findings = [make_finding(**changes) for _, changes, _, _ in CASES]
    findings.append(make_finding(path=None, line=None))
    findings.append(make_finding(kind="good", severity=Severity.INFO))
    document = sarif_document(make_assessment(tmp_path, findings))
    assert_valid(validator, document)
    assert len(document["runs"][0]["results"]) == len(findings) - 1


def test_write_sarif_writes_the_document_and_nothing_else(tmp_path: Path):
    assessment = make_assessment(tmp_path / "target", [make_finding(message="naïve ✓")])
    path = write_sarif(assessment, tmp_path / "out" / "findings.sarif")
    assert sorted(p.name for p in path.parent.iterdir()) == ["findings.sarif"]
    text = path.read_text(encoding="utf-8")
    assert "naïve ✓" in text and text.endswith("\n")
    assert json.loads(text) == sarif_document(assessment)


def test_write_sarif_leaves_the_old_file_when_serialisation_fails(tmp_path: Path, monkeypatch):
    path = tmp_path / "findings.sarif"
    path.write_text("old", encoding="utf-8")

    def broken(*_args, **_kwargs):
        raise TypeError("not serialisable")

    monkeypatch.setattr(sarif.json, "dumps", broken)
    with pytest.raises(TypeError):
        write_sarif(make_assessment(tmp_path, [make_finding()]), path)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.sarif"]


def test_write_sarif_leaves_no_temporary_file_when_the_write_fails(tmp_path: Path, monkeypatch):
    path = tmp_path / "findings.sarif"

    def broken(_fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("assess._files.os.fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        write_sarif(make_assessment(tmp_path, [make_finding()]), path)
    assert list(tmp_path.iterdir()) == []


def test_the_validator_is_not_vacuous(validator, tmp_path: Path):
    document = sarif_document(make_assessment(tmp_path, [make_finding()]))
    result = only_result(document)
    result["level"] = "fatal"
    physical(result)["region"]["startLine"] = 0
    del result["message"]
    messages = {e.message for e in validator.iter_errors(document)}
    assert any("'fatal' is not one of" in m for m in messages)
    assert any("0 is less than the minimum of 1" in m for m in messages)
    assert any("'message' is a required property" in m for m in messages)
