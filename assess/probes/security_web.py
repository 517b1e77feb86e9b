"""Security probes of web services: login cookies without HttpOnly or Secure, tokens that never expire, CORS open to
every origin, ``trust proxy`` on by default, a login limiter shared by every client, login routes with no limit,
secrets written to logs, requests to addresses a client chose, deserialisers handed data from other processes;
and the good practices of CSRF protection and read-only database connections.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from assess.patterns.security_js_auth import LIMIT_WORDS, LOGIN_EVENT, LimiterSite, LimiterUseSite, RouteSite
from assess.patterns.security_js_web import ConfigDefaultSite, TrustProxySite
from assess.patterns.security_web import (
    CookieSite,
    CorsSite,
    CsrfSite,
    DeserializerSite,
    OutboundUrlSite,
    ReadOnlyDbSite,
    SecretLogSite,
    TokenSignSite,
    dev_only,
)
from assess.probes import Hit, ProbeInput, register_probe
from assess.probes.security import words

AUTH_COOKIE_WORDS = frozenset({"session", "sess", "sid", "auth", "token", "jwt", "login", "remember", "identity",
                               "credential", "credentials", "connect"})  # fmt: skip
"""Words in a cookie's name that say it carries the login."""
TOKEN_NAME_WORDS = frozenset({"token", "jwt", "session", "auth", "access", "refresh", "login", "bearer"})
LOGIN_ROUTE = re.compile(r"(^|[/_\-])(log-?in|sign-?in|logon|authenticate|token|sessions?|password)([/_\-.]|$)",
                         re.IGNORECASE)  # fmt: skip
PUBLIC_API = ("Allowing every origin is right for a public API that authenticates with headers; whether this one "
              "serves anything private to its callers' network or cookies is not in the code.")
LOGIN_LIMITER_WORDS = frozenset({"login", "signin", "auth", "password", "fa", "mfa", "otp", "totp", "credential"})


def _production(given: ProbeInput, path: str) -> bool:
    return given.production(path)


@register_probe("security.cookie-flags")
def cookie_flags(given: ProbeInput) -> Iterator[Hit]:
    """A cookie that carries the login (by its name, or set where a credential is checked) set without HttpOnly
    or without Secure. A flag given as an expression (``secure: isProd``) counts as set."""
    for site in given.patterns.of(CookieSite):
        if site.clears or not (AUTH_COOKIE_WORDS.intersection(words(site.name)) or site.auth_context):
            continue
        missing = [flag for flag, value in (("HttpOnly", site.httponly), ("Secure", site.secure)) if value == "no"]
        if missing and _production(given, site.path):
            yield Hit("security.cookie-flags", site=site, details={"name": site.name, "missing": " or ".join(missing),
                                                                   "consequence": _consequence(missing)})  # fmt: skip


def _consequence(missing: list[str]) -> str:
    said = []
    if "HttpOnly" in missing:
        said.append("any script on the page (an XSS) can read it")
    if "Secure" in missing:
        said.append("the browser sends it over plain HTTP too")
    return " and ".join(said)


@register_probe("security.token-without-expiry")
def token_without_expiry(given: ProbeInput) -> Iterator[Hit]:
    """A signed token whose claims are written here with no ``exp`` and no expiry option; tokens that only name a
    file (``jwt.sign(id) + ".png"``) are not logins."""
    for site in given.patterns.of(TokenSignSite):
        names = [w for n in site.flows_into for w in words(n)]
        if site.expiry != "missing" or (names and not TOKEN_NAME_WORDS.intersection(names)):
            continue
        if _production(given, site.path):
            yield Hit("security.token-without-expiry", site=site, details={"library": site.library})


@register_probe("security.cors-any-origin", "security.cors-credentials-any-origin")
def cors_any_origin(given: ProbeInput) -> Iterator[Hit]:
    """Credentials with the caller's own origin echoed back are confirmed; every origin without credentials is to
    review (right for a public API). Policies set only in development, only when the operator turns CORS on
    (an ``if`` on a setting named cors), or by a helper made to add CORS headers, are left out."""
    for site in given.patterns.of(CorsSite):
        if not site.any_origin or dev_only(site.condition) or not _production(given, site.path):
            continue
        details = {"mechanism": site.mechanism}
        if site.reflects and site.credentials:
            yield Hit("security.cors-credentials-any-origin", site=site, details=details)
        elif "cors" not in site.condition.lower() and not _cors_helper(site):
            yield Hit("security.cors-any-origin", site=site, details=details, confidence="possible",
                      confidence_reason=PUBLIC_API)


def _cors_helper(site: CorsSite) -> bool:
    """A header set in a function made to add CORS headers (``add_cors_headers``, ``allowAllOrigin``): whether
    that opens anything private is decided where it is called."""
    return site.mechanism.endswith("header") and bool({"cors", "origin"}.intersection(words(site.function or "")))


@register_probe("security.trust-proxy-all")
def trust_proxy_all(given: ProbeInput) -> Iterator[Hit]:
    """``trust proxy`` set to ``true``: unconditionally (found where it is set), or under a setting whose default
    is true (found where the default is declared). A hop count or an address list is fine."""
    defaults = {s.key: s for s in given.patterns.of(ConfigDefaultSite) if s.default == "true"}
    for site in given.patterns.of(TrustProxySite):
        if not _production(given, site.path):
            continue
        flag = _flag_name(site.value) or (_flag_name(site.condition) if site.value == "true" else None)
        if flag is None and site.value == "true" and not site.condition:
            yield Hit("security.trust-proxy-all", site=site, details={"how": "it is set to true"})
        elif flag is not None and flag in defaults:
            yield Hit("security.trust-proxy-all", site=defaults[flag],
                      details={"how": f"{flag} defaults to true ({site.path}:{site.line} sets it)"})  # fmt: skip


