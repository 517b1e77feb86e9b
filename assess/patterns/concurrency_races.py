"""Check-then-act races on files and on dicts shared between threads, and read-modify-write of module-level state
in modules that start threads (the sites are defined in :mod:`assess.patterns.concurrency`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.concurrency import (
    CheckThenActSite,
    Function,
    SharedStateSite,
    _self_attr,
    _site,
    _unwrap,
    locked_classes,
    mutations,
    thread_starter,
)
from assess.patterns.concurrency_when import awaits_within, handled, phase
from assess.patterns.pyast import PythonFile, keyword, per_file, per_node

EXISTS = {"os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.lexists"}
PATH_METHODS = {"exists", "is_file", "is_dir"}
FILE_ACTS = {"open", "io.open", "os.open", "os.remove", "os.unlink", "os.makedirs", "os.mkdir", "os.rmdir",
             "os.rename", "os.replace", "shutil.rmtree", "shutil.move"}  # fmt: skip
TOLERANT = ("exist_ok", "missing_ok", "ignore_errors", "dirs_exist_ok")
"""Keyword arguments that make the act succeed whether or not the check still holds."""
PATH_ACTS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "unlink", "mkdir", "touch", "rmdir",
             "rename", "replace"}  # fmt: skip
CONCURRENT_MODULES = {
    "threading", "concurrent", "multiprocessing", "asyncio", "http", "socketserver", "flask", "fastapi", "django",
    "aiohttp", "starlette", "celery", "tornado", "sanic", "falcon", "bottle", "rq", "dramatiq", "gunicorn", "uvicorn",
}  # fmt: skip
"""Imports that say a module's code runs concurrently (threads, processes, async tasks, request workers)."""
MUTABLE_FACTORIES = {"dict", "list", "set", "collections.defaultdict", "collections.OrderedDict", "collections.Counter",
                     "collections.deque"}  # fmt: skip


