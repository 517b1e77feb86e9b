"""Operations facts in JavaScript and TypeScript: health routes, servers, SIGTERM handlers, logging, telemetry.

Express/Fastify/Koa/Hapi routes (``app.get('/health', handler)``), NestJS ``@Get('health')``
methods and ``req.url === '/health'`` branches of a bare ``http.createServer`` are health
endpoints; the site types and vocabulary come from :mod:`assess.patterns.operations`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

import tree_sitter

from assess.knowledge import knowledge, matches
from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.operations import (
    COMMAND_WORDS,
    COMMANDLIKE,
    PATHLIKE,
    HealthCommandSite,
    HealthEndpointSite,
    ProbeKind,
    RootRouteSite,
    ServeSite,
    ServiceSite,
    SignalHandlerSite,
    health_route,
    is_dependency_call,
)
from assess.patterns.scripts import ScriptFile

Node = tree_sitter.Node

FUNCTIONS = {"arrow_function", "function_expression", "function", "function_declaration", "method_definition"}
RESPONDER_OBJECTS = frozenset({"res", "reply", "response", "ctx", "h", "c"})
ROUTE_METHODS = frozenset({"get", "all", "head", "use"})
APP_FACTORIES = {
    "express": "express app", "Koa": "Koa app", "Fastify": "Fastify app", "fastify": "Fastify app",
    "createServer": "http server", "http.createServer": "http server", "https.createServer": "http server",
    "NestFactory.create": "NestJS app", "Hapi.server": "Hapi server", "Hapi.Server": "Hapi server",
}  # fmt: skip
FACTORY_CALLEE = "^(" + "|".join(sorted(n.replace(".", r"\\.") for n in APP_FACTORIES)) + ")$"
SERVER_NAMES = frozenset({"app", "server", "httpServer", "fastify", "api"})
SIGNALS = re.compile(r"\bSIG(TERM|INT|HUP|QUIT)\b")


def _site(f: ScriptFile, cls: type[Site], node: Node, **fields: object) -> Site:
    line, end = f.span(node)
    return cls(path=f.path, line=line, end_line=end, language=f.language, snippet=f.snippet(node),
               function=f.enclosing_function(node), **fields)  # fmt: skip


def _walk(node: Node) -> Iterator[Node]:
    """``node`` and its descendants in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _string(f: ScriptFile, node: Node | None) -> str | None:
    if node is not None and node.type == "string":
        return f.node_text(node)[1:-1]
    return None


STATEMENTS = frozenset({"lexical_declaration", "variable_declaration", "public_field_definition", "field_definition"})
SCOPES = frozenset({"function_declaration", "class_declaration", "method_definition", "class_body", "program"})


def _statement(node: Node) -> Node:
    """The statement holding ``node`` (or the expression body of an arrow function); ``node`` when there is none."""
    current = node
    while current.parent is not None and current.type not in SCOPES:
        if current.type.endswith("statement") or current.type in STATEMENTS or current.parent.type == "arrow_function":
            return current
        current = current.parent
    return node


def _callee(f: ScriptFile, call: Node) -> str:
    fn = call.child_by_field_name("function") or call.child_by_field_name("constructor")
    return "" if fn is None else re.sub(r"\s+", "", f.node_text(fn))


def _handler(f: ScriptFile, body: Node) -> tuple[Node, bool, tuple[str, ...]]:
    """(node for the finding, deep?, dependency calls) for a handler function or statement block."""
    checks: list[tuple[Node, str]] = []
    answer: Node | None = None
    for node in _walk(body):
        if node.type == "call_expression":
            name = _callee(f, node)
            head = re.split(r"[.(\[]", name, maxsplit=1)[0]
            if head in RESPONDER_OBJECTS:
                answer = answer or node
            elif is_dependency_call(name):
                checks.append((node, name))
        elif node.type == "return_statement" or (
            node.type == "assignment_expression" and f.node_text(node).startswith(("ctx.body", "ctx.status"))
        ):
            answer = answer or node
    if checks:
        return checks[0][0], True, tuple(dict.fromkeys(c for _, c in checks))
    if answer is None:
        inner = body.child_by_field_name("body") if body.type in FUNCTIONS else body
        answer = (
            next(iter(inner.named_children), inner) if inner is not None and inner.type == "statement_block" else inner
        )
    return answer or body, False, ()


