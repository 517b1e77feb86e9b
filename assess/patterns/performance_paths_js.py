"""Blocking calls and the call graph of JavaScript and TypeScript files: what the performance probes need to tell a
synchronous call on the request path of an event-loop server from one at start-up.

Every function of a Node process runs on its one event loop, so what matters about ``fs.readFileSync`` or
``bcrypt.compareSync`` is who calls it: a route's handler (every request waits for it) or start-up code (nothing is
served yet). One walk of the syntax tree records, per file:

- the **blocking calls** (synchronous file, process, SQLite and CPU-heavy calls: :class:`BlockingCallSite`), each
  with the function that owns it;
- the **call graph** (:class:`CallGraphSite`): the file's functions (declarations, methods, functions assigned to a
  name, an export or a property; an anonymous callback belongs to the function around it), the functions of the
  tree each one calls or hands on as a callback (``#name`` in this file, ``./module#name`` through ``require`` or
  ``import`` of a relative module, or an object made with ``new`` from one), and which of them are **handlers**: the
  callbacks of routes (``app.get("/path", fn)``, ``router.route("/x").post(fn)``), of middleware (``app.use(fn)``),
  of a server's requests (``http.createServer(fn)``), of socket messages (``socket.on("login", fn)``), hapi's
  ``handler``, NestJS's ``@Get()`` methods. Routes registered only in development (inside ``if (isDev)``) are left
  out. Handlers registered by reference (``app.get("/metrics", apiAuth)``) are listed apart.

The probe resolves module names to files and walks from the handlers (:mod:`assess.probes.performance_paths`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from assess.knowledge import knowledge, matches
from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.performance import BlockingCallSite
from assess.patterns.performance_graph import CalledFunction, CallGraphSite, HandlerRef
from assess.patterns.performance_js import DB_OBJECT, FUNCTIONS, ROUTE_METHODS, _args, _callee, _statement_object
from assess.patterns.performance_js_names import bindings, local_names, string_value
from assess.patterns.scripts import ScriptFile

FS_MODULES = {"fs", "node:fs", "fs-extra", "graceful-fs"}
PROCESS_MODULES = {"child_process", "node:child_process"}
SYNC_FS = re.compile(
    r"^(readFile|writeFile|appendFile|readdir|opendir|stat|lstat|fstat|mkdir|mkdtemp|unlink|copyFile|cp|rename|rm|"
    r"rmdir|access|open|close|read|write|exists|realpath|readlink|symlink|chmod|chown|truncate|ftruncate|fsync|"
    r"utimes)Sync$"
)
METADATA = {"existsSync", "statSync", "lstatSync", "fstatSync", "accessSync", "realpathSync", "readlinkSync",
            "mkdirSync", "unlinkSync", "rmdirSync", "renameSync", "chmodSync", "chownSync", "utimesSync", "symlinkSync"}
"""Calls that change or read a directory entry, not a file's contents: microseconds on a local disk."""
PROCESS_SYNC = {"execSync", "execFileSync", "spawnSync"}
CPU_SYNC = {
    "bcrypt": {"compareSync", "hashSync", "genSaltSync"},
    "bcryptjs": {"compareSync", "hashSync", "genSaltSync"},
    "crypto": {"pbkdf2Sync", "scryptSync", "generateKeyPairSync", "generatePrimeSync"},
    "zlib": {"gzipSync", "gunzipSync", "deflateSync", "inflateSync", "deflateRawSync", "inflateRawSync",
             "unzipSync", "brotliCompressSync", "brotliDecompressSync"},
}  # fmt: skip
"""Modules whose synchronous calls keep the CPU busy for milliseconds (a bcrypt compare at cost 10: ~50-100 ms)."""
STATEMENT_CALLS = {"run", "all", "get", "iterate"}
SOCKET_OBJECT = re.compile(r"(^|\.)(socket|sock|ws|wss|io|client|conn|connection|peer)$", re.IGNORECASE)
REQUEST_EVENTS = {"request", "message", "connection", "upgrade"}
SERVER_OBJECT = re.compile(r"(^|\.)(app|router|server|api|routes?|fastify|instance|srv)$", re.IGNORECASE)
DEV_GUARD = re.compile(
    r"\bis_?(dev|development|test|testing|e2e|debug)\b|['\"`](dev|development|test|testing|e2e)['\"`]|\be2e\b|"
    r"!==?\s*['\"`]production['\"`]",
    re.IGNORECASE,
)
"""Conditions that say the code inside runs only in development or tests (``if (isDev)``, ``NODE_ENV === "test"``)."""
ROUTE_DECORATORS = {"Get", "Post", "Put", "Patch", "Delete", "All", "Head", "Options", "SubscribeMessage",
                    "MessagePattern", "EventPattern"}  # fmt: skip
