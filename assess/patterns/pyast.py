"""Python files for extractors: the syntax tree, import aliases, and each node's enclosing scope.

Every extractor gets the same :class:`PythonFile` and asks it the same questions (the calls under a
node, the function around it, a name's dotted form), often for every node of a big file. Walking a
subtree again with ``ast.walk`` for each question made the extractors quadratic, so the file answers
from indexes built once: the nodes in ``ast.walk`` order and in preorder (a subtree is then a slice),
nodes by type, and memoised names and scopes. Answers that are lists come in ``ast.walk`` order where
the extractor might depend on it, so an index gives exactly what a walk would.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, wraps
from typing import Any, TypeVar, overload

from assess.patterns import snippet

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
"""Nodes whose body does not run with the code around them (what :meth:`PythonFile.own_nodes` leaves out)."""
Function = ast.FunctionDef | ast.AsyncFunctionDef

T = TypeVar("T")
N = TypeVar("N", bound=ast.AST)
M = TypeVar("M", bound=ast.AST)


def breadth_first(tree: ast.AST) -> tuple[list[ast.AST], list[int]]:
    """``list(ast.walk(tree))``, and for each node the position of its parent in that list (-1 for ``tree``).

    ``ast.walk`` order: breadth-first, children in field order. One loop with no generators (it runs once
    per node of every file); a node that appears twice (the shared ``ast.Load()``) is listed twice, as
    ``ast.walk`` lists it.
    """
    nodes: list[ast.AST] = [tree]
    owners: list[int] = [-1]
    node_type, append, own = ast.AST, nodes.append, owners.append
    i = 0
    while i < len(nodes):
        for name in nodes[i]._fields:
            value = getattr(nodes[i], name, None)
            if isinstance(value, node_type):
                append(value)
                own(i)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
                        own(i)
        i += 1
    return nodes, owners


class _Index:
    """Positions of the tree's nodes: ``ast.walk`` (breadth-first) order and preorder.

    A subtree is a contiguous run of the preorder, so its nodes are a slice and the nodes of one type
    in it are a bisection of that type's sorted positions. Sorting a subtree's breadth-first positions
    gives ``ast.walk(subtree)`` exactly: both orders compare two nodes of one depth by their paths
    from the root. Context and operator nodes (``ast.Load()``, ``ast.Add()``) are shared singletons:
    they appear at many positions and cannot be looked up, only found as leaves in slices.
    """

    def __init__(self, nodes: list[ast.AST], owners: list[int]) -> None:
        total = len(nodes)
        size = [1] * total
        for i in range(total - 1, 0, -1):  # children come after their parent
            size[owners[i]] += size[i]
        start = [0] * total
        for i in range(1, total):  # siblings are adjacent: the first starts after its parent, the next after it
            parent = owners[i]
            start[i] = start[parent] + 1 if parent != owners[i - 1] else start[i - 1] + size[i - 1]
        pre_bfs = [0] * total
        for i, s in enumerate(start):
            pre_bfs[s] = i
        self.owners = owners
        """Breadth-first position -> its parent's (-1 for the module)."""
        self.bfs = dict(zip(nodes, range(total), strict=True))
        """Node -> its position in ``PythonFile.nodes`` (for a shared singleton: its last one)."""
        self.start = start
        """Breadth-first position -> preorder position."""
        self.size = size
        """Breadth-first position -> number of nodes in the subtree."""
        self.pre_bfs = pre_bfs
        """Preorder position -> breadth-first position."""
        self.preorder = list(map(nodes.__getitem__, pre_bfs))
        self.by_type: dict[type, list[int]] = defaultdict(list)
        """Exact node type -> preorder positions, ascending."""
        for p, kind in enumerate(map(type, self.preorder)):
            self.by_type[kind].append(p)
        self.kinds: dict[tuple[type, ...], list[list[int]]] = {}
        """Types asked for -> the position lists of the node types that are instances of them."""

    def span(self, node: ast.AST, nodes: list[ast.AST]) -> tuple[int, int] | None:
        """The preorder range [start, end) of ``node``'s subtree, or None for a node not in this tree."""
        i = self.bfs.get(node)
        if i is None or nodes[i] is not node:
            return None
        return self.start[i], self.start[i] + self.size[i]

    def positions(self, types: tuple[type, ...]) -> list[list[int]]:
        found = self.kinds.get(types)
        if found is None:
            found = self.kinds[types] = [p for kind, p in self.by_type.items() if issubclass(kind, types)]
        return found


