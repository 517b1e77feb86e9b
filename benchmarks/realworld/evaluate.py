"""How far assess's judgement holds on real projects: precision per rule, recall of reviewer facts, verdicts.

Usage:
    python benchmarks/realworld/evaluate.py run [NAME ...] [--mirror DIR] [--runs DIR]
    python benchmarks/realworld/evaluate.py report [NAME ...] [--runs DIR] [--markdown]

``run`` fetches each project of ``corpus.toml`` (``fetch.py``) and runs ``assess run PROJECT --no-tests
--no-chaos`` on it into ``RUNS/<name>/`` (default ``~/.cache/assess-corpus-runs``). ``report`` reads the newest
run of each project and its labels (``labels/<name>.toml``, see ``labels.py``) and prints, for the tuned
projects and the held-out ones apart:

- precision of the problem findings the report asserts (``confirmed``, in the service's own code): TRUE / (TRUE +
  FALSE) over the labelled ones, for all of them and for the high and critical ones; DEBATABLE counts on neither
  side. Findings the report lists as "to review", and those it places outside the service (developer tooling,
  examples, the test suite), are counted apart: they count toward no grade.
- recall of reviewer facts: a fact is found when the report holds a finding of one of the fact's rules in the
  fact's file, within :data:`FACT_WINDOW` lines of its line (a file-level fact: anywhere in the file; a
  repository-level fact: anywhere; a repository-level finding, such as "no metrics", states its fact wherever
  the reviewer placed it), in the service's code (confirmed or to review, not outside); ``new:<name>`` rules
  are read through ``rule_names.toml``;
- whether the verdict is the reviewer's;
- per rule, across projects: TRUE, FALSE, DEBATABLE, unlabelled, precision.

Unlabelled findings are listed (``python labels.py sample`` adds them to a label file for a reviewer); a
precision over few labels is printed with its counts, never alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fetch import DEFAULT_INTO, corpus, fetch
from labels import SEVERE, finding_labels, label_of, load

DEFAULT_RUNS = Path.home() / ".cache" / "assess-corpus-runs"
FACT_WINDOW = 15
"""A fact at a line is found by a finding of its rule within this many lines of it (the same function, mostly)."""
RULE_NAMES = Path(__file__).resolve().parent / "rule_names.toml"
"""Which rules a fact's ``new:<name>`` (a rule not yet written when the fact was labelled) now stands for."""
NOT_RUN = {"Test Coverage"}
"""Categories ``run`` leaves unmeasured on purpose (``--no-tests``): the verdict on static evidence ignores a
verdict rule that fires only because they were not measured."""
ORDER = {"GO": 0, "NEEDS_WORK": 1, "NO-GO": 2}


def rule_names() -> dict[str, list[str]]:
    with RULE_NAMES.open("rb") as fh:
        return {str(k): [str(r) for r in v] for k, v in tomllib.load(fh)["names"].items()}


def run(names: list[str], runs: Path, into: Path, mirror: Path | None) -> None:
    projects = corpus()
    for name in names:
        folder = fetch(name, projects[name], into, mirror)
        out = runs / name
        cmd = [sys.executable, "-m", "assess.cli", "run", str(folder), "--no-tests", "--no-chaos", "--quiet",
               "--out", str(out)]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        print(f"{name}: exit {done.returncode}, {done.stdout.strip().splitlines()[-1] if done.stdout else '?'}")


def newest(runs: Path, name: str) -> Path | None:
    found = sorted((runs / name).glob("*/assessment.json"), key=lambda p: p.stat().st_mtime)
    return found[-1].parent if found else None


