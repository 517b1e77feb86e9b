"""The facts the data-durability extractors record (one registered site type per kind), shared by the Python,
JavaScript/TypeScript and repository extractors and read by :mod:`assess.probes.durability` and
:mod:`assess.probes.durability_writes`."""

from __future__ import annotations

from typing import Literal

from assess.model.patterns import Site, register_site


@register_site
class CollectionSite(Site):
    """A module-, class- or instance-level list/dict/set/deque (JS: array, Map, Set, object) and how it is used."""

    kind: Literal["durability-collection"] = "durability-collection"
    name: str
    scope: Literal["module", "class", "instance"]
    container: str
    owner: str | None = None
    """The class holding it (None at module level)."""
    grows: bool
    """Appended/added/assigned to by key from a function (not only at import time or in the constructor)."""
    bounded: bool
    """Popped, deleted from, cleared, trimmed, reassigned, length-checked, or a deque with ``maxlen``."""
    escapes: bool
    """Passed to another function, which may bound it; the extractor cannot tell."""
    keyed_writes: bool
    keyed_reads: bool
    owner_persists: bool
    """The owning class (or module) also writes to a database or file: it is a cache, not the only copy."""
    long_lived: str | None = None
    """Why the holder lives as long as the process: ``module level``, ``class attribute``, ``owns a lock``,
    ``created at module level``, ``a service object (RateLimiter)``; None for an instance of a class that
    shows none of these (a builder or per-request object, whose collections die with it)."""
    bounded_if: str | None = None
    """When entries are removed only under a configuration option (``if (conf.deleteTimers) delete ...``): the
    option's test; ``bounded`` is then False."""
    reset_line: int | None = None
    """A line that resets every entry in place (``for k in x: x[k] = 0``), keeping every key ever seen."""
    reset_snippet: str = ""


@register_site
class CollectionBoundSite(Site):
    """An attribute of another object trimmed here (``delete server.sessions[id]``, ``app.queue.clear()``): a
    collection of that name defined in another file may be bounded by this code."""

    kind: Literal["durability-bound"] = "durability-bound"
    name: str


@register_site
class FileWriteSite(Site):
    kind: Literal["durability-file-write"] = "durability-file-write"
    how: str
    target: str
    atomic: bool
    """The same function renames or replaces a file (write-temp-then-rename), or an atomic-write library is used."""
    temporary: bool
    """The target is a temporary file (the first half of write-temp-then-rename)."""
    log_like: bool
    data_like: bool
    """The content is serialised data (``json.dump``, ``yaml.safe_dump`` ...) or the target is named like a
    data file (``state.json``, ``config_path``, ``export``): the rule is about data, not every file."""
    creates: bool = False
    """The write runs only when the file does not exist yet (``if (!existsSync(p))``): it creates the file, it does
    not rewrite data in place."""


@register_site
class ReadModifyWriteSite(Site):
    """A function that reads a file and writes the same path back. ``line`` is the read."""

    kind: Literal["durability-read-modify-write"] = "durability-read-modify-write"
    target: str
    write_line: int
    locked: bool


@register_site
class DbSettingSite(Site):
    kind: Literal["durability-db-setting"] = "durability-db-setting"
    setting: Literal["sqlite-wal", "connection-pool", "memory-database"]
    detail: str


@register_site
class SchemaInCodeSite(Site):
    kind: Literal["durability-schema-in-code"] = "durability-schema-in-code"
    how: str


@register_site
class MigrationSite(Site):
    """Evidence of a migration tool (repository-level: ``line`` is 1 of the marker file)."""

    kind: Literal["durability-migrations"] = "durability-migrations"
    tool: str


@register_site
class TransactionSite(Site):
    kind: Literal["durability-transaction"] = "durability-transaction"
    role: Literal["open", "commit", "write", "script"]
    """The statement that opens (or, for commit-style transactions, commits) it, one write inside it, or the first
    write of a script the database runs atomically (a Redis Lua script)."""
    how: str
    writes: int
    """How many write statements the transaction holds."""
    open_line: int


@register_site
class MultiWriteSite(Site):
    """Writes that are not in one transaction: at the second write (or at the ``Promise.all`` that runs them);
    ``first_line`` is the earlier write (for a write that bypasses the transaction handle its function is given:
    the function's line)."""

    kind: Literal["durability-multi-write"] = "durability-multi-write"
    first_line: int
    write: str
    reason: str
    writes: int = 2
    deletes_only: bool = False
    """Every write deletes: running the operation again completes it."""
    gathered: bool = False
    """``Promise.all`` runs the writes at once."""
    covered_by_caller: Literal["never", "if-passed", "always"] = "never"
    """Whether a caller's transaction covers the writes: never (each commits through a connection of its own, or
    the function commits between them), if the caller passes its handle (the writes go through a parameter), or
    always (the transaction is implicit: Django's ``atomic``)."""
    bypassed: str | None = None
    """The transaction handle the function is given and does not use (``pipeline``), when that is the finding."""


@register_site
class TxCallSite(Site):
    """A function called inside a transaction (once per transaction and name), for the probe to tell which
    functions' writes a caller's transaction covers."""

    kind: Literal["durability-tx-call"] = "durability-tx-call"
    callee: str
    how: str
    passes_handle: bool
    """The call is given the transaction's handle (or the transaction is implicit, as Python's are)."""


@register_site
class WriterSite(Site):
    """A function that writes to the database (JS/TS), at its definition: ``module`` is its file's name up to the
    first dot (``link.queries.js`` -> ``link``)."""

    kind: Literal["durability-writer"] = "durability-writer"
    name: str
    module: str


@register_site
class WriteStepsSite(Site):
    """A function (JS/TS) that calls other modules' functions named like writes outside a transaction
    (``query.link.update()``), with its own direct writes, for the probe to resolve against :class:`WriterSite`."""

    kind: Literal["durability-write-steps"] = "durability-write-steps"
    steps: tuple[tuple[int, str, str, int], ...]
    """(line, receiver, function name, line of the ``Promise.all`` that runs it or 0) of each call."""
    direct: tuple[tuple[int, int, str], ...] = ()
    """(line, line of the ``Promise.all`` or 0, what it writes) of each direct write outside a transaction."""
    texts: tuple[tuple[int, str], ...] = ()
    """(line, source text) of those lines, for the finding's snippet."""
