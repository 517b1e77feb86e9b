"""Security sites about logging in and handling input, in JavaScript and TypeScript: routes that log in, rate
limiters and how they are consulted, secrets given to log calls, outbound requests to addresses from the request,
validation schemas (express-validator chains, Joi, zod, yup) and checks that reject bad input before it is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import tree_sitter

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.scripts import ScriptFile
from assess.patterns.security import ValidatorSite
from assess.patterns.security_js_flow import js_origin
from assess.patterns.security_js_web import bound_to, calls, enclosing, site_args
from assess.patterns.security_web import OutboundUrlSite, SecretLogSite, secret_named


@register_site
class RouteSite(Site):
    """A route that changes state (POST, PUT, PATCH, ALL), with what runs before its handler."""

    kind: Literal["security.route"] = "security.route"
    method: str
    route: str
    middleware: tuple[str, ...] = ()
    """Everything passed between the path and the handler, as written."""
    handler_limits: bool | None = None
    """Whether the handler's own code consults a limiter; None when the handler is defined elsewhere."""


@register_site
class LimiterSite(Site):
    """A rate limiter made once and kept in a name (``const loginLimiter = new RateLimiter(...)``)."""

    kind: Literal["security.limiter"] = "security.limiter"
    name: str
    made_by: str
    """The constructor or factory as written."""


@register_site
class LimiterUseSite(Site):
    """A call on a named rate limiter, and whether it is given a per-client key."""

    kind: Literal["security.limiter-use"] = "security.limiter-use"
    name: str
    method: str
    keyed: bool
    """Whether an argument names the client (an IP, a user, an email, a key)."""


ROUTE_METHODS = frozenset({"post", "put", "patch", "all"})
ROUTER = re.compile(r"(^|\.)(app|api|server|routes?|r|admin|\w*[Rr]outer|\w*[Aa]pp)$")
"""Names of what routes are declared on; ``axios.post("/login", body)`` calls a route, it does not declare one."""
LIMIT_WORDS = re.compile(r"limit|throttl|slow_?down|brute|rate", re.IGNORECASE)
LIMITER_NAME = re.compile(r"limit|throttl|bucket", re.IGNORECASE)
CLIENT_KEY = re.compile(r"\bip\b|\.ip\b|address|user|email|login|account|key|\bid\b|socket|remote|req\.|client",
                        re.IGNORECASE)  # fmt: skip
HTTP_CLIENT = re.compile(r"^(axios(\.(get|post|put|patch|delete|head|request))?|fetch|got(\.(get|post|put))?|"
                         r"needle|superagent\.(get|post)|request|https?\.(get|request)|undici\.request)$")
LOG_CALLEE = re.compile(r"^(console|log|logger|this\.log|this\.logger)\.(log|info|warn|error|debug|trace)$")
CHAIN_START = re.compile(r"^(body|param|query|check|header|cookie|checkSchema)$")
CHECK_KINDS = {
    "isLength": "length", "isString": "type", "isInt": "type", "isNumeric": "type", "isBoolean": "type",
    "isEmail": "type", "isURL": "type", "isUUID": "type", "isIn": "membership", "isArray": "type",
    "isFloat": "type", "isDate": "type", "isISO8601": "type", "matches": "comparison", "custom": "comparison",
    "exists": "comparison", "notEmpty": "comparison", "isAlphanumeric": "type", "isJSON": "type",
    "min": "length", "max": "length", "email": "type", "url": "type", "uuid": "type", "valid": "membership",
    "enum": "membership", "oneOf": "membership", "string": "type", "number": "type", "boolean": "type",
}  # fmt: skip
"""Validation methods of express-validator, Joi, zod and yup, by the kind of check."""
SCHEMA_ROOT = re.compile(r"^(Joi|joi|z|yup|Yup)\.(object|array|string|number)$")
VALID_CALL = re.compile(r"(^|\.)(is_?[Vv]alid\w*|valid\w*|validate\w*)$")


SOCKET_RECEIVER = re.compile(r"(^|\.)(socket|sock|ws|client|conn|connection|peer)$", re.IGNORECASE)
LOGIN_EVENT = re.compile(r"^(auth|login|log-?in|sign-?in|authenticate|logon)([:._-]\w+)*$", re.IGNORECASE)
"""socket.io / websocket events that log a client in: ``auth:perform``, ``login``."""


