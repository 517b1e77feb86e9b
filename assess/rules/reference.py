"""The classes of finding the reference assessments name, and what covers each: ``reference.toml``.

Each class cites where the hand-written assessments (``../shared/reference/example-assessments/``)
name it, and says which rules claim the same thing, or why code cannot show it, or what a rule
that could would need (``planned``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from assess.rules import RuleError

SOURCE = re.compile(r"^(?P<file>[\w.-]+\.md):(?P<line>[1-9]\d*)$")
KEYS = {"class", "sources", "rules", "reason", "planned", "note"}


@dataclass(frozen=True)
class ReferenceClass:
    name: str
    sources: tuple[str, ...]
    """Where a reference assessment names it: ``file.md:line``."""
    rules: tuple[str, ...] = ()
    reason: str = ""
    """Why code cannot show it."""
    planned: str = ""
    """What a rule that could show it would need."""
    note: str = ""


def _strings(name: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise RuleError(f"reference class {name!r}: {key} must be a non-empty list of strings")
    return tuple(value)


def _entry(raw: dict[str, object]) -> ReferenceClass:
    name = raw.get("class")
    if not isinstance(name, str) or not name:
        raise RuleError(f"reference class without a name: {raw}")
    if unknown := set(raw) - KEYS:
        raise RuleError(f"reference class {name!r}: unknown key(s) {', '.join(sorted(unknown))}")
    given = [key for key in ("rules", "reason", "planned") if key in raw]
    if len(given) != 1:
        raise RuleError(f"reference class {name!r}: needs exactly one of rules, reason, planned (has {given})")
    sources = _strings(name, "sources", raw.get("sources"))
    if bad := [s for s in sources if not SOURCE.match(s)]:
        raise RuleError(f"reference class {name!r}: sources must be file.md:line, not {bad}")
    texts = {key: raw.get(key, "") for key in ("reason", "planned", "note")}
    if not all(isinstance(v, str) for v in texts.values()) or (given[0] != "rules" and not raw[given[0]]):
        raise RuleError(f"reference class {name!r}: reason, planned and note must be non-empty strings")
    rules = _strings(name, "rules", raw["rules"]) if "rules" in raw else ()
    return ReferenceClass(name=name, sources=sources, rules=rules, reason=str(texts["reason"]),
                          planned=str(texts["planned"]), note=str(texts["note"]))  # fmt: skip


def parse_reference(text: str) -> list[ReferenceClass]:
    entries = tomllib.loads(text).get("class", [])
    if not isinstance(entries, list):
        raise RuleError("reference: [[class]] must be an array of tables")
    classes = [_entry(raw) for raw in entries]
    names = [c.name for c in classes]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        raise RuleError(f"reference class defined twice: {', '.join(dupes)}")
    return classes


@cache
def reference_classes() -> tuple[ReferenceClass, ...]:
    """The classes shipped in the package (``assess/rules/reference.toml``)."""
    text = resources.files("assess.rules").joinpath("reference.toml").read_text(encoding="utf-8")
    return tuple(parse_reference(text))
