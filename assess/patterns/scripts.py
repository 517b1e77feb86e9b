"""JavaScript and TypeScript files for extractors, parsed by tree-sitter (offline grammar wheels)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from assess.patterns import snippet

SCRIPT_LANGUAGES = {"JavaScript", "TypeScript"}
MAX_TREE_DEPTH = 500
"""Deeper syntax trees are refused: tree-sitter finds a node's parent by walking down from the root, so
extractors that look at parents take time quadratic in the depth (``((((...))))`` 200,000 deep ran for hours).
Real code, even minified bundles, stays far below."""


@cache
def grammar(suffix: str) -> tree_sitter.Language:
    """The tree-sitter language for a file suffix: TSX, TypeScript, or JavaScript (with JSX)."""
    if suffix == ".tsx":
        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    if suffix in {".ts", ".mts", ".cts"}:
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    return tree_sitter.Language(tree_sitter_javascript.language())


@cache
def query(suffix: str, source: str) -> tree_sitter.Query:
    return tree_sitter.Query(grammar(suffix), source)


@dataclass
class ScriptFile:
    path: str
    language: str
    text: str
    tree: tree_sitter.Tree
    data: bytes = b""
    lines: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, path: str, language: str, text: str) -> ScriptFile:
        """Parse with tree-sitter. Raises ValueError when the tree has syntax errors throughout."""
        data = text.encode("utf-8")
        parser = tree_sitter.Parser(grammar(PurePosixPath(path).suffix.lower()))
        tree = parser.parse(data)
        if (
            tree.root_node.has_error
            and tree.root_node.child_count
            and all(c.type == "ERROR" or c.has_error for c in tree.root_node.children)
        ):
            raise ValueError("tree-sitter could not parse the file")
        if _deeper_than(tree, MAX_TREE_DEPTH):
            raise ValueError(f"the syntax tree is nested more than {MAX_TREE_DEPTH} levels deep")
        return cls(path=path, language=language, text=text, tree=tree, data=data, lines=text.splitlines())

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix.lower()

    def captures(self, source: str) -> dict[str, list[tree_sitter.Node]]:
        """Run a tree-sitter query on the whole file: capture name -> nodes."""
        cursor = tree_sitter.QueryCursor(query(self.suffix, source))
        return cursor.captures(self.tree.root_node)

    def matches(self, source: str) -> list[dict[str, list[tree_sitter.Node]]]:
        cursor = tree_sitter.QueryCursor(query(self.suffix, source))
        return [caps for _, caps in cursor.matches(self.tree.root_node)]

    def node_text(self, node: tree_sitter.Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def span(self, node: tree_sitter.Node) -> tuple[int, int]:
        return node.start_point[0] + 1, node.end_point[0] + 1

    def snippet(self, node: tree_sitter.Node) -> str:
        line, end = self.span(node)
        return snippet(self.lines, line, end)

    def ancestors(self, node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
        parent = node.parent
        while parent is not None:
            yield parent
            parent = parent.parent

    def enclosing_function(self, node: tree_sitter.Node) -> str | None:
        """Name of the function or method around ``node`` (``Class.method`` where known)."""
        names: list[str] = []
        for a in self.ancestors(node):
            if a.type in {
                "function_declaration",
                "method_definition",
                "class_declaration",
                "generator_function_declaration",
            }:
                name = a.child_by_field_name("name")
                if name is not None:
                    names.append(self.node_text(name))
            elif (
                a.type in {"arrow_function", "function_expression", "function"}
                and a.parent is not None
                and a.parent.type == "variable_declarator"
                and (name := a.parent.child_by_field_name("name"))
            ):
                names.append(self.node_text(name))
        return ".".join(reversed(names)) or None

    @property
    def imports(self) -> tuple[str, ...]:
        """Modules imported with ``import ... from 'x'`` or ``require('x')``."""
        found: set[str] = set()
        caps = self.captures("(import_statement source: (string (string_fragment) @m))")
        found.update(self.node_text(n) for n in caps.get("m", []))
        caps = self.captures(
            "(call_expression function: (identifier) @f arguments: (arguments (string (string_fragment) @m)) "
            '(#eq? @f "require"))'
        )
        found.update(self.node_text(n) for n in caps.get("m", []))
        return tuple(sorted(found))


def _deeper_than(tree: tree_sitter.Tree, limit: int) -> bool:
    """Whether any node of ``tree`` is more than ``limit`` levels below the root (a cursor walk: no recursion)."""
    cursor = tree.walk()
    depth = 0
    while True:
        if cursor.goto_first_child():
            depth += 1
            if depth > limit:
                return True
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return False
            depth -= 1
