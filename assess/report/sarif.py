"""SARIF 2.1.0 output: the assessment's problems as alerts, for GitHub code scanning and SARIF viewers.

What goes in, and why:

- Only ``kind == "problem"`` findings become results. Good practices are claims that something is
  done right; a SARIF result is an alert to act on, and code scanning would open one alert per good
  practice. They stay in ``assessment.json`` and on the report page.
- A result's ``level`` comes from the finding's severity (critical and high: error, medium:
  warning, low and info: note); a rule's ``defaultConfiguration.level`` from the rules data.
- Paths are relative URI references, percent-encoded, resolved against ``SRCROOT``: the target's
  folder, given as a ``file:`` URI in ``originalUriBaseIds``. A region only when the line is known.
- A repository-level finding (``path`` None, e.g. no CI workflow) still gets a location. SARIF
  allows a result without one, but GitHub code scanning rejects the whole upload when any result
  has none ("locationFromSarifResult: expected at least one location", github/codeql-action
  issues 1738 and 2459), and an empty or folder URI fails the same way (issue 2456). So it is
  placed at the repository's front file (:func:`repository_anchor`: the README, else the build
  manifest) without a region; the location's message and ``properties.scope == "repository"`` say
  that it is about the whole repository.
- ``partialFingerprints["assessFinding/v1"]`` hashes rule, path and the whitespace-normalised
  snippet, plus an occurrence number among identical ones: an alert keeps its identity when lines
  above it move, and changes when the rule or file does. It is not ``primaryLocationLineHash``,
  which GitHub computes itself from the file.
- Message texts are plain text with ``{`` and ``}`` doubled, as SARIF 3.11.5 requires (single
  braces would be read as placeholders). They hold text from the target (names, code): a consumer
  that shows them in HTML must escape them. Control and bidirectional formatting characters in
  them, in snippets and in suppression justifications are replaced by U+FFFD
  (:func:`assess.report.text.visible`), as in every report: GitHub shows these texts, and a
  bidirectional override would make them read as other text ("Trojan Source").
- URIs stay the real paths, percent-encoded (:func:`uri_reference`), so that code scanning maps
  them to the repository's files: a bidirectional character in a path is written ``%E2%80%AE``,
  never raw, and ``:``, ``\\`` and leading ``/`` cannot make a scheme, a host or an absolute path.
  A path with a ``..`` segment would point outside ``SRCROOT`` (no real file of the repository has
  one; a run folder from elsewhere may): such a finding is placed as a repository-level one, its
  location's message naming the path (:func:`inside_repository`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from assess._files import atomic_write_text
from assess.model.base import Status
from assess.model.findings import Finding, Severity, finding_fingerprints
from assess.model.run import Assessment, RunInfo
from assess.report.text import visible
from assess.rules import Rule, default_rules

Json = dict[str, Any]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
"""The ``id`` of the shipped schema (``schemas/sarif-2.1.0.json``), written as the log's ``$schema``."""
SCHEMA_RESOURCE = "schemas/sarif-2.1.0.json"
SRCROOT = "SRCROOT"
FINGERPRINT_KEY = "assessFinding/v1"
"""Bump the version when the fingerprint's inputs change: old and new alerts then do not match."""

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
"""GitHub's ``security-severity`` score (0 to 10, bands at 9, 7 and 4) for Security rules only;
info gets none, since it is not a vulnerability."""

ANCHOR_CANDIDATES = (
    "README.md", "README.rst", "README.txt", "README",
    "pyproject.toml", "setup.py", "setup.cfg", "package.json", "go.mod", "Cargo.toml", "pom.xml",
)  # fmt: skip
"""Where a repository-level finding is shown: the first of these that is a file in the target."""
DEFAULT_ANCHOR = "README.md"
"""Used when the target has none of them (or is gone): code scanning then shows the alert without
a preview, which is better than rejecting the whole upload."""
REPOSITORY_NOTE = "Applies to the whole repository, not to this file; shown here because an alert needs a file."
OUTSIDE_NOTE = "Found at {path}, which is not a path inside the repository; shown here because an alert needs a file."


