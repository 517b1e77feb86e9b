"""Data durability about the whole repository: the files that show a migration tool, and Redis Lua scripts.

- A migration tool shows in its files (``alembic.ini``, ``prisma/migrations/``, numbered migration files ...):
  one site per tool, at the first such file (line 1).
- A Redis Lua script runs atomically: every write it makes commits together. A script (not a fragment other
  scripts include) that makes two or more writes, directly (``redis.call("HSET", ...)``, or through an alias such
  as ``local rcall = redis.call``) or through functions of its includes that write, is a transaction: a site at
  its first write.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from assess.model.patterns import Site
from assess.patterns import RepoFiles, register_extractor
from assess.patterns.durability_sites import MigrationSite, TransactionSite

MIGRATION_MARKERS = (
    ("Alembic", re.compile(r"(^|/)alembic\.ini$|(^|/)(alembic|migrations)/(env\.py|versions/[^/]+\.py)$")),
    ("Django migrations", re.compile(r"(^|/)migrations/\d{4}_\w+\.py$")),
    ("Prisma Migrate", re.compile(r"(^|/)prisma/migrations/")),
    ("Knex", re.compile(r"(^|/)knexfile\.(js|ts|cjs|mjs)$|(^|/)knex_migrations/[\w-]+\.(js|ts|cjs|mjs)$")),
    ("Sequelize", re.compile(r"(^|/)\.sequelizerc$|(^|/)migrations/\d{14}-[\w-]+\.(js|cjs|ts)$")),
    ("TypeORM", re.compile(r"(^|/)migrations?/\d{13}-\w+\.(ts|js)$")),
    ("Flyway", re.compile(r"(^|/)V\d+(_\d+)*__\w+\.sql$|(^|/)flyway\.(conf|toml)$")),
    ("Liquibase", re.compile(r"(^|/)liquibase\.properties$|(^|/)[\w.-]*changelog[\w.-]*\.(xml|ya?ml|json|sql)$", re.I)),
    ("SQL migrations", re.compile(r"(^|/)(migrations|migrate)/[^/]*\d[^/]*\.sql$")),
    ("Rails migrations", re.compile(r"(^|/)db/migrate/\d+_\w+\.rb$")),
)
LUA_LIMIT = 256 * 1024
LUA_WRITES = (
    "SET|SETEX|SETNX|PSETEX|MSET|MSETNX|GETSET|GETDEL|INCR|INCRBY|INCRBYFLOAT|DECR|DECRBY|DEL|UNLINK|EXPIRE|PEXPIRE|"
    "EXPIREAT|PEXPIREAT|PERSIST|RENAME|RENAMENX|HSET|HSETNX|HMSET|HDEL|HINCRBY|HINCRBYFLOAT|LPUSH|RPUSH|LPUSHX|RPUSHX|"
    "LPOP|RPOP|LREM|LSET|LTRIM|LINSERT|LMOVE|RPOPLPUSH|SADD|SREM|SPOP|SMOVE|ZADD|ZREM|ZINCRBY|ZPOPMIN|ZPOPMAX|"
    "ZREMRANGEBYSCORE|ZREMRANGEBYRANK|ZREMRANGEBYLEX|XADD|XDEL|XTRIM|XACK|PFADD|SETBIT|SETRANGE|COPY|RESTORE"
)
ALIAS = re.compile(r"^\s*local\s+(\w+)\s*=\s*redis\.p?call\b", re.M)
INCLUDE = re.compile(r"""^\s*--+\s*@include\s+["']([^"']+)["']""", re.M)
FUNCTION = re.compile(r"^(?:local\s+)?function\s+([\w.:]+)\s*\(", re.M)


@register_extractor("repo")
def migrations(repo: RepoFiles) -> Iterator[Site]:
    """One site per migration tool, at the first file that shows it."""
    for tool, pattern in MIGRATION_MARKERS:
        path = next((p for p in repo.paths() if pattern.search(p)), None)
        if path is not None:
            yield MigrationSite(path=path, line=1, end_line=1, language="", snippet=path, tool=tool)


def _writes(aliases: set[str]) -> re.Pattern[str]:
    callers = "|".join(["redis\\.p?call", *sorted(map(re.escape, aliases))])
    return re.compile(rf"""\b(?:{callers})\s*\(\s*["']({LUA_WRITES})["']""", re.I)


def _functions(text: str) -> dict[str, str]:
    """Function name -> its body, for functions defined at the start of a line (as scripts' includes are)."""
    out: dict[str, str] = {}
    starts = list(FUNCTION.finditer(text))
    for i, m in enumerate(starts):
        end = re.compile(r"^end\b", re.M).search(text, m.end())
        stop = end.end() if end else (starts[i + 1].start() if i + 1 < len(starts) else len(text))
        out[m.group(1).rsplit(".", 1)[-1].rsplit(":", 1)[-1]] = text[m.end() : stop]
    return out


def _writers(bodies: dict[str, str], writes: re.Pattern[str]) -> set[str]:
    """The functions that write, directly or through another function that does."""
    found = {name for name, body in bodies.items() if writes.search(body)}
    while True:
        more = {name for name, body in bodies.items() if name not in found
                and any(re.search(rf"\b{re.escape(w)}\s*\(", body) for w in found)}  # fmt: skip
        if not more:
            return found
        found |= more


def _main_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) of the script's own statements: not comments, not inside its function definitions."""
    depth_end = None
    for number, line in enumerate(text.splitlines(), start=1):
        if depth_end is None and FUNCTION.match(line):
            depth_end = True
            continue
        if depth_end:
            if re.match(r"^end\b", line):
                depth_end = None
            continue
        if not line.lstrip().startswith("--"):
            yield number, line


@register_extractor("repo")
def lua_scripts(repo: RepoFiles) -> Iterator[Site]:
    """A transaction site at the first write of each Redis Lua script that writes two or more times."""
    paths = [p for p in repo.paths() if p.endswith(".lua")]
    if not paths:
        return
    texts = {p: t for p in paths if (t := repo.read(p, LUA_LIMIT))}
    aliases = {m.group(1) for t in texts.values() for m in ALIAS.finditer(t)}
    writes = _writes(aliases)
    bodies = {name: body for t in texts.values() for name, body in _functions(t).items()}
    writers = _writers(bodies, writes)
    calls = re.compile(rf"\b({'|'.join(sorted(map(re.escape, writers)))})\s*\(") if writers else None
    included = {_resolve(p, inc) for p, t in texts.items() for inc in INCLUDE.findall(t)}
    for path, text in sorted(texts.items()):
        if path in included:
            continue
        steps = [(n, line) for n, line in _main_lines(text) if writes.search(line) or (calls and calls.search(line))]
        if len(steps) >= 2:
            line, snippet = steps[0]
            yield TransactionSite(
                path=path, line=line, end_line=line, language="Lua", snippet=snippet.strip()[:200], role="script",
                how="a Redis Lua script, which Redis runs atomically", writes=len(steps), open_line=line,
            )  # fmt: skip


def _resolve(script: str, include: str) -> str:
    """The path an ``@include "includes/x"`` of ``script`` names."""
    target = PurePosixPath(script).parent / include
    return str(target) if target.suffix == ".lua" else f"{target}.lua"
