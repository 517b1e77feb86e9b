"""What libraries and frameworks do, as data (``libraries.toml``): which ones make a project a service, a
worker or a CLI, which folders hold code that is not the service, and which libraries provide a health endpoint,
graceful shutdown, migrations, retries, circuit breakers, metrics or rate limits. Extractors, the project model
and the probes read it; teaching assess a library is a line in the data."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Knowledge:
    tooling_dirs: frozenset[str]
    example_dirs: frozenset[str]
    benchmark_dirs: frozenset[str]
    doc_dirs: frozenset[str]
    tooling_files: frozenset[str]
    harness_words: frozenset[str]
    browser_libraries: tuple[str, ...]
    browser_dirs: frozenset[str]
    http_frameworks: tuple[str, ...]
    server_calls: tuple[str, ...]
    udp_tcp_calls: tuple[str, ...]
    worker_libraries: tuple[str, ...]
    worker_calls: tuple[str, ...]
    cli_libraries: tuple[str, ...]
    provides: dict[str, tuple[str, ...]]
    """Capability (``health_endpoint``, ``graceful_shutdown``, ``migrations``, ``retries``, ``circuit_breaker``,
    ``metrics``, ``rate_limit``, ``http_client_defaults``) -> the libraries that provide it."""

    def provider(self, capability: str, modules: Iterable[str]) -> str | None:
        """The first of ``modules`` (imports or dependencies) that provides ``capability``, or None."""
        names = self.provides.get(capability, ())
        return next((m for m in sorted(modules) if matches(m, names)), None)


def matches(module: str, names: Iterable[str]) -> bool:
    """Whether ``module`` is one of ``names`` or a submodule of one (``flask.views`` matches ``flask``)."""
    return any(module == n or module.startswith(n + ".") or module.startswith(n + "/") for n in names)


@cache
def knowledge() -> Knowledge:
    data = tomllib.loads(resources.files(__name__).joinpath("libraries.toml").read_text(encoding="utf-8"))
    areas, kinds = data["areas"], data["kinds"]
    return Knowledge(
        tooling_dirs=frozenset(areas["tooling"]), example_dirs=frozenset(areas["examples"]),
        benchmark_dirs=frozenset(areas["benchmarks"]), doc_dirs=frozenset(areas["docs"]),
        tooling_files=frozenset(areas["tooling_files"]), harness_words=frozenset(areas["harness_words"]),
        browser_libraries=tuple(areas["browser_libraries"]), browser_dirs=frozenset(areas["browser_dirs"]),
        http_frameworks=tuple(kinds["http_frameworks"]), server_calls=tuple(kinds["server_calls"]),
        udp_tcp_calls=tuple(kinds["udp_tcp_calls"]), worker_libraries=tuple(kinds["worker_libraries"]),
        worker_calls=tuple(kinds["worker_calls"]), cli_libraries=tuple(kinds["cli_libraries"]),
        provides={k: tuple(v) for k, v in data["provides"].items()},
    )  # fmt: skip
