"""Data-durability probes: state only in memory, collections that only grow, transactions and writes
outside them, migrations, SQLite WAL, connection pools, non-atomic file writes, unlocked read-modify-write."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assess.model import Role
from assess.model.patterns import PatternsData, Site
from assess.patterns.durability import (
    CollectionSite,
    DbSettingSite,
    FileWriteSite,
    MigrationSite,
    ReadModifyWriteSite,
    SchemaInCodeSite,
)
from assess.patterns.durability_tx import MultiWriteSite, TransactionSite
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
                         r"inflight|in_flight|seen", re.I)  # fmt: skip
DELIBERATELY_IN_MEMORY = re.compile(r"InMemory|Memory|Fake|Mock|Stub|Dummy|Test", re.I)
NOT_GROWING_STATE = re.compile(
    r"cache|registry|registries|handlers|routes|plugins|hooks|listeners|subscribers|callbacks|commands|factories|"
    r"providers|validators|converters|serializers",
    re.I,
)
ROLES = {"open": "opens a transaction", "commit": "commits a transaction", "write": "runs in a transaction"}
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
    for site in data.of(CollectionSite):
        if not _source(data, site):
            continue
        details = {"where": _where(site), "name": site.name, "persistence": ", ".join(persistence[:3])}
        if _is_store(site) and persistence:
            yield Hit("durability.in-memory-state", site=site, details=details)
        if _only_grows(site):
            yield Hit("durability.unbounded-collection", site=site, details=details)


def _only_grows(site: CollectionSite) -> bool:
    """Grows at run time, is never bounded, and its holder lives as long as the process."""
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


@register_probe("durability.transaction", "durability.multi-step-write-outside-transaction")
def transactions(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    for site in data.of(TransactionSite):
        if _source(data, site):
            details = {"what": ROLES[site.role], "how": site.how, "writes": site.writes, "line": site.open_line}
            yield Hit("durability.transaction", site=site, details=details)
    for multi in data.of(MultiWriteSite):
        if _source(data, multi):
            details = {"write": multi.write, "first_line": multi.first_line, "reason": multi.reason}
            yield Hit("durability.multi-step-write-outside-transaction", site=multi, details=details)


@register_probe("durability.migrations", "durability.no-migrations")
def migrations(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    tools = data.of(MigrationSite)
    if tools:
        found = ", ".join(f"{t.tool} ({t.path})" for t in tools)
        yield Hit("durability.migrations", details={"tools": found})
        return
    schema = [s for s in data.of(SchemaInCodeSite) if _source(data, s)]
    if schema:
        first = schema[0]
        yield Hit("durability.no-migrations", details={"where": f"{first.path}:{first.line}", "how": first.how,
                                                        "count": len(schema)})  # fmt: skip


@register_probe("durability.sqlite-wal", "durability.connection-pool")
def db_settings(given: ProbeInput) -> Iterator[Hit]:
    for site in given.patterns.of(DbSettingSite):
        if _source(given.patterns, site):
            rule = "durability.sqlite-wal" if site.setting == "sqlite-wal" else "durability.connection-pool"
            yield Hit(rule, site=site, details={"detail": site.detail})


@register_probe("durability.non-atomic-write", "durability.read-modify-write-without-lock")
def file_writes(given: ProbeInput) -> Iterator[Hit]:
    data = given.patterns
    for site in data.of(FileWriteSite):
        if _source(data, site) and site.data_like and not (site.atomic or site.temporary or site.log_like):
            yield Hit("durability.non-atomic-write", site=site, details={"how": site.how, "target": site.target})
    for rmw in data.of(ReadModifyWriteSite):
        if _source(data, rmw) and not rmw.locked:
            yield Hit("durability.read-modify-write-without-lock", site=rmw,
                      details={"target": rmw.target, "write_line": rmw.write_line})  # fmt: skip
