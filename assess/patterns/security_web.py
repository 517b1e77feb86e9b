"""Security sites of web services, in Python (the JavaScript and TypeScript ones are in ``security_js_web``):
cookies and their flags, signed tokens and their expiry, CORS, CSRF middleware, read-only database connections,
secrets given to log calls, outbound requests to addresses from the request, and ``pickle.loads`` handed on as a
deserialiser.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

from assess.knowledge import knowledge, matches
from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import PythonFile, keyword
from assess.patterns.security_flow import origins, summary


@register_site
class CookieSite(Site):
    """A cookie the code sets, with the flags it gives it."""

    kind: Literal["security.cookie"] = "security.cookie"
    name: str
    """The cookie's name as written (a literal's text, or the expression)."""
    httponly: str
    """``yes``, ``no`` (given false, or left to a default that is false) or ``depends`` (an expression)."""
    secure: str
    """Same values as :attr:`httponly`."""
    clears: bool = False
    """Whether the call deletes the cookie (an empty value, max-age 0)."""
    auth_context: bool = False
    """Whether its value is computed in a function that checks a credential (``compare_digest``,
    ``check_password``, ``bcrypt``) or says it logs in."""


@register_site
class TokenSignSite(Site):
    """A signed token being made (``jwt.sign``, ``jwt.encode``), and whether it gets an expiry."""

    kind: Literal["security.token-sign"] = "security.token-sign"
    library: str
    expiry: Literal["set", "missing", "unknown"]
    """``missing``: the claims are written here with no ``exp`` and no expiry option is given; ``unknown``: the
    claims come from elsewhere."""
    flows_into: tuple[str, ...] = ()
    """Names the token is given to (variable, key, returning function): a token or a file name."""


@register_site
class CorsSite(Site):
    """A CORS policy: a middleware's options, or an ``Access-Control-Allow-Origin`` header set by hand."""

    kind: Literal["security.cors"] = "security.cors"
    mechanism: str
    any_origin: bool
    """Every origin is allowed (``*``, ``origin: true``, ``cors()`` with no options)."""
    reflects: bool = False
    """The request's own Origin is sent back: every origin, even with credentials."""
    credentials: bool = False
    """Cookies and other credentials are allowed with it."""
    condition: str = ""
    """The ``if`` test it depends on, when it is set only under one (``isDev``, ``self.ds.cors``)."""


@register_site
class CsrfSite(Site):
    """CSRF protection wired into the application."""

    kind: Literal["security.csrf"] = "security.csrf"
    mechanism: str


@register_site
class ReadOnlyDbSite(Site):
    """A database connection opened read-only (``mode=ro``, ``PRAGMA query_only``, ``readonly: true``)."""

    kind: Literal["security.read-only-db"] = "security.read-only-db"
    mechanism: str


@register_site
class SecretLogSite(Site):
    """A log call given a value whose name says it is a secret."""

    kind: Literal["security.secret-log"] = "security.secret-log"
    name: str
    """The secret's expression (``password``, ``req.headers.authorization``)."""
    format_chooses: bool = False
    """The secret is one value of a mapping handed to a format that is not in the code (``log.info(config.fmt,
    {"cookies": ...})``): it is written only if the configured format names its key."""


@register_site
class OutboundUrlSite(Site):
    """An outbound HTTP request whose address is not a constant, and where the address comes from."""

    kind: Literal["security.outbound-url"] = "security.outbound-url"
    client: str
    origin: str
    """:mod:`assess.patterns.security_flow`'s kinds: ``request`` is an address the client chose."""
    what: str = ""


@register_site
class DeserializerSite(Site):
    """An unsafe deserialiser handed on rather than called (``loads = pickle.loads``), or a JS deserialiser call."""

    kind: Literal["security.deserializer"] = "security.deserializer"
    form: str
    """``pickle.loads``, ``node-serialize unserialize`` ..."""
    given_to: tuple[str, ...] = ()
    """The names it is given to (``loads``, ``deserializer``)."""
    origin: str = "unknown"
    """For a call: where its data comes from (:mod:`assess.patterns.security_flow`'s kinds)."""


CREDENTIAL_CHECKS = re.compile(r"compare_digest|check_password|checkpw|verify_password|password_verify|"
                               r"bcrypt\.compare|compareSync|argon2|authenticate|login_user|verify_token|"
                               r"\.verify\b|passport\.authenticate", re.IGNORECASE)  # fmt: skip
