"""Security probes of service secrets and request bodies: a signing secret that falls back to a fresh random value
when it is not configured, and a request body accumulated in memory with no size limit."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from assess.patterns.security_secrets import BodyAccumulationSite, RandomFallbackSite
from assess.probes import Hit, ProbeInput, register_probe
from assess.probes.security import words

KEY_QUALIFIERS = frozenset({"signing", "sign", "session", "cookie", "hmac", "jwt", "secret", "encryption", "cipher",
                            "fernet", "master", "app"})  # fmt: skip
"""Words before a last ``key`` that make it a key the service signs or encrypts with (``SECRET_KEY``, ``hmac_key``)."""
NOT_SIGNING_WORDS = frozenset({"nonce", "csrf", "xsrf", "salt", "id", "uid", "uuid", "state", "test", "temp", "tmp",
                               "random", "example", "dummy", "fake"})  # fmt: skip
"""Words that say the value is meant to be fresh (a nonce, a per-request CSRF token, an id) or is not real."""


def signing_secret(names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that says it holds a secret the service signs or encrypts with, or None when any of
    them says the value is meant to be fresh (a nonce, a CSRF token, an id)."""
    if any(NOT_SIGNING_WORDS.intersection(words(n)) for n in names):
        return None
    for name in names:
        ws = words(name)
        if "secret" in ws or any(a in KEY_QUALIFIERS and b == "key" for a, b in itertools.pairwise(ws)):
            return name
    return None


@register_probe("security.ephemeral-signing-secret")
def ephemeral_signing_secret(given: ProbeInput) -> Iterator[Hit]:
    """A secret (by its names) that becomes a new random value when it is not configured, in production code.

    Not: a value whose names say it is meant to be fresh (nonce, CSRF token, id), one required elsewhere in the same
    function (a test of it raises), one printed for the user to store (a command that generates a secret), and one
    taken with a warning (the operator is told).
    """
    for site in given.patterns.of(RandomFallbackSite):
        name = signing_secret(site.names)
        if name is None or site.required or site.shown or site.warned or not given.production(site.path):
            continue
        when = f"when {site.configured} is not set" if site.configured else "unless the caller passes one"
        if not site.configured:
            when += " (the default is computed once, when the module is imported)"
        yield Hit("security.ephemeral-signing-secret", site=site,
                  details={"name": name, "generator": site.generator, "when": when})  # fmt: skip


@register_probe("security.unbounded-request-body")
def unbounded_request_body(given: ProbeInput) -> Iterator[Hit]:
    """A request body accumulated chunk by chunk in production code, where no length or size is compared."""
    for site in given.patterns.of(BodyAccumulationSite):
        if site.checked or not given.production(site.path):
            continue
        yield Hit("security.unbounded-request-body", site=site, details={"target": site.target, "source": site.source})
