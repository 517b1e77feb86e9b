"""Precision and recall of every probe on the labelled corpus in ``tests/corpus/``.

Each folder under ``tests/corpus/`` is a small repository written for the purpose. A finding is
expected where a line carries ``expect: RULE[, RULE ...]`` in a comment (``#`` or ``//``); findings
without a line (about the whole repository), and findings in files that cannot hold comments
(JSON), are listed in the folder's ``EXPECT.toml``:

    repo = ["ops.no-ci-workflow"]
    [[finding]]
    rule = "security.hardcoded-secret"
    path = "config/app.json"
    line = 3

Every other (rule, file, line) is a negative: a finding there is a false positive.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.findings import Finding
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes

CORPUS = Path(__file__).parent / "corpus"
EXPECT = re.compile(r"(?:#|//)\s*expect:\s*([\w.\-]+(?:\s*,\s*[\w.\-]+)*)")

Key = tuple[str, str | None, int | None]


def expected(root: Path) -> set[Key]:
    keys: set[Key] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == "EXPECT.toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            keys.update((rule, None, None) for rule in data.get("repo", []))
            keys.update((f["rule"], f["path"], f["line"]) for f in data.get("finding", []))
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if m := EXPECT.search(line):
                keys.update((rule.strip(), rel, number) for rule in m.group(1).split(","))
    return keys


def findings(root: Path) -> list[Finding]:
    data, _ = scan(root)
    return list(run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)}))


@dataclass
class Score:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def precision(self, rule: str) -> float | None:
        found = self.tp[rule] + self.fp[rule]
        return self.tp[rule] / found if found else None

    def recall(self, rule: str) -> float | None:
        wanted = self.tp[rule] + self.fn[rule]
        return self.tp[rule] / wanted if wanted else None


def score(roots: list[Path] | None = None) -> Score:
    result = Score()
    for root in roots or sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        want = expected(root)
        got = {(f.rule, f.path, f.line) for f in findings(root)}
        for key in got & want:
            result.tp[key[0]] += 1
        for key in got - want:
            result.fp[key[0]] += 1
            result.misses.append(f"false positive {key[0]} at {root.name}/{key[1]}:{key[2]}")
        for key in want - got:
            result.fn[key[0]] += 1
            result.misses.append(f"missed {key[0]} at {root.name}/{key[1]}:{key[2]}")
    return result


def table(result: Score, rules: list[str]) -> str:
    rows = [f"{'rule':<48} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}"]
    for rule in rules:
        p, r = result.precision(rule), result.recall(rule)
        rows.append(f"{rule:<48} {result.tp[rule]:>4} {result.fp[rule]:>4} {result.fn[rule]:>4} "
                    f"{'-' if p is None else f'{p:.2f}':>9} {'-' if r is None else f'{r:.2f}':>7}")  # fmt: skip
    return "\n".join(rows)