def _functions(f: ScriptFile) -> dict[str, Node]:
    """Functions by name: ``function health()``, ``const health = () => ...``."""
    out: dict[str, Node] = {}
    for node in _walk(f.tree.root_node):
        if node.type == "function_declaration" and (name := node.child_by_field_name("name")) is not None:
            out.setdefault(f.node_text(name), node)
        elif node.type == "variable_declarator":
            value, name = node.child_by_field_name("value"), node.child_by_field_name("name")
            if value is not None and name is not None and value.type in FUNCTIONS:
                out.setdefault(f.node_text(name), value)
    return out


ROUTE_QUERY = """((call_expression function: (member_expression property: (property_identifier) @p)
  arguments: (arguments . (string) @route)) @c (#match? @p "^(get|all|head|use)$"))"""


Endpoint = tuple[str, ProbeKind, Node | None, Node]
"""Route, kind, handler (None when it is defined in another module) and the node that declares the route."""


def _route_calls(f: ScriptFile) -> Iterator[Endpoint]:
    """``app.get('/health', handler)``: route, kind and the handler (None when defined elsewhere)."""
    defs: dict[str, Node] | None = None
    for match in f.matches(ROUTE_QUERY):
        route = _string(f, match["route"][0])
        kind = health_route(route) if route else None
        args = match["c"][0].child_by_field_name("arguments")
        if route is None or kind is None or args is None:
            continue
        last = args.named_children[-1]
        if len(args.named_children) < 2 or last.type not in {*FUNCTIONS, "identifier", "member_expression"}:
            continue  # axios.get('/health') calls a health endpoint; it does not define one
        if last.type == "identifier":
            defs = _functions(f) if defs is None else defs
        handler = last if last.type in FUNCTIONS else (defs or {}).get(f.node_text(last))
        yield route, kind, handler, match["c"][0]


def _decorated_routes(f: ScriptFile) -> Iterator[Endpoint]:
    """NestJS: ``@Controller('health')`` and ``@Get('ready')`` on a method."""
    if "@Get" not in f.text and "@All" not in f.text and "@Head" not in f.text:
        return
    for method in f.captures("(method_definition) @m").get("m", []):
        verb = _decorator_path(f, method, {"Get", "Head", "All"})
        if verb is None:
            continue
        cls = next((a for a in f.ancestors(method) if a.type == "class_declaration"), None)
        prefix = _decorator_path(f, cls, {"Controller"}) if cls is not None else None
        route = "/" + "/".join(p.strip("/") for p in (prefix or "", verb) if p.strip("/"))
        if kind := health_route(route):
            yield route, kind, method, method


def _decorator_path(f: ScriptFile, node: Node, names: set[str]) -> str | None:
    decorators: list[Node] = [c for c in node.children if c.type == "decorator"]
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type == "decorator":
        decorators.append(sibling)
        sibling = sibling.prev_named_sibling
    if node.parent is not None and node.parent.type == "export_statement":
        decorators.extend(c for c in node.parent.children if c.type == "decorator")
    for deco in decorators:
        call = next((c for c in deco.named_children if c.type == "call_expression"), None)
        if call is None or _callee(f, call) not in names:
            continue
        args = call.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        return _string(f, first) or ""
    return None


def _branch_routes(f: ScriptFile) -> Iterator[Endpoint]:
    """``if (req.url === '/health') {...}`` and ``case '/health':`` in a plain http server."""
    for node in f.captures("(if_statement) @i (switch_case) @s").get("i", []):
        condition = node.child_by_field_name("condition")
        for cmp in _walk(condition) if condition is not None else ():
            if cmp.type != "binary_expression" or f.node_text(cmp.child_by_field_name("operator") or cmp) not in {
                "===",
                "==",
            }:
                continue
            sides = [cmp.child_by_field_name("left"), cmp.child_by_field_name("right")]
            pathlike = any(s is not None and PATHLIKE.search(f.node_text(s)) for s in sides)
            for side in sides:
                text = _string(f, side)
                if text is not None and (kind := health_route(text, bare=pathlike)):
                    yield text, kind, node.child_by_field_name("consequence"), node
    for case in f.captures("(switch_case) @s").get("s", []):
        text = _string(f, case.child_by_field_name("value"))
        if text is not None and (kind := health_route(text)):
            yield text, kind, case, case