Key = tuple[int, int]


@dataclass
class _Function:
    line: int
    names: tuple[str, ...]
    is_async: bool
    handler: str | None
    calls: set[str] = field(default_factory=set)


@dataclass
class _Graph:
    """What one walk of a file finds: its functions, handlers by reference and blocking calls."""

    sf: ScriptFile
    bindings: dict[str, tuple[str, str]]
    """Local name -> (relative module, exported name; "" for the module itself or an object made from it)."""
    local: set[str]
    """Names of the file's own functions and classes."""
    server: bool
    """Whether the file imports a web or socket framework (then ``router.get("/x", fn)`` is a route)."""
    imports: frozenset[str] = frozenset()
    cpu: frozenset[str] = frozenset()
    """The CPU-heavy synchronous calls of the modules the file imports (``compareSync`` with bcrypt)."""
    functions: dict[Key, _Function] = field(default_factory=dict)
    refs: list[HandlerRef] = field(default_factory=list)
    blocking: list[BlockingCallSite] = field(default_factory=list)


def _key(node: Node) -> Key:
    return node.start_byte, node.end_byte


def _names(sf: ScriptFile, fn: Node, parent: Node | None) -> tuple[str, ...]:
    """The names code calls ``fn`` by: its own, and the variable, property or export it is assigned to."""
    names: list[str] = []
    if (own := fn.child_by_field_name("name")) is not None and own.type in {"identifier", "property_identifier"}:
        names.append(sf.node_text(own))
    holder = None
    if parent is not None and parent.type in {"variable_declarator", "public_field_definition", "field_definition"}:
        holder = parent.child_by_field_name("name") or parent.child_by_field_name("property")
    elif parent is not None and parent.type == "pair":
        holder = parent.child_by_field_name("key")
    elif parent is not None and parent.type == "assignment_expression":
        holder = parent.child_by_field_name("left")
        if holder is not None and sf.node_text(holder) in {"module.exports", "exports.default"}:
            names.append("default")
            holder = None
    elif parent is not None and parent.type == "export_statement" and any(c.type == "default" for c in parent.children):
        names.append("default")
    if holder is not None:
        names.append(sf.node_text(holder).rsplit(".", 1)[-1].strip("'\"`"))
    return tuple(dict.fromkeys(n for n in names if n))


def _is_async(fn: Node) -> bool:
    return any(c.type == "async" for c in fn.children)


def _dev_only(sf: ScriptFile, path: list[Node]) -> bool:
    """Whether the innermost node of ``path`` runs only under an ``if`` that says development or tests."""
    for i in range(len(path) - 1, 0, -1):
        node, parent = path[i], path[i - 1]
        if parent.type == "if_statement" and node == parent.child_by_field_name("consequence"):
            condition = parent.child_by_field_name("condition")
            if condition is not None and DEV_GUARD.search(sf.node_text(condition)):
                return True
    return False