def _named_function(f: ScriptFile, name: str) -> tree_sitter.Node | None:
    """The function this file declares under ``name`` (``function performAuthentication(...)``, ``const x = () =>``)."""
    for node in f.captures("(function_declaration name: (identifier) @n) @fn").get("fn", []):
        ident = node.child_by_field_name("name")
        if ident is not None and f.node_text(ident) == name:
            return node
    for node in f.captures("(variable_declarator name: (identifier) value: [(arrow_function) (function_expression)]) @d"
                           ).get("d", []):  # fmt: skip
        ident = node.child_by_field_name("name")
        if ident is not None and f.node_text(ident) == name:
            return node.child_by_field_name("value")
    return None


def _socket_logins(f: ScriptFile) -> Iterator[RouteSite]:
    """``socket.on("auth:perform", handler)``: a login over a websocket is a login route too. The site is the
    handler's code when this file declares it (where a reader checks for a limit)."""
    for call, callee, args in calls(f):
        receiver, _, method = callee.rpartition(".")
        if method != "on" or not SOCKET_RECEIVER.search(receiver) or len(args) < 2 or args[0].type != "string":
            continue
        event = f.node_text(args[0]).strip("'\"`")
        if not LOGIN_EVENT.match(event):
            continue
        handler = args[-1]
        inline = handler.type in {"arrow_function", "function_expression", "function"}
        body = handler if inline else _named_function(f, f.node_text(handler)) if handler.type == "identifier" else None
        where = body if body is not None and not inline else call
        limits = bool(LIMIT_WORDS.search(f.node_text(body))) if body is not None else None
        yield RouteSite(**site_args(f, where), method="socket", route=event, handler_limits=limits)


@register_extractor("script")
def routes(f: ScriptFile) -> Iterator[RouteSite]:
    yield from _socket_logins(f)
    for call, callee, args in calls(f):
        receiver, _, method = callee.rpartition(".")
        if method not in ROUTE_METHODS or not ROUTER.search(receiver) or len(args) < 2 or args[0].type != "string":
            continue
        handler = args[-1]
        inline = handler.type in {"arrow_function", "function_expression", "function"}
        limits = bool(LIMIT_WORDS.search(f.node_text(handler))) if inline else None
        yield RouteSite(**site_args(f, call), method=method, route=f.node_text(args[0]).strip("'\"`"),
                        middleware=tuple(f.node_text(a)[:80] for a in args[1:-1]), handler_limits=limits)  # fmt: skip


@register_extractor("script")
def limiters(f: ScriptFile) -> Iterator[LimiterSite | LimiterUseSite]:
    named: set[str] = set()
    for declarator in f.captures("(variable_declarator name: (identifier) value: (new_expression)) @d").get("d", []):
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        made_by = value.child_by_field_name("constructor") if value is not None else None
        if name is not None and made_by is not None and LIMITER_NAME.search(f.node_text(name)):
            named.add(f.node_text(name))
            yield LimiterSite(**site_args(f, declarator), name=f.node_text(name), made_by=f.node_text(made_by))
    for call, callee, args in calls(f):
        receiver, _, method = callee.rpartition(".")
        if receiver and LIMITER_NAME.search(receiver.rsplit(".", 1)[-1]) and "." not in receiver:
            keyed = any(CLIENT_KEY.search(f.node_text(a)) for a in args if a.type not in {"arrow_function", "function"})
            yield LimiterUseSite(**site_args(f, call), name=receiver, method=method, keyed=keyed)


@register_extractor("script")
def js_secret_logs(f: ScriptFile) -> Iterator[SecretLogSite]:
    for call, callee, args in calls(f):
        if not LOG_CALLEE.match(callee):
            continue
        found = next((n for a in args for n in _secret_names(f, a)), None)
        if found is not None:
            yield SecretLogSite(**site_args(f, call), name=found)


def _secret_names(f: ScriptFile, node: tree_sitter.Node) -> Iterator[str]:
    """Identifiers and properties in ``node`` whose name says they hold a secret: not inside strings, comparisons,
    ``.length`` or a call that hides them (``mask``, ``hash``, ``substring``)."""
    if node.type in {"string", "string_fragment", "binary_expression"} and node.type != "binary_expression":
        return
    if node.type == "binary_expression" and f.node_text(node.child_by_field_name("operator") or node) != "+":
        return
    if node.type == "call_expression":
        callee = f.node_text(node.child_by_field_name("function") or node)
        if re.search(r"mask|redact|hash|substring|slice|length|Boolean|typeof", callee, re.IGNORECASE):
            return
    if node.type in {"identifier", "member_expression", "property_identifier"}:
        last = f.node_text(node).rsplit(".", 1)[-1]
        if last in {"length", "size"}:
            return
        if secret_named(last):
            yield f.node_text(node)
            return
    for child in node.named_children:
        yield from _secret_names(f, child)


