"""The service under chaos: how to start it (from the target's config), and talking to it on loopback.

A target says how to start its service in ``assess.toml`` (table ``[chaos]``) or in
``pyproject.toml`` (table ``[tool.assess.chaos]``)::

    [tool.assess.chaos]
    command = ["{python}", "-m", "taskstore", "--port", "{port}", "--db", "{data_dir}/tasks.db"]
    health = "/health"                        # GET, 200 means healthy
    write = { path = "/tasks", body = { title = "chaos record {n}" }, id_field = "id" }
    read = "/tasks/{id}"                      # GET, 200 means the record is there
    slow = "/tasks?slow_ms={ms}"              # a request that takes {ms} milliseconds

    [tool.assess.chaos.criteria.process-crash]  # success criteria, per family, over the defaults
    max_recovery_s = 30

Placeholders in ``command`` and ``env`` values: ``{python}`` (the interpreter given to ``assess``),
``{host}`` (always 127.0.0.1), ``{port}`` (a free loopback port chosen per experiment) and
``{data_dir}`` (an empty folder per experiment, in the run folder) and ``{dependency_url}``: the URL
of an HTTP dependency ``assess`` provides (a loopback sink answering 200 to anything, behind a fault
proxy), for services that call out (webhooks, other services); a service whose command or env uses
it gets the dependency-outage experiment. The service must listen on ``{host}:{port}``; ``assess``
only ever talks to loopback addresses.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assess.chaos import load_criteria
from assess.config import read_target_toml
from assess.rubric import RubricError

HOST = "127.0.0.1"
PLACEHOLDERS = ("python", "host", "port", "data_dir", "dependency_url")
DEPENDENCY_PATH = "/assess-dependency"


class ChaosConfigError(Exception):
    """The target's chaos configuration is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class WriteSpec:
    """A request that stores one record; its JSON answer holds the record's id in ``id_field``."""

    path: str
    method: str = "POST"
    body: Any = None
    """JSON body; ``{n}`` in its strings is replaced by the record's number."""
    id_field: str = "id"


@dataclass(frozen=True)
class ServiceSpec:
    command: tuple[str, ...]
    health: str = "/health"
    startup_timeout_s: float = 20.0
    write: WriteSpec | None = None
    read: str | None = None
    """Path template with ``{id}``: GET answers 200 while the record exists."""
    slow: str | None = None
    """Path template with ``{ms}``: a GET that takes that long (for in-flight requests)."""
    env: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    """Where the spec was read, e.g. ``pyproject.toml [tool.assess.chaos]``."""

    @property
    def uses_dependency(self) -> bool:
        """Whether the service is pointed at ``assess``'s dependency (``{dependency_url}``)."""
        return any("{dependency_url}" in text for text in (*self.command, *self.env.values()))

    def has(self, need: str) -> bool:
        """Whether the spec provides what an experiment needs: ``write``, ``read``, ``slow``, ``dependency``."""
        if need == "dependency":
            return self.uses_dependency
        return getattr(self, need, None) is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceSpec:
        write = data.get("write")
        return cls(
            command=tuple(data["command"]),
            health=data.get("health", "/health"),
            startup_timeout_s=float(data.get("startup_timeout_s", 20.0)),
            write=WriteSpec(**write) if write else None,
            read=data.get("read"),
            slow=data.get("slow"),
            env=dict(data.get("env") or {}),
            source=data.get("source", ""),
        )


def chaos_table(target: Path) -> tuple[dict[str, Any], str] | None:
    """The raw chaos table and where it was found, or None if the target has none."""
    for name, keys in (("assess.toml", ("chaos",)), ("pyproject.toml", ("tool", "assess", "chaos"))):
        try:  # the target's own regular file only: never through a symlink (see assess.config)
            document: Any = read_target_toml(target, name)
        except RubricError as err:
            raise ChaosConfigError(str(err)) from None
        if document is None:
            continue
        for key in keys:
            document = document.get(key) if isinstance(document, dict) else None
        if document is not None:
            where = f"{name} [{'.'.join(keys)}]"
            if not isinstance(document, dict):
                raise ChaosConfigError(f"{where}: must be a table")
            return document, where
    return None


def load_criteria_overrides(target: Path) -> tuple[dict[str, Any], str] | None:
    """The target's ``criteria`` tables (family -> fields) and where they are, or None.

    Raises ChaosConfigError when the file cannot be read or a value is not a finite number."""
    found = chaos_table(target)
    if found is None:
        return None
    where = f"{found[1][:-1]}.criteria]"
    criteria = criteria_of(found[0], where)
    return None if criteria is None else (criteria, where)