def _health(f: ScriptFile) -> Iterator[Site]:
    seen: set[int] = set()
    bindings: dict[str, str] | None = None
    for route, kind, handler, declared in [*_route_calls(f), *_decorated_routes(f), *_branch_routes(f)]:
        if handler is None:  # the handler lives in another module: judged there if it is a mounted router
            bindings = _bindings(f) if bindings is None else bindings
            yield _site(f, HealthEndpointSite, _statement(declared), route=route, probe=kind, deep=None,
                        handler_module=_mounted(f, declared, bindings))  # fmt: skip
            continue
        node, deep, checks = _handler(f, handler)
        anchor = _statement(node)
        if anchor.start_byte not in seen:
            seen.add(anchor.start_byte)
            yield _site(f, HealthEndpointSite, anchor, route=route, probe=kind, deep=deep, checks=checks)


ROOT_QUERY = """((call_expression function: (member_expression property: (property_identifier) @p)
  arguments: (arguments . (string) @route)) @c (#match? @p "^(get|all|head)$"))"""
SCRIPT_SUFFIXES = (".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx", ".mts", ".cts")


def _root_routes(f: ScriptFile) -> Iterator[Site]:
    """``router.get('/', handler)``: a router's root, which is its health endpoint if it is mounted at /health."""
    defs: dict[str, Node] | None = None
    for match in f.matches(ROOT_QUERY):
        args = match["c"][0].child_by_field_name("arguments")
        if _string(f, match["route"][0]) not in {"/", ""} or args is None or len(args.named_children) < 2:
            continue
        last = args.named_children[-1]
        if last.type == "identifier":
            defs = _functions(f) if defs is None else defs
        handler = last if last.type in FUNCTIONS else (defs or {}).get(f.node_text(last))
        if handler is not None:
            node, deep, checks = _handler(f, handler)
            yield _site(f, RootRouteSite, _statement(node), deep=deep, checks=checks)


def module_path(importer: str, spec: str) -> str | None:
    """The repository path (no extension, no ``/index``) of a relative import ``spec`` in file ``importer``."""
    if not spec.startswith("."):
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    for suffix in SCRIPT_SUFFIXES:
        path = path.removesuffix(suffix)
    return path.removesuffix("/index")


def _bindings(f: ScriptFile) -> dict[str, str]:
    """Local names bound to a relative module: ``const health = require('./health')``, ``import h from './h'``."""
    out: dict[str, str] = {}
    for node in _imports(f):
        spec = _module(f, node)
        if not spec.startswith("."):
            continue
        for name in _bound_names(f, node):
            out.setdefault(name, spec)
    return out


def _bound_names(f: ScriptFile, node: Node) -> list[str]:
    text = f.node_text(node)
    head = re.split(r"=\s*require|\bfrom\b", text, maxsplit=1)[0]
    head = re.sub(r"^\s*(import|const|let|var)\s+(\*\s+as\s+)?", "", head)
    return re.findall(r"[A-Za-z_$][\w$]*", head.replace(" as ", " "))


def _mounted(f: ScriptFile, declared: Node, bindings: dict[str, str]) -> str | None:
    """The module a ``use('/health', router)`` call mounts, when ``router`` was imported from one."""
    fn, args = declared.child_by_field_name("function"), declared.child_by_field_name("arguments")
    prop = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else None
    if prop is None or f.node_text(prop) != "use" or args is None or not args.named_children:
        return None
    last = args.named_children[-1]
    name = f.node_text(last).split(".")[0]
    return module_path(f.path, bindings[name]) if name in bindings else None


def _health_commands(f: ScriptFile) -> Iterator[Site]:
    """``switch (cmd) { case 'health': ... }`` and ``if (command === 'ping')`` in a daemon's command dispatch."""
    for switch in f.captures("(switch_statement) @s").get("s", []):
        value = switch.child_by_field_name("value")
        if value is None or not COMMANDLIKE.search(f.node_text(value).strip("() ")):
            continue
        for case in _walk(switch):
            word = _string(f, case.child_by_field_name("value")) if case.type == "switch_case" else None
            if word in COMMAND_WORDS:
                yield _site(f, HealthCommandSite, case, command=word)


