"""Findings: named claims about the target, each at a file and line, made by probes from evidence."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from assess.model.base import Model


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


Confidence = Literal["confirmed", "likely", "possible"]
"""How sure a finding is. ``confirmed``: the code shows it. ``likely``: the code shows it unless something the
code cannot show says otherwise (a setting elsewhere, how it is deployed). ``possible``: a shape worth a look
that the code does not prove. Only confirmed findings move grades, the verdict and the plan; the others are
listed as "to review"."""


class Finding(Model):
    """One claim: a problem found, or a good practice found, with its evidence."""

    rule: str
    """Rule id, e.g. ``reliability.retry-without-jitter``; its texts live in the rules data."""
    category: str
    """Grade-card category, e.g. ``Reliability Patterns``."""
    severity: Severity
    kind: Literal["problem", "good"]
    title: str = ""
    """The rule's short title, e.g. ``Retries without jitter``."""
    path: str | None = None
    """File relative to the target; None for a claim about the whole repository (e.g. no CI workflow)."""
    line: int | None = None
    end_line: int | None = None
    snippet: str = ""
    """A few lines of the target's code or config at the location (untrusted: escape when shown)."""
    message: str
    """What was seen, written from the evidence."""
    recommendation: str = ""
    effort_hours: float = 0.0
    """Estimated hours to fix (problems) or 0 (good practices)."""
    tested: bool | None = None
    """Whether the test run executed the finding's lines; None when coverage does not say."""
    language: str | None = None
    waived: str | None = None
    """The waiver covering this finding (its justification and expiry); a waived finding counts
    against no grade and no verdict rule, and is still shown."""
    confidence: Confidence = "confirmed"
    """How sure the finding is (see :data:`Confidence`); only ``confirmed`` findings count."""
    confidence_reason: str | None = None
    """Why the finding is not confirmed (what the code cannot show), or why a probe's usual confidence changed."""
    outside: str | None = None
    """Why the finding's code is not the service's (a developer script, an example, a benchmark, a test harness):
    such a finding counts toward no grade and no verdict, and is shown apart. None: production code (or a finding
    about the code it is meant for: test-suite findings are about tests)."""

    @property
    def counts(self) -> bool:
        """Whether this is a problem that grades, the verdict and the plan weigh: confirmed, in the service's own
        code, not waived."""
        return self.kind == "problem" and not self.waived and self.confidence == "confirmed" and self.outside is None

    @property
    def to_review(self) -> bool:
        """A problem the code does not prove (likely or possible), in the service's own code: listed for a
        person to look at, never counted."""
        return self.kind == "problem" and not self.waived and self.confidence != "confirmed" and self.outside is None


def finding_fingerprints(findings: Sequence[Finding]) -> list[str]:
    """One stable fingerprint per finding: a hash of rule, path and snippet (not the line, so editing code
    above a finding does not make it new), then ``:n`` among identical ones in line order. SARIF's
    partial fingerprints and ``--baseline`` both use it."""
    identities = [_identity(f) for f in findings]
    order = sorted(
        range(len(findings)), key=lambda i: (identities[i], findings[i].line or 0, findings[i].end_line or 0)
    )
    seen: Counter[str] = Counter()
    out = [""] * len(findings)
    for i in order:
        seen[identities[i]] += 1
        out[i] = f"{identities[i]}:{seen[identities[i]]}"
    return out


def _identity(finding: Finding) -> str:
    # The line number is left out on purpose: editing code above a finding must not make it new.
    snippet = " ".join(finding.snippet.split())
    material = "\0".join((finding.rule, finding.path or "", snippet))
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()[:32]