LOGIN_NAME = re.compile(r"log_?in|sign_?in|auth|session|callback|token", re.IGNORECASE)
_DEV_TEST = re.compile(r"debug|dev|development|local|test", re.IGNORECASE)
UNSAFE_LOADERS = frozenset({"pickle.loads", "pickle.load", "cPickle.loads", "marshal.loads", "dill.loads",
                            "cloudpickle.loads", "jsonpickle.decode", "yaml.unsafe_load"})  # fmt: skip
HTTP_CLIENTS = re.compile(r"^(requests|httpx|aiohttp|urllib3)\.(get|post|put|patch|delete|head|request|urlopen)$|"
                          r"^urllib\.request\.urlopen$|^httpx\.(AsyncClient|Client)\(\)\.(get|post|put|request)$")
LOG_CALL = re.compile(r"(^|\.)_?(logging|log|logger)\.(debug|info|warning|warn|error|exception|critical|log)$",
                      re.IGNORECASE)  # fmt: skip


def _site(f: PythonFile, node: ast.AST) -> dict[str, object]:
    line, end = f.span(node)
    return {"path": f.path, "line": line, "end_line": end, "language": "Python", "snippet": f.snippet(node),
            "function": f.qualname(node)}  # fmt: skip


def _flag(value: ast.expr | None) -> str:
    if value is None or (isinstance(value, ast.Constant) and not value.value):
        return "no"
    return "yes" if isinstance(value, ast.Constant) else "depends"


def _is_zero_or_empty(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value in (0, "", None) and value.value is not None


def auth_context(f: PythonFile, node: ast.AST) -> bool:
    """Whether the function around ``node`` checks a credential or is named for logging in."""
    fn = f.enclosing_function(node)
    if fn is None:
        return False
    return bool(LOGIN_NAME.search(fn.name)) or any(CREDENTIAL_CHECKS.search(name) for _, name in f.calls(fn))


@register_extractor("python")
def cookies(f: PythonFile) -> Iterator[CookieSite]:
    for call, _ in f.calls():
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "set_cookie"):
            continue
        name = call.args[0] if call.args else keyword(call, "key")
        value = call.args[1] if len(call.args) > 1 else keyword(call, "value")
        clears = value is None or _is_zero_or_empty(value) or _is_zero_or_empty(keyword(call, "max_age"))
        yield CookieSite(**_site(f, call), name=_text(name), httponly=_flag(keyword(call, "httponly")),
                         secure=_flag(keyword(call, "secure")), clears=clears,
                         auth_context=not isinstance(value, ast.Constant) and auth_context(f, call))  # fmt: skip


