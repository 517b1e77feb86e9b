"""Observability facts in JavaScript and TypeScript: loggers and what bypasses them, structured logs, metrics and
tracing, request ids, and configuration validated at start-up. The site types and the vocabulary shared with
Python come from :mod:`assess.patterns.operations_observe`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from assess.model.patterns import Site
from assess.patterns import register_extractor
from assess.patterns.operations_js import FUNCTIONS, _callee, _calls, _imports, _module, _site, _statement, _string
from assess.patterns.operations_observe import (
    HEADER_NAMES,
    LEVEL_KEYS,
    LEVELS,
    LOGGER_NAMES,
    MESSAGE_KEYS,
    METER_CALLS,
    METRICS_ROUTE,
    TRACER_CALLS,
    LoggerSite,
    PrintLoggingSite,
    RequestIdSite,
    StructuredLoggingSite,
    TelemetrySite,
    ValidatedConfigSite,
)
from assess.patterns.scripts import ScriptFile

Node = tree_sitter.Node

LOGGER_LIBRARIES = frozenset({"pino", "winston", "bunyan", "log4js", "loglevel", "signale", "consola", "tslog",
                              "@nestjs/common", "roarr", "npmlog"})  # fmt: skip
CLI_LIBRARIES = frozenset({"commander", "yargs", "meow", "@oclif/core", "cac", "minimist"})
METRICS_LIBRARIES = ("prom-client", "hot-shots", "node-statsd", "statsd-client", "@opentelemetry/sdk-metrics",
                     "express-prom-bundle", "@opentelemetry/exporter-prometheus", "prometheus-api-metrics", "lynx",
                     "node-dogstatsd", "datadog-metrics", "@promster/")  # fmt: skip
TRACING_LIBRARIES = (
    "@opentelemetry/sdk-trace", "@opentelemetry/sdk-node", "@opentelemetry/instrumentation",
    "@opentelemetry/auto-instrumentations", "dd-trace", "jaeger-client", "zipkin", "elastic-apm-node",
)  # fmt: skip
CONFIG_LIBRARIES = {"envalid": "envalid", "zod": "zod", "joi": "joi", "@hapi/joi": "joi", "yup": "yup",
                    "env-schema": "env-schema", "convict": "convict", "@t3-oss/env-core": "t3-env",
                    "@t3-oss/env-nextjs": "t3-env", "valibot": "valibot", "@sinclair/typebox": "typebox",
                    "class-validator": "class-validator", "ajv": "ajv"}  # fmt: skip
CHECKS = frozenset({"cleanEnv", "parse", "safeParse", "parseAsync", "validate", "validateSync", "validateAsync",
                    "attempt", "assert", "envSchema", "createEnv", "plainToInstance"})  # fmt: skip
ERROR_NAMES = re.compile(r"err|error|e|ex|exc|exception")
"""What a Node callback names its error argument: ``if (err)`` opens the branch that handles a failure."""
ROUTE_QUERY = """((call_expression function: (member_expression property: (property_identifier) @p)
  arguments: (arguments . (string) @route)) @c (#match? @p "^(get|all|use)$"))"""


def _logger(f: ScriptFile, modules: set[str]) -> Site | None:
    """The first sign the module logs through a logger: a logging library, a ``./logger`` module, ``log.info()``."""
    for node in _imports(f):
        module = _module(f, node)
        if module in LOGGER_LIBRARIES or (module.startswith(".") and re.search(r"/(logger|log|logging)(\.\w+)?$",
                                                                                module)):  # fmt: skip
            return _site(f, LoggerSite, node, how=f"imports {module}")
    levels = "|".join(sorted(LEVELS))
    names = "|".join(re.escape(n).replace("\\", "\\\\") for n in sorted(LOGGER_NAMES))
    for call in _calls(f, rf"^({names})\\.({levels})$"):
        return _site(f, LoggerSite, _statement(call), how=_callee(f, call))
    return None


def _first_arg(call: Node) -> Node | None:
    args = call.child_by_field_name("arguments")
    return args.named_children[0] if args is not None and args.named_children else None


def _in_error_path(f: ScriptFile, call: Node) -> bool:
    """Inside a ``catch`` block, a ``.catch(...)`` callback, an ``.on('error', ...)`` listener, or the ``if (err)``
    branch of a Node callback."""
    below = call
    for a in f.ancestors(call):
        if a.type == "catch_clause":
            return True
        condition = a.child_by_field_name("condition") if a.type == "if_statement" else None
        branch = a.child_by_field_name("consequence") if a.type == "if_statement" else None
        if condition is not None and branch is not None and branch.id == below.id and ERROR_NAMES.fullmatch(
            f.node_text(condition).strip("() ")
        ):
            return True
        below = a
        if a.type != "call_expression":
            continue
        callee = _callee(f, a)
        if callee.endswith(".catch") or (callee.endswith((".on", ".once")) and _string(f, _first_arg(a)) == "error"):
            return True
    return False


def _prints(f: ScriptFile) -> Iterator[Site]:
    """Messages logged with ``console`` beside the module's logger; without a logger, errors sent to the console."""
    modules = set(f.imports)
    logger = _logger(f, modules)
    if logger is not None:
        yield logger
    if modules & CLI_LIBRARIES:
        return
    beside = bool(modules & LOGGER_LIBRARIES) or any(m.startswith(".") and m.endswith(("/logger", "/log"))
                                                     for m in modules)  # fmt: skip
    for call in _calls(f, r"^console\\.(log|info|warn|error|debug|trace)$"):
        first, name = _first_arg(call), _callee(f, call)
        if first is None:
            continue
        if beside and first.type in {"string", "template_string", "binary_expression"}:
            yield _site(f, PrintLoggingSite, _statement(call), call=name)
        elif logger is None and (name == "console.error" or _in_error_path(f, call)):
            yield _site(f, PrintLoggingSite, _statement(call), call=name, has_logger=False)


def _structured(f: ScriptFile) -> Iterator[Site]:
    modules = set(f.imports)
    for call in _calls(
        f, r"^(pino|pino\\.default|require\\(.pino.\\)|(winston\\.)?format\\.json|bunyan\\.createLogger)$"
    ):
        name = _callee(f, call)
        library = (
            "pino" if "pino" in modules and name in {"pino", "pino.default", "require('pino')", 'require("pino")'}
            else "winston json format" if "winston" in modules and name in {"winston.format.json", "format.json"}
            else "bunyan" if "bunyan" in modules and name == "bunyan.createLogger"
            else None
        )  # fmt: skip
        if library:
            yield _site(f, StructuredLoggingSite, call, library=library)
            return
    for call in _calls(f, r"^(console\\.(log|info|error|warn)|process\\.std(out|err)\\.write)$"):
        if _json_record(f, _first_arg(call)):
            yield _site(f, StructuredLoggingSite, _statement(call), library="JSON log lines")
            return


def _json_record(f: ScriptFile, node: Node | None) -> bool:
    """``JSON.stringify({ level, msg, ... })``: a log record written as one JSON line."""
    if node is not None and node.type == "binary_expression":
        node = node.child_by_field_name("left")
    if node is None or node.type != "call_expression" or _callee(f, node) != "JSON.stringify":
        return False
    record = _first_arg(node)
    if record is None or record.type != "object":
        return False
    keys = set()
    for pair in record.named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else pair
        if key is not None:
            keys.add((_string(f, key) or f.node_text(key)).strip())
    return bool(keys & LEVEL_KEYS and keys & MESSAGE_KEYS)


def _telemetry_found(f: ScriptFile) -> Iterator[tuple[str, str, Node]]:
    """(signal, library, node): a ``/metrics`` route, then meter and tracer calls, then imports."""
    for match in f.matches(ROUTE_QUERY):
        route, args = _string(f, match["route"][0]), match["c"][0].child_by_field_name("arguments")
        if route is not None and METRICS_ROUTE.match(route) and args is not None and len(args.named_children) >= 2:
            yield "metrics", f"{route} endpoint", match["c"][0]
    calls = "|".join(sorted(METER_CALLS | TRACER_CALLS))
    for call in _calls(f, rf"\\.({calls})$"):
        method = _callee(f, call).rsplit(".", 1)[-1]
        signal = "metrics" if method in METER_CALLS else "tracing"
        yield signal, f"OpenTelemetry {'meter' if signal == 'metrics' else 'tracer'} ({method})", call
    for imp in _imports(f):
        module, text = _module(f, imp), f.node_text(imp)
        if module.startswith(METRICS_LIBRARIES) or (module == "@opentelemetry/api" and re.search(r"\bmetrics\b", text)):
            yield "metrics", module, imp
        if module.startswith(TRACING_LIBRARIES) or (module == "@opentelemetry/api" and re.search(r"\btrace\b", text)):
            yield "tracing", module, imp


def _telemetry(f: ScriptFile) -> Iterator[Site]:
    seen: set[str] = set()
    for signal, library, node in _telemetry_found(f):
        if signal not in seen:
            seen.add(signal)
            yield _site(f, TelemetrySite, _statement(node), signal=signal, library=library)


def _request_ids(f: ScriptFile) -> Iterator[Site]:
    header = "(?i)^(" + "|".join(sorted(HEADER_NAMES)) + ")$"
    for node in sorted(
        f.captures(f'((string_fragment) @s (#match? @s "{header}"))').get("s", []), key=lambda n: n.start_byte
    ):
        if f.node_text(node).lower() in HEADER_NAMES:
            yield _site(f, RequestIdSite, _statement(node), header=f.node_text(node))
            return
    for node in f.captures('((property_identifier) @p (#eq? @p "genReqId"))').get("p", []):
        if f.node_text(node) == "genReqId":
            yield _site(f, RequestIdSite, _statement(node), header="genReqId")
            return


def _validated_config(f: ScriptFile) -> Iterator[Site]:
    """The first call that checks ``process.env`` against a schema (``cleanEnv(process.env, spec)``,
    ``schema.parse(process.env)``), in a module that imports a schema library."""
    library = next((CONFIG_LIBRARIES[m] for m in sorted(f.imports) if m in CONFIG_LIBRARIES), None)
    if library is None or "process.env" not in f.text:
        return
    for call in _calls(f, r"^.+$"):
        method = _callee(f, call).rsplit(".", 1)[-1]
        args = call.child_by_field_name("arguments")
        if method not in CHECKS or args is None or args.type != "arguments":
            continue
        if any(f.node_text(a).startswith("process.env") for a in args.named_children if a.type not in FUNCTIONS):
            yield _site(f, ValidatedConfigSite, _statement(call), library=library)
            return


@register_extractor("script")
def operations_observe_script(f: ScriptFile) -> Iterator[Site]:
    yield from _prints(f)
    yield from _structured(f)
    yield from _telemetry(f)
    yield from _request_ids(f)
    yield from _validated_config(f)
