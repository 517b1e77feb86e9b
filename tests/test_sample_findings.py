"""On the bundled sample, every deliberate gap and good practice is found at the right line.

``data/sample-service.answers.toml`` lists each deliberate practice with an anchor (a substring on
exactly one line). ``tests/sample_expectations/*.toml`` map practice ids to the rule that must
find them:

    [[expect]]
    practice = "retry-without-jitter"
    rule = "reliability.retry-without-jitter"
    tested = false        # optional: the finding must say whether the tests execute it
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.findings import Finding
from assess.model.patterns import PatternsEvidence
from assess.paths import sample_target
from assess.probes import run_probes

ANSWERS = sample_target().parent / "sample-service.answers.toml"
EXPECTATIONS = Path(__file__).parent / "sample_expectations"


def _practices() -> dict[str, dict[str, str]]:
    return {p["id"]: p for p in tomllib.loads(ANSWERS.read_text(encoding="utf-8"))["practice"]}


def _expectations() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in sorted(EXPECTATIONS.glob("*.toml")):
        out.extend(tomllib.loads(path.read_text(encoding="utf-8")).get("expect", []))
    return out


@cache
def _findings() -> tuple[Finding, ...]:
    data, _ = scan(sample_target())
    return run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})


def _anchor_line(practice: dict[str, str]) -> int:
    lines = (sample_target() / practice["file"]).read_text(encoding="utf-8").splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if practice["anchor"] in line]
    assert len(hits) == 1, f"anchor of {practice['id']} is not on exactly one line"
    return hits[0]


def test_expectations_name_known_practices():
    practices = _practices()
    unknown = [e["practice"] for e in _expectations() if e["practice"] not in practices]
    assert not unknown


@pytest.mark.parametrize("expect", _expectations(), ids=lambda e: f"{e['practice']}->{e['rule']}")
def test_practice_is_found_at_its_line(expect: dict[str, object]):
    practice = _practices()[str(expect["practice"])]
    line = _anchor_line(practice)
    matches = [f for f in _findings() if f.rule == expect["rule"] and f.path == practice["file"]]
    assert any(f.line == line for f in matches), (
        f"{expect['rule']} not found at {practice['file']}:{line}; found at {[f.line for f in matches]}"
    )


@pytest.mark.slow
def test_untested_retry_path_is_reported_as_never_executed(tmp_path: Path):
    """The answer key's 'notifier-retry-path-untested': the retry findings say the tests never run them."""
    from assess.collectors import CollectContext
    from assess.collectors.coverage import collect_coverage
    from assess.model import RunParameters

    ctx = CollectContext(RunParameters(target=str(sample_target()), timeout_s=300), tmp_path)
    coverage = collect_coverage(ctx)
    assert coverage.status is Status.OK, coverage.reason
    data, _ = scan(sample_target())
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data), "coverage": coverage})
    retries = [f for f in found if f.path == "taskstore/notify.py" and f.rule.startswith("reliability.retry")]
    assert retries and all(f.tested is False for f in retries)
    assert all("The tests never execute taskstore/notify.py:" in f.message for f in retries if f.kind == "problem")
    # ... while code the tests do run says so: the store's transaction is executed.
    assert any(f.rule == "durability.transaction" and f.tested is True for f in found)