def sarif_document(
    assessment: Assessment, rules: Mapping[str, Rule] | None = None, *, anchor: str | None = None
) -> Json:
    """The SARIF log of ``assessment``: one run, whose results are the problem findings.

    ``rules`` describes the rules (default: the packaged rules data); a finding whose rule is not in
    it is described from the finding itself. ``anchor`` is the file, relative to the target, where
    repository-level findings are placed; None: :func:`repository_anchor` of the target folder.
    """
    rules = default_rules() if rules is None else rules
    problems = [f for f in assessment.findings if f.kind == "problem" and f.outside is None]  # not the service's
    used = sorted({f.rule for f in problems})
    index = {rule_id: i for i, rule_id in enumerate(used)}
    descriptors = [_descriptor(_rule_for(rule_id, rules, problems)) for rule_id in used]
    if anchor is None:
        anchor = repository_anchor(Path(assessment.run.target))
    fingerprints = finding_fingerprints(problems)
    run: Json = {
        "tool": {"driver": _driver(assessment.run, descriptors)},
        "invocations": [_invocation(assessment.run)],
        "originalUriBaseIds": {
            SRCROOT: {"uri": _folder_uri(assessment.run.target), "description": _message("The assessed repository.")}
        },
        "results": [_result(f, index[f.rule], fp, anchor) for f, fp in zip(problems, fingerprints, strict=True)],
    }
    provenance = _provenance(assessment.run)
    if provenance is not None:
        run["versionControlProvenance"] = [provenance]
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def write_sarif(
    assessment: Assessment, path: Path, rules: Mapping[str, Rule] | None = None, *, anchor: str | None = None
) -> Path:
    """Write :func:`sarif_document` to ``path`` (UTF-8 JSON) atomically; returns ``path``.

    The document is serialised before anything is written, so a failure leaves an existing file
    as it was and no temporary file behind.
    """
    text = json.dumps(sarif_document(assessment, rules, anchor=anchor), indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text)
    return path


def sarif_schema() -> Json:
    """The official SARIF 2.1.0 JSON Schema (draft-04) shipped in the package, freshly parsed."""
    text = resources.files("assess.report").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: Json = json.loads(text)
    return schema


def repository_anchor(target: Path) -> str:
    """The first of :data:`ANCHOR_CANDIDATES` that is a file in ``target``, else :data:`DEFAULT_ANCHOR`."""
    for name in ANCHOR_CANDIDATES:
        try:
            if (target / name).is_file():
                return name
        except OSError:  # unreadable folder: try the next name, then fall back
            continue
    return DEFAULT_ANCHOR


def uri_reference(path: str) -> str:
    """``path`` (relative to the target, POSIX) as a relative URI reference, percent-encoded.

    Everything but unreserved characters and ``/`` is encoded, so ``#``, ``%``, ``?``, ``:``,
    spaces and non-ASCII (as UTF-8; undecodable bytes as they were) cannot change its meaning.
    """
    relative = path.lstrip("/")
    while relative.startswith("./"):
        relative = relative[2:]
    return quote(relative, safe="/", errors="surrogateescape")


def inside_repository(path: str) -> bool:
    """Whether ``path`` (relative to the target) names a place inside it: no ``..`` segment, which
    a SARIF viewer would resolve to a file outside ``SRCROOT``."""
    return ".." not in path.replace("\\", "/").split("/")


# --- rules -----------------------------------------------------------------------------------


def _rule_for(rule_id: str, rules: Mapping[str, Rule], problems: Sequence[Finding]) -> Rule:
    if rule_id in rules:
        return rules[rule_id]
    first = next(f for f in problems if f.rule == rule_id)
    return Rule(
        id=rule_id,
        category=first.category,
        severity=first.severity,
        kind=first.kind,
        title=first.title or rule_id,
        message=first.message,
        recommendation=first.recommendation,
        effort_hours=first.effort_hours,
    )


def _descriptor(rule: Rule) -> Json:
    help_text = rule.recommendation or rule.title
    properties: Json = {
        "category": rule.category,
        "severity": rule.severity.value,
        "kind": rule.kind,
        "effort_hours": rule.effort_hours,
        "tags": [rule.category, "security"] if rule.category == "Security" else [rule.category],
    }
    if rule.category == "Security" and rule.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": _rule_name(rule.id),
        "shortDescription": _message(rule.title),
        "fullDescription": _message(help_text),
        "help": _message(help_text),
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def _rule_name(rule_id: str) -> str:
    """``reliability.http-no-timeout`` -> ``ReliabilityHttpNoTimeout`` (SARIF names are identifiers)."""
    words = "".join(c if c.isalnum() else " " for c in rule_id).split()
    return "".join(w[:1].upper() + w[1:] for w in words) or rule_id


