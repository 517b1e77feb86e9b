"""Print the rules as Markdown: ``python -m assess.rules > docs/probes.md``."""

from __future__ import annotations

import sys

from assess.rules import default_rules
from assess.rules.reference import ReferenceClass, reference_classes

HEADER = """# Probes and their rules

Generated from `assess/rules/*.toml` by `python -m assess.rules > docs/probes.md`; a test keeps it current.

Extractors (`assess/patterns/`) record where a pattern is seen in the target's code and config;
probes (`assess/probes/`) turn those sites into findings. Each rule below is a claim a probe can
make: a problem found, or a good practice found. Severity, wording and effort live in the rules
data, not in code. Every probe of the code is measured on the labelled corpus in `tests/corpus/`
(precision at least 0.9, recall at least 0.8, printed by `pytest tests/test_probe_corpus.py -s`).

The Chaos Engineering rules judge fault-injection results (`evidence/chaos.json`) against the
success criteria per scenario family in `assess/chaos/criteria.toml`; a failed family is placed at
the code finding that may explain it (`RELATED` in `assess/probes/chaos.py`), when there is one.
"""


def markdown() -> str:
    rules = default_rules()
    lines = [HEADER]
    for category in sorted({r.category for r in rules.values()}):
        lines += [
            f"## {category}",
            "",
            "| rule | kind | severity | effort (h) | what it says |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in sorted((r for r in rules.values() if r.category == category), key=lambda r: (r.kind, r.id)):
            effort = f"{r.effort_hours:g}" if r.kind == "problem" else ""
            lines.append(f"| `{r.id}` | {r.kind} | {r.severity.value} | {effort} | {r.title} |")
        lines.append("")
    lines += reference_section(reference_classes())
    return "\n".join(lines)


REFERENCE_HEADER = """## Classes the reference assessments name

Every class of finding or practice that the hand-written assessments in
`../shared/reference/example-assessments/` name, from `assess/rules/reference.toml` (a test checks each
cited line exists and each rule id is defined). A class is covered by rules that claim the same thing,
or says why code cannot show it, or is *planned*: code could show it, and the entry says what a rule
would need.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _where(sources: tuple[str, ...]) -> str:
    """``a.md:1, a.md:5, b.md:2`` as ``a.md 1, 5; b.md 2``, files in order of first mention."""
    lines: dict[str, list[str]] = {}
    for source in sources:
        file, line = source.rsplit(":", 1)
        lines.setdefault(file, []).append(line)
    return "; ".join(f"`{file}` {', '.join(numbers)}" for file, numbers in lines.items())


def reference_section(classes: tuple[ReferenceClass, ...]) -> list[str]:
    lines = [REFERENCE_HEADER, "| class | where named | covered by, or why not |", "| --- | --- | --- |"]
    for c in classes:
        if c.rules:
            covered = ", ".join(f"`{rule}`" for rule in c.rules) + (f" ({c.note})" if c.note else "")
        elif c.reason:
            covered = f"not shown by code: {c.reason}"
        else:
            covered = f"planned: {c.planned}"
        lines.append(f"| {_cell(c.name)} | {_where(c.sources)} | {_cell(covered)} |")
    lines.append("")
    return lines


if __name__ == "__main__":
    sys.stdout.write(markdown())
