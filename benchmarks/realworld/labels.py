"""The labels of a real project (``labels/<name>.toml``), and the findings still to be labelled.

A label file holds what a reviewer wrote by reading the project's code, before any rule was tuned on it:

- ``[verdict]``: ``decision`` (GO, NEEDS_WORK or NO-GO) and ``why``;
- ``[[fact]]``: what a senior reviewer would write about the project (a strength or a gap), at ``path``:``line``
  (no path: about the whole repository), with ``rules``: the rule ids of assess that would report it (an id
  starting ``new:`` names a rule assess does not have yet);
- ``[[finding]]``: a finding assess made (``rule``, ``path``, ``line``, its ``message`` and ``severity`` as
  made), with ``label`` TRUE, FALSE or DEBATABLE and a one-line ``why``.

``python benchmarks/realworld/labels.py sample NAME RUN_DIR [PART]`` appends to the label file (``<name>.toml``, or
``<name>.<PART>.toml``) the problem findings of the run in RUN_DIR that no label matches yet: every high and
critical one, and as many others, drawn at random with a fixed seed, as make 30 labelled others; each with an empty
label, for a reviewer to fill in by reading the code at the finding's line.
"""

from __future__ import annotations

import json
import random
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels"
LINE_SLACK = 3
"""A label matches a finding of its rule in its file within this many lines (rules move a finding's line)."""
OTHERS = 30
SEVERE = ("critical", "high")


@dataclass(frozen=True)
class Label:
    rule: str
    path: str | None
    line: int | None
    label: str
    why: str

    def matches(self, finding: dict[str, Any]) -> bool:
        if finding["rule"] != self.rule or finding.get("path") != self.path:
            return False
        if self.line is None or finding.get("line") is None:
            return self.line == finding.get("line")
        return abs(int(finding["line"]) - self.line) <= LINE_SLACK


def load(name: str) -> dict[str, Any]:
    """The labels of project ``name``: ``labels/<name>.toml`` (verdict, facts, findings), with the findings of any
    ``labels/<name>.<part>.toml`` added (labels of findings that rules added later made, each written by reading
    the code before that rule was tuned on the project)."""
    path = LABELS / f"{name}.toml"
    document = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for extra in sorted(LABELS.glob(f"{name}.*.toml")):
        document.setdefault("finding", []).extend(tomllib.loads(extra.read_text(encoding="utf-8")).get("finding", []))
    return document


def finding_labels(document: dict[str, Any]) -> list[Label]:
    return [Label(f["rule"], f.get("path"), f.get("line"), f.get("label", ""), f.get("why", ""))
            for f in document.get("finding", [])]  # fmt: skip


def label_of(finding: dict[str, Any], labels: list[Label]) -> Label | None:
    return next((label for label in labels if label.matches(finding)), None)


def problems(run_dir: Path) -> list[dict[str, Any]]:
    """The problem findings of a run, as assessment.json has them."""
    document = json.loads((run_dir / "assessment.json").read_text(encoding="utf-8"))
    return [f for f in document["findings"] if f["kind"] == "problem"]


def to_label(name: str, run_dir: Path) -> list[dict[str, Any]]:
    """The findings of ``run_dir`` a label is still needed for: every unlabelled high or critical one, and a
    seeded random draw of unlabelled others up to :data:`OTHERS` labelled others."""
    labels = finding_labels(load(name))
    found = problems(run_dir)
    unlabelled = [f for f in found if label_of(f, labels) is None]
    severe = [f for f in unlabelled if f["severity"] in SEVERE]
    labelled_others = sum(1 for f in found if f["severity"] not in SEVERE and label_of(f, labels) is not None)
    others = [f for f in unlabelled if f["severity"] not in SEVERE]
    drawn = random.Random(name).sample(others, min(len(others), max(0, OTHERS - labelled_others)))
    return sorted(severe + drawn, key=lambda f: (f["rule"], f.get("path") or "", f.get("line") or 0))


def _toml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def skeleton(findings: list[dict[str, Any]]) -> str:
    """``[[finding]]`` tables for ``findings``, label and why left empty."""
    out = []
    for f in findings:
        snippet = " | ".join(line.strip() for line in (f.get("snippet") or "").splitlines() if line.strip())[:300]
        out.append("\n".join([
            "[[finding]]",
            f"rule = {_toml_text(f['rule'])}",
            f"path = {_toml_text(f['path'])}" if f.get("path") else "# no path: about the whole repository",
            f"line = {f['line']}" if f.get("line") else "# no line",
            f"severity = {_toml_text(f['severity'])}",
            f"message = {_toml_text(f['message'][:400])}",
            f"snippet = {_toml_text(snippet)}",
            'label = ""  # TRUE, FALSE or DEBATABLE',
            'why = ""',
        ]))  # fmt: skip
    return "\n\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4) or argv[0] != "sample":
        print(__doc__, file=sys.stderr)
        return 2
    name, run_dir = argv[1], Path(argv[2])
    findings = to_label(name, run_dir)
    path = LABELS / (f"{name}.{argv[3]}.toml" if len(argv) == 4 else f"{name}.toml")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(("\n" if path.exists() and path.stat().st_size else "") + skeleton(findings))
    print(f"{path}: {len(findings)} finding(s) to label")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