# --- results ---------------------------------------------------------------------------------


def _result(finding: Finding, rule_index: int, fingerprint: str, anchor: str) -> Json:
    result: Json = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity] if finding.confidence == "confirmed" else "note",  # to review: a note
        "message": _message(_result_text(finding)),
        "locations": [_location(finding, anchor)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": _result_properties(finding),
    }
    waived = finding.waived
    if waived:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": visible(str(waived))}]
    return result


def _result_text(finding: Finding) -> str:
    text = finding.message.strip() or finding.title or finding.rule
    if finding.recommendation:
        stop = "" if text.endswith((".", "!", "?", ":")) else "."
        text = f"{text}{stop} {finding.recommendation.strip()}"
    return text


def _location(finding: Finding, anchor: str) -> Json:
    if not finding.path or not inside_repository(finding.path):
        note = OUTSIDE_NOTE.format(path=finding.path) if finding.path else REPOSITORY_NOTE
        return {"physicalLocation": {"artifactLocation": _artifact(anchor)}, "message": _message(note)}
    physical: Json = {"artifactLocation": _artifact(finding.path)}
    region = _region(finding)
    if region is not None:
        physical["region"] = region
    return {"physicalLocation": physical}


def _artifact(path: str) -> Json:
    return {"uri": uri_reference(path), "uriBaseId": SRCROOT}


def _region(finding: Finding) -> Json | None:
    if finding.line is None or finding.line < 1:
        return None
    region: Json = {"startLine": finding.line}
    if finding.end_line is not None and finding.end_line >= finding.line:
        region["endLine"] = finding.end_line
    if finding.snippet:
        region["snippet"] = {"text": visible(finding.snippet)}
    return region


def _result_properties(finding: Finding) -> Json:
    properties: Json = {
        "category": finding.category,
        "severity": finding.severity.value,
        "confidence": finding.confidence,
        "effort_hours": finding.effort_hours,
    }
    if finding.tested is not None:
        properties["tested"] = finding.tested
    if finding.language:
        properties["language"] = finding.language
    if not finding.path:
        properties["scope"] = "repository"
    return properties


def _message(text: str) -> Json:
    """A SARIF message (or multiformat string) in plain text; braces doubled so none is a placeholder."""
    return {"text": visible(text).replace("{", "{{").replace("}", "}}")}


# --- run information -------------------------------------------------------------------------


def _driver(run: RunInfo, descriptors: list[Json]) -> Json:
    driver: Json = {"name": "assess", "version": run.assess_version, "rules": descriptors}
    if run.tool_versions:
        driver["properties"] = {"toolVersions": dict(sorted(run.tool_versions.items()))}
    return driver


def _invocation(run: RunInfo) -> Json:
    invocation: Json = {"executionSuccessful": run.status is not Status.ERROR}
    for key, stamp in (("startTimeUtc", run.started_at), ("endTimeUtc", run.finished_at)):
        utc = _utc(stamp)
        if utc is not None:
            invocation[key] = utc
    failed = [s for s in run.stages if s.status is Status.ERROR]
    if failed:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": _message(f"Stage {s.name} failed: {s.reason or 'no reason given'}")}
            for s in failed
        ]
    return invocation


def _utc(stamp: str | None) -> str | None:
    """An ISO 8601 time with a zone as SARIF wants it (UTC, ``Z``); None when absent, naive or malformed."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _folder_uri(folder: str) -> str:
    """``file:`` URI of ``folder`` ending in ``/``, as SARIF requires of a base URI."""
    uri = Path(folder).absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _provenance(run: RunInfo) -> Json | None:
    if not run.target_commit:
        return None
    details: Json = {
        "repositoryUri": _folder_uri(run.target),
        "revisionId": run.target_commit,
        "mappedTo": {"uriBaseId": SRCROOT},
    }
    if run.target_dirty is not None:
        details["properties"] = {"uncommittedChanges": run.target_dirty}
    return details