@dataclass
class Tally:
    true: int = 0
    false: int = 0
    debatable: int = 0
    unlabelled: int = 0
    falses: list[str] = field(default_factory=list)

    def add(self, label: str | None, where: str) -> None:
        if label == "TRUE":
            self.true += 1
        elif label == "FALSE":
            self.false += 1
            self.falses.append(where)
        elif label == "DEBATABLE":
            self.debatable += 1
        else:
            self.unlabelled += 1

    def precision(self) -> float | None:
        judged = self.true + self.false
        return self.true / judged if judged else None

    def merge(self, other: Tally) -> None:
        self.true += other.true
        self.false += other.false
        self.debatable += other.debatable
        self.unlabelled += other.unlabelled
        self.falses += other.falses

    def text(self) -> str:
        p = self.precision()
        shown = "  -  " if p is None else f"{p:.2f}"
        return f"{shown} (T {self.true}, F {self.false}, D {self.debatable}, unlabelled {self.unlabelled})"


@dataclass
class ProjectResult:
    name: str
    held_out: bool
    verdict: str | None
    reviewer_verdict: str
    static_verdict: str | None = None
    """The verdict without the rules that fired only because ``run`` measured no coverage (``NOT_RUN``)."""
    confirmed: Tally = field(default_factory=Tally)
    severe: Tally = field(default_factory=Tally)
    review: Tally = field(default_factory=Tally)
    outside: Tally = field(default_factory=Tally)
    rules: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    facts_found: list[str] = field(default_factory=list)
    facts_missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        total = len(self.facts_found) + len(self.facts_missed)
        return len(self.facts_found) / total if total else None


def confidence(finding: dict[str, Any]) -> str:
    """The finding's confidence (``confirmed`` for reports made before findings had one)."""
    return str(finding.get("confidence") or "confirmed")


def fact_rules(fact: dict[str, Any], names: dict[str, list[str]]) -> set[str]:
    """The rules that would state ``fact``: its own, with each ``new:`` name read as the rules it stands for."""
    return {r for name in fact.get("rules", []) for r in names.get(name, [name])}


def fact_found(fact: dict[str, Any], findings: list[dict[str, Any]], names: dict[str, list[str]]) -> bool:
    """Whether a finding the report shows in the service (confirmed or to review; not outside it) states ``fact``."""
    rules = fact_rules(fact, names)
    for f in findings:
        if f["rule"] not in rules or f.get("outside"):
            continue
        if fact.get("path") is None or f.get("path") is None:
            return True  # a repository-level fact, or a finding about the whole repository ("no metrics")
        if f.get("path") != fact["path"]:
            continue
        if fact.get("line") is None or f.get("line") is None or abs(f["line"] - fact["line"]) <= FACT_WINDOW:
            return True
    return False


def evaluate(name: str, held_out: bool, run_dir: Path) -> ProjectResult:
    document = json.loads((run_dir / "assessment.json").read_text(encoding="utf-8"))
    labels_doc = load(name)
    labels = finding_labels(labels_doc)
    verdict = (document.get("verdict") or {}).get("decision")
    result = ProjectResult(name, held_out, verdict, labels_doc.get("verdict", {}).get("decision", "?"),
                           static_verdict(document.get("verdict") or {}))  # fmt: skip
    findings = document["findings"]
    for f in (f for f in findings if f["kind"] == "problem" and not f.get("waived")):
        label = label_of(f, labels)
        where = f"{f['rule']} {f.get('path')}:{f.get('line')}"
        value = label.label if label else None
        if f.get("outside"):
            result.outside.add(value, where)
        elif confidence(f) == "confirmed":
            result.confirmed.add(value, where)
            result.rules[f["rule"]].add(value, where)
            if f["severity"] in SEVERE:
                result.severe.add(value, where)
        else:
            result.review.add(value, where)
    names = rule_names()
    for fact in labels_doc.get("fact", []):
        target = result.facts_found if fact_found(fact, findings, names) else result.facts_missed
        target.append(f"{fact['id']} [{fact['kind']}] {fact['statement'][:90]}")
    return result


def static_verdict(verdict: dict[str, Any]) -> str | None:
    """The decision of the verdict rules that fired, leaving out a rule that fired only for a category in
    ``NOT_RUN`` (its message names no other category)."""
    rules = verdict.get("rules")
    if not rules:
        return None
    decisions = [r["decision"] for r in rules if r.get("fired") and not _only_not_run(r)]
    return max(decisions, key=ORDER.__getitem__, default="GO")