def criteria_of(raw: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    """The ``criteria`` tables of the chaos table ``raw`` (family -> fields), or None when it has none.

    Raises ChaosConfigError naming ``where`` (the criteria table) when it is not a table or a field is
    not a finite number (infinity would pass the range checks and be written to JSON as nothing);
    :func:`assess.chaos.load_criteria` checks families, fields and ranges.
    """
    if "criteria" not in raw:
        return None
    criteria = raw["criteria"]
    if not isinstance(criteria, dict):
        raise ChaosConfigError(f"{where}: must be a table of scenario families")
    for family, fields in criteria.items():
        for name, value in fields.items() if isinstance(fields, dict) else ():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ChaosConfigError(f"{where}: [{family}] {name}: must be a finite number, got {value!r:.40}")
    return criteria


def chaos_problems(raw: Mapping[str, Any], where: str) -> list[str]:
    """One line for each part of the chaos table ``raw`` (read from ``where``) the chaos stage would
    refuse: the service's spec, then the criteria. The target's config reports them with these words,
    so the checks live here, once."""
    problems: list[Exception] = []
    try:
        parse_service_spec(raw, where)
    except ChaosConfigError as err:
        problems.append(err)
    try:
        criteria = criteria_of(raw, f"{where}.criteria")
        if criteria is not None:
            load_criteria(criteria, where=f"{where}.criteria")
    except (ChaosConfigError, ValueError) as err:
        problems.append(err)
    # the messages quote the target's own key names: one line, and not a page of it
    return [" ".join(str(p).splitlines())[:500] for p in problems]


def _str(where: str, key: str, value: object, *, path: bool = False) -> str:
    if not isinstance(value, str) or not value:
        raise ChaosConfigError(f"{where}: {key} must be a non-empty string")
    if path and not value.startswith("/"):
        raise ChaosConfigError(f"{where}: {key} must be a path starting with '/', got {value!r}")
    return value


def _check_template(where: str, key: str, text: str, allowed: tuple[str, ...]) -> None:
    try:
        text.format_map(dict.fromkeys(allowed, "x"))
    except (KeyError, ValueError, IndexError) as err:
        raise ChaosConfigError(f"{where}: {key}: unknown placeholder or bad braces in {text!r} ({err})") from None


def _write_spec(where: str, raw: object) -> WriteSpec | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        raise ChaosConfigError(f"{where}: write must be a path or a table")
    unknown = set(raw) - {"path", "method", "body", "id_field"}
    if unknown:
        raise ChaosConfigError(f"{where}: write: unknown key(s) {', '.join(sorted(unknown))}")
    method = _str(where, "write.method", raw.get("method", "POST")).upper()
    if method not in ("POST", "PUT"):
        raise ChaosConfigError(f"{where}: write.method must be POST or PUT")
    return WriteSpec(
        path=_str(where, "write.path", raw.get("path"), path=True),
        method=method,
        body=raw.get("body"),
        id_field=_str(where, "write.id_field", raw.get("id_field", "id")),
    )


def load_service_spec(target: Path) -> ServiceSpec | None:
    """The target's service spec, or None when it declares none. Raises ChaosConfigError."""
    found = chaos_table(target)
    return None if found is None else parse_service_spec(*found)


def parse_service_spec(raw: Mapping[str, Any], where: str) -> ServiceSpec | None:
    """The service spec in the chaos table ``raw``, or None when it has only criteria (or nothing).

    Raises ChaosConfigError naming ``where`` and the key at the first thing wrong."""
    raw = {key: value for key, value in raw.items() if key != "criteria"}
    if not raw:
        return None  # only criteria: results to judge, no service to run experiments against
    known = {"command", "health", "startup_timeout_s", "write", "read", "slow", "env"}
    unknown = set(raw) - known
    if unknown:
        names, allowed = ", ".join(sorted(unknown)), ", ".join(sorted(known))
        raise ChaosConfigError(f"{where}: unknown key(s) {names} (known: {allowed})")
    command = raw.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(a, str) and a for a in command):
        raise ChaosConfigError(f"{where}: command must be a non-empty list of strings")
    for arg in command:
        _check_template(where, "command", arg, PLACEHOLDERS)
    if not any("{port}" in arg for arg in command):
        raise ChaosConfigError(f"{where}: command must pass {{port}} to the service (it listens where assess says)")
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ChaosConfigError(f"{where}: env must be a table of strings")
    for value in env.values():
        _check_template(where, "env", value, PLACEHOLDERS)
    timeout = raw.get("startup_timeout_s", 20.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
        raise ChaosConfigError(f"{where}: startup_timeout_s must be a number of seconds in (0, 300]")
    read = raw.get("read")
    if read is not None:
        _check_template(where, "read", _str(where, "read", read, path=True), ("id",))
    slow = raw.get("slow")
    if slow is not None:
        _check_template(where, "slow", _str(where, "slow", slow, path=True), ("ms",))
    return ServiceSpec(
        command=tuple(command),
        health=_str(where, "health", raw.get("health", "/health"), path=True),
        startup_timeout_s=float(timeout),
        write=_write_spec(where, raw.get("write")),
        read=read,
        slow=slow,
        env=dict(env),
        source=where,
    )


def free_port() -> int:
    """A loopback port free right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def fill_body(body: Any, n: int) -> Any:
    """``body`` with ``{n}`` in every string replaced by ``n``."""
    if isinstance(body, str):
        return body.replace("{n}", str(n))
    if isinstance(body, list):
        return [fill_body(item, n) for item in body]
    if isinstance(body, dict):
        return {key: fill_body(value, n) for key, value in body.items()}
    return body


@dataclass(frozen=True)
class Reply:
    """One HTTP exchange as a client saw it: a status, or the transport error instead."""

    status: int | None
    body: bytes = b""
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


def request(port: int, method: str, path: str, body: Any = None, *, timeout: float = 5.0, host: str = HOST) -> Reply:
    """One request to ``host:port`` (loopback only); transport failures come back as ``Reply.error``."""
    if host not in (HOST, "::1"):
        raise ValueError(f"refusing to send a request to {host}: chaos traffic stays on loopback")
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", "Connection": "close"} if data else {"Connection": "close"}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read(1024 * 1024)
        return Reply(response.status, payload, seconds=time.monotonic() - started)
    except (OSError, http.client.HTTPException) as err:
        return Reply(None, error=f"{type(err).__name__}: {err}".rstrip(": "), seconds=time.monotonic() - started)
    finally:
        conn.close()
