"""Operations probes of health and observability in code: mounted health routers, daemons' health commands,
metrics endpoints and meters, JSON log lines, log formats, console logging in a service with no logger, and
configuration validated at start-up. A small repository in, exact findings (rule, path, line) out.

Decisions the cases pin down:
- a router mounted at ``/health`` from another module is judged by its root route (``router.get('/')``);
- a daemon's command dispatch (``switch (cmd)``) that answers ``health`` or ``ping`` is a health command; a
  route compared with a path is not;
- ``/metrics`` is where metrics are exported (an import of the library elsewhere in the file is the same fact);
  ``/api/metrics`` is an application's own data;
- a service with no logger at all reports its errors with ``console.error``, ``sys.stderr.write`` or ``print``
  in an ``except``: each is a finding; once the project logs through a logger anywhere, they are not;
- a log format with a time and no level is a finding; ``%(message)s`` alone (a CLI's output) is not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_probes_operations import Key
from .test_probes_operations_deploy import FLASK_PACKAGE, judged, only

ROUTES = """\
const express = require('express');
const health = require('./health.routes');
const users = require('./users');

const api = express.Router();
api.use('/health', health);
api.use('/users', users);
module.exports = api;
"""
SHALLOW = "const { Router } = require('express');\nconst router = Router();\n\n" \
          "router.get('/', (_, res) => res.send('OK'));\n"
DEEP = "const router = require('express').Router();\nrouter.get('/', async (req, res) => {\n" \
       "  await db.raw('select 1');\n  res.send('ok');\n});\n"
USERS = "const router = require('express').Router();\nrouter.get('/', (req, res) => res.json([]));\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"src/routes.js": ROUTES, "src/health.routes.js": SHALLOW, "src/users/index.js": USERS},
                     {("health.shallow-check", "src/health.routes.js", 4)}, id="mounted-router-shallow"),
        pytest.param({"src/routes.js": ROUTES, "src/health.routes.ts": DEEP, "src/users/index.js": USERS},
                     {("health.deep-check", "src/health.routes.ts", 3)}, id="mounted-router-deep"),
        pytest.param({"src/routes.js": ROUTES, "src/health.routes.js": SHALLOW + "router.get('', (q, r) => r.end());"},
                     set(), id="two-root-routes-cannot-tell"),
        pytest.param({"src/routes.js": ROUTES.replace("./health.routes", "health-lib")}, set(), id="package-router"),
    ],
)  # fmt: skip
def test_mounted_health_router(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "health.shallow-check", "health.deep-check") == expected


DAEMON_JS = """\
mgmt.start(config, function (cmd, parameters, stream) {
  switch (cmd) {
    case 'stats':
      stream.write(stats());
      break;
    case 'health':
      stream.write('health: ' + status + '\\n');
      break;
  }
});
"""
DAEMON_PY = """\
def dispatch(command, conn):
    if command == "ping":
        conn.send(b"pong")
    elif command == "quit":
        conn.close()
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"lib/mgmt.js": DAEMON_JS}, {("health.command", "lib/mgmt.js", 6)}, id="js-switch"),
        pytest.param({"daemon.py": DAEMON_PY}, {("health.command", "daemon.py", 2)}, id="python-if"),
        pytest.param({"daemon.py": "match op:\n    case 'health':\n        ok()\n"},
                     {("health.command", "daemon.py", 2)}, id="python-match"),
        pytest.param({"web.js": "switch (req.url) {\n  case 'health':\n    ok();\n}\n"}, set(),
                     id="a-route-is-not-a-command"),
        pytest.param({"a.py": "if mode == 'health':\n    pass\n"}, set(), id="not-a-command-variable"),
    ],
)  # fmt: skip
def test_health_commands(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "health.command") == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"server.js": "const promBundle = require('prometheus-api-metrics');\nconst app = express();\n"
                          "app.get('/metrics', auth, promBundle());\n"},
            {("observability.metrics", "server.js", 3)}, id="metrics-route-preferred-to-the-import",
        ),
        pytest.param({"server.js": "app.get('/api/metrics', (req, res) => res.json(linkStats()));\n"}, set(),
                     id="application-metrics-are-not-telemetry"),
        pytest.param({"web.py": "@app.route('/metrics')\ndef metrics():\n    return generate_latest()\n"},
                     {("observability.metrics", "web.py", 1)}, id="python-route"),
        pytest.param(
            {"job.ts": "export class Job {\n  record(meter: Meter) {\n    const c = meter.createCounter('jobs');\n"
                       "    c.add(1);\n  }\n  run(tracer: Tracer) {\n    return tracer.startActiveSpan('run', f);\n"
                       "  }\n}\n"},
            {("observability.metrics", "job.ts", 3), ("observability.tracing", "job.ts", 7)}, id="otel-api-calls",
        ),
        pytest.param({"m.py": "hist = meter.create_histogram('latency')\n"}, {("observability.metrics", "m.py", 1)},
                     id="python-meter"),
        pytest.param({"s.js": "const StatsD = require('hot-shots');\nconst c = new StatsD();\n"},
                     {("observability.metrics", "s.js", 1)}, id="statsd-client"),
    ],
)  # fmt: skip
def test_metrics(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "observability.metrics", "observability.tracing") == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"util.ts": "function write(level, msg) {\n  console.log(JSON.stringify({ time: now(), level, "
                                 "msg }));\n}\n"}, {("observability.structured-logging", "util.ts", 2)},
                     id="js-json-lines"),
        pytest.param({"util.js": "console.log(JSON.stringify(result));\n"}, set(), id="js-data-not-a-record"),
        pytest.param({"log.py": "import json\n\n\ndef emit(level, message):\n"
                                "    print(json.dumps({'level': level, 'message': message}))\n"},
                     {("observability.structured-logging", "log.py", 5)}, id="python-json-lines"),
        pytest.param({"rq/defaults.py": "DEFAULT_LOGGING_FORMAT = '%(asctime)s %(message)s'\n"},
                     {("observability.log-format-without-level", "rq/defaults.py", 1)}, id="format-without-level"),
        pytest.param({"a.py": "FMT = '%(asctime)s %(levelname)s %(message)s'\nCLI = '%(message)s'\n"}, set(),
                     id="format-with-level-and-bare-message"),
        pytest.param({"a.py": "def setup(fmt):\n    \"\"\"fmt: e.g. '%(asctime)s %(message)s'.\"\"\"\n"}, set(),
                     id="docstring-example"),
    ],
)  # fmt: skip
def test_log_records(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    rules = ("observability.structured-logging", "observability.log-format-without-level")
    assert only(tmp_path, files, *rules) == expected


STDERR_PY = """\
import sys


def run(conn, sql):
    try:
        return conn.execute(sql)
    except Exception as e:
        sys.stderr.write("ERROR: {}\\n".format(e))
        print("query failed", e)
        raise
"""
EXPRESS_NO_LOGGER = {
    "package.json": '{"name": "svc", "scripts": {"start": "node server.js"}}\n',
    "server.js": "const express = require('express');\nconst app = express();\nconst jobs = require('./jobs');\n"
                 "app.listen(3000, () => console.log('up'));\n",
    "jobs.js": "async function run() {\n  try {\n    await work();\n  } catch (e) {\n    console.log(e);\n  }\n"
               "  queue.on('error', (err) => console.error(err));\n  fs.readdir('.', (err, names) => {\n"
               "    if (err) console.warn('cannot list', err);\n    else console.log(names);\n  });\n}\n"
               "module.exports = { run };\n",
}  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({**FLASK_PACKAGE, "svc/db.py": STDERR_PY}, {8, 9}, id="python-service-without-logger"),
        pytest.param({**FLASK_PACKAGE, "svc/db.py": STDERR_PY, "svc/log.py": "import logging\n"}, set(),
                     id="python-service-with-a-logger"),
        pytest.param(EXPRESS_NO_LOGGER, {5, 7, 9}, id="node-service-without-logger"),
        pytest.param({**EXPRESS_NO_LOGGER, "migrations/001_init.js": "exports.up = async (knex) => {\n  try {\n"
                      "    await knex.raw('x');\n  } catch (e) {\n    console.error(e);\n  }\n};\n"}, {5, 7, 9},
                     id="a-migration-prints-to-its-command"),
        pytest.param({**EXPRESS_NO_LOGGER, "audit.js": "const log = require('../lib/log');\nlog.info('x');\n"}, set(),
                     id="node-service-with-its-own-logger"),
    ],
)  # fmt: skip
def test_console_logging_without_a_logger(tmp_path: Path, files: dict[str, str], expected: set[int]) -> None:
    found = judged(tmp_path, files, ("observability.print-logging",))
    assert {line for _, _, line, _ in found} == expected