def _text(node: ast.AST | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ast.unparse(node) if node is not None else ""


@register_extractor("python")
def token_signing(f: PythonFile) -> Iterator[TokenSignSite]:
    for call, name in f.calls():
        if name not in {"jwt.encode", "jose.jwt.encode", "authlib.jose.jwt.encode"} or not call.args:
            continue
        yield TokenSignSite(**_site(f, call), library=name.rsplit(".", 1)[0], expiry=_py_expiry(f, call))


def _py_expiry(f: PythonFile, call: ast.Call) -> Literal["set", "missing", "unknown"]:
    """``set`` when the function around the call names an ``exp`` claim; ``missing`` when the claims are a dict
    written there without one; ``unknown`` when they come from elsewhere."""
    fn = f.enclosing_function(call) or f.tree
    if any(isinstance(n, ast.Constant) and n.value in {"exp", "expires_in"} for n in f.walk(fn)):
        return "set"
    payload = call.args[0]
    if isinstance(payload, ast.Dict):
        return "missing"
    sources = origins(f, payload) if isinstance(payload, ast.Name) else frozenset()
    return "missing" if sources and all(kind == "constant" for kind, _ in sources) else "unknown"


@register_extractor("python")
def cors_policies(f: PythonFile) -> Iterator[CorsSite]:
    for call, name in f.calls():
        site = _cors_call(f, call, name)
        if site is not None:
            yield site
    for assign in f.of_type(ast.Assign):
        site = _cors_assignment(f, assign)
        if site is not None:
            yield site


def _cors_call(f: PythonFile, call: ast.Call, name: str) -> CorsSite | None:
    if name in {"flask_cors.CORS", "flask_cors.cross_origin"}:
        origins_given = keyword(call, "origins") or keyword(call, "resources")
        any_origin = origins_given is None or "*" in _text(origins_given)
        credentials = _flag(keyword(call, "supports_credentials")) == "yes"
        return CorsSite(**_site(f, call), mechanism="flask-cors", any_origin=any_origin, credentials=credentials,
                        reflects=any_origin and credentials, condition=_condition(f, call))  # fmt: skip
    middleware = call.args[0] if call.args else None
    named = middleware is not None and f.dotted(middleware).endswith("CORSMiddleware")
    if named or name.endswith("CORSMiddleware"):
        allowed = _text(keyword(call, "allow_origins")) + _text(keyword(call, "allow_origin_regex"))
        any_origin = "'*'" in allowed or '"*"' in allowed or ".*" in allowed
        credentials = _flag(keyword(call, "allow_credentials")) == "yes"
        return CorsSite(**_site(f, call), mechanism="CORSMiddleware", any_origin=any_origin, credentials=credentials,
                        reflects=any_origin and credentials, condition=_condition(f, call))  # fmt: skip
    return None


def _cors_assignment(f: PythonFile, assign: ast.Assign) -> CorsSite | None:
    target = assign.targets[0]
    key = target.slice.value if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) else None
    allow_all = isinstance(target, ast.Name) and target.id in {"CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"}
    if allow_all and _flag(assign.value) == "yes":
        return CorsSite(**_site(f, assign), mechanism="django-cors-headers", any_origin=True,
                        credentials="CORS_ALLOW_CREDENTIALS = True" in f.text,
                        condition=_condition(f, assign))  # fmt: skip
    if isinstance(key, str) and key.lower() == "access-control-allow-origin":
        reflects = "origin" in _text(assign.value).lower() and not isinstance(assign.value, ast.Constant)
        scope = f.enclosing_function(assign) or f.tree
        credentials = any(isinstance(n, ast.Constant) and str(n.value).lower() == "access-control-allow-credentials"
                          for n in f.walk(scope))  # fmt: skip
        return CorsSite(**_site(f, assign), mechanism="Access-Control-Allow-Origin header",
                        any_origin=_text(assign.value) == "*" or reflects, reflects=reflects, credentials=credentials,
                        condition=_condition(f, assign))  # fmt: skip
    return None


def _condition(f: PythonFile, node: ast.AST) -> str:
    """The test of the nearest ``if`` around ``node`` in its function, or ""."""
    for parent in f.ancestors(node):
        if isinstance(parent, ast.If) and not any(f.contains(s, node) for s in parent.orelse):
            return f.unparse(parent.test)
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return ""
    return ""


def dev_only(condition: str) -> bool:
    """Whether a condition says development or debugging (``isDev``, ``settings.DEBUG``)."""
    return bool(_DEV_TEST.search(condition))


@register_extractor("python")
def csrf_protection(f: PythonFile) -> Iterator[CsrfSite]:
    providers = knowledge().provides.get("csrf_protection", ())
    for call, name in f.calls():
        if name and matches(name.rsplit(".", 1)[0], providers) and not name.endswith(("exempt", "Error")):
            yield CsrfSite(**_site(f, call), mechanism=name)
            return
    for node in f.of_type(ast.Constant):
        if isinstance(node.value, str) and node.value == "django.middleware.csrf.CsrfViewMiddleware":
            yield CsrfSite(**_site(f, node), mechanism="Django CsrfViewMiddleware")
            return


_READ_ONLY = re.compile(r"[?&]mode=ro\b|[?&]immutable=1|query_only\s*=\s*(1|on|true)|default_transaction_read_only|"
                        r"set\s+transaction\s+read\s+only|set\s+session\s+characteristics\s+as\s+transaction\s+read\s+"
                        r"only", re.IGNORECASE)  # fmt: skip


@register_extractor("python")
def read_only_connections(f: PythonFile) -> Iterator[ReadOnlyDbSite]:
    for node in f.of_type(ast.Constant):
        if isinstance(node.value, str) and (m := _READ_ONLY.search(node.value)):
            yield ReadOnlyDbSite(**_site(f, node), mechanism=m.group(0).strip("?&"))
    for call, _ in f.calls():
        if _flag(keyword(call, "readonly")) == "yes" or _flag(keyword(call, "postgresql_readonly")) == "yes":
            yield ReadOnlyDbSite(**_site(f, call), mechanism="readonly=True")


