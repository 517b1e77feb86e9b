"""How sure a bandit issue about data is, from where the data comes from (:mod:`assess.patterns.security_flow`).

SQL built from strings, a shell command, ``eval``, ``pickle.loads`` and ``Markup`` are hazards only for data a
user can write. Data from the request is confirmed; data the code here cannot trace is to review; data from the
database's own schema, the operator's files, the command line or constants is no finding at all (the person who can
choose it can already run what it would run). Weak hashes are judged by what they are for.

No probe is registered here: :func:`assess.probes.security.bandit_findings` asks :func:`judge`.
"""

from __future__ import annotations

from dataclasses import dataclass

from assess.model.findings import Confidence
from assess.patterns.security_bandit import BanditSite

SQL, SHELL, EVAL, DESERIALIZE, YAML, HASH = (
    "security.sql-injection", "security.shell-injection", "security.eval", "security.unsafe-deserialization",
    "security.unsafe-yaml", "security.weak-hash",
)  # fmt: skip
MARKUP_TEST = "B704"
HASH_PURPOSE_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "token", "signature", "sign", "signed", "hmac", "mac",
    "auth", "authenticate", "credential", "credentials", "otp", "salt", "session", "apikey", "verify", "verifier",
})  # fmt: skip
"""Words that say a hash guards something: MD5 of a password or for a signature is broken; of a cache key, an
ETag or a colour it is a checksum."""


@dataclass(frozen=True)
class Judgement:
    """Whether a data issue is a finding, how sure, and the words for it."""

    confidence: Confidence | None
    """None: the rule's usual confidence."""
    reason: str | None = None
    detail: str = ""
    """The message's ``{detail}``: what the code shows about the data."""


NOT_A_FINDING = None
CONFIRMED_FROM = {
    SQL: {"request"}, SHELL: {"request"}, EVAL: {"request"}, DESERIALIZE: {"request", "network"},
    MARKUP_TEST: {"request"},
}  # fmt: skip
"""Origins that make the issue certain."""
REVIEW_FROM: dict[str, dict[str, Confidence]] = {
    SQL: {"quoted-request": "likely", "network": "likely", "unknown": "possible"},
    SHELL: {"quoted-request": "likely", "network": "likely", "unknown": "likely"},
    EVAL: {"quoted-request": "likely", "network": "likely", "unknown": "likely"},
    DESERIALIZE: {"quoted-request": "likely", "unknown": "likely", "quoted": "likely", "file": "possible"},
    MARKUP_TEST: {},
}
"""Origins the code cannot decide on, and how likely the issue is then; any other origin is no finding."""
REASONS = {
    "quoted-request": "{what} comes from the request and goes through a quoting function; whether that quoting is "
                      "complete is not in this code",
    "network": "{what} is read from another process (a socket, Redis, a queue): safe only if nothing untrusted can "
               "write there",
    "unknown": "where {what} comes from is not in this function; it matters only if a user can choose it",
    "quoted": "where {what} comes from is not in this function",
    "file": "{what} is read from a file: safe only if no one but this service writes it",
}  # fmt: skip
DETAILS = {
    "request": "{what} comes from the request",
    "quoted-request": "{what} comes from the request, through a quoting function",
    "network": "{what} is read from another process",
}


def judge(site: BanditSite, rule: str) -> Judgement | None:
    """The judgement of a data issue for ``rule`` (a specific rule, or the catch-all for ``Markup``); None when it
    is no finding. Issues recorded before origins were (``origin`` None) keep the rule's usual confidence."""
    if rule == HASH:
        return Judgement(None) if guards_something(site) else NOT_A_FINDING
    key = MARKUP_TEST if site.test_id == MARKUP_TEST else rule
    if site.origin is None or key not in CONFIRMED_FROM:
        return Judgement(None)
    what = site.origin_of or "the data"
    detail = DETAILS.get(site.origin, "").format(what=what)
    if site.origin in CONFIRMED_FROM[key]:
        return Judgement("confirmed", None, detail)
    confidence = REVIEW_FROM[key].get(site.origin)
    if confidence is None:
        return NOT_A_FINDING
    if key == SQL and site.origin == "unknown" and site.place == "value":
        return Judgement("likely", f"a value is written into the SQL text instead of a bound parameter; "
                                   f"{REASONS['unknown'].format(what=what)}", detail)  # fmt: skip
    return Judgement(confidence, REASONS[site.origin].format(what=what), detail)


def guards_something(site: BanditSite) -> bool:
    """Whether a weak hash's names say it guards something (a password, a signature, a token)."""
    from assess.probes.security import words  # the probe module imports this one

    return any(HASH_PURPOSE_WORDS.intersection(words(name)) for name in site.flows_into)
