"""Rules data: every rule well formed, its message renders, and docs/probes.md is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.probes import load_probes, render_message
from assess.rules import CATEGORIES, RuleError, default_rules, parse_rules
from assess.rules.__main__ import markdown

DOC = Path(__file__).parent.parent / "docs" / "probes.md"


def test_every_rule_is_used_by_a_probe():
    used = {rule for probe in load_probes().values() for rule in probe.rules}
    assert set(default_rules()) - used == set()


@pytest.mark.parametrize("rule", sorted(default_rules().values(), key=lambda r: r.id), ids=lambda r: r.id)
def test_rule_is_well_formed(rule):
    assert rule.category in CATEGORIES
    assert rule.title and rule.message
    if rule.kind == "problem":
        assert rule.recommendation, "a problem needs a recommendation"
        assert rule.effort_hours > 0
    render_message(rule.message, {})  # never raises, whatever the placeholders


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[rule.x]\ncategory = "Nope"\nseverity = "high"\ntitle = "t"\nmessage = "m"', "unknown category"),
        ('[rule.x]\ncategory = "Security"\nseverity = "severe"\ntitle = "t"\nmessage = "m"', "rule x"),
        ('[rule.x]\ncategory = "Security"\nseverity = "high"\nmessage = "m"', "rule x"),
        ('[rule.x]\ncategory = "Security"\nseverity = "high"\ntitle = "t"\nmessage = "m"\nkind = "meh"', "kind"),
    ],
)
def test_malformed_rules_name_the_rule(text: str, message: str):
    with pytest.raises(RuleError, match=message):
        parse_rules(text)


def test_render_message_fills_and_tolerates_missing_details():
    assert render_message("{callee} has no timeout", {"callee": "requests.get"}) == "requests.get has no timeout"
    assert render_message("{callee} has no timeout", {}) == "{callee} has no timeout"
    assert render_message("odd { brace", {}) == "odd { brace"


def test_probes_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == markdown(), "run: python -m assess.rules > docs/probes.md"
