"""Observability facts in Python code: loggers and what bypasses them, structured logs and their format, metrics
and tracing, request ids, and configuration validated at start-up.

The site types here are shared with the JavaScript/TypeScript extractor (:mod:`assess.patterns.operations_js_observe`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Literal

from assess.model.patterns import Site, register_site
from assess.patterns import register_extractor
from assess.patterns.operations import _last, _site, _statement
from assess.patterns.pyast import PythonFile, keyword


@register_site
class PrintLoggingSite(Site):
    """``print``/``console.log`` of a message in a module that has a logger, or an error written to stderr in a
    module that has none."""

    kind: Literal["ops-print"] = "ops-print"
    call: str
    has_logger: bool = True
    """The module has a logger (and prints a message beside it); False: an error report in a module without one."""


@register_site
class LoggerSite(Site):
    """The module logs through a logger (the first place it does): a logging library, or ``log.info(...)``."""

    kind: Literal["ops-logger"] = "ops-logger"
    how: str


@register_site
class StructuredLoggingSite(Site):
    kind: Literal["ops-structured-logging"] = "ops-structured-logging"
    library: str


@register_site
class LogFormatSite(Site):
    """A log line format (``'%(asctime)s %(message)s'``) that stamps the time but not the level."""

    kind: Literal["ops-log-format"] = "ops-log-format"
    format: str


@register_site
class TelemetrySite(Site):
    """Metrics or tracing here: a ``/metrics`` route, a meter or tracer call, or an import of a metrics or tracing
    library (the first per file and signal, in that order of preference)."""

    kind: Literal["ops-telemetry"] = "ops-telemetry"
    signal: Literal["metrics", "tracing"]
    library: str


@register_site
class RequestIdSite(Site):
    kind: Literal["ops-request-id"] = "ops-request-id"
    header: str


@register_site
class ValidatedConfigSite(Site):
    """Configuration from the environment declared with a schema and checked at start-up (pydantic-settings,
    envalid, zod, joi ...)."""

    kind: Literal["ops-validated-config"] = "ops-validated-config"
    library: str


# ---- shared vocabulary (Python and JavaScript) ----------------------------------------------------

HEADER_NAMES = frozenset({"x-request-id", "x-correlation-id", "request-id", "correlation-id", "x-trace-id"})
LEVELS = frozenset({"debug", "info", "warn", "warning", "error", "exception", "critical", "fatal", "trace"})
LOGGER_NAMES = frozenset({"log", "logger", "_log", "_logger", "LOG", "LOGGER", "logging", "structlog", "self.log",
                          "self.logger", "self._log", "self._logger", "this.log", "this.logger"})  # fmt: skip
METRICS_ROUTE = re.compile(r"^/(?:_|-/|_/|internal/)?(metrics|prometheus)/?$")
"""A route that exports metrics for a scraper (``/metrics``; not ``/api/metrics``, an application's own data)."""
METER_CALLS = frozenset({"createCounter", "createHistogram", "createUpDownCounter", "createObservableGauge",
                         "createGauge", "createObservableCounter", "create_counter", "create_histogram",
                         "create_up_down_counter", "create_observable_gauge", "create_gauge"})  # fmt: skip
"""The OpenTelemetry meter API: instruments made here are metrics, whichever SDK the caller installs."""
TRACER_CALLS = frozenset({"startActiveSpan", "start_as_current_span"})
LEVEL_KEYS = frozenset({"level", "severity", "lvl", "levelname"})
MESSAGE_KEYS = frozenset({"msg", "message", "event"})

# ---- Python ----------------------------------------------------------------------------------------

LOGGING_CALLS = frozenset({"JsonFormatter", "JSONRenderer", "StdlibFormatter", "JSONFormatter", "add"})
LOGGING_MODULES = frozenset({"logging", "structlog", "loguru", "logbook", "eliot"})
CLI_MODULES = frozenset({"argparse", "click", "typer", "fire", "docopt"})
METRICS_MODULES = (
    "prometheus_client", "statsd", "datadog", "aioprometheus", "prometheus_fastapi_instrumentator",
    "starlette_exporter", "opentelemetry.metrics", "opentelemetry.sdk.metrics", "prometheus_flask_exporter",
    "aiodogstatsd", "django_prometheus", "markus",
)  # fmt: skip
TRACING_MODULES = ("opentelemetry.trace", "opentelemetry.sdk.trace", "opentelemetry.instrumentation", "ddtrace",
                   "jaeger_client", "py_zipkin", "opentracing", "elasticapm")  # fmt: skip
JSON_FORMATTERS = {
    "pythonjsonlogger.jsonlogger.JsonFormatter": "python-json-logger",
    "pythonjsonlogger.json.JsonFormatter": "python-json-logger", "structlog.processors.JSONRenderer": "structlog",
    "ecs_logging.StdlibFormatter": "ecs-logging", "json_log_formatter.JSONFormatter": "json-log-formatter",
}  # fmt: skip
SETTINGS_BASES = {"pydantic_settings.BaseSettings": "pydantic-settings", "pydantic.BaseSettings": "pydantic"}
SETTINGS_CALLS = {"environs.Env": "environs", "dynaconf.Validator": "dynaconf validators"}
ERROR_WRITES = {"sys.stderr.write": "sys.stderr.write", "traceback.print_exc": "traceback.print_exc",
                "traceback.print_exception": "traceback.print_exception"}  # fmt: skip


def _is_message(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return True
    if isinstance(node, ast.BinOp):
        return _is_message(node.left) or _is_message(node.right)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_message(node.func.value)


def _imported(f: PythonFile) -> set[str]:
    return {m.split(".")[0] for n in f.of_type(ast.Import, ast.ImportFrom) for m in _modules(n)}


def _logger(f: PythonFile) -> Site | None:
    """The first place the module logs: an import of a logging library, or a call like ``log.info(...)``."""
    for node in f.of_type(ast.Import, ast.ImportFrom):
        if LOGGING_MODULES & {m.split(".")[0] for m in _modules(node)}:
            return _site(f, LoggerSite, node, how="imports a logging library")
    for call in f.of_type(ast.Call):
        name = f.call_name(call)
        if "." in name and name.rsplit(".", 1)[1] in LEVELS and name.rsplit(".", 1)[0] in LOGGER_NAMES:
            return _site(f, LoggerSite, _statement(f, call), how=name)
    return None


def _in_handler(f: PythonFile, node: ast.AST) -> bool:
    return any(isinstance(a, ast.ExceptHandler) for a in f.ancestors(node))


def _stream(f: PythonFile, call: ast.Call) -> str | None:
    stream = keyword(call, "file")
    return None if stream is None else f.dotted(stream)


def _prints(f: PythonFile) -> Iterator[Site]:
    """Messages printed beside the module's logger; without a logger, errors written to stderr."""
    logger = _logger(f)
    if logger is not None:
        yield logger
    if _imported(f) & CLI_MODULES:
        return  # a command's output is its interface
    for call in f.of_type(ast.Call):
        name = f.call_name(call)
        if name == "print" and call.args:
            stream = _stream(f, call)
            if stream is not None and stream not in {"sys.stdout", "sys.stderr"}:
                continue  # writes a file: output, not logging
            if logger is not None and _is_message(call.args[0]):
                yield _site(f, PrintLoggingSite, call, call="print")
            elif logger is None and (stream == "sys.stderr" or _in_handler(f, call)):
                yield _site(f, PrintLoggingSite, call, call="print", has_logger=False)
        elif logger is None and name in ERROR_WRITES:
            yield _site(f, PrintLoggingSite, _statement(f, call), call=ERROR_WRITES[name], has_logger=False)


def _structured(f: PythonFile) -> Iterator[Site]:
    for node in f.of_type(ast.ClassDef, ast.Call):
        if isinstance(node, ast.ClassDef):
            bases = [f.dotted(b) for b in node.bases]
            formatter = any(b.endswith("Formatter") for b in bases)
            json_body = formatter and any(
                n.endswith(("json.dumps", "orjson.dumps", "ujson.dumps")) for _, n in f.calls(node)
            )
            if any(b in JSON_FORMATTERS for b in bases) or json_body:
                yield _site(f, StructuredLoggingSite, node, library="JSON formatter class")
        elif _last(node) in LOGGING_CALLS:
            name = f.call_name(node)
            serialize = keyword(node, "serialize")
            if name in JSON_FORMATTERS:
                yield _site(f, StructuredLoggingSite, node, library=JSON_FORMATTERS[name])
            elif name.startswith("loguru.logger.add") and isinstance(serialize, ast.Constant) and serialize.value:
                yield _site(f, StructuredLoggingSite, node, library="loguru serialize")
        elif _last(node) in {"print", "write"} and node.args and _json_record(f, node.args[0]):
            yield _site(f, StructuredLoggingSite, _statement(f, node), library="JSON log lines")


def _json_record(f: PythonFile, node: ast.expr) -> bool:
    """``json.dumps({"level": ..., "message": ...})``: a log record written as one JSON line."""
    if isinstance(node, ast.BinOp):
        return _json_record(f, node.left)
    if not (isinstance(node, ast.Call) and f.call_name(node).endswith("json.dumps") and node.args):
        return False
    record = node.args[0]
    keys = {k.value for k in record.keys if isinstance(k, ast.Constant)} if isinstance(record, ast.Dict) else set()
    return bool(keys & LEVEL_KEYS and keys & MESSAGE_KEYS)


def _log_formats(f: PythonFile) -> Iterator[Site]:
    """Format strings of log lines with a time and a message but no level."""
    for node in f.of_type(ast.Constant):
        value = node.value
        if not isinstance(value, str) or "%(message)" not in value or "%(asctime)" not in value:
            continue
        statement = _statement(f, node)
        if "%(levelname)" in value or "%(levelno)" in value or _docstring(statement, node):
            continue  # a docstring (a bare string) that shows a format is not one
        yield _site(f, LogFormatSite, statement, format=value[:120])


def _docstring(statement: ast.AST, node: ast.AST) -> bool:
    return isinstance(statement, ast.Expr) and statement.value is node


def _modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    return [node.module] if node.module and node.level == 0 else []


def _telemetry_imports(node: ast.AST) -> Iterable[tuple[Literal["metrics", "tracing"], str]]:
    modules: list[str] = []
    if isinstance(node, ast.Import):
        modules = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    for module in modules:
        if module.startswith(METRICS_MODULES):
            yield "metrics", module
        if module.startswith(TRACING_MODULES):
            yield "tracing", module


def _telemetry_calls(f: PythonFile) -> Iterator[tuple[Literal["metrics", "tracing"], str, ast.AST]]:
    """A ``/metrics`` route (decorator or registration), then meter and tracer calls, each in line order."""
    calls = sorted(f.of_type(ast.Call), key=lambda c: (c.lineno, c.col_offset))
    for call in calls:
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and METRICS_ROUTE.match(first.value):
            decorates = any(call in getattr(a, "decorator_list", ()) for a in f.ancestors(call))
            if decorates or len(call.args) + len(call.keywords) >= 2:
                yield "metrics", f"{first.value} endpoint", call if decorates else _statement(f, call)
    for call in calls:
        if _last(call) in METER_CALLS:
            yield "metrics", f"OpenTelemetry meter ({_last(call)})", _statement(f, call)
        elif _last(call) in TRACER_CALLS:
            yield "tracing", f"OpenTelemetry tracer ({_last(call)})", _statement(f, call)


def _telemetry(f: PythonFile) -> Iterator[Site]:
    seen: set[str] = set()
    imports = sorted(f.of_type(ast.Import, ast.ImportFrom), key=lambda n: n.lineno)
    found = [*_telemetry_calls(f), *((s, lib, imp) for imp in imports for s, lib in _telemetry_imports(imp))]
    for signal, library, node in found:
        if signal not in seen:
            seen.add(signal)
            yield _site(f, TelemetrySite, node, signal=signal, library=library)


def _request_ids(f: PythonFile) -> Iterator[Site]:
    """The first place (in line order) that names a request or correlation id header."""
    found: list[tuple[int, ast.AST, str]] = []
    for node in f.of_type(ast.Constant, ast.ImportFrom):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in HEADER_NAMES:
            found.append((node.lineno, node, node.value))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("asgi_correlation_id"):
            found.append((node.lineno, node, "asgi-correlation-id"))
    if found:
        _, first, header = min(found, key=lambda item: item[0])
        yield _site(f, RequestIdSite, _statement(f, first), header=header)


def _validated_config(f: PythonFile) -> Iterator[Site]:
    """The first settings class (``class Settings(BaseSettings)``) or validated environment reader."""
    for node in f.of_type(ast.ClassDef, ast.Call):
        if isinstance(node, ast.ClassDef):
            library = next((SETTINGS_BASES[b] for b in map(f.dotted, node.bases) if b in SETTINGS_BASES), None)
        else:
            library = SETTINGS_CALLS.get(f.call_name(node))
        if library is not None:
            yield _site(f, ValidatedConfigSite, _statement(f, node), library=library)
            return


@register_extractor("python")
def operations_observe_python(f: PythonFile) -> Iterator[Site]:
    yield from _prints(f)
    yield from _structured(f)
    yield from _log_formats(f)
    yield from _telemetry(f)
    yield from _request_ids(f)
    yield from _validated_config(f)