def _under_lock(pf: PythonFile, node: ast.AST, locks: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """Whether ``node`` runs inside ``with <something named like a lock>:``."""
    for a in pf.ancestors(node):
        if isinstance(a, ast.With | ast.AsyncWith):
            for item in a.items:
                text = pf.dotted(_unwrap(item.context_expr))
                if "lock" in text.lower() or "mutex" in text.lower() or text in locks:
                    return True
    return False


def _path_checks(pf: PythonFile, test: ast.expr) -> Iterator[tuple[ast.expr, str]]:
    """(checked path expression, check) for each existence check in an ``if`` test."""
    for node in pf.within(test, ast.Call):
        name = pf.call_name(node)
        if name in EXISTS and node.args:
            yield node.args[0], name
        elif isinstance(node.func, ast.Attribute) and node.func.attr in PATH_METHODS and not node.args:
            yield node.func.value, f".{node.func.attr}()"


def _tolerant(call: ast.Call) -> bool:
    return any(isinstance(v := keyword(call, k), ast.Constant) and v.value for k in TOLERANT)


def _file_act(pf: PythonFile, call: ast.Call, subject: str) -> str | None:
    name = pf.call_name(call)
    if name in FILE_ACTS and call.args and ast.dump(call.args[0]) == subject:
        return None if _tolerant(call) else name
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in PATH_ACTS and ast.dump(func.value) == subject:
        return None if _tolerant(call) else f".{func.attr}()"
    return None


def _branch_nodes(pf: PythonFile, node: ast.If, *types: type[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of ``types`` in the ``if`` body and its ``else`` (an ``elif`` is a check of its own), in walk order."""
    elif_ = len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)
    for stmt in [*node.body, *([] if elif_ else node.orelse)]:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from pf.within(stmt, *types)


def _file_races(pf: PythonFile, node: ast.If) -> Iterator[Site]:
    for path, check in _path_checks(pf, node.test):
        subject = ast.dump(path)
        for call in _branch_nodes(pf, node, ast.Call):
            if isinstance(call, ast.Call) and (act := _file_act(pf, call, subject)):
                if handled(pf, call):
                    return  # try: ... except FileExistsError: the race is taken care of
                yield _site(pf, CheckThenActSite, node.test, subject=ast.unparse(path), check=check, act=act,
                            act_line=call.lineno, phase=phase(pf, node), coroutine=pf.in_async(node),
                            awaits=_awaits(pf, node, call.lineno))  # fmt: skip
                return


def _awaits(pf: PythonFile, node: ast.If, act_line: int) -> bool:
    """Whether a coroutine awaits between the ``if``'s check and the act at ``act_line``."""
    return pf.in_async(node) and awaits_within(pf, node, before=act_line)


def _dict_checks(pf: PythonFile, test: ast.expr) -> Iterator[ast.expr]:
    """The dicts an ``if`` test looks a key up in: ``k not in d``, ``k in d``, ``d.get(k) is None``."""
    for node in pf.within(test, ast.Compare, ast.Call):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn):
            yield node.comparators[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            yield node.func.value


def _dict_act(node: ast.AST, subject: str) -> bool:
    if isinstance(node, ast.Assign | ast.Delete):
        targets = node.targets
        return any(isinstance(t, ast.Subscript) and ast.dump(t.value) == subject for t in targets)
    return False


def _shared_dict(pf: PythonFile, expr: ast.expr, threaded_classes: set[str], module_threads: bool) -> bool:
    if (attr := _self_attr(expr)) and not isinstance(expr, ast.Subscript):
        cls = next((a for a in pf.ancestors(expr) if isinstance(a, ast.ClassDef)), None)
        return cls is not None and f"{cls.name}.{attr}" in threaded_classes
    if isinstance(expr, ast.Name) and module_threads and expr.id in _module_state(pf):
        fn = pf.enclosing_function(expr)
        local = fn is not None and expr.id in _assigned_names(pf, fn)
        return not local
    return False


@per_node
def _assigned_names(pf: PythonFile, fn: Function) -> set[str]:
    """Names assigned anywhere in ``fn`` (nested functions included): local there, not module state."""
    found = pf.within(fn, ast.Assign, ast.AnnAssign)
    return {name for n in found if isinstance(n, ast.Assign | ast.AnnAssign) for name in _names(n)}


def _names(stmt: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _threaded_attrs(pf: PythonFile) -> set[str]:
    """``Class.attr`` for attributes of classes that use threads, except those the class's lock guards."""
    out: set[str] = set()
    locked = {lc.node.name: lc for lc in locked_classes(pf)}
    for cls in pf.of_type(ast.ClassDef):
        if cls.name not in locked and not thread_starter(pf, cls):
            continue
        guarded = set(locked[cls.name].guarded()) if cls.name in locked else set()
        attrs = {a for node in pf.within(cls, ast.stmt) for a in mutations(node)}
        out |= {f"{cls.name}.{a}" for a in attrs - guarded}
    return out


@register_extractor("python")
def check_then_act(pf: PythonFile) -> Iterator[Site]:
    """File races in code that runs concurrently (a one-shot script racing with nobody is left alone), and
    check-then-insert on dicts shared between threads."""
    threaded = _threaded_attrs(pf)
    module_threads = thread_starter(pf) is not None
    concurrent = bool({m.split(".")[0] for m in pf.imports} & CONCURRENT_MODULES)
    for node in pf.of_type(ast.If):
        if _under_lock(pf, node):
            continue
        found = list(_file_races(pf, node)) if concurrent or pf.in_async(node) else []
        for expr in [] if found else _dict_checks(pf, node.test):
            if not _shared_dict(pf, expr, threaded, module_threads):
                continue
            subject = ast.dump(expr)
            act = next((n for n in _branch_nodes(pf, node, ast.Assign, ast.Delete) if _dict_act(n, subject)), None)
            if act is not None:
                kind = "del" if isinstance(act, ast.Delete) else "store"
                line = getattr(act, "lineno", node.lineno)
                found.append(_site(pf, CheckThenActSite, node.test, subject=ast.unparse(expr), check="key lookup",
                                   act=kind, act_line=line, phase=phase(pf, node), coroutine=pf.in_async(node),
                                   awaits=_awaits(pf, node, line)))  # fmt: skip
                break
        yield from found[:1]


@per_file
def _module_state(pf: PythonFile) -> set[str]:
    names: set[str] = set()
    for stmt in pf.tree.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
            continue
        value = stmt.value
        mutable = isinstance(value, ast.Dict | ast.List | ast.Set) or (
            isinstance(value, ast.Call) and pf.call_name(value) in MUTABLE_FACTORIES
        )
        counter = isinstance(value, ast.Constant) and type(value.value) in {int, float}
        if mutable or counter:
            names |= _names(stmt)
    return names


def _read_modify_write(stmt: ast.stmt, state: set[str], declared: set[str]) -> str | None:
    """The module-level name ``stmt`` updates from its own value (``n += 1``, ``d[k] = d.get(k, 0) + 1``), or None."""
    if isinstance(stmt, ast.AugAssign):
        aug = stmt.target
        if isinstance(aug, ast.Name) and aug.id in state & declared:
            return aug.id
        if isinstance(aug, ast.Subscript) and isinstance(aug.value, ast.Name) and aug.value.id in state:
            return aug.value.id
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        name = target.id if isinstance(target, ast.Name) and target.id in declared else None
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = target.value.id
        read = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
        if name in state and name in read:
            return name
    return None


@register_extractor("python")
def shared_module_state(pf: PythonFile) -> Iterator[Site]:
    threads = thread_starter(pf)
    state = _module_state(pf)
    if threads is None or not state:
        return
    for fn in pf.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        declared = {n for g in pf.within(fn, ast.Global) for n in g.names}
        seen: set[str] = set()
        for stmt in pf.within(fn, ast.stmt):
            if pf.enclosing_function(stmt) is fn and not _under_lock(pf, stmt):
                name = _read_modify_write(stmt, state, declared)
                if name and name not in seen:
                    seen.add(name)
                    yield _site(pf, SharedStateSite, stmt, name=name, threads=threads)