def registration(graph: _Graph, call: Node) -> str | None:
    """How ``call`` registers its callbacks as handlers of requests or messages, or None."""
    sf = graph.sf
    last = _callee(sf, call)[1]
    args = _args(call)
    first = string_value(sf, args[0]) if args else None
    func = call.child_by_field_name("function")
    obj = func.child_by_field_name("object") if func is not None and func.type == "member_expression" else None
    if last == "createServer":
        return "request callback of the server"
    if obj is None:
        return None
    owner = sf.node_text(obj)
    if last in {"on", "once"} and first is not None:
        if SOCKET_OBJECT.search(owner) or (first in REQUEST_EVENTS and "process" not in owner):
            return f"'{first}' handler of {owner}"
        return None
    if last not in ROUTE_METHODS or not (graph.server or SERVER_OBJECT.search(owner)):
        return None
    if obj.type == "call_expression" and _callee(sf, obj)[1] == "route":
        route = _args(obj)
        path = string_value(sf, route[0]) if route else None
        return f"route {last.upper()} {path}" if path else None
    if first is not None and first.startswith(("/", "*")):
        return f"route {last.upper()} {first}"
    return "middleware" if last == "use" else None


def _handler(graph: _Graph, fn: Node, path: list[Node]) -> str | None:
    """How the function literal ``fn`` (innermost in ``path``) serves requests, or None."""
    sf = graph.sf
    parent = path[-2] if len(path) > 1 else None
    if fn.type == "method_definition":
        return _decorated_route(sf, fn)
    if parent is None or len(path) < 3:
        return None
    if (call := _registering_call(path)) is not None:
        how = registration(graph, call)
        return None if how is None or _dev_only(sf, path) else how
    if parent.type == "pair" and sf.node_text(parent.child_by_field_name("key") or parent) == "handler":
        call = next((a for a in reversed(path[:-2]) if a.type == "call_expression"), None)
        return "route handler" if call is not None and _callee(sf, call)[1] == "route" else None
    return None


def _registering_call(path: list[Node]) -> Node | None:
    """The call a function literal is handed to, through wrappers and arrays: ``app.get("/x", fn)``,
    ``router.post("/", asyncHandler(fn))``, ``app.use([fn])``; None when it is not an argument."""
    i = _skip_arrays(path, len(path) - 2)
    call = None
    for _ in range(3):
        if i < 1 or path[i].type != "arguments" or path[i - 1].type != "call_expression":
            return call
        call = path[i - 1]
        i = _skip_arrays(path, i - 2)
    return call


def _skip_arrays(path: list[Node], i: int) -> int:
    while i > 0 and path[i].type == "array":
        i -= 1
    return i


def _decorated_route(sf: ScriptFile, method: Node) -> str | None:
    before = method.prev_named_sibling
    while before is not None and before.type == "decorator":
        call = next((c for c in before.named_children if c.type == "call_expression"), None)
        name = _callee(sf, call)[0] if call is not None else ""
        if name in ROUTE_DECORATORS:
            return f"@{name} route"
        before = before.prev_named_sibling
    return None


def _target(graph: _Graph, node: Node) -> str | None:
    """The function of the tree that an identifier or ``object.member`` names, as ``module#name``; None if unknown."""
    sf = graph.sf
    if node.type == "identifier":
        name = sf.node_text(node)
        if name in graph.local:
            return f"#{name}"
        spec = graph.bindings.get(name)
        return f"{spec[0]}#{spec[1]}" if spec and spec[1] else None
    obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
    if obj is None or prop is None or prop.type != "property_identifier":
        return None
    owner, member = sf.node_text(obj), sf.node_text(prop)
    if obj.type == "this" or owner in {"exports", "module.exports"} or owner in graph.local:
        return f"#{member}"
    spec = graph.bindings.get(owner)
    return f"{spec[0]}#{member}" if spec else None


def _blocking(graph: _Graph, call: Node, fn: Node) -> tuple[str, str] | None:
    """(callee, cost) when ``call`` blocks the thread: synchronous fs, child_process, better-sqlite3, CPU work."""
    sf = graph.sf
    text, last = _callee(sf, call)
    imports = graph.imports
    if imports & FS_MODULES and SYNC_FS.match(last):
        return text, "metadata" if last in METADATA else "io"
    if imports & PROCESS_MODULES and last in PROCESS_SYNC:
        return text, "process"
    if last in graph.cpu:
        return text, "cpu"
    func = call.child_by_field_name("function")
    obj = func.child_by_field_name("object") if func is not None and func.type == "member_expression" else None
    if "better-sqlite3" not in imports or obj is None:
        return None
    if last in STATEMENT_CALLS and _statement_object(sf, obj, fn):
        return text, "io"
    if last in {"exec", "pragma"} and DB_OBJECT.search(sf.node_text(obj)):
        return text, "io"  # db.exec("CREATE ..."): better-sqlite3 runs it before returning
    return None