def _calls(f: ScriptFile, callee: str) -> list[Node]:
    """Calls (and ``new``) whose callee's text matches the regular expression ``callee``."""
    source = (
        f'([(call_expression function: (_) @fn) (new_expression constructor: (_) @fn)] @c (#match? @fn "{callee}"))'
    )
    return sorted(f.captures(source).get("c", []), key=lambda n: n.start_byte)


def _servers(f: ScriptFile) -> Iterator[Site]:
    apps: set[str] = set()
    for call in _calls(f, FACTORY_CALLEE):
        name = _callee(f, call)
        if name in APP_FACTORIES:
            yield _site(f, ServiceSite, call, how=APP_FACTORIES[name])
            decl = (
                call.parent.parent
                if call.parent is not None and call.parent.type == "await_expression"
                else call.parent
            )
            if decl is not None and decl.type == "variable_declarator" and (n := decl.child_by_field_name("name")):
                apps.add(f.node_text(n))
    for call in _calls(f, r"\\.listen$"):
        fn, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if fn is None or fn.type != "member_expression" or args is None or not args.named_children:
            continue
        obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
        if prop is None or obj is None or f.node_text(prop) != "listen":
            continue
        if obj.type in {"call_expression", "new_expression"} or f.node_text(obj) in apps | SERVER_NAMES:
            yield _site(f, ServeSite, _statement(call), how=f"{f.node_text(obj)[:40]}.listen", handles_signals=False)


def _signals(f: ScriptFile) -> Iterator[Site]:
    for call in _calls(f, r"^(process\\.(on|once|addListener|prependListener)|app\\.enableShutdownHooks)$"):
        name = _callee(f, call)
        args = call.child_by_field_name("arguments")
        if name == "app.enableShutdownHooks":
            yield _site(f, SignalHandlerSite, call, signals=("SIGTERM",), mechanism="NestJS shutdown hooks")
        if name not in {"process.on", "process.once", "process.addListener", "process.prependListener"} or not args:
            continue
        first = args.named_children[0] if args.named_children else None
        scope = first
        if first is not None and first.type == "identifier":  # for (const s of ['SIGTERM', ...]) process.on(s, ...)
            scope = next((a for a in f.ancestors(call) if a.type in {"for_in_statement", "call_expression"}), first)
        found = sorted({f"SIG{m}" for m in SIGNALS.findall(f.node_text(scope))}) if scope is not None else []
        if found:
            yield _site(f, SignalHandlerSite, _statement(call), signals=tuple(found), mechanism=name)
    for imp in _imports(f):
        if (module := _module(f, imp)) and matches(module, knowledge().provides.get("graceful_shutdown", ())):
            yield _site(f, SignalHandlerSite, _installed(f, imp), signals=("SIGTERM",), mechanism=module)


def _installed(f: ScriptFile, imp: Node) -> Node:
    """Where a shutdown library is put to work: the first call of the name its import binds
    (``gracefulShutdown(server, {...})``), else the import itself."""
    bound = re.match(r"\s*(?:import\s+|(?:const|let|var)\s+)([A-Za-z_$][\w$]*)", f.node_text(imp))
    if bound is None:
        return imp
    name = re.escape(bound.group(1)).replace("\\$", "[$]")
    later = [c for c in _calls(f, f"^{name}$") if c.start_byte > imp.end_byte]
    return _statement(later[0]) if later else imp


def _imports(f: ScriptFile) -> list[Node]:
    """Import statements and ``require('x')`` declarations, in line order."""
    nodes = f.captures("(import_statement) @i").get("i", [])
    for call in f.captures('(call_expression function: (identifier) @f (#eq? @f "require")) @c').get("c", []):
        nodes.append(_statement(call))
    return sorted(nodes, key=lambda n: n.start_byte)


def _module(f: ScriptFile, node: Node) -> str:
    match = re.search(r"""(?:from\s*|require\s*\(\s*|import\s*)['"]([^'"]+)['"]""", f.node_text(node))
    return match.group(1) if match else ""


@register_extractor("script")
def operations_script(f: ScriptFile) -> Iterator[Site]:
    yield from _health(f)
    yield from _root_routes(f)
    yield from _servers(f)
    yield from _signals(f)
    yield from _health_commands(f)
