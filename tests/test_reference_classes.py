"""The reference assessments' classes of finding: each covered by rules, a reason, or a plan, and cited truly."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.rules import RuleError, default_rules
from assess.rules.__main__ import markdown
from assess.rules.reference import parse_reference, reference_classes

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "example-assessments"
CLASSES = reference_classes()

needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"{REFERENCE} is not here")


@pytest.mark.parametrize("entry", CLASSES, ids=lambda c: c.name)
def test_exactly_one_of_rules_reason_planned(entry):
    assert sum(map(bool, (entry.rules, entry.reason, entry.planned))) == 1
    assert not entry.note or entry.rules, "a note qualifies a mapping to rules"


def test_every_rule_named_exists():
    rules = default_rules()
    assert [(c.name, r) for c in CLASSES for r in c.rules if r not in rules] == []


def test_class_names_are_unique_and_sources_not_repeated():
    assert len({c.name for c in CLASSES}) == len(CLASSES)
    assert [c.name for c in CLASSES if len(set(c.sources)) != len(c.sources)] == []


@needs_reference
@pytest.mark.parametrize("entry", CLASSES, ids=lambda c: c.name)
def test_sources_exist_and_lines_are_within_the_file(entry):
    for source in entry.sources:
        file, line = source.rsplit(":", 1)
        path = REFERENCE / file
        assert path.is_file(), source
        lines = path.read_text(encoding="utf-8").splitlines()
        assert 1 <= int(line) <= len(lines), f"{source}: the file has {len(lines)} lines"
        assert lines[int(line) - 1].strip(), f"{source} is a blank line"


@needs_reference
def test_every_reference_file_is_cited():
    cited = {s.rsplit(":", 1)[0] for c in CLASSES for s in c.sources}
    assert {p.name for p in REFERENCE.glob("*.md")} - cited == set()


def test_probes_doc_ends_with_the_classes():
    doc = markdown()
    section = doc[doc.index("## Classes the reference assessments name") :]
    assert all(f"| {c.name} |" in section for c in CLASSES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[class]]\nclass = "x"\nsources = ["a.md:1"]', "exactly one"),
        ('[[class]]\nclass = "x"\nsources = ["a.md:1"]\nrules = ["r"]\nreason = "y"', "exactly one"),
        ('[[class]]\nclass = "x"\nsources = ["a.md"]\nreason = "y"', "file.md:line"),
        ('[[class]]\nclass = "x"\nsources = []\nreason = "y"', "sources"),
        ('[[class]]\nclass = "x"\nsources = ["a.md:1"]\nrules = []', "rules"),
        ('[[class]]\nclass = "x"\nsources = ["a.md:1"]\nplanned = ""', "non-empty"),
        ('[[class]]\nclass = "x"\nsources = ["a.md:1"]\nreason = "y"\nrule = ["r"]', "unknown key"),
        (
            '[[class]]\nclass = "x"\nsources = ["a.md:1"]\nreason = "y"\n[[class]]\nclass = "x"\nsources = ["a.md:2"]'
            '\nreason = "z"',
            "twice",
        ),
    ],
)
def test_malformed_entries_are_refused(text: str, message: str):
    with pytest.raises(RuleError, match=message):
        parse_reference(text)