def _only_not_run(rule: dict[str, Any]) -> bool:
    if rule.get("rule") != "critical-category-not-measured":
        return False
    named = [c.split(" was not measured")[0].strip() for c in str(rule.get("message", "")).split(";")]
    return all(c in NOT_RUN for c in named)


def _line(label: str, tally: Tally) -> str:
    return f"  {label:<34} {tally.text()}"


def print_group(title: str, results: list[ProjectResult]) -> None:
    if not results:
        return
    print(f"\n== {title}")
    total, severe, review, outside = Tally(), Tally(), Tally(), Tally()
    found = facts = agree = agree_static = 0
    for r in results:
        total.merge(r.confirmed)
        severe.merge(r.severe)
        review.merge(r.review)
        outside.merge(r.outside)
        found += len(r.facts_found)
        facts += len(r.facts_found) + len(r.facts_missed)
        agree += r.verdict == r.reviewer_verdict
        agree_static += r.static_verdict == r.reviewer_verdict
        recall = "-" if r.recall is None else f"{r.recall:.2f}"
        print(f"{r.name}: verdict {r.verdict}, on static evidence {r.static_verdict} (reviewer {r.reviewer_verdict});"
              f" facts found {len(r.facts_found)}/{len(r.facts_found) + len(r.facts_missed)} ({recall})")  # fmt: skip
        print(_line("problem findings (confirmed)", r.confirmed))
        print(_line("  of them high and critical", r.severe))
        print(_line("to review (not counted)", r.review))
        print(_line("outside the service (not counted)", r.outside))
    print("-- together")
    print(_line("problem findings (confirmed)", total))
    print(_line("  of them high and critical", severe))
    print(_line("to review (not counted)", review))
    print(_line("outside the service (not counted)", outside))
    print(f"  reviewer facts found               {found}/{facts} ({found / facts:.2f})" if facts else "")
    print(f"  verdicts agreeing                  {agree}/{len(results)}")
    print(f"  verdicts on static evidence agreeing {agree_static}/{len(results)} (coverage not run)")


def print_rules(results: list[ProjectResult]) -> None:
    rules: dict[str, Tally] = defaultdict(Tally)
    for r in results:
        for rule, tally in r.rules.items():
            rules[rule].merge(tally)
    print("\n== per rule (confirmed problem findings, all projects)")
    for rule, tally in sorted(rules.items(), key=lambda kv: (-(kv[1].false), kv[0])):
        print(f"  {rule:<48} {tally.text()}")


def report(names: list[str], runs: Path, verbose: bool) -> int:
    projects = corpus()
    results = []
    for name in names:
        run_dir = newest(runs, name)
        if run_dir is None:
            print(f"{name}: no run in {runs / name} (run 'evaluate.py run {name}' first)")
            continue
        results.append(evaluate(name, bool(projects[name].get("held_out")), run_dir))
    print_group("tuned projects", [r for r in results if not r.held_out])
    print_group("held-out projects (labelled, never tuned on)", [r for r in results if r.held_out])
    print_rules(results)
    if verbose:
        for r in results:
            print(f"\n== {r.name}: false findings, missed facts")
            for where in r.confirmed.falses:
                print(f"  FALSE  {where}")
            for fact in r.facts_missed:
                print(f"  missed {fact}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("run", "report"))
    parser.add_argument("names", nargs="*")
    parser.add_argument("--runs", type=Path, default=DEFAULT_RUNS)
    parser.add_argument("--into", type=Path, default=DEFAULT_INTO)
    parser.add_argument("--mirror", type=Path)
    parser.add_argument("--verbose", action="store_true", help="list the false findings and the missed facts")
    args = parser.parse_args(argv)
    names = args.names or list(corpus())
    if args.command == "run":
        run(names, args.runs, args.into, args.mirror)
        return 0
    return report(names, args.runs, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