@register_extractor("script")
def js_outbound_urls(f: ScriptFile) -> Iterator[OutboundUrlSite]:
    for call, callee, args in calls(f):
        if not HTTP_CLIENT.match(callee) or not args or args[0].type == "string":
            continue
        url = args[0]
        if url.type == "object":  # axios({ url: ... }), got({ url })
            url = next((p.child_by_field_name("value") or p for p in url.named_children
                        if p.type == "pair" and f.node_text(p.child_by_field_name("key") or p) == "url"),
                       url)  # fmt: skip
        kind, what = js_origin(f, url)
        yield OutboundUrlSite(**site_args(f, call), client=callee, origin=kind, what=what)


@register_extractor("script")
def validation_schemas(f: ScriptFile) -> Iterator[ValidatorSite]:
    """Declarations holding express-validator chains or a Joi, zod or yup schema, with the checks they make."""
    chains = bound_to(f, ("express-validator",))
    for declarator in f.captures("(variable_declarator name: (identifier) value: (_)) @d").get("d", []):
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is None or value is None or enclosing(declarator) is not None:
            continue
        checks = _schema_checks(f, value, chains)
        if len(checks) >= 2:
            line = declarator.start_point[0] + 1
            yield ValidatorSite(**{**site_args(f, declarator), "end_line": line, "snippet": f.lines[line - 1].strip()},
                                name=f.node_text(name), rejections=len(checks),
                                checks=tuple(sorted(set(checks))), style="schema")  # fmt: skip


def _schema_checks(f: ScriptFile, value: tree_sitter.Node, chains: set[str]) -> list[str]:
    """The kinds of the validation methods called in ``value`` when it is made of validation chains or a schema."""
    found: list[str] = []
    is_schema = False
    for callee in _callees(f, value):
        head = callee.split(".")[0].split("(")[0]
        chain = head in chains and CHAIN_START.match(head) is not None
        is_schema = is_schema or chain or bool(SCHEMA_ROOT.match(callee))
        method = callee.rsplit(".", 1)[-1]
        if method in CHECK_KINDS and "." in callee:
            found.append(CHECK_KINDS[method])
    return found if is_schema else []


def _callees(f: ScriptFile, node: tree_sitter.Node) -> Iterator[str]:
    """The callee of every call in ``node`` (not inside functions: a ``custom()`` check's own code)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "call_expression":
            callee = current.child_by_field_name("function")
            yield f.node_text(callee) if callee is not None else ""
        if current.type not in {"arrow_function", "function_expression"}:
            stack.extend(current.named_children)


@register_extractor("script")
def validation_guards(f: ScriptFile) -> Iterator[ValidatorSite]:
    """``if (!isValidPacket(x)) { ...; continue }``: input checked by a validation function and refused."""
    for statement in f.captures("(if_statement) @i").get("i", []):
        test = statement.child_by_field_name("condition")
        body = statement.child_by_field_name("consequence")
        inner = test.named_children[0] if test is not None and test.named_children else None
        if inner is None or inner.type != "unary_expression" or not f.node_text(inner).startswith("!"):
            continue
        operand = inner.child_by_field_name("argument")
        called = operand is not None and operand.type == "call_expression"
        callee = operand.child_by_field_name("function") if operand is not None and called else None
        if callee is None or not VALID_CALL.search(f.node_text(callee)) or not _refuses(f, body):
            continue
        line = statement.start_point[0] + 1
        yield ValidatorSite(**{**site_args(f, statement), "end_line": line, "snippet": f.lines[line - 1].strip()},
                            name=f.node_text(callee), rejections=1, checks=("call",), style="guard")  # fmt: skip


def _refuses(f: ScriptFile, body: tree_sitter.Node | None) -> bool:
    if body is None:
        return False
    statements = body.named_children if body.type == "statement_block" else [body]
    last = statements[-1] if statements else None
    text = f.node_text(last) if last is not None else ""
    return last is not None and (last.type in {"continue_statement", "return_statement", "throw_statement"}
                                 or bool(re.search(r"\.status\(4\d\d\)|\bnext\(\s*\w", text)))  # fmt: skip