def _flag_name(text: str) -> str | None:
    """The setting an expression reads (``TRUST_PROXY`` in ``env.TRUST_PROXY``), or None for a literal."""
    m = re.fullmatch(r"!?\s*(?:[\w$]+\.)*([A-Za-z_][\w]*)", text.strip())
    return m.group(1) if m and m.group(1) not in {"true", "false"} else None


@register_probe("security.global-login-rate-limit")
def global_login_rate_limit(given: ProbeInput) -> Iterator[Hit]:
    """A login limiter kept in one name whose every use takes no per-client key: one bucket for everyone."""
    uses: dict[str, list[LimiterUseSite]] = defaultdict(list)
    for use in given.patterns.of(LimiterUseSite):
        if _production(given, use.path):
            uses[use.name].append(use)
    for site in given.patterns.of(LimiterSite):
        login = LOGIN_LIMITER_WORDS.intersection(words(site.name))
        if login and uses[site.name] and not any(u.keyed for u in uses[site.name]) and _production(given, site.path):
            yield Hit("security.global-login-rate-limit", site=site, details={"name": site.name})


@register_probe("security.login-no-rate-limit")
def login_no_rate_limit(given: ProbeInput) -> Iterator[Hit]:
    """A route that logs in (or issues a token, or resets a password) with no limiter before it or in it, in an
    application that uses no rate-limit library."""
    if given.provider("rate_limit") is not None or any(_production(given, s.path) for s in
                                                       given.patterns.of(LimiterSite)):  # fmt: skip
        return
    for site in given.patterns.of(RouteSite):
        login = LOGIN_EVENT.match(site.route) if site.method == "socket" else LOGIN_ROUTE.search(site.route)
        if not login or any(LIMIT_WORDS.search(m) for m in site.middleware):
            continue
        if site.handler_limits or not _production(given, site.path):
            continue
        unsure = site.handler_limits is None
        yield Hit("security.login-no-rate-limit", site=site, details={"route": site.route},
                  confidence="likely" if unsure else None,
                  confidence_reason="The handler is defined elsewhere and may limit attempts itself." if unsure
                  else None)  # fmt: skip


@register_probe("security.secret-in-log")
def secret_in_log(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(SecretLogSite):
        if not _production(given, site.path):
            continue
        if site.format_chooses:
            yield Hit("security.secret-in-log", site=site, details={"name": site.name}, confidence="possible",
                      confidence_reason="The value is one of several handed to a log format that is configured, not "
                      "written in the code: it is written only if that format names it.")  # fmt: skip
        else:
            yield Hit("security.secret-in-log", site=site, details={"name": site.name})


@register_probe("security.ssrf")
def ssrf(given: ProbeInput) -> Iterator[Hit]:
    """An outbound request to an address taken, unchecked, from the request."""
    for site in given.patterns.of(OutboundUrlSite):
        if site.origin == "request" and _production(given, site.path):
            yield Hit("security.ssrf", site=site, details={"client": site.client, "what": site.what})


@register_probe("security.unsafe-deserialization")
def deserializers(given: ProbeInput) -> Iterator[Hit]:
    """``loads = pickle.loads`` in code that reads a shared store (Redis, a broker) or is a worker is confirmed: what
    it is given was written by another process. A JavaScript deserialiser is judged by where its data comes from."""
    store = given.provider("shared_data_store")
    worker = given.project is not None and "worker" in given.project.kinds
    for site in given.patterns.of(DeserializerSite):
        if not _production(given, site.path):
            continue
        details = {"test_id": site.form, "text": site.form, "detail": _deserializer_detail(site, store)}
        if site.given_to or site.language == "Python":
            sure = store is not None or worker
            yield Hit("security.unsafe-deserialization", site=site, details=details,
                      confidence=None if sure else "likely",
                      confidence_reason=None if sure else "Whether it is given data another process wrote is not in "
                                                          "this code.")  # fmt: skip
        elif site.origin in {"request", "network"}:
            yield Hit("security.unsafe-deserialization", site=site, details=details)
        elif site.origin == "unknown":
            yield Hit("security.unsafe-deserialization", site=site, details=details, confidence="likely",
                      confidence_reason="Where its data comes from is not in this function.")  # fmt: skip


def _deserializer_detail(site: DeserializerSite, store: str | None) -> str:
    if site.given_to:
        where = f"data read back from {store}" if store else "whatever it is handed"
        return f"{site.form} is used as {', '.join(site.given_to)} and deserialises {where}"
    return f"{site.form} is given data from the {site.origin}" if site.origin != "unknown" else site.form


@register_probe("security.csrf-protection")
def csrf_protection(given: ProbeInput) -> Iterator[Hit]:
    site = next((s for s in given.patterns.of(CsrfSite) if _production(given, s.path)), None)
    if site is not None:
        yield Hit("security.csrf-protection", site=site, details={"mechanism": site.mechanism})


@register_probe("security.read-only-connection")
def read_only_connection(given: ProbeInput) -> Iterator[Hit]:
    """One finding per file: its first read-only connection."""
    seen: set[str] = set()
    for site in given.patterns.of(ReadOnlyDbSite):
        if site.path not in seen and _production(given, site.path):
            seen.add(site.path)
            yield Hit("security.read-only-connection", site=site, details={"mechanism": site.mechanism})
