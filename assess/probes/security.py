"""Security probes: bandit's issues mapped to rules, weak randomness for keys, eval, tokens in
localStorage, credentials in docker-compose and ``.env`` files, secret files readable by everyone,
and the good practices of bound SQL parameters, input validation and request-size limits.

Which bandit tests become which rule, and why some never do, is written in
``assess/rules/security.toml`` beside the rules.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from assess.model import Role
from assess.patterns.security import (
    ComposeEnvSite,
    EnvEntrySite,
    ParamSqlSite,
    SecretFileSite,
    SizeLimitSite,
    ValidatorSite,
)
from assess.patterns.security_bandit import BanditSite
from assess.patterns.security_js import JsEvalSite, JsRandomSite, StorageWriteSite
from assess.probes import Hit, ProbeInput, register_probe
from assess.probes.security_data import Judgement, judge

BANDIT_RULES: dict[str, str] = {
    "B105": "security.hardcoded-secret", "B106": "security.hardcoded-secret", "B107": "security.hardcoded-secret",
    "B311": "security.weak-random",
    "B602": "security.shell-injection", "B604": "security.shell-injection", "B605": "security.shell-injection",
    "B506": "security.unsafe-yaml",
    "B301": "security.unsafe-deserialization", "B302": "security.unsafe-deserialization",
    "B608": "security.sql-injection",
    "B303": "security.weak-hash", "B324": "security.weak-hash",
    "B307": "security.eval", "B102": "security.eval",
}  # fmt: skip
"""Bandit test id -> specific rule. Any other MEDIUM/HIGH issue goes to the catch-all rules."""

BANDIT_NEVER = frozenset({"B113", "B104", "B310", "B403", "B607"})
"""Never findings: B113 (timeouts: the reliability rules), B104 (binding 0.0.0.0 is how containers
serve), B310 (an "audit this" note on every urlopen), B403 (importing pickle; the load call is the
hazard), B607 (a partial executable path is not injection)."""

LEVELS = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}
NEEDS_LEVEL = {"security.shell-injection": "MEDIUM"}
"""Specific rules that skip bandit's LOW-severity variant (a literal command run through a shell)."""

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|\d+|[A-Z]+")

TOKEN_WORDS = frozenset({
    "token", "tokens", "apikey", "secret", "secrets", "password", "passwd", "pwd", "passphrase", "salt", "otp", "pin",
    "session", "sid", "csrf", "xsrf", "invite", "verifier",
})  # fmt: skip
"""Words in a name that make a random value a secret ("key" counts only after a word that makes it one: api_key).
Ids are not among them: a request id, a job id or a message's de-duplication id must be unique, not secret."""
MAYBE_TOKEN_WORDS = frozenset({"nonce"})
"""A nonce must be unpredictable for some protocols and only unique for others: the code cannot tell which."""
ID_WORDS = frozenset({"id", "ids", "uid", "uuid", "guid"})
NOT_SECRET_ID_WORDS = frozenset({
    "request", "req", "correlation", "trace", "span", "message", "msg", "client", "random", "dedup", "dedupe",
    "event", "job", "worker", "process", "instance", "node", "run", "tmp", "temp", "test", "debug",
})  # fmt: skip
"""Ids of messages, requests and processes: they must be unique, and nobody reaches anything by guessing them."""

STORAGE_WORDS = frozenset({"token", "tokens", "jwt", "auth", "session", "access", "refresh", "bearer", "credential",
                           "credentials", "password", "secret", "apikey", "sid"})  # fmt: skip
SECRET_KEY_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "key", "apikey", "credential",
                              "credentials", "passphrase"})  # fmt: skip
SECRET_NAME_WORDS = (SECRET_KEY_WORDS | {"secrets", "passwords"}) - {"token", "key"}
"""Last words of a name that holds a password or secret (``db_password``, ``client_secret``, ``apikey``).
``token`` and ``key`` are not among them: lexer tokens, dict keys and cache keys are named so as often."""
KEY_QUALIFIERS = frozenset({"api", "access", "private", "secret", "signing", "encryption"})
"""Words before a last ``key`` that make it a secret key: api_key, accessKey, private_key, SECRET_KEY."""
NOT_SECRET_VALUES = frozenset({"bearer", "basic", "token", "password", "secret", "none", "null", "true", "false",
                               "yes", "no", "on", "off"})  # fmt: skip
