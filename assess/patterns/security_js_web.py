"""Security sites of web services in JavaScript and TypeScript (the Python ones, and the site classes, are in
``security_web``): cookies, signed tokens, CORS, ``trust proxy``, configuration defaults, CSRF middleware,
read-only database handles and deserialisers. Login routes, limiters, logs and outbound requests are in
``security_js_auth``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import tree_sitter

from assess.knowledge import knowledge, matches
from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.scripts import ScriptFile
from assess.patterns.security_js import flows_into
from assess.patterns.security_js_flow import js_origin
from assess.patterns.security_web import (
    CREDENTIAL_CHECKS,
    LOGIN_NAME,
    CookieSite,
    CorsSite,
    CsrfSite,
    DeserializerSite,
    ReadOnlyDbSite,
    TokenSignSite,
)


@register_site
class TrustProxySite(Site):
    """Express's ``app.set("trust proxy", value)``."""

    kind: Literal["security.trust-proxy"] = "security.trust-proxy"
    value: str
    """The value as written (``true``, ``1``, ``"loopback"``, ``env.TRUST_PROXY``)."""
    condition: str = ""
    """The test of the ``if`` it is set under, if any."""


@register_site
class ConfigDefaultSite(Site):
    """A configuration entry declared with a boolean default (envalid's ``bool({ default: true })``)."""

    kind: Literal["security.config-default"] = "security.config-default"
    key: str
    default: str


FUNCTIONS = {"function_declaration", "function_expression", "arrow_function", "method_definition", "function"}


def site_args(f: ScriptFile, node: tree_sitter.Node) -> dict[str, object]:
    line, end = f.span(node)
    return {"path": f.path, "line": line, "end_line": end, "language": f.language, "snippet": f.snippet(node),
            "function": f.enclosing_function(node)}  # fmt: skip


Call = tuple[tree_sitter.Node, str, list[tree_sitter.Node]]
_LAST: dict[str, object] = {}
"""The calls of the file the extractors last asked about: they run one file at a time, several of them per file."""


def calls(f: ScriptFile) -> list[Call]:
    """Every call: the node, the callee as written, and the arguments (comments left out)."""
    if _LAST.get("file") is f:
        return _LAST["calls"]  # type: ignore[return-value]
    found: list[Call] = []
    for call in f.captures("(call_expression) @c").get("c", []):
        callee = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        arguments = [a for a in args.named_children if a.type != "comment"] if args is not None else []
        found.append((call, f.node_text(callee) if callee is not None else "", arguments))
    _LAST.update(file=f, calls=found)
    return found


def pairs(f: ScriptFile, node: tree_sitter.Node | None) -> dict[str, tree_sitter.Node]:
    """An object literal's keys (quotes stripped) -> values; {} for anything else."""
    if node is None or node.type != "object":
        return {}
    out: dict[str, tree_sitter.Node] = {}
    for pair in node.named_children:
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if pair.type == "pair" and key is not None and value is not None:
            out[f.node_text(key).strip("'\"`")] = value
    return out


def flag(f: ScriptFile, options: dict[str, tree_sitter.Node], key: str) -> str:
    value = options.get(key)
    if value is None or value.type in {"false", "null", "undefined"}:
        return "no"
    return "yes" if value.type == "true" else "depends"


def condition(f: ScriptFile, node: tree_sitter.Node) -> str:
    """The test of the nearest ``if`` around ``node`` within its function (not from its ``else``), or ""."""
    child, parent = node, node.parent
    while parent is not None and parent.type not in FUNCTIONS:
        if parent.type == "if_statement" and parent.child_by_field_name("alternative") != child:
            test = parent.child_by_field_name("condition")
            return f.node_text(test).strip("()") if test is not None else ""
        child, parent = parent, parent.parent
    return ""


def enclosing(node: tree_sitter.Node) -> tree_sitter.Node | None:
    parent = node.parent
    while parent is not None and parent.type not in FUNCTIONS:
        parent = parent.parent
    return parent


def bound_to(f: ScriptFile, packages: tuple[str, ...]) -> set[str]:
    """Local names bound to one of ``packages`` by ``require`` or ``import`` (default, namespace or named)."""
    names: set[str] = set()
    for declarator in f.captures("(variable_declarator) @d").get("d", []):
        value, target = declarator.child_by_field_name("value"), declarator.child_by_field_name("name")
        text = f.node_text(value) if value is not None else ""
        m = re.match(r"require\(\s*['\"]([^'\"]+)['\"]\s*\)", text)
        if m and matches(m.group(1), packages) and target is not None:
            names |= {f.node_text(n) for n in _identifiers(target)}
    for statement in f.captures("(import_statement) @i").get("i", []):
        source = statement.child_by_field_name("source")
        if source is not None and matches(f.node_text(source).strip("'\""), packages):
            clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
            names |= {f.node_text(n) for n in _identifiers(clause)} if clause is not None else set()
    return names