@dataclass
class PythonFile:
    path: str
    text: str
    tree: ast.Module
    lines: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    """Local name -> what it refers to: ``r`` -> ``requests``, ``get`` -> ``requests.get``."""
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    nodes: list[ast.AST] = field(default_factory=list)
    """Every node of the tree, in ``ast.walk`` order: walk this instead of the tree again."""
    owners: list[int] = field(default_factory=list, repr=False)
    """For each of ``nodes``, the position of its parent in ``nodes`` (-1 for the module): the index's input."""
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    """Results of :func:`per_file` and :func:`per_node` functions for this file."""
    _dotted: dict[ast.AST, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _unparsed: dict[ast.AST, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _functions: dict[ast.AST, Function | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _qualified: dict[ast.AST, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _own: dict[ast.AST, tuple[ast.AST, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _within: dict[tuple[ast.AST, tuple[type, ...]], list[Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def parse(cls, path: str, text: str, tree: ast.Module | None = None) -> PythonFile:
        """Parse ``text``, or take ``tree`` when the caller already parsed it (it must be ``text``'s tree).

        Raises SyntaxError, ValueError or RecursionError when the file does not parse.
        """
        if tree is None:
            tree = ast.parse(text, filename=path)
        f = cls(path=path, text=text, tree=tree, lines=text.splitlines())
        f.nodes, f.owners = breadth_first(tree)
        f.parents = dict(zip(f.nodes[1:], map(f.nodes.__getitem__, f.owners[1:]), strict=True))
        aliases = f.aliases
        for node in f.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        return f

    @cached_property
    def _index(self) -> _Index:
        if len(self.owners) != len(self.nodes) or not self.nodes:  # made without parse()
            self.nodes, self.owners = breadth_first(self.tree)
        return _Index(self.nodes, self.owners)

    @cached_property
    def links(self) -> tuple[str, ...]:
        """What the file imports, for the import graph: each module, and each name imported from a module as
        ``module.name`` (it may be a submodule); relative imports keep their leading dots (``..util``)."""
        found: set[str] = set()
        for node in self.of_type(ast.Import, ast.ImportFrom):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
                continue
            base = "." * node.level + (node.module or "")
            if base:
                found.add(base)
            found.update(f"{base}.{a.name}" if node.module else f"{base}{a.name}" for a in node.names if a.name != "*")
        return tuple(sorted(found))

    @cached_property
    def imports(self) -> tuple[str, ...]:
        mods: set[str] = set()
        for node in self.of_type(ast.Import, ast.ImportFrom):
            if isinstance(node, ast.Import):
                mods.update(a.name for a in node.names)
            elif node.module and node.level == 0:
                mods.add(node.module)
        return tuple(sorted(mods))

    # --- subtrees ----------------------------------------------------------------------------------

    def walk(self, root: ast.AST) -> list[ast.AST]:
        """``list(ast.walk(root))``, from the index (the list is shared: do not change it)."""
        if root is self.tree:
            return self.nodes
        index = self._index
        span = index.span(root, self.nodes)
        if span is None:
            return list(ast.walk(root))
        nodes = self.nodes
        return [nodes[i] for i in sorted(index.pre_bfs[span[0] : span[1]])]

    def subtree(self, root: ast.AST) -> list[ast.AST]:
        """``root`` and every node under it, in preorder (source order) rather than ``ast.walk``'s."""
        index = self._index
        span = index.span(root, self.nodes)
        return list(ast.walk(root)) if span is None else index.preorder[span[0] : span[1]]

    @overload
    def of_type(self, kind: type[N], /) -> list[N]: ...
    @overload
    def of_type(self, kind: type[N], other: type[M], /) -> list[N | M]: ...
    @overload
    def of_type(self, *types: type[ast.AST]) -> list[ast.AST]: ...
    def of_type(self, *types: type[ast.AST]) -> list[Any]:
        """Every node that is an instance of one of ``types``, in ``ast.walk`` order (shared: do not change it)."""
        return self.within(self.tree, *types)

    @overload
    def within(self, root: ast.AST, kind: type[N], /) -> list[N]: ...
    @overload
    def within(self, root: ast.AST, kind: type[N], other: type[M], /) -> list[N | M]: ...
    @overload
    def within(self, root: ast.AST, *types: type[ast.AST]) -> list[ast.AST]: ...
    def within(self, root: ast.AST, *types: type[ast.AST]) -> list[Any]:
        """The nodes of ``ast.walk(root)`` (``root`` included) that are instances of ``types``, in that order.

        Memoised per root and types: the list is shared, do not change it.
        """
        key = (root, types)
        found = self._within.get(key)
        if found is None:
            found = self._within[key] = self._find(root, types)
        return found

    def _find(self, root: ast.AST, types: tuple[type, ...]) -> list[Any]:
        index = self._index
        span = index.span(root, self.nodes)
        if span is None:
            return [n for n in ast.walk(root) if isinstance(n, types)]
        start, end = span
        found: list[int] = []
        for positions in index.positions(types):
            found += positions[bisect_left(positions, start) : bisect_left(positions, end)]
        return list(map(self.nodes.__getitem__, sorted(map(index.pre_bfs.__getitem__, found))))

    def position(self, node: ast.AST) -> int:
        """Where ``node`` is in ``nodes`` (``ast.walk`` order): sorting by it merges lists found separately."""
        return self._index.bfs[node]

    def contains(self, outer: ast.AST, node: ast.AST) -> bool:
        """Whether ``node`` is ``outer`` or lies under it (``outer in ancestors(node)``, without the walk up)."""
        index = self._index
        span, inner = index.span(outer, self.nodes), index.span(node, self.nodes)
        if span is None or inner is None:
            return node is outer or outer in self.ancestors(node)
        return span[0] <= inner[0] < span[1]

    @cached_property
    def _scopes(self) -> list[int]:
        """For each of ``nodes``, the position of the nearest function, lambda or class around it (0: the module)."""
        owners = self._index.owners
        nodes = self.nodes
        is_scope = [isinstance(n, SCOPES) for n in nodes]
        scopes = [0] * len(nodes)
        for i in range(1, len(nodes)):
            parent = owners[i]
            scopes[i] = parent if is_scope[parent] else scopes[parent]
        return scopes

    def scope_of(self, node: ast.AST) -> ast.AST:
        """The function, lambda or class ``node`` runs in (not ``node`` itself), or the module."""
        i = self._index.bfs.get(node)
        if i is None or self.nodes[i] is not node:
            return next((a for a in self.ancestors(node) if isinstance(a, SCOPES)), self.tree)
        return self.nodes[self._scopes[i]]

    @cached_property
    def _calls_by_scope(self) -> dict[ast.AST, list[ast.Call]]:
        out: dict[ast.AST, list[ast.Call]] = {}
        nodes, scopes, bfs = self.nodes, self._scopes, self._index.bfs
        for call in self.of_type(ast.Call):
            out.setdefault(nodes[scopes[bfs[call]]], []).append(call)
        return out

    def own_calls(self, scope: ast.AST) -> list[ast.Call]:
        """The calls in ``scope`` (a function, lambda, class or the module) that run with it, in ``ast.walk`` order.

        The calls of :meth:`own_nodes`, from an index of the whole file (shared: do not change the list).
        """
        return self._calls_by_scope.get(scope, [])

    def own_nodes(self, root: ast.AST) -> tuple[ast.AST, ...]:
        """Nodes under ``root`` that run with it: not inside nested functions, lambdas or classes.

        The same nodes as :func:`own_nodes`, in preorder: an outer call comes
        before the calls in its arguments.
        """
        found = self._own.get(root)
        if found is None:
            found = self._own[root] = self._own_nodes(root)
        return found

    def _own_nodes(self, root: ast.AST) -> tuple[ast.AST, ...]:
        index = self._index
        span = index.span(root, self.nodes)
        if span is None:
            return tuple(own_nodes(root))
        preorder, pre_bfs, size = index.preorder, index.pre_bfs, index.size
        out: list[ast.AST] = []
        pos, end = span[0] + 1, span[1]
        while pos < end:
            node = preorder[pos]
            if isinstance(node, SCOPES):
                pos += size[pre_bfs[pos]]
                continue
            out.append(node)
            pos += 1
        return tuple(out)

    # --- names ---------------------------------------------------------------------------------------

    def dotted(self, node: ast.AST) -> str:
        """``a.b.c`` for a name or attribute chain, with the first name resolved through imports (memoised)."""
        found = self._dotted.get(node)
        if found is None:
            found = self._dotted[node] = self._resolve(node)
        return found

    def _resolve(self, node: ast.AST) -> str:
        aliases = self.aliases
        if isinstance(node, ast.Name):  # the common shapes first: ``f`` and ``x.f``
            return aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return f"{aliases.get(node.value.id, node.value.id)}.{node.attr}"
        groups: list[list[str]] = []  # attributes after each call, outermost first
        while True:
            parts: list[str] = []
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            groups.append(parts)
            if not isinstance(node, ast.Call):  # requests.Session().get -> requests.Session().get
                break
            node = node.func
        if not isinstance(node, ast.Name):
            return ""
        text = ".".join([aliases.get(node.id, node.id), *reversed(groups.pop())])
        while groups:
            text = ".".join([f"{text}()", *reversed(groups.pop())])
        return text

    def call_name(self, call: ast.Call) -> str:
        found = self._dotted.get(call.func)
        return self.dotted(call.func) if found is None else found

    def unparse(self, node: ast.AST) -> str:
        """``ast.unparse(node)``, memoised: several extractors print every decorator of every function."""
        found = self._unparsed.get(node)
        if found is None:
            found = self._unparsed[node] = ast.unparse(node)
        return found

    # --- scopes --------------------------------------------------------------------------------------

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def enclosing_function(self, node: ast.AST) -> Function | None:
        """The nearest function around ``node`` (memoised for every node on the way up: every extractor asks)."""
        memo, parents = self._functions, self.parents
        climbed: list[ast.AST] = []
        found: Function | None = None
        while node in parents:
            if node in memo:
                found = memo[node]
                break
            climbed.append(node)
            node = parents[node]
            if isinstance(node, Function):
                found = node
                break
        for n in climbed:
            memo[n] = found
        return found

    def qualname(self, node: ast.AST) -> str | None:
        """Qualified name of the function or class enclosing ``node`` (``Class.method``), or None."""
        for a in self.ancestors(node):
            if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                return self._qualify(a)
        return None

    def _qualify(self, scope: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
        """``scope``'s own name qualified by the functions and classes around it (memoised)."""
        found = self._qualified.get(scope)
        if found is None:
            outer = self.qualname(scope)
            found = self._qualified[scope] = f"{outer}.{scope.name}" if outer else scope.name
        return found

    def in_loop(self, node: ast.AST) -> ast.For | ast.AsyncFor | ast.While | None:
        """The nearest loop around ``node`` within its function, or None."""
        for a in self.ancestors(node):
            if isinstance(a, ast.For | ast.AsyncFor | ast.While):
                return a
            if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                return None
        return None

    def in_async(self, node: ast.AST) -> bool:
        return isinstance(self.enclosing_function(node), ast.AsyncFunctionDef)

    @cached_property
    def _module_calls(self) -> list[tuple[ast.Call, str]]:
        return [(node, self.call_name(node)) for node in self.of_type(ast.Call)]

    def calls(self, root: ast.AST | None = None) -> Iterator[tuple[ast.Call, str]]:
        """Every call under ``root`` (default: the module) with its resolved dotted name, in ``ast.walk`` order."""
        if root is None or root is self.tree:
            yield from self._module_calls
            return
        for node in self.within(root, ast.Call):
            yield node, self.call_name(node)

    def snippet(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", 1)
        return snippet(self.lines, line, getattr(node, "end_lineno", None) or line)

    def span(self, node: ast.AST) -> tuple[int, int]:
        line = getattr(node, "lineno", 1)
        return line, getattr(node, "end_lineno", None) or line


def per_file(fn: Callable[[PythonFile], T]) -> Callable[[PythonFile], T]:
    """Memoise ``fn(f)`` on the file: a fact several extractors (or several sites) need is computed once.

    The result is shared: callers must not change it.
    """

    @wraps(fn)
    def memoised(f: PythonFile) -> T:
        try:
            return f.memo[fn]  # type: ignore[no-any-return]
        except KeyError:
            value = f.memo[fn] = fn(f)
            return value

    return memoised


def per_node(fn: Callable[[PythonFile, N], T]) -> Callable[[PythonFile, N], T]:
    """Memoise ``fn(f, node)`` on the file, per node (shared results: callers must not change them)."""

    @wraps(fn)
    def memoised(f: PythonFile, node: N) -> T:
        key = (fn, node)
        try:
            return f.memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = f.memo[key] = fn(f, node)
            return value

    return memoised


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name``, or None (``**kwargs`` counts as unknown: None too)."""
    return next((k.value for k in call.keywords if k.arg == name), None)


def has_star_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)


def own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """Nodes under ``root`` that run with it: not inside nested functions, lambdas or classes.

    For a node of a parsed file, :meth:`PythonFile.own_nodes` gives the same nodes from its index.
    """
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))