def _function(graph: _Graph, fn: Node, path: list[Node]) -> _Function | None:
    """The call-graph function ``fn`` starts (a named function or a handler), or None (it belongs to its parent)."""
    handler = _handler(graph, fn, path)
    names = _names(graph.sf, fn, path[-2] if len(path) > 1 else None)
    if not names and handler is None:
        return None
    made = _Function(fn.start_point[0] + 1, names, _is_async(fn), handler)
    return graph.functions.setdefault(_key(fn), made)


def _call(graph: _Graph, call: Node, path: list[Node], owner: _Function | None, fn: Node | None) -> None:
    """Record what ``call`` tells: a blocking call, or handlers registered by reference."""
    sf = graph.sf
    if fn is not None and (found := _blocking(graph, call, fn)) is not None:
        line, end = sf.span(call)
        context = "async function" if _is_async(fn) else "function"
        if owner is not None and owner.handler and owner.line == fn.start_point[0] + 1 and context == "function":
            context = "request handler"
        graph.blocking.append(BlockingCallSite(
            path=sf.path, line=line, end_line=end, language=sf.language, snippet=sf.snippet(call),
            function=sf.enclosing_function(call), callee=found[0], context=context, cost=found[1],
            owner_line=owner.line if owner is not None else None, memoised=_memoised(sf, path, fn),
        ))  # fmt: skip
    how = registration(graph, call)
    if how is None or _dev_only(sf, path):
        return
    for arg in _args(call):
        for target in _references(graph, arg):
            graph.refs.append(HandlerRef(target=target, how=how, line=call.start_point[0] + 1))


UNSET = re.compile(r"^\(?\s*(!\s*(?P<neg>[\w.$]+)|(?P<cmp>[\w.$]+)\s*[=!]==?\s*(undefined|null))\s*\)?$")
"""An ``if`` condition that finds a kept value missing: ``!this.html``, ``sql === undefined``."""


KEPT = re.compile(r"^\(?\s*(?P<name>[\w.$]+)\s*(?:!==?\s*(?:undefined|null))?\s*\)?$")
"""An ``if`` condition that finds a kept value present: ``cachedHtml``, ``cache.outdated !== undefined``."""


def _returns_kept(sf: ScriptFile, path: list[Node], fn: Node) -> bool:
    """Whether, before the call, the function returns a kept value when it has one (``if (cached) return cached;``)
    and the file stores into it (``cached = readFileSync(...)``, or a callback filling ``cache.x``): the call runs
    only until the value is kept."""
    call = path[-1]
    body = fn.child_by_field_name("body")
    if body is None:
        return False
    for stmt in body.named_children:
        if stmt.start_byte >= call.start_byte:
            return False
        if stmt.type != "if_statement" or stmt.child_by_field_name("alternative") is not None:
            continue
        condition, then = stmt.child_by_field_name("condition"), stmt.child_by_field_name("consequence")
        found = KEPT.match(sf.node_text(condition)) if condition is not None else None
        name = re.escape(found.group("name")) if found else ""
        if found is None or then is None or not re.search(rf"\breturn\s+{name}\s*(;|$|\}})", sf.node_text(then)):
            continue  # the branch must hand back the kept value itself (not `if (err) return next(err)`)
        stored = re.compile(rf"(?<![\w.$]){re.escape(found.group('name'))}\s*=[^=]")
        if stored.search(sf.node_text(body)) or stored.search(sf.node_text(sf.tree.root_node)):
            return True  # stored here, or by another function of the file (a callback that fills the cache)
    return False


