"""Python files for extractors: the syntax tree, import aliases, and each node's enclosing scope."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from assess.patterns import snippet


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

    @classmethod
    def parse(cls, path: str, text: str, tree: ast.Module | None = None) -> PythonFile:
        """Raises SyntaxError, ValueError or RecursionError when the file does not parse.
        ``tree``, when given, is ``text`` already parsed (and is not parsed again)."""
        tree = tree if tree is not None else ast.parse(text, filename=path)
        f = cls(path=path, text=text, tree=tree, lines=text.splitlines())
        f.nodes = list(ast.walk(tree))
        for node in f.nodes:
            for child in ast.iter_child_nodes(node):
                f.parents[child] = node
            if isinstance(node, ast.Import):
                for a in node.names:
                    f.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    f.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        return f

    @cached_property
    def imports(self) -> tuple[str, ...]:
        mods: set[str] = set()
        for node in self.nodes:
            if isinstance(node, ast.Import):
                mods.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods.add(node.module)
        return tuple(sorted(mods))

    def dotted(self, node: ast.AST) -> str:
        """``a.b.c`` for a name or attribute chain, with the first name resolved through imports."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Call):  # requests.Session().get -> requests.Session().get
            inner = self.dotted(node.func)
            return ".".join([f"{inner}()", *reversed(parts)]) if inner else ""
        if not isinstance(node, ast.Name):
            return ""
        head = self.aliases.get(node.id, node.id)
        return ".".join([head, *reversed(parts)])

    def call_name(self, call: ast.Call) -> str:
        return self.dotted(call.func)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for a in self.ancestors(node):
            if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef):
                return a
        return None

    def qualname(self, node: ast.AST) -> str | None:
        """Qualified name of the function or class enclosing ``node`` (``Class.method``), or None."""
        names = [
            a.name for a in self.ancestors(node) if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        return ".".join(reversed(names)) or None

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
        return [(node, self.call_name(node)) for node in self.nodes if isinstance(node, ast.Call)]

    def calls(self, root: ast.AST | None = None) -> Iterator[tuple[ast.Call, str]]:
        """Every call under ``root`` (default: the module) with its resolved dotted name."""
        if root is None or root is self.tree:
            yield from self._module_calls
            return
        for node in ast.walk(root):
            if isinstance(node, ast.Call):
                yield node, self.call_name(node)

    def snippet(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", 1)
        return snippet(self.lines, line, getattr(node, "end_lineno", None) or line)

    def span(self, node: ast.AST) -> tuple[int, int]:
        line = getattr(node, "lineno", 1)
        return line, getattr(node, "end_lineno", None) or line


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name``, or None (``**kwargs`` counts as unknown: None too)."""
    return next((k.value for k in call.keywords if k.arg == name), None)


def has_star_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)
