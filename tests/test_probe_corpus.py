"""Every probe's precision (>= 0.9) and recall (>= 0.8) on the labelled corpus, printed per rule."""

from __future__ import annotations

from assess.probes import load_probes
from assess.rules import default_rules

from .probe_corpus import score, table

MIN_PRECISION = 0.9
MIN_RECALL = 0.8
MIN_POSITIVES = 3


def _rules() -> list[str]:
    """Rules of the probes of the code; chaos probes judge results, not code (tests/test_probes_chaos.py)."""
    return sorted({rule for probe in load_probes().values() if probe.reads == "patterns" for rule in probe.rules})


def test_every_registered_rule_has_rules_data():
    rules = default_rules()
    missing = [r for r in _rules() if r not in rules]
    assert not missing, f"probes register rules with no entry in assess/rules/*.toml: {missing}"


def test_precision_and_recall_per_rule(capsys):
    rules = _rules()
    result = score()
    with capsys.disabled():
        print("\n" + table(result, rules))
    weak = [
        r for r in rules
        if result.tp[r] + result.fn[r] < MIN_POSITIVES
        or (result.precision(r) or 0) < MIN_PRECISION
        or (result.recall(r) or 0) < MIN_RECALL
    ]  # fmt: skip
    assert not weak, f"below the bar or too few labelled cases: {weak}\n" + "\n".join(result.misses[:40])
