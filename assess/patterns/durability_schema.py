"""Schemas and database settings in Python code: tables created in code, migrations run in code (a migration
ledger table, ``PRAGMA user_version``, ``alembic.command.upgrade``), in-memory databases, SQLite WAL and
connection pools. :func:`schema_facts` reads a SQL string for the JavaScript/TypeScript extractor too."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.durability_sites import DbSettingSite, MigrationSite, SchemaInCodeSite
from assess.patterns.pyast import PythonFile

MIGRATE_CALLS = {"alembic.command.upgrade", "flask_migrate.upgrade", "yoyo.get_backend"}
WAL = re.compile(r"journal_mode\s*=\s*['\"]?wal\b", re.I)
CREATE_SQL = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w.\"`\[\]]+\s*\(", re.I)
"""A table created in code (a temporary table is not schema: it lives as long as its connection)."""
LEDGER = re.compile(
    r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`\[]?(?:\w+[\"`\]]?\.[\"`\[]?)?"
    r"(?P<name>\w*migrations?|schema_versions?|db_version|\w*schema_history)[\"`\]]?\s*\(",
    re.I,
)
"""A table that records which migrations ran: migrations done in code."""
USER_VERSION = re.compile(r"\bPRAGMA\s+user_version\b", re.I)
MEMORY_DB = re.compile(r"^(:memory:|file:\S*[?&]mode=memory\b\S*)$")


def schema_facts(text: str) -> Iterator[tuple[str, str, int]]:
    """What a string literal shows about the schema: (``migrations``, tool, line offset) for a migration ledger
    table or ``PRAGMA user_version``, (``schema``, how, line offset) for a table created in code, (``memory``, ...)
    for an in-memory SQLite database's name."""
    lines = text.splitlines()
    for pattern, kind in ((LEDGER, "migrations"), (USER_VERSION, "migrations"), (CREATE_SQL, "schema")):
        if m := pattern.search(text):
            offset = next((i for i, s in enumerate(lines) if pattern.search(s)), 0)
            how = {"schema": "a CREATE TABLE statement", "migrations": "in-code migrations"}[kind]
            detail = f"{how} (a {m['name']} table)" if pattern is LEDGER else how
            yield kind, detail if pattern is not USER_VERSION else f"{how} (PRAGMA user_version)", offset
            return
    if MEMORY_DB.match(text):
        yield "memory", "an in-memory SQLite database", 0
POOLS = re.compile(
    r"^(sqlalchemy|sqlmodel|sqlalchemy\.ext\.asyncio|psycopg_pool|psycopg2\.pool|asyncpg|aiopg|aiomysql|redis|"
    r"redis\.asyncio|mysql\.connector\.pooling|dbutils\.pooled_db|DBUtils\.PooledDB)\.(create_engine|"
    r"create_async_engine|ConnectionPool|AsyncConnectionPool|ThreadedConnectionPool|SimpleConnectionPool|"
    r"create_pool|PooledDB|MySQLConnectionPool|BlockingConnectionPool)$"
)


def schema_site(kind: str, how: str, where: dict[str, Any]) -> Site:
    """The site of one :func:`schema_facts` fact, at ``where`` (path, line, end_line, language, snippet ...)."""
    if kind == "schema":
        return SchemaInCodeSite(**where, how=how)
    if kind == "migrations":
        return MigrationSite(**where, tool=how)
    return DbSettingSite(**where, setting="memory-database", detail=how)


def _settings(f: PythonFile) -> Iterator[Site]:
    def common(call: ast.Call) -> dict[str, Any]:
        line, end = f.span(call)
        return {"path": f.path, "line": line, "end_line": end, "language": "Python", "snippet": f.snippet(call),
                "function": f.qualname(call)}  # fmt: skip

    for call, name in f.calls():
        strings = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if any(WAL.search(s) for s in strings):
            yield DbSettingSite(**common(call), setting="sqlite-wal", detail="PRAGMA journal_mode=WAL")
        elif name and POOLS.match(name) and not re.search(r"NullPool", ast.unparse(call)):
            yield DbSettingSite(**common(call), setting="connection-pool", detail=name)
        elif name.endswith("metadata.create_all"):
            yield SchemaInCodeSite(**common(call), how=name)
        elif name in MIGRATE_CALLS or (name.endswith("call_command") and strings[:1] == ["migrate"]):
            yield MigrationSite(**common(call), tool=f"migrations run in code ({name})")
    for node in f.of_type(ast.Constant):
        if not isinstance(node.value, str) or isinstance(f.parents.get(node), ast.Expr):
            continue  # not a string, or a docstring
        for kind, how, offset in schema_facts(node.value):
            line = node.lineno + offset
            where = {"path": f.path, "line": line, "end_line": line, "language": "Python", "function": f.qualname(node),
                     "snippet": f.lines[line - 1].strip()[:200] if line <= len(f.lines) else ""}  # fmt: skip
            yield schema_site(kind, how, where)


@register_extractor("python")
def schema_settings(f: PythonFile) -> Iterator[Site]:
    yield from _settings(f)