def test_a_library_without_a_logger_is_not_judged(tmp_path: Path) -> None:
    files = {"pyproject.toml": "[project]\nname = 'lib'\n", "lib/__init__.py": "", "lib/db.py": STDERR_PY}
    assert judged(tmp_path, files, ("observability.print-logging",)) == set()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"env.js": "const { cleanEnv, str } = require('envalid');\n\nconst env = cleanEnv(process.env, "
                                "{ DB: str() });\n"}, {("ops.validated-config", "env.js", 3)}, id="envalid"),
        pytest.param({"env.ts": "import { z } from 'zod';\nconst schema = z.object({ PORT: z.coerce.number() });\n"
                                "export const env = schema.parse(process.env);\n"},
                     {("ops.validated-config", "env.ts", 3)}, id="zod"),
        pytest.param({"config.py": "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
                                   "    database_url: str\n"}, {("ops.validated-config", "config.py", 4)},
                     id="pydantic-settings"),
        pytest.param({"env.js": "const port = Number(process.env.PORT || 3000);\n"}, set(), id="no-schema"),
        pytest.param({"a.ts": "import { z } from 'zod';\nconst body = schema.parse(req.body);\n"}, set(),
                     id="schema-for-requests-not-config"),
    ],
)  # fmt: skip
def test_validated_config(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "ops.validated-config") == expected


def test_a_queue_worker_needs_metrics_too(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[project]\nname = 'w'\n\n[project.scripts]\nw = 'w.main:main'\n",
        "w/__init__.py": "",
        "w/main.py": "import redis\n\n\ndef main():\n    r = redis.Redis()\n    while True:\n"
                     "        job = r.brpop('jobs')\n        handle(job)\n",
    }  # fmt: skip
    assert judged(tmp_path, files, ("observability.no-metrics",)) == {
        ("observability.no-metrics", None, None, "likely")
    }
