"""Security sites in Python code and configuration (bandit's issues are in ``security_bandit``).

Python: SQL run with bound parameters, request-body size limits, and ``validate_*`` functions that
reject bad input. Configuration: ``environment:`` entries of docker-compose services, entries of
``.env`` files, and files that look like secrets with their permission bits.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal

import yaml

from assess.model import Role
from assess.model.patterns import Site, register_site
from assess.patterns import RepoFiles, register_extractor, snippet
from assess.patterns.configs import ConfigFile
from assess.patterns.pyast import PythonFile, keyword


@register_site
class ParamSqlSite(Site):
    """A SQL statement given as a literal with placeholders, executed with a separate parameters argument."""

    kind: Literal["security.param-sql"] = "security.param-sql"
    method: str
    """The call: ``execute``, ``executemany``, ``fetchrow`` ..."""
    placeholder: str
    """The placeholder seen: ``?``, ``%s``, ``%(name)s``, ``:name``, ``$1``."""


@register_site
class SizeLimitSite(Site):
    """A request body size limit: a length checked against a maximum before reading, or a framework setting."""

    kind: Literal["security.size-limit"] = "security.size-limit"
    mechanism: str
    """``Content-Length check``, ``Flask MAX_CONTENT_LENGTH``, ``express.json limit`` ..."""
    limit: str
    """The limit as written (a name or a value)."""


@register_site
class ValidatorSite(Site):
    """Input validation: a function named ``validate*`` and how it rejects input, a validation schema, or a check
    that refuses input a validation function rejects."""

    kind: Literal["security.validator"] = "security.validator"
    name: str
    rejections: int
    """``raise``/``throw`` statements under a condition."""
    checks: tuple[str, ...]
    """Kinds of checks in those conditions: ``type``, ``length``, ``membership``, ``comparison`` (``call`` for a
    guard: a validation function's verdict)."""
    style: str = "function"
    """``function`` (a ``validate*`` function that raises), ``schema`` (a declaration of express-validator chains or
    a Joi, zod or yup schema; ``rejections`` counts its checks) or ``guard`` (``if not is_valid(x)``: refuse)."""


@register_site
class ComposeEnvSite(Site):
    """One ``environment:`` entry of a docker-compose service."""

    kind: Literal["security.compose-env"] = "security.compose-env"
    service: str
    key: str
    value: str | None
    """The value as written (None when the entry has none: taken from the shell)."""


@register_site
class EnvEntrySite(Site):
    """One ``KEY=value`` line of a ``.env`` file."""

    kind: Literal["security.env-entry"] = "security.env-entry"
    key: str
    value: str


@register_site
class SecretFileSite(Site):
    """A file whose name or content says it holds a secret, with its permission bits."""

    kind: Literal["security.secret-file"] = "security.secret-file"
    what: str
    """``private key``, ``env file``, ``credentials file``, ``secrets file``."""
    mode: int
    """Permission bits (``stat.S_IMODE``)."""


# --- Python -------------------------------------------------------------------------------

SQL_METHODS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchall", "fetchone"})
_SQL = re.compile(r"^\s*(select|insert|update|delete|with|replace|merge)\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"(%\(\w+\)s|%s|\?|(?<![:\w]):[A-Za-z_]\w*|\$\d+)")
_MAX_NAME = re.compile(r"(max|limit)", re.IGNORECASE)
_SIZE_NAME = re.compile(r"(body|content|request|payload|upload|size|bytes|length)", re.IGNORECASE)


def _literal(node: ast.AST | None) -> str | None:
    """The text of a string literal, of literals joined with ``+``, or of ``text("...")``; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.func, ast.Name | ast.Attribute):
        name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        return _literal(node.args[0]) if name == "text" else None
    return None


@register_extractor("python")
def parameterized_sql(f: PythonFile) -> Iterator[ParamSqlSite]:
    for call, _ in f.calls():
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in SQL_METHODS or not call.args:
            continue
        sql = _literal(call.args[0])
        has_params = len(call.args) > 1 or any(keyword(call, k) is not None for k in ("parameters", "params", "args"))
        if sql is None or not has_params or not _SQL.match(sql) or not (m := _PLACEHOLDER.search(sql)):
            continue
        line, end = f.span(call)
        yield ParamSqlSite(path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(call),
                           function=f.qualname(call), method=call.func.attr, placeholder=m.group(1))  # fmt: skip


def _name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _limit_side(test: ast.expr) -> ast.expr | None:
    """In ``x > MAX_BODY`` (or ``MAX_BODY < x``), the limit; None if ``test`` is not such a comparison."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    op, left, right = test.ops[0], test.left, test.comparators[0]
    limit = right if isinstance(op, ast.Gt | ast.GtE) else left if isinstance(op, ast.Lt | ast.LtE) else None
    name = _name_of(limit) if limit is not None else ""
    return limit if name and _MAX_NAME.search(name) and _SIZE_NAME.search(name) else None


def _rejects(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Raise | ast.Return) or _is_call_to(s, ("abort", "send_error")) for s in body)


def _is_call_to(stmt: ast.stmt, names: tuple[str, ...]) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _name_of(stmt.value.func) in names


_BODY_STREAM = re.compile(r"(rfile|stream|body|request|wsgi|input)", re.IGNORECASE)


def _reads_body(f: PythonFile, fn: ast.AST, after: int) -> bool:
    """Whether ``fn`` looks at the Content-Length header, or reads a request stream after line ``after``.

    A file read (``fh.read()``) after a size check is not a request body, so the stream's name must say so.
    """
    for node in f.within(fn, ast.Constant, ast.Call):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.lower().replace("_", "-") == "content-length":
                return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "read":
            stream = f.dotted(node.func.value) or ""
            if node.lineno > after and _BODY_STREAM.search(stream):
                return True
    return False


@register_extractor("python")
def size_limits(f: PythonFile) -> Iterator[SizeLimitSite]:
    for node in f.of_type(ast.If, ast.Assign, ast.Call):
        site: tuple[ast.AST, str, str] | None = None
        if isinstance(node, ast.If) and (limit := _limit_side(node.test)) is not None and _rejects(node.body):
            fn = f.enclosing_function(node)
            if fn is not None and _reads_body(f, fn, node.lineno):
                site = (node.test, "a Content-Length check", _name_of(limit))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            site = _setting(node.targets[0], node.value)
        elif isinstance(node, ast.Call) and (kw := keyword(node, "client_max_size")) is not None:
            site = (node, "aiohttp client_max_size", ast.unparse(kw))
        if site is not None:
            line, end = f.span(site[0])
            yield SizeLimitSite(path=f.path, line=line, end_line=end, language="Python", snippet=f.snippet(site[0]),
                                function=f.qualname(site[0]), mechanism=site[1], limit=site[2])  # fmt: skip


def _setting(target: ast.expr, value: ast.expr) -> tuple[ast.AST, str, str] | None:
    if isinstance(value, ast.Constant) and value.value is None:
        return None  # None switches the limit off
    flask_key = isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and target.slice.value
    if flask_key == "MAX_CONTENT_LENGTH":
        return target, "Flask MAX_CONTENT_LENGTH", ast.unparse(value)
    if isinstance(target, ast.Name) and target.id == "DATA_UPLOAD_MAX_MEMORY_SIZE":
        return target, "Django DATA_UPLOAD_MAX_MEMORY_SIZE", ast.unparse(value)
    return None


def _check_kinds(test: ast.expr) -> set[str]:
    kinds: set[str] = set()
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and _name_of(node.func) in {"isinstance", "callable"}:
            kinds.add("type")
        elif isinstance(node, ast.Call) and _name_of(node.func) == "len":
            kinds.add("length")
        elif isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            kinds.add("membership")
        elif isinstance(node, ast.Compare):
            kinds.add("comparison")
    return kinds


@register_extractor("python")
def validators(f: PythonFile) -> Iterator[ValidatorSite]:
    for fn in f.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
        if not fn.name.lstrip("_").startswith("validate"):
            continue
        rejections, checks = 0, set()
        for node in f.within(fn, ast.If):
            if any(isinstance(s, ast.Raise) for s in node.body):
                rejections += 1
                checks |= _check_kinds(node.test)
        line = fn.lineno
        yield ValidatorSite(path=f.path, line=line, end_line=fn.end_lineno or line, language="Python",
                            snippet=snippet(f.lines, line, line), function=f.qualname(fn) or fn.name, name=fn.name,
                            rejections=rejections, checks=tuple(sorted(checks)))  # fmt: skip


# --- Configuration ------------------------------------------------------------------------

_COMPOSE_NAME = re.compile(r"^(docker-)?compose([.\-][\w.\-]+)?\.ya?ml$", re.IGNORECASE)


@register_extractor("config")
def compose_environment(f: ConfigFile) -> Iterator[ComposeEnvSite]:
    if f.format != "yaml" or not _COMPOSE_NAME.match(PurePosixPath(f.path).name):
        return
    for doc in f.yaml_nodes:
        services = _get(doc, "services")
        if not isinstance(services, yaml.MappingNode):
            continue
        for name_node, service in services.value:
            for key, value, line in _environment(_get(service, "environment")):
                yield ComposeEnvSite(path=f.path, line=line, end_line=line, language="YAML",
                                     snippet=snippet(f.lines, line, line), service=str(name_node.value), key=key,
                                     value=value)  # fmt: skip


def _get(node: object, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _environment(node: yaml.Node | None) -> Iterator[tuple[str, str | None, int]]:
    """(key, value or None, 1-based line) for a mapping or a ``- KEY=value`` list."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                value = v.value if isinstance(v, yaml.ScalarNode) and v.tag != "tag:yaml.org,2002:null" else None
                yield str(k.value), value, k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode) and isinstance(item.value, str):
                key, sep, value = item.value.partition("=")
                yield key.strip(), value if sep else None, item.start_mark.line + 1


@register_extractor("config")
def env_entries(f: ConfigFile) -> Iterator[EnvEntrySite]:
    if f.format != "env":
        return
    for entry in f.instructions:
        raw = f.lines[entry.line - 1].partition("=")[2] if entry.line <= len(f.lines) else entry.value
        yield EnvEntrySite(path=f.path, line=entry.line, end_line=entry.line, language="Env",
                           snippet=snippet(f.lines, entry.line, entry.line), key=entry.keyword,
                           value=env_value(raw))  # fmt: skip


def env_value(raw: str) -> str:
    """The value of a ``.env`` line after ``=``, as dotenv reads it: quotes removed, `` # comment`` cut off."""
    raw = raw.strip()
    if raw[:1] in {'"', "'"}:
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else raw[1:]
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


# --- Secret files -------------------------------------------------------------------------

SECRET_FILE_ROLES = frozenset({Role.SOURCE, Role.CONFIG, Role.OTHER})
"""Test fixtures, docs and vendored files are left out: keys there are made to be shared."""
_KEY_NAMES = re.compile(r"^id_(rsa|dsa|ecdsa|ed25519)$|\.(key|p12|pfx|jks|keystore)$", re.IGNORECASE)
_ENV_NAME = re.compile(r"^(\.env(\.[\w\-]+)?|[\w\-]+\.env)$", re.IGNORECASE)
_EXAMPLE = re.compile(r"(example|sample|template|dist|defaults?)$", re.IGNORECASE)
_SECRETS_NAME = re.compile(r"(^|[_.\-])(secrets?|credentials?)([_.\-]|$)", re.IGNORECASE)
_DATA_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".toml", ".txt", ".ini", ".cfg", ".conf", ".env", ""})