def _identifiers(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in {"identifier", "shorthand_property_identifier_pattern"}:
            yield current
        stack.extend(current.named_children)


def auth_context(f: ScriptFile, node: tree_sitter.Node) -> bool:
    """Whether the function around ``node`` checks a credential or is named for logging in."""
    fn = enclosing(node)
    if fn is None:
        return False
    name = f.enclosing_function(node) or ""
    return bool(LOGIN_NAME.search(name)) or bool(CREDENTIAL_CHECKS.search(f.node_text(fn)))


@register_extractor("script")
def js_cookies(f: ScriptFile) -> Iterator[CookieSite]:
    for call, callee, args in calls(f):
        if not re.fullmatch(r"(res|response|reply)\.cookie", callee) or len(args) < 2:
            continue
        options = pairs(f, args[2] if len(args) > 2 else None)
        value = f.node_text(args[1]).strip("'\"`")
        max_age = options.get("maxAge") or options.get("expires")
        clears = value == "" or (max_age is not None and f.node_text(max_age) in {"0", "new Date(0)"})
        computed = args[1].type not in {"string", "number", "true", "false"}
        yield CookieSite(**site_args(f, call), name=f.node_text(args[0]).strip("'\"`"),
                         httponly=flag(f, options, "httpOnly"), secure=flag(f, options, "secure"), clears=clears,
                         auth_context=computed and auth_context(f, call))  # fmt: skip


@register_extractor("script")
def js_token_signing(f: ScriptFile) -> Iterator[TokenSignSite]:
    libraries = bound_to(f, ("jsonwebtoken",))
    for call, callee, args in calls(f):
        if not args or "." not in callee or callee.rsplit(".", 1) != [callee.split(".")[0], "sign"]:
            continue
        if callee.split(".")[0] not in libraries:
            continue
        yield TokenSignSite(**site_args(f, call), library="jsonwebtoken", expiry=_js_expiry(f, args),
                            flows_into=flows_into(f, call))  # fmt: skip


def _js_expiry(f: ScriptFile, args: list[tree_sitter.Node]) -> Literal["set", "missing", "unknown"]:
    options = args[2] if len(args) > 2 else None
    if options is not None and options.type != "object":
        return "unknown"
    if {"expiresIn", "exp"} & set(pairs(f, options)):
        return "set"
    payload = args[0]
    if payload.type == "object":
        return "set" if "exp" in pairs(f, payload) else "missing"
    return "missing" if payload.type in {"string", "number", "member_expression", "template_string"} else "unknown"


@register_extractor("script")
def js_cors(f: ScriptFile) -> Iterator[CorsSite]:
    cors_names = bound_to(f, ("cors", "@fastify/cors", "@koa/cors", "kcors"))
    for call, callee, args in calls(f):
        if callee in cors_names:
            options = pairs(f, args[0] if args else None)
            yield _cors_options(f, call, "cors", options, not args)
        elif re.fullmatch(r"\w+\.(setHeader|header|set)", callee) and len(args) >= 2 and _is_acao(f, args[0]):
            yield _cors_header(f, call, args[1])
    for pair in f.captures("(pair) @p").get("p", []):
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key is not None and value is not None and f.node_text(key).strip("'\"") == "cors" and value.type == "object":
            yield _cors_options(f, pair, "socket.io cors", pairs(f, value), False)
    for declarator in f.captures("(variable_declarator) @d").get("d", []):
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is not None and value is not None and f.node_text(name) == "cors" and value.type == "object":
            yield _cors_options(f, declarator, "socket.io cors", pairs(f, value), False)
    for assign in f.captures("(assignment_expression) @a").get("a", []):
        left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
        if left is not None and right is not None and f.node_text(left) == "cors" and right.type == "object":
            yield _cors_options(f, assign, "socket.io cors", pairs(f, right), False)


def _cors_options(f: ScriptFile, node: tree_sitter.Node, mechanism: str, options: dict[str, tree_sitter.Node],
                  bare: bool) -> CorsSite:  # fmt: skip
    origin = options.get("origin")
    origin_text = f.node_text(origin).strip("'\"`") if origin is not None else ""
    any_origin = bare or (origin is None and mechanism == "cors") or origin_text in {"*", "true"}
    credentials = flag(f, options, "credentials") == "yes"
    reflects = origin_text == "true"  # the cors package sends the request's own Origin back
    return CorsSite(**site_args(f, node), mechanism=mechanism, any_origin=any_origin, reflects=reflects and credentials,
                    credentials=credentials, condition=condition(f, node))  # fmt: skip


def _is_acao(f: ScriptFile, name: tree_sitter.Node) -> bool:
    return f.node_text(name).strip("'\"`").lower() == "access-control-allow-origin"


def _cors_header(f: ScriptFile, call: tree_sitter.Node, value: tree_sitter.Node) -> CorsSite:
    text = f.node_text(value)
    reflects = value.type != "string" and "origin" in text.lower()
    fn = enclosing(call)
    scope = f.node_text(fn) if fn is not None else f.text
    credentials = "access-control-allow-credentials" in scope.lower()
    where = {**site_args(f, call), "function": f.enclosing_function(call) or _assigned_function(f, fn)}
    return CorsSite(**where, mechanism="Access-Control-Allow-Origin header",
                    any_origin=text.strip("'\"`") == "*" or reflects, reflects=reflects and credentials,
                    credentials=credentials, condition=condition(f, call))  # fmt: skip


def _assigned_function(f: ScriptFile, fn: tree_sitter.Node | None) -> str | None:
    """The name a function expression is assigned to (``exports.allowAllOrigin = (res) => ...``), or None."""
    parent = fn.parent if fn is not None else None
    left = parent.child_by_field_name("left") if parent is not None and parent.type == "assignment_expression" else None
    return f.node_text(left).rsplit(".", 1)[-1] if left is not None else None


@register_extractor("script")
def trust_proxy(f: ScriptFile) -> Iterator[TrustProxySite]:
    for call, callee, args in calls(f):
        if callee.endswith(".set") and len(args) == 2 and f.node_text(args[0]).strip("'\"`") == "trust proxy":
            yield TrustProxySite(**site_args(f, call), value=f.node_text(args[1]), condition=condition(f, call))


@register_extractor("script")
def config_defaults(f: ScriptFile) -> Iterator[ConfigDefaultSite]:
    """``KEY: bool({ default: true })`` and the like: an upper-case key whose value is a call given a boolean
    ``default``."""
    for pair in f.captures("(pair key: (property_identifier) @k value: (call_expression) @v) @p").get("p", []):
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key is None or value is None or not re.fullmatch(r"[A-Z][A-Z0-9_]+", f.node_text(key)):
            continue
        args = value.child_by_field_name("arguments")
        options = pairs(f, args.named_children[0] if args is not None and args.named_children else None)
        default = options.get("default")
        if default is not None and default.type in {"true", "false"}:
            yield ConfigDefaultSite(**site_args(f, pair), key=f.node_text(key), default=default.type)


@register_extractor("script")
def js_csrf(f: ScriptFile) -> Iterator[CsrfSite]:
    names = bound_to(f, knowledge().provides.get("csrf_protection", ()))
    for call, callee, _ in calls(f):
        if callee.split(".")[0] in names:
            yield CsrfSite(**site_args(f, call), mechanism=callee)
            return


@register_extractor("script")
def js_read_only(f: ScriptFile) -> Iterator[ReadOnlyDbSite]:
    for pair in f.captures("(pair) @p").get("p", []):
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        read_only = key is not None and f.node_text(key).strip("'\"").lower() in {"readonly", "read_only"}
        if key is not None and value is not None and value.type == "true" and read_only:
            yield ReadOnlyDbSite(**site_args(f, pair), mechanism=f"{f.node_text(key)}: true")
    for node in f.captures("(member_expression) @m").get("m", []):
        if f.node_text(node).endswith(".OPEN_READONLY"):
            yield ReadOnlyDbSite(**site_args(f, node), mechanism="OPEN_READONLY")


@register_extractor("script")
def js_deserializers(f: ScriptFile) -> Iterator[DeserializerSite]:
    names = bound_to(f, ("node-serialize", "serialize-to-js", "funcster"))
    for call, callee, args in calls(f):
        root, _, method = callee.partition(".")
        if (root in names and method in {"unserialize", "deserialize"}) or (not method and callee in names
                                                                            and "serial" in callee.lower()):
            origin = js_origin(f, args[0])[0] if args else "constant"
            yield DeserializerSite(**site_args(f, call), form=f"{callee}", origin=origin)
