"""Configuration files for extractors: YAML (all documents), JSON, TOML, Dockerfiles, .env files."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, Literal

import yaml

Format = Literal["yaml", "json", "toml", "dockerfile", "env"]
NOT_DOCKER = frozenset({".json", ".yml", ".yaml", ".toml", ".md", ".txt", ".rst", ".sh", ".lock"})
"""Suffixes of files named like ``dockerfile-lint.json`` that are not Dockerfiles."""


def config_format(path: str) -> Format | None:
    name = PurePosixPath(path).name
    suffix = PurePosixPath(path).suffix.lower()
    lower = name.lower()
    if lower == "dockerfile" or (lower.startswith(("dockerfile.", "dockerfile-")) and suffix not in NOT_DOCKER) or (
        suffix == ".dockerfile"
    ):  # docker/dockerfile, Dockerfile.prod, api.dockerfile: Docker reads any of them with -f
        return "dockerfile"
    if name == ".env" or name.startswith(".env.") or suffix == ".env":
        return "env"
    return {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}.get(suffix)  # type: ignore[return-value]


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: ``HEALTHCHECK CMD curl ...`` -> ("HEALTHCHECK", "CMD curl ...", line)."""

    keyword: str
    value: str
    line: int


@dataclass
class ConfigFile:
    path: str
    format: Format
    text: str
    documents: list[Any] = field(default_factory=list)
    """Parsed documents (YAML may hold several); for Dockerfiles and .env files, empty."""
    instructions: list[Instruction] = field(default_factory=list)
    """Dockerfile instructions, or ``KEY=value`` lines of a .env file (keyword = key)."""
    lines: list[str] = field(default_factory=list)

    @cached_property
    def yaml_nodes(self) -> list[yaml.Node]:
        """The YAML documents as node trees, where every key and value keeps its line (``start_mark``).

        Empty for other formats. Parsed once per file, for every extractor that needs line numbers.
        """
        if self.format != "yaml":
            return []
        try:
            return [d for d in yaml.compose_all(self.text, Loader=yaml.SafeLoader) if d is not None]
        except (yaml.YAMLError, RecursionError):
            return []

    @classmethod
    def parse(cls, path: str, fmt: Format, text: str) -> ConfigFile:
        """Parse the file. Raises ValueError (with the parser's message) when it does not parse."""
        f = cls(path=path, format=fmt, text=text, lines=text.splitlines())
        try:
            if fmt == "yaml":
                _check_aliases(text)
                f.documents = [d for d in yaml.safe_load_all(text) if d is not None]
            elif fmt == "json":
                f.documents = [json.loads(text)]
            elif fmt == "toml":
                f.documents = [tomllib.loads(text)]
            elif fmt == "dockerfile":
                f.instructions = _dockerfile(f.lines)
            else:
                f.instructions = _dotenv(f.lines)
        except (yaml.YAMLError, json.JSONDecodeError, tomllib.TOMLDecodeError, RecursionError) as err:
            raise ValueError(" ".join(str(err).split())[:300]) from err
        return f


MAX_YAML_ALIASES = 100
"""More aliases than this, and walking the documents could take for ever ("billion laughs")."""


def _check_aliases(text: str) -> None:
    aliases = sum(1 for event in yaml.parse(text) if isinstance(event, yaml.AliasEvent))
    if aliases > MAX_YAML_ALIASES:
        raise ValueError(f"{aliases} YAML aliases (more than {MAX_YAML_ALIASES}): not expanded")


def _dockerfile(lines: list[str]) -> list[Instruction]:
    out: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, value = whole.partition(" ")
        out.append(Instruction(keyword.upper(), value.strip(), start))
    return out


def _dotenv(lines: list[str]) -> list[Instruction]:
    out = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        out.append(Instruction(key.strip(), _env_value(value.strip()), number))
    return out


def _env_value(raw: str) -> str:
    """A .env value as dotenv reads it: quoted values end at the closing quote; others at `` #``."""
    if raw[:1] in {"'", '"'}:
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else raw[1:]
    return raw.split(" #", 1)[0].strip()