_NAME_SEPARATORS = re.compile(r"[\s_\-.#:/]+")
_SIGILS = re.compile(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$")
_NAME_PART = re.compile(r"\d+|(?:[a-z]+|[A-Z][a-z]+|[A-Z]+(?![a-z]))(?:[A-Z][a-z]+|[A-Z]{2,}(?![a-z]))*\d*")
"""A number, or words in lower, UPPER, Capitalised or camelCase (humps of two letters or more), then a number."""
_REGEX = re.compile(r"\\[wdsbWDSB]|\[\^?[^\]]+\]|\(\?[:=!<P]")
"""A regular expression's escapes, character classes and groups: ``\\w``, ``[a-z]+``, ``(?:``."""
RANDOM_RUN = 20
RANDOM_BITS = 4.2
"""A part this long with this many bits per character is random letters, not words: names of 20 to 30
letters measure 3.5 to 4.1 bits, 24 random letters 4.2 (the median; 3.9 for the lowest twentieth)."""
_EXAMPLE_ENV = re.compile(r"(example|sample|template|dist|defaults?)(\.env)?$", re.IGNORECASE)


def words(name: str) -> list[str]:
    """``sessionToken`` / ``SESSION_TOKEN`` / ``session-token`` -> ["session", "token"]."""
    return [w.lower() for w in _WORD.findall(name)]


def token_like(names: Iterable[str]) -> str | None:
    """The first name that says it holds a secret (a token, a password, a session id, an api key), or None."""
    for name in names:
        ws = words(name)
        if TOKEN_WORDS.intersection(ws) or any(a in KEY_QUALIFIERS | {"session", "auth"} and b == "key"
                                               for a, b in itertools.pairwise(ws)):  # fmt: skip
            return name
    return None


def nonce_like(names: Iterable[str]) -> str | None:
    """The first name that says it holds a nonce, or None."""
    return next((n for n in names if MAYBE_TOKEN_WORDS.intersection(words(n))), None)


def id_like(names: Iterable[str]) -> str | None:
    """The first name that says it holds the id of something one may look up (``new_task_id``, ``order.id``), not of
    a message, a request or a process; or None."""
    for name in names:
        ws = set(words(name))
        if ws & ID_WORDS and not ws & NOT_SECRET_ID_WORDS:
            return name
    return None


def looks_secret(value: str) -> bool:
    """Whether a literal could be a real credential: not empty, a placeholder, a reference, URL, header, field name."""
    v = value.strip()
    if len(v) < 4 or re.search(r"\s", v) or v.lower() in NOT_SECRET_VALUES:
        return False
    if v.startswith(("$", "/", "./", "~/", "<")) or "{{" in v or re.fullmatch(r"[xX*.\-_#:]+", v):
        return False
    if "://" in v:
        return bool(re.search(r"://[^/@\s:]*:[^/@\s]+@", v))  # only with a password inside
    if re.fullmatch(r"X-[\w\-]+|([A-Z][a-z]+-)+[A-Z][a-z]+", v) or re.fullmatch(r"your[_\-].*|.*[_\-]here", v, re.I):
        return False
    return not (re.fullmatch(r"[a-z]+([_.][a-z]+)*", v) and SECRET_KEY_WORDS.intersection(words(v)))


def says_secret(name: str) -> bool:
    """Whether a name says it holds a password or secret: by its last word, a trailing number aside.

    ``db_password``, ``password2``, ``client_secret``, ``apiKey`` and ``SECRET_KEY`` do; ``token``,
    ``token_type``, ``pass_arg``, ``key``, ``password_field_name`` and ``SECRET_KEY_PREFIX`` (a name,
    a prefix: the last word says what is held) do not.
    """
    ws = words(name)
    while ws and ws[-1].isdigit():
        ws.pop()
    if not ws:
        return False
    return ws[-1] in SECRET_NAME_WORDS or (ws[-1] == "key" and len(ws) > 1 and ws[-2] in KEY_QUALIFIERS)


def key_material(value: str) -> bool:
    """Whether a literal looks like a key, token or password itself rather than a word that names something.

    Word-like literals are not: those whose every part between ``_-.#:/`` (sigils at its ends aside:
    ``#bygroup``, ``@import``, ``Winter2024!``) is a number or words in lower, UPPER, Capitalised or camelCase
    with at most a trailing number (``keyword``, ``lbracket``, ``name:end``, ``COLLATE``, ``password2``,
    ``hunter2``). Key material is the rest of printable ASCII: digits inside letters (``s3cr3t``,
    ``AKIA...7EXAMPLE``, hex, ``ghp_...``), a symbol inside (``P@ssw0rd``), case mixed within a word
    (``qWeRtY``), or a part of :data:`RANDOM_RUN` characters or more with :data:`RANDOM_BITS` of entropy
    per character (random letters). A character set (``abc...xyz0123456789``) and a regular expression
    (``[-!#$%&'*+.^_`|~0-9a-zA-Z]+``, ``[A-Z]\\w*``) are not key material.
    """
    v = value.strip()
    if not (v.isascii() and v.isprintable()) or _character_set(v) or _REGEX.search(v):
        return False
    parts = [_SIGILS.sub("", p) for p in _NAME_SEPARATORS.split(v)]
    return any(p and (not _NAME_PART.fullmatch(p) or _random_letters(p)) for p in parts)


def _character_set(value: str) -> bool:
    """Mostly runs of consecutive characters: an alphabet such as ``ABC...Zabc...z0123456789``."""
    steps = sum(ord(b) - ord(a) == 1 for a, b in itertools.pairwise(value))
    return len(value) >= 10 and steps > len(value) // 2


def _random_letters(part: str) -> bool:
    """At least :data:`RANDOM_RUN` characters with at least :data:`RANDOM_BITS` of Shannon entropy each."""
    if len(part) < RANDOM_RUN:
        return False
    counts = Counter(part).values()
    return -sum(c / len(part) * math.log2(c / len(part)) for c in counts) >= RANDOM_BITS


def secret_key(key: str, value: str | None) -> bool:
    """Whether an environment entry holds a credential: a secret-sounding name (last word) or a URL with a password."""
    if value is None or not looks_secret(value):
        return False
    ws = words(key)
    if ws and ws[-1] in SECRET_KEY_WORDS and not {"public", "publishable"}.intersection(ws):
        return True
    return bool(re.search(r"://[^/@\s:]*:[^/@\s]+@", value))


def _password_like(site: BanditSite) -> bool:
    """A literal that could be a credential (:func:`looks_secret`) and, unless a name it is given to or compared
    with says password or secret (:func:`says_secret`), that looks like key material (:func:`key_material`).

    Bandit flags a literal near any name with "token" or "pass" in it: ``token == "keyword"`` in a lexer,
    ``pass_arg == "environment"``, ``{"pass": "skips"}``. Those names are not enough to call a word a secret.
    """
    literal = site.literal or ""
    if not looks_secret(literal):
        return False
    return any(says_secret(n) for n in (*site.compared_with, *site.flows_into)) or key_material(literal)


def _source(given: ProbeInput, path: str) -> bool:
    return given.patterns.role_of(path) in (Role.SOURCE, None)


# --- bandit ------------------------------------------------------------------------------


@register_probe(*sorted(set(BANDIT_RULES.values()) | {"security.bandit", "security.bandit-high"}))
def bandit_findings(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(BanditSite):
        if site.test_id in BANDIT_NEVER or not _source(given, site.path):
            continue
        rule = _bandit_rule(site)
        if rule is None:
            continue
        details: dict[str, object] = {
            "test_id": site.test_id, "test_name": site.test_name, "text": site.text.rstrip("."),
            "severity": site.severity.lower(), "confidence": site.confidence.lower(),
        }  # fmt: skip
        if rule in {"security.weak-random", "security.js-weak-random"}:
            name, judged = _secret_name(site.flows_into)
            details["name"] = name or ""
        elif rule in CATCH_ALL and IMPORT_ONLY.match(site.test_id):
            judged = Judgement("possible", "bandit flags the import itself; whether untrusted data ever reaches what "
                                           "it imports, an import cannot show", "")  # fmt: skip
        else:
            judged = judge(site, rule)
        if judged is not None:
            yield Hit(rule, site=site, details={**details, "detail": judged.detail or site.text.rstrip(".")},
                      confidence=judged.confidence, confidence_reason=judged.reason)  # fmt: skip


CATCH_ALL = frozenset({"security.bandit-high", "security.bandit"})
IMPORT_ONLY = re.compile(r"^B4(0[1-9]|1[0-5])$")
"""bandit's blacklisted imports (B401-B415: ``import pickle``, ``import xmlrpc.client``): a warning about a module,
not about a use of it."""


def _bandit_rule(site: BanditSite) -> str | None:
    """The rule a bandit issue belongs to, or None when it is no finding by its kind and level."""
    rule = BANDIT_RULES.get(site.test_id)
    if rule == "security.hardcoded-secret" and not _password_like(site):
        return None
    if rule is None:
        if LEVELS.get(site.severity, 0) < LEVELS["MEDIUM"]:
            return None
        high = site.severity == "HIGH" and site.confidence == "HIGH"
        return "security.bandit-high" if high else "security.bandit"
    return rule if LEVELS.get(site.severity, 0) >= LEVELS[NEEDS_LEVEL.get(rule, "LOW")] else None


def _secret_name(names: Iterable[str]) -> tuple[str | None, Judgement | None]:
    """The name that makes a random value a secret, and how sure that is: a token or password surely; a nonce may
    only need be unique; an id is a secret only where knowing it is enough to reach what it names."""
    names = list(names)
    if (name := token_like(names)) is not None:
        return name, Judgement(None)
    if (name := nonce_like(names)) is not None:
        return name, Judgement("likely", NONCE_REASON)
    if (name := id_like(names)) is not None:
        return name, Judgement("possible", ID_REASON)
    return None, None


NONCE_REASON = "A nonce must be unpredictable for some protocols and only unique for others: the code cannot tell."
ID_REASON = ("An id must be unguessable only where knowing it is enough to reach what it names (a lookup with no "
             "login): the code cannot tell.")


# --- Python good practices ---------------------------------------------------------------


@register_probe("security.parameterized-sql")
def parameterized_sql(given: ProbeInput) -> Iterator[Hit]:
    """One finding per function (or module): its first query run with bound parameters."""
    seen: set[tuple[str, str | None]] = set()
    for site in given.patterns.of(ParamSqlSite):
        if (site.path, site.function) in seen or not _source(given, site.path):
            continue
        seen.add((site.path, site.function))
        yield Hit("security.parameterized-sql", site=site,
                  details={"where": site.function or "module code", "placeholder": site.placeholder})  # fmt: skip


@register_probe("security.input-validation")
def input_validation(given: ProbeInput) -> Iterator[Hit]:
    """A ``validate*`` function that rejects input on at least two type, length or membership checks; a validation
    schema with at least two such checks (the first of its file); a check that refuses input a validation function
    rejects (the first per function called, per file)."""
    seen: set[tuple[str, str]] = set()
    for site in given.patterns.of(ValidatorSite):
        checked = {"type", "length", "membership"}.intersection(site.checks) or site.style == "guard"
        if (site.rejections < 2 and site.style != "guard") or not checked or not _source(given, site.path):
            continue
        key = (site.path, site.style if site.style == "schema" else f"{site.style}:{site.name}")
        if key in seen:
            continue
        seen.add(key)
        yield Hit("security.input-validation", site=site, details={"what": _validation_words(site)})


def _validation_words(site: ValidatorSite) -> str:
    if site.style == "schema":
        return f"{site.name} declares {site.rejections} checks ({', '.join(site.checks)}) on the input"
    if site.style == "guard":
        return f"input that {site.name} rejects is refused before it is used"
    return f"{site.name} rejects bad input with {site.rejections} checks ({', '.join(site.checks)})"


@register_probe("security.request-size-limit")
def request_size_limit(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(SizeLimitSite):
        if _source(given, site.path):
            yield Hit("security.request-size-limit", site=site,
                      details={"mechanism": site.mechanism, "limit": site.limit})  # fmt: skip


# --- JavaScript / TypeScript -------------------------------------------------------------


@register_probe("security.js-weak-random")
def js_weak_random(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(JsRandomSite):
        name, judged = _secret_name(site.flows_into)
        if judged is not None and _source(given, site.path):
            yield Hit("security.js-weak-random", site=site, details={"name": name},
                      confidence=judged.confidence, confidence_reason=judged.reason)


@register_probe("security.js-eval")
def js_eval(given: ProbeInput) -> Iterator[Hit]:
    """Only code built at run time, and not from a file the operator writes (a configuration file in JavaScript):
    from the request it is confirmed, from where the code does not show it is to review."""
    for site in given.patterns.of(JsEvalSite):
        if site.literal or site.origin in {"file", "constant", "operator"} or not _source(given, site.path):
            continue
        sure = site.origin == "request"
        yield Hit("security.js-eval", site=site, details={"form": site.form}, confidence=None if sure else "likely",
                  confidence_reason=None if sure else "Where the evaluated text comes from is not in this function; "
                                                      "it is code execution only if a user can choose it.")  # fmt: skip


@register_probe("security.token-in-localstorage")
def token_in_localstorage(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(StorageWriteSite):
        key_words, value_words = set(words(site.key)), set(words(site.value.split(".")[-1]))
        token = STORAGE_WORDS.intersection(key_words) or {"token", "jwt"}.intersection(value_words)
        if token and _source(given, site.path):
            yield Hit("security.token-in-localstorage", site=site, details={"key": site.key})


# --- configuration -----------------------------------------------------------------------


@register_probe("security.compose-hardcoded-credential")
def compose_credentials(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(ComposeEnvSite):
        if secret_key(site.key, site.value) and given.patterns.role_of(site.path) == Role.CONFIG:
            yield Hit("security.compose-hardcoded-credential", site=site,
                      details={"key": site.key, "service": site.service})  # fmt: skip


def _env_secrets(given: ProbeInput) -> dict[str, list[EnvEntrySite]]:
    """Secret entries with values in committed env files that are not examples, by path."""
    out: dict[str, list[EnvEntrySite]] = {}
    for site in given.patterns.of(EnvEntrySite):
        name = site.path.rsplit("/", 1)[-1]
        if _EXAMPLE_ENV.search(name) or given.patterns.role_of(site.path) != Role.CONFIG:
            continue
        if secret_key(site.key, site.value):
            out.setdefault(site.path, []).append(site)
    return out


@register_probe("security.committed-env-file")
def committed_env_file(given: ProbeInput) -> Iterator[Hit]:
    """One finding per file, at its first secret entry."""
    for entries in _env_secrets(given).values():
        keys = [e.key for e in entries]
        shown = ", ".join(keys[:5]) + (" ..." if len(keys) > 5 else "")
        yield Hit("security.committed-env-file", site=entries[0], details={"count": len(keys), "keys": shown})


@register_probe("security.world-readable-secret")
def world_readable_secret(given: ProbeInput) -> Iterator[Hit]:
    """Env files count only when they hold a secret value; keys and secrets files count by their name."""
    env_secrets = _env_secrets(given)
    for site in given.patterns.of(SecretFileSite):
        if site.mode & 0o004 and (site.what != "env file" or site.path in env_secrets):
            yield Hit(
                "security.world-readable-secret", site=site, details={"what": site.what, "mode": f"{site.mode:04o}"}
            )