SECRET_LAST_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "authorization",
                               "credentials", "cookie", "cookies"})  # fmt: skip
_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|\d+|[A-Z]+")


def secret_named(name: str) -> bool:
    """Whether a variable's or key's name says it holds a secret: its last word (``db_password``, ``accessToken``,
    ``authorization``, ``api_key``); ``token_count`` and ``password_length`` do not."""
    ws = [w.lower() for w in _SPLIT.findall(name)]
    return bool(ws) and (ws[-1] in SECRET_LAST_WORDS or ws[-2:] in (["api", "key"], ["secret", "key"],
                                                                      ["access", "key"]))  # fmt: skip


@register_extractor("python")
def secret_logs(f: PythonFile) -> Iterator[SecretLogSite]:
    for call, name in f.calls():
        if not LOG_CALL.search(name) or name.endswith(("getLogger", "basicConfig")):
            continue
        fmt = call.args[0] if call.args else None
        literal = fmt.value if isinstance(fmt, ast.Constant) and isinstance(fmt.value, str) else None
        chosen: list[str] = []
        plain = [a for a in call.args[1:] if not isinstance(a, ast.Dict)]
        for mapping in (a for a in call.args[1:] if isinstance(a, ast.Dict)):
            for key, value in zip(mapping.keys, mapping.values, strict=True):
                key_name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
                found = next(_secret_values(f, [value]), None)
                if found is None or (key_name is not None and literal is not None and f"%({key_name})" not in literal):
                    continue  # a literal format that never names the key does not write the value
                chosen.append(found)
        direct = next(_secret_values(f, [fmt, *plain] if fmt is not None else []), None)
        if direct is not None:
            yield SecretLogSite(**_site(f, call), name=direct)
        elif chosen:
            yield SecretLogSite(**_site(f, call), name=chosen[0], format_chooses=literal is None)


def _secret_values(f: PythonFile, args: list[ast.expr]) -> Iterator[str]:
    """Names in the arguments that hold a secret: not inside ``len()``, a comparison or a slice (a prefix)."""
    stack: list[ast.AST] = list(args)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Compare | ast.Constant) or (isinstance(node, ast.Subscript)
                                                           and isinstance(node.slice, ast.Slice)):  # fmt: skip
            continue
        if isinstance(node, ast.Call) and f.call_name(node).rsplit(".", 1)[-1] in {"len", "bool", "type", "mask",
                                                                                  "redact", "hash", "isinstance"}:
            continue
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name is not None and secret_named(name):
            yield f.unparse(node)
            continue
        stack.extend(ast.iter_child_nodes(node))


@register_extractor("python")
def outbound_urls(f: PythonFile) -> Iterator[OutboundUrlSite]:
    for call, name in f.calls():
        if not HTTP_CLIENTS.search(name):
            continue
        url = (call.args[1] if name.endswith(".request") and len(call.args) > 1 else call.args[0] if call.args
               else keyword(call, "url"))  # fmt: skip
        if url is None or isinstance(url, ast.Constant):
            continue
        kind, what = summary(origins(f, url))
        yield OutboundUrlSite(**_site(f, call), client=name, origin=kind, what=what)


@register_extractor("python")
def deserializer_references(f: PythonFile) -> Iterator[DeserializerSite]:
    for node in f.of_type(ast.Attribute, ast.Name):
        parent = f.parents.get(node)
        if isinstance(parent, ast.Attribute) or (isinstance(parent, ast.Call) and parent.func is node):
            continue
        form = f.dotted(node)
        if form not in UNSAFE_LOADERS:
            continue
        given = [t.id if isinstance(t, ast.Name) else t.attr for t in _targets(parent)]
        yield DeserializerSite(**_site(f, node), form=form, given_to=tuple(given))


def _targets(parent: ast.AST | None) -> list[ast.Name | ast.Attribute]:
    if isinstance(parent, ast.Assign):
        return [t for t in parent.targets if isinstance(t, ast.Name | ast.Attribute)]
    if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name | ast.Attribute):
        return [parent.target]
    return []