def _memoised(sf: ScriptFile, path: list[Node], fn: Node) -> bool:
    """Whether the call (innermost in ``path``) runs under ``if (!x)`` / ``if (x === undefined)`` whose branch stores
    into ``x`` (or ``cache.set(...)`` with ``x`` read from ``cache``), or after ``if (x) return x`` with ``x`` stored
    after it: its result is kept, so it runs once."""
    if _returns_kept(sf, path, fn):
        return True
    for i in range(len(path) - 2, 0, -1):
        node, parent = path[i], path[i - 1]
        if node == fn:
            return False
        if parent.type != "if_statement" or node != parent.child_by_field_name("consequence"):
            continue
        condition = parent.child_by_field_name("condition")
        if condition is not None and _file_missing(sf, condition, fn):
            return True  # if (!existsSync(p)) { ...create it... }: once per file
        found = UNSET.match(sf.node_text(condition)) if condition is not None else None
        name = (found.group("neg") or found.group("cmp")) if found else None
        if name and re.search(rf"(?<![\w.$]){re.escape(name)}\s*=[^=]|\.set\(", sf.node_text(node)):
            return True
    return False


MISSING_FILE = re.compile(r"^\(?\s*!\s*(?:[\w$]+\.)?existsSync\s*\(")


def _file_missing(sf: ScriptFile, condition: Node, fn: Node) -> bool:
    """Whether ``condition`` holds only while a file does not exist yet: ``!existsSync(p)``, or a variable the
    function set to it (``const needsInit = !existsSync(p)``)."""
    text = sf.node_text(condition).strip()
    if MISSING_FILE.match(text):
        return True
    name = text.strip("() ")
    return bool(re.fullmatch(r"[\w$]+", name)) and bool(
        re.search(rf"(?<![\w.$]){re.escape(name)}\s*=\s*!\s*(?:[\w$]+\.)?existsSync\s*\(", sf.node_text(fn))
    )


def _references(graph: _Graph, arg: Node) -> Iterator[str]:
    """Functions of the tree that ``arg`` names, outside function literals (``auth``, ``wrap(links.create)``)."""
    stack = [arg]
    while stack:
        node = stack.pop()
        if node.type in FUNCTIONS:
            continue
        if node.type in {"identifier", "member_expression"} and (target := _target(graph, node)) is not None:
            yield target
        stack.extend(node.named_children)


def walk(sf: ScriptFile) -> _Graph:
    """One walk of the file: its call graph, handlers and blocking calls."""
    local = local_names(sf)
    imports = frozenset(sf.imports)
    server = any(matches(m, knowledge().http_frameworks) for m in imports)
    cpu = frozenset(n for module, names in CPU_SYNC.items() if {module, f"node:{module}"} & imports for n in names)
    graph = _Graph(sf, bindings(sf, local), local, server, imports, cpu)
    stack: list[tuple[Node, int, _Function | None, Node | None]] = [(sf.tree.root_node, 0, None, None)]
    path: list[Node] = []
    while stack:
        node, depth, owner, fn = stack.pop()
        del path[depth:]
        path.append(node)
        if node.type in FUNCTIONS:
            fn, owner = node, _function(graph, node, path) or owner
        elif node.type == "call_expression":
            _call(graph, node, path, owner, fn)
        named = owner is not None and node.type in {"identifier", "member_expression"}
        if named and owner is not None and (target := _target(graph, node)) is not None:
            owner.calls.add(target)
        stack.extend((child, depth + 1, owner, fn) for child in reversed(node.named_children))
    return graph


@register_extractor("script")
def request_paths(sf: ScriptFile) -> Iterator[Site]:
    """The file's blocking calls, and its call graph (the functions that call, serve or block)."""
    graph = walk(sf)
    yield from graph.blocking
    blocking = {site.owner_line for site in graph.blocking}
    kept = [f for f in graph.functions.values() if f.calls or f.handler or f.line in blocking]
    if kept or graph.refs:
        functions = tuple(
            CalledFunction(line=f.line, names=f.names, is_async=f.is_async, calls=tuple(sorted(f.calls)),
                           handler=f.handler)
            for f in sorted(kept, key=lambda f: f.line)
        )  # fmt: skip
        yield CallGraphSite(path=sf.path, line=1, end_line=1, language=sf.language, functions=functions,
                            handlers=tuple(graph.refs))  # fmt: skip
