"""Print the rules as Markdown: ``python -m assess.rules > docs/probes.md``."""

from __future__ import annotations

import sys

from assess.rules import default_rules

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
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