def secret_kind(rel: str, head: bytes) -> str | None:
    """What secret a file holds judging by its name (and, for ``.pem``, by its first bytes); None if none."""
    name = PurePosixPath(rel).name
    suffix = PurePosixPath(rel).suffix.lower()
    if _KEY_NAMES.search(name) or (suffix in {".pem", ".crt"} and b"PRIVATE KEY" in head):
        return "private key"
    if _ENV_NAME.match(name):
        return None if _EXAMPLE.search(name.removesuffix(".env")) else "env file"
    if suffix in _DATA_SUFFIXES and _SECRETS_NAME.search(PurePosixPath(name).stem):
        return "credentials file" if "credential" in name.lower() else "secrets file"
    return None


@register_extractor("repo")
def secret_files(repo: RepoFiles) -> Iterator[SecretFileSite]:
    for rel in repo.paths():
        if repo.roles[rel] not in SECRET_FILE_ROLES:
            continue
        head = repo.head(rel, 65536) if rel.lower().endswith((".pem", ".crt")) else b""
        what = None if head is None else secret_kind(rel, head)
        mode = None if what is None else repo.mode(rel)  # asked only of secrets: each answer is kept (RepoFiles)
        if what is not None and mode is not None:
            yield SecretFileSite(path=rel, line=1, end_line=1, language="", snippet=f"{rel} (mode {mode:04o})",
                                 what=what, mode=mode)  # fmt: skip
