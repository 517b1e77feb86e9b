"""Data-durability probes: state only in memory, collections that only grow, migrations, SQLite WAL, connection
pools, non-atomic file writes, unlocked read-modify-write. Transactions and writes outside them are in
:mod:`assess.probes.durability_writes`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assess.knowledge import knowledge
from assess.model import Role
from assess.model.patterns import PatternsData, Site
from assess.patterns.durability_sites import (
    CollectionBoundSite,
    CollectionSite,
    DbSettingSite,
    FileWriteSite,
    MigrationSite,
    ReadModifyWriteSite,
    SchemaInCodeSite,
)
from assess.probes import Hit, ProbeInput, register_probe

PERSISTENCE_IMPORT = re.compile(
    r"^(sqlite3|sqlalchemy|psycopg|psycopg2|psycopg_pool|pymongo|motor|redis|peewee|django\.db|asyncpg|aiosqlite|"
    r"tortoise|mongoengine|sqlmodel|databases|pg|mongoose|mongodb|@prisma/client|better-sqlite3|sqlite|knex|typeorm|"
    r"sequelize|mysql|mysql2|ioredis|@mikro-orm/core)(\.|$)"
)
STORE_NAME = re.compile(
    r"entries|entry|records?|store|storage|documents|docs|users|accounts|orders|tasks|jobs|sessions|messages|notes|"
    r"posts|todos|knowledge|kb|products|customers|carts|profiles|tickets|db$|database",
    re.I,
)
NOT_A_STORE = re.compile(r"cache|lock|metric|count|stat|bucket|limit|timer|handler|listener|callback|registry|pending|"
                         r"inflight|in_flight|seen|tracked|active|running|current|processing|ongoing",
                         re.I)  # fmt: skip
"""Working state (what this process is doing now, what it has counted or cached), not records to keep."""
DELIBERATELY_IN_MEMORY = re.compile(r"InMemory|Memory|Fake|Mock|Stub|Dummy|Test", re.I)
NOT_GROWING_STATE = re.compile(
    r"cache|registry|registries|handlers|routes|plugins|hooks|listeners|subscribers|callbacks|commands|factories|"
    r"providers|validators|converters|serializers",
    re.I,
)
GROWS = "is added to at run time and never trimmed, evicted or cleared: memory grows for as long as the process lives"
SYNC = re.compile(r"sync|create_all", re.I)
"""An ORM that creates the schema from the models (``sequelize.sync()``, ``metadata.create_all``)."""
TESTS = (Role.TEST, Role.TEST_SUPPORT, Role.DOCS)
CONTAINERS = {"list": "list", "dict": "dict", "set": "set", "deque": "deque", "Map": "Map", "Set": "Set",
              "array": "array", "object": "object"}  # fmt: skip


def _source(data: PatternsData, site: Site) -> bool:
    return data.role_of(site.path) == Role.SOURCE


def _where(site: CollectionSite) -> str:
    if site.scope == "module":
        return f"module-level {CONTAINERS.get(site.container, site.container)} {site.name}"
    return f"{CONTAINERS.get(site.container, site.container)} {site.owner}.{site.name}"


def _has_persistence(data: PatternsData) -> list[str]:
    return sorted({m for f in data.files if f.role == Role.SOURCE for m in f.imports if PERSISTENCE_IMPORT.match(m)})


@register_probe("durability.in-memory-state", "durability.unbounded-collection")
def collections(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    persistence = _has_persistence(data)
    trimmed = {(s.path, s.name) for s in data.of(CollectionBoundSite) if _source(data, s)}
    for site in data.of(CollectionSite):
        if not _source(data, site):
            continue
        details: dict[str, object] = {"where": _where(site), "name": site.name, "how": GROWS,
                                      "persistence": ", ".join(persistence[:3])}  # fmt: skip
        if _is_store(site) and persistence:
            yield Hit("durability.in-memory-state", site=site, details=details)
        if _only_grows(site) and not _trimmed_elsewhere(site, trimmed):
            yield _unbounded(site, details)


def _unbounded(site: CollectionSite, details: dict[str, object]) -> Hit:
    if site.bounded_if is None:
        return Hit("durability.unbounded-collection", site=site, details=details)
    how = (f"is added to at run time and trimmed only when {site.bounded_if} is set; otherwise "
           + ("its entries are reset in place here and " if site.reset_line else "")
           + "every key ever seen stays: memory grows with the number of distinct keys")  # fmt: skip
    reason = f"entries are removed only when {site.bounded_if}: whether production turns it on, the code does not show"
    line = site.reset_line or site.line
    where = f"{details['where']} (line {site.line})" if site.reset_line else details["where"]
    details = {**details, "how": how, "where": where}
    return Hit("durability.unbounded-collection", site=site, line=line, end_line=line, details=details,
               snippet=site.reset_snippet if site.reset_line else "",
               confidence="likely", confidence_reason=reason)  # fmt: skip


def _trimmed_elsewhere(site: CollectionSite, trimmed: set[tuple[str, str]]) -> bool:
    """An attribute trimmed through another object (``delete server.sessions[id]``) in another file."""
    return site.scope != "module" and any(name == site.name and path != site.path for path, name in trimmed)


def _only_grows(site: CollectionSite) -> bool:
    """Grows at run time, is never bounded (or only under an option), and its holder lives as long as the
    process."""
    return (
        site.grows and not site.bounded and not site.escapes and site.long_lived is not None
        and not NOT_GROWING_STATE.search(site.name)
    )  # fmt: skip


def _is_store(site: CollectionSite) -> bool:
    return (
        site.container in {"dict", "Map", "object"} and site.keyed_writes and site.keyed_reads
        and not site.owner_persists and bool(STORE_NAME.search(site.name)) and not NOT_A_STORE.search(site.name)
        and not (site.owner and DELIBERATELY_IN_MEMORY.search(site.owner))
    )  # fmt: skip


@register_probe("durability.migrations", "durability.no-migrations")
def migrations(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    tools = _migration_tools(data)
    for site in tools:
        yield Hit("durability.migrations", site=site, details={"tools": site.tool})
    if tools:
        return
    imports = {f.path: f.imports for f in data.files}
    schema = [s for s in data.of(SchemaInCodeSite) if _source(data, s) and given.production(s.path)
              and (SYNC.search(s.how) or not knowledge().provider("migrations", imports.get(s.path, ())))]  # fmt: skip
    memory = {s.path for s in data.of(DbSettingSite) if s.setting == "memory-database" and given.production(s.path)}
    if not schema or all(s.path in memory for s in schema):
        return  # none, or each in a file that opens an in-memory database: rebuilt at every start
    first = schema[0]
    details = {"where": f"{first.path}:{first.line}", "how": first.how, "count": len(schema)}
    reason = _no_migrations_doubt(given.provider("migrations"), memory, first)
    yield Hit("durability.no-migrations", details=details, confidence="likely" if reason else None,
              confidence_reason=reason)  # fmt: skip


def _migration_tools(data: PatternsData) -> list[MigrationSite]:
    """One site per tool (the first), code that runs migrations before the files that show them; tests left out."""
    sites = [s for s in data.of(MigrationSite) if data.role_of(s.path) not in TESTS]
    in_code = {s.path for s in sites if s.language}
    sites = [s for s in sites if s.language or s.path not in in_code]  # a marker file whose code shows more
    sites.sort(key=lambda s: (not s.language, s.path, s.line))
    seen: set[str] = set()
    out = []
    for site in sites:
        if site.tool not in seen:
            seen.add(site.tool)
            out.append(site)
    return out


def _no_migrations_doubt(provider: str | None, memory: set[str], first: SchemaInCodeSite) -> str | None:
    """Why the code cannot show that the schema needs migrations, or None."""
    if provider and SYNC.search(first.how):
        return f"{provider} is imported, which can run migrations, but the schema is also synchronised in code"
    if provider:
        return f"{provider} is imported, which can run migrations: whether it migrates this database too, the " \
               "code does not show"  # fmt: skip
    if memory:
        return (f"the project also opens in-memory databases ({sorted(memory)[0]}): whether this schema is in a "
                "database that outlives a restart, the code does not show")  # fmt: skip
    return None


@register_probe("durability.sqlite-wal", "durability.connection-pool")
def db_settings(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(DbSettingSite):
        if _source(given.patterns, site) and site.setting != "memory-database":
            rule = "durability.sqlite-wal" if site.setting == "sqlite-wal" else "durability.connection-pool"
            yield Hit(rule, site=site, details={"detail": site.detail})


@register_probe("durability.non-atomic-write", "durability.read-modify-write-without-lock", "durability.atomic-write")
def file_writes(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    atomic: set[tuple[str, str | None]] = set()
    for site in data.of(FileWriteSite):  # write-temp-then-rename (good), once per function
        if site.atomic and site.temporary and _source(data, site) and (site.path, site.function) not in atomic:
            atomic.add((site.path, site.function))
            yield Hit("durability.atomic-write", site=site,
                      details={"target": site.target, "function": f"{site.function}()" if site.function else "It"})
    for site in data.of(FileWriteSite):
        if not (_source(data, site) and site.data_like) or site.atomic or site.temporary or site.log_like:
            continue
        if site.creates:
            yield Hit("durability.non-atomic-write", site=site, details={"how": site.how, "target": site.target},
                      confidence="possible", confidence_reason="The file is written only when it does not exist yet: "
                      "nothing is rewritten in place, but a crash during this first write leaves a partial file that "
                      "later runs find.")  # fmt: skip
        else:
            yield Hit("durability.non-atomic-write", site=site, details={"how": site.how, "target": site.target})
    for rmw in data.of(ReadModifyWriteSite):
        if _source(data, rmw) and not rmw.locked:
            yield Hit("durability.read-modify-write-without-lock", site=rmw,
                      details={"target": rmw.target, "write_line": rmw.write_line})  # fmt: skip
