"""Secrets and request bodies of services, in Python and JavaScript/TypeScript: a value that falls back to a fresh
random one when it is not configured (``os.environ.get("SECRET") or secrets.token_hex(32)``,
``process.env.JWT_SECRET || crypto.randomBytes(32).toString("hex")``, an argument default computed from
``os.urandom``), and a request body accumulated in memory chunk by chunk (an ASGI ``receive()`` loop,
``req.on("data", ...)``). The probes (:mod:`assess.probes.security_secrets`) judge which of them matter.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Literal

import tree_sitter

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.pyast import Function, PythonFile
from assess.patterns.scripts import ScriptFile


@register_site
class RandomFallbackSite(Site):
    """A value that, when nothing is configured, becomes a fresh random one: the names tell what it is for."""

    kind: Literal["security.random-fallback"] = "security.random-fallback"
    names: tuple[str, ...]
    """Names that hold or configure the value: the assigned name (``self._secret``), the configured source's name
    (``secret``), the environment variable (``DATASETTE_SECRET``), the parameter or object key."""
    configured: str
    """What is consulted first, as written (``secret``, ``os.environ.get('X')``); "" for an argument default."""
    generator: str
    """The random call as written (``secrets.token_hex(32)``)."""
    warned: bool = False
    """A warning is logged (or printed) where the random value is taken."""
    shown: bool = False
    """The value is printed for the user (a command that generates a secret for them to store)."""
    required: bool = False
    """Where it is taken, a test of one of ``names`` raises (or exits): the value is required somewhere."""


@register_site
class BodyAccumulationSite(Site):
    """A request body read chunk by chunk and accumulated in memory."""

    kind: Literal["security.body-accumulation"] = "security.body-accumulation"
    source: str
    """Where the chunks come from (``receive()``, ``req.on('data')``, ``request.stream()``)."""
    target: str
    """What they are accumulated into (``body``, ``chunks``)."""
    checked: bool
    """A length or size is compared with something where the chunks are read (a limit)."""


# --- random fallbacks: Python --------------------------------------------------------------------------------------

RANDOM_CALLS = ("secrets.token_hex", "secrets.token_bytes", "secrets.token_urlsafe", "secrets.randbits", "os.urandom",
                "uuid.uuid4", "uuid.uuid1", "random.getrandbits", "random.randbytes", "Fernet.generate_key",
                "get_random_bytes", "get_random_string")  # fmt: skip
ENV_CALLS = ("os.environ.get", "os.getenv", "os.environ.setdefault", "environ.get")
PRINTS = re.compile(r"(^|\.)(print|echo|secho|write)$")
WARNS = re.compile(r"(^|\.)(warn|warning|critical|error)$")


def _random_call(f: PythonFile, node: ast.AST) -> ast.Call | None:
    """A random call evaluated with ``node`` (not one inside a lambda defined there)."""
    stack = [node]
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.Lambda):
            continue
        if isinstance(sub, ast.Call) and f.call_name(sub).endswith(RANDOM_CALLS):
            return sub
        stack.extend(ast.iter_child_nodes(sub))
    return None


def _names(f: PythonFile, node: ast.AST | None) -> list[str]:
    """Names ``node`` is known by: a name, an attribute, an environment lookup's key, a settings lookup's key."""
    if node is None:
        return []
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return [node.slice.value, *_names(f, node.value)]
    if isinstance(node, ast.Call):
        keys = [a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        return keys + (_names(f, node.func.value) if isinstance(node.func, ast.Attribute) else [])
    if isinstance(node, ast.BoolOp | ast.IfExp):
        return [n for child in ast.iter_child_nodes(node) for n in _names(f, child)]
    return []


def _holders(f: PythonFile, node: ast.AST) -> list[str]:
    """Names of what receives ``node``'s value: assignment targets, a keyword argument, a dict key."""
    child, parent = node, f.parents.get(node)
    while isinstance(parent, ast.BoolOp | ast.IfExp | ast.Call | ast.Attribute | ast.Await) and not (
        isinstance(parent, ast.Call) and child is not parent.func
    ):
        child, parent = parent, f.parents.get(parent)
    if isinstance(parent, ast.Assign):
        return [f.unparse(t) for t in parent.targets]
    if isinstance(parent, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        return [f.unparse(parent.target)]
    if isinstance(parent, ast.keyword) and parent.arg:
        return [parent.arg]
    if isinstance(parent, ast.Dict):
        keys = [k for k, v in zip(parent.keys, parent.values, strict=True) if v is child]
        return [k.value for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return []


def _shown(f: PythonFile, node: ast.AST, names: list[str]) -> bool:
    """Whether the function around ``node`` prints one of ``names`` (a command generating a secret to store)."""
    scope = f.enclosing_function(node)
    if scope is None:
        return False
    for call, name in f.calls(scope):
        if PRINTS.search(name) and any(_read(a) & {n.rsplit(".", 1)[-1] for n in names} for a in call.args):
            return True
    return False


def _py_fallback(f: PythonFile, node: ast.AST, configured: ast.AST | None, generator: ast.Call,
                 names: list[str], warned: bool = False) -> RandomFallbackSite:  # fmt: skip
    line, end = f.span(node)
    unique = tuple(dict.fromkeys(n for n in names if n))
    return RandomFallbackSite(
        path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(node), function=f.qualname(node),
        names=unique, configured=f.unparse(configured) if configured is not None else "",
        generator=f.unparse(generator), warned=warned, shown=_shown(f, node, list(unique)),
        required=_py_required(f, node, set(unique)),
    )  # fmt: skip


def _py_required(f: PythonFile, node: ast.AST, names: set[str]) -> bool:
    """Whether the function (or module) around ``node`` raises under a test that reads one of ``names``."""
    scope: ast.AST = f.enclosing_function(node) or f.tree
    short = {n.rsplit(".", 1)[-1] for n in names}
    for test in f.within(scope, ast.If):
        if _read(test.test) & short and any(isinstance(n, ast.Raise) for s in test.body for n in ast.walk(s)):
            return True
    return False


def _read(node: ast.AST) -> set[str]:
    """Names, attributes and string constants under ``node`` (``not self.secret``, ``os.environ.get("X")``)."""
    found: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            found.add(n.id)
        elif isinstance(n, ast.Attribute):
            found.add(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            found.add(n.value)
    return found


@register_extractor("python")
def python_random_fallbacks(f: PythonFile) -> Iterator[RandomFallbackSite]:
    for node in f.of_type(ast.BoolOp, ast.IfExp, ast.Call, ast.If):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            *first, last = node.values
            gen = _random_call(f, last)
            if gen is not None and not any(_random_call(f, v) for v in first):
                yield _py_fallback(f, node, first[0], gen, _holders(f, node) + _names(f, first[0]))
        elif isinstance(node, ast.IfExp):
            gens = [_random_call(f, node.body), _random_call(f, node.orelse)]
            if (gens[0] is None) != (gens[1] is None):
                gen = gens[0] or gens[1]
                assert gen is not None
                yield _py_fallback(f, node, node.test, gen, _holders(f, node) + _names(f, node.test))
        elif isinstance(node, ast.Call) and f.call_name(node).endswith(ENV_CALLS) and len(node.args) >= 2:
            gen = _random_call(f, node.args[1])
            if gen is not None:
                yield _py_fallback(f, node, node, gen, _holders(f, node) + _names(f, node))
        elif isinstance(node, ast.If):
            yield from _py_if_unset(f, node)
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        yield from _py_defaults(f, fn)


def _py_if_unset(f: PythonFile, node: ast.If) -> Iterator[RandomFallbackSite]:
    """``if not secret: secret = secrets.token_hex()`` / ``if self.key is None: self.key = os.urandom(32)``."""
    test = node.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        tested = test.operand
    elif (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
          and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):  # fmt: skip
        tested = test.left
    else:
        return
    warned = any(WARNS.search(name) for stmt in node.body for _, name in f.calls(stmt))
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(f.unparse(t) == f.unparse(tested) for t in stmt.targets):
            gen = _random_call(f, stmt.value)
            if gen is not None:
                names = [f.unparse(tested), *_names(f, tested)]
                yield _py_fallback(f, stmt, tested, gen, names, warned=warned)


def _py_defaults(f: PythonFile, fn: Function) -> Iterator[RandomFallbackSite]:
    """Parameters whose default is computed from a random call: one value per process, made at import."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    for arg, default in pairs:
        gen = _random_call(f, default)
        if gen is not None:
            yield _py_fallback(f, default, None, gen, [arg.arg])


# --- random fallbacks: JavaScript / TypeScript ---------------------------------------------------------------------

JS_RANDOM = re.compile(r"(^|\.)(randomBytes|randomUUID|getRandomValues|random|uuid|uuidv4|v4|nanoid|generateSecret|"
                       r"randomString|cryptoRandomString)$")  # fmt: skip
JS_FUNCTIONS = {"function_declaration", "function_expression", "function", "arrow_function", "method_definition"}
JS_PASS_THROUGH = {"parenthesized_expression", "binary_expression", "as_expression", "await_expression",
                   "member_expression", "call_expression", "ternary_expression", "non_null_expression"}  # fmt: skip


def _js_walk(node: tree_sitter.Node, skip: set[str] | frozenset[str] = frozenset()) -> Iterator[tree_sitter.Node]:
    """``node`` and every node under it, not under nodes of the types in ``skip`` (below ``node`` itself)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in n.named_children if c.type not in skip)


def _js_random(f: ScriptFile, node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """A random call evaluated with ``node`` (not one inside a function defined there)."""
    for n in _js_walk(node, skip=JS_FUNCTIONS) if node is not None and node.type not in JS_FUNCTIONS else ():
        fn = n.child_by_field_name("function") if n.type == "call_expression" else None
        if fn is not None and JS_RANDOM.search(f.node_text(fn)):
            return n
    return None


def _js_names(f: ScriptFile, node: tree_sitter.Node | None) -> list[str]:
    if node is None:
        return []
    if node.type in {"identifier", "property_identifier", "shorthand_property_identifier_pattern"}:
        return [f.node_text(node)]
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return [f.node_text(prop)] if prop is not None else []
    if node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        return [f.node_text(index).strip("'\"`")] if index is not None else []
    if node.type == "call_expression":  # config.get("jwtSecret")
        args = node.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        return [f.node_text(first).strip("'\"`")] if first is not None and first.type == "string" else []
    if node.type in {"parenthesized_expression", "binary_expression", "unary_expression", "non_null_expression"}:
        return [n for c in node.named_children for n in _js_names(f, c)]
    return []


def _js_holders(f: ScriptFile, node: tree_sitter.Node) -> list[str]:
    child, parent = node, node.parent
    while (
        parent is not None
        and parent.type in JS_PASS_THROUGH
        and not (parent.type == "call_expression" and child != parent.child_by_field_name("function"))
    ):
        child, parent = parent, parent.parent
    if parent is None:
        return []
    if parent.type in {"variable_declarator", "public_field_definition", "field_definition"}:
        return _js_names(f, parent.child_by_field_name("name") or parent.child_by_field_name("property"))
    if parent.type in {"assignment_expression", "augmented_assignment_expression"}:
        return _js_names(f, parent.child_by_field_name("left"))
    if parent.type == "pair":
        key = parent.child_by_field_name("key")
        return [f.node_text(key).strip("'\"`")] if key is not None else []
    return []


def _js_fallback(f: ScriptFile, node: tree_sitter.Node, configured: tree_sitter.Node | None,
                 generator: tree_sitter.Node, names: list[str]) -> RandomFallbackSite:  # fmt: skip
    line, end = f.span(node)
    unique = tuple(dict.fromkeys(n for n in names if n))
    return RandomFallbackSite(
        path=f.path, line=line, end_line=end, language=f.language, snippet=f.snippet(node),
        function=f.enclosing_function(node), names=unique,
        configured=f.node_text(configured) if configured is not None else "", generator=f.node_text(generator),
        required=_js_required(f, node, set(unique)),
    )  # fmt: skip


def _js_required(f: ScriptFile, node: tree_sitter.Node, names: set[str]) -> bool:
    """Whether the function (or file) around ``node`` throws or exits under a test that reads one of ``names``."""
    scope = next((a for a in f.ancestors(node) if a.type in JS_FUNCTIONS), f.tree.root_node)
    for n in _js_walk(scope):
        test = n.child_by_field_name("condition") if n.type == "if_statement" else None
        then = n.child_by_field_name("consequence") if test is not None else None
        if test is None or then is None:
            continue
        read = {f.node_text(i) for i in _js_walk(test) if i.type in {"identifier", "property_identifier"}}
        if read & names and any(t.type == "throw_statement" or (t.type == "call_expression"
                                and f.node_text(t).startswith("process.exit")) for t in _js_walk(then)):  # fmt: skip
            return True
    return False


@register_extractor("script")
def script_random_fallbacks(f: ScriptFile) -> Iterator[RandomFallbackSite]:
    for node in _js_walk(f.tree.root_node):
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op is None or f.node_text(op) not in {"||", "??"} or left is None:
                continue
            gen = _js_random(f, right)
            if gen is not None and _js_random(f, left) is None:
                yield _js_fallback(f, node, left, gen, _js_holders(f, node) + _js_names(f, left))
        elif node.type == "ternary_expression":
            test = node.child_by_field_name("condition")
            yes, no = node.child_by_field_name("consequence"), node.child_by_field_name("alternative")
            gens = [_js_random(f, yes), _js_random(f, no)]
            if (gens[0] is None) != (gens[1] is None) and _js_random(f, test) is None:
                gen = gens[0] or gens[1]
                assert gen is not None
                yield _js_fallback(f, node, test, gen, _js_holders(f, node) + _js_names(f, test))
        elif node.type in {"assignment_pattern", "object_assignment_pattern"}:
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            gen = _js_random(f, right)
            if gen is not None:
                yield _js_fallback(f, node, None, gen, _js_names(f, left))
        elif node.type in {"required_parameter", "optional_parameter"}:  # TypeScript: (secret = randomBytes(32))
            value = node.child_by_field_name("value")
            gen = _js_random(f, value)
            if gen is not None:
                yield _js_fallback(f, node, None, gen, _js_names(f, node.child_by_field_name("pattern")))


# --- request bodies ------------------------------------------------------------------------------------------------

LIMIT_NAME = re.compile(r"max|limit|size|length|len\b|total|received|bytes", re.IGNORECASE)
REQUEST_NAME = re.compile(r"^(req|request|incoming|incomingMessage|msg|message)$", re.IGNORECASE)


def _py_checked(f: PythonFile, scope: ast.AST) -> bool:
    """Whether ``scope`` compares a length or a size (``len(body) > MAX``, ``received > self.limit``)."""
    for node in f.within(scope, ast.Compare):
        for part in [node.left, *node.comparators]:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "len":
                    return True
                if isinstance(sub, ast.Name | ast.Attribute) and LIMIT_NAME.search(
                    sub.id if isinstance(sub, ast.Name) else sub.attr
                ):
                    return True
    return False


def _py_accumulated(f: PythonFile, loop: ast.AST, read: set[str]) -> Iterator[tuple[ast.AST, str]]:
    """Statements in ``loop`` that add a chunk to a collection: ``body += message["body"]``, ``chunks.append(c)``."""
    for node in f.within(loop, ast.AugAssign, ast.Call):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            value, target = node.value, f.unparse(node.target)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args
              and node.func.attr in {"append", "extend", "write"}):  # fmt: skip
            value, target = node.args[0], f.unparse(node.func.value)
        else:
            continue
        names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        text = f.unparse(value)
        if names & read or re.search(r"['\"]body['\"]", text):
            yield node, target


@register_extractor("python")
def python_body_accumulation(f: PythonFile) -> Iterator[BodyAccumulationSite]:
    for loop in f.of_type(ast.While, ast.AsyncFor):
        scope = f.enclosing_function(loop)
        if scope is None:
            continue
        read: set[str] = set()
        source = ""
        if isinstance(loop, ast.AsyncFor):
            it = loop.iter
            if (isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "stream"
                    and re.search(r"req|request", f.unparse(it.func.value), re.IGNORECASE)):  # fmt: skip
                source = f.unparse(it)
                read = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
        else:
            for assign in f.within(loop, ast.Assign):
                value = assign.value
                if (isinstance(value, ast.Await) and isinstance(value.value, ast.Call)
                        and f.call_name(value.value).rsplit(".", 1)[-1] == "receive"):  # fmt: skip
                    source = f.unparse(value.value)
                    read |= {n.id for t in assign.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if not source:
            continue
        for added, target in _py_accumulated(f, loop, read):
            line, end = f.span(added)
            yield BodyAccumulationSite(
                path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(added),
                function=f.qualname(added), source=source, target=target, checked=_py_checked(f, scope),
            )  # fmt: skip
            break


def _js_checked(f: ScriptFile, scope: tree_sitter.Node) -> bool:
    for n in _js_walk(scope):
        op = n.child_by_field_name("operator") if n.type == "binary_expression" else None
        if op is not None and f.node_text(op) in {">", ">=", "<", "<="}:
            text = f.node_text(n)
            if ".length" in text or ".byteLength" in text or LIMIT_NAME.search(text):
                return True
    return False


def _js_accumulation(f: ScriptFile, body: tree_sitter.Node, chunk: str) -> tree_sitter.Node | None:
    for n in _js_walk(body):
        if n.type == "augmented_assignment_expression" and chunk in f.node_text(n.child_by_field_name("right") or n):
            return n
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            if fn is not None and re.search(r"\.(push|concat)$", f.node_text(fn)) and chunk in f.node_text(n):
                return n
    return None


@register_extractor("script")
def script_body_accumulation(f: ScriptFile) -> Iterator[BodyAccumulationSite]:
    for call in f.captures("(call_expression) @c").get("c", []):
        fn, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if fn is None or args is None or fn.type != "member_expression" or len(args.named_children) < 2:
            continue
        obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
        event, handler = args.named_children[0], args.named_children[1]
        if (obj is None or prop is None or f.node_text(prop) not in {"on", "addListener"}
                or f.node_text(event).strip("'\"`") != "data" or handler.type not in JS_FUNCTIONS
                or not REQUEST_NAME.match(f.node_text(obj).rsplit(".", 1)[-1])):  # fmt: skip
            continue
        params = handler.child_by_field_name("parameters") or handler.child_by_field_name("parameter")
        chunk = next((f.node_text(p) for p in _js_walk(params) if p.type == "identifier"), "") if params else ""
        body = handler.child_by_field_name("body")
        found = _js_accumulation(f, body, chunk) if chunk and body is not None else None
        if found is None:
            continue
        scope = next((a for a in f.ancestors(call) if a.type in JS_FUNCTIONS), f.tree.root_node)
        target = found.child_by_field_name("left") if found.type == "augmented_assignment_expression" else None
        if target is None and found.parent is not None and found.parent.type == "assignment_expression":
            target = found.parent.child_by_field_name("left")  # received = Buffer.concat([received, chunk])
        if target is None:
            callee = found.child_by_field_name("function")
            target = callee.child_by_field_name("object") if callee is not None else None
        line, end = f.span(found)
        yield BodyAccumulationSite(
            path=f.path, line=line, end_line=end, language=f.language, snippet=f.snippet(found),
            function=f.enclosing_function(found), source=f"{f.node_text(obj)}.on('data')",
            target=f.node_text(target) if target is not None else "", checked=_js_checked(f, scope),
        )  # fmt: skip
