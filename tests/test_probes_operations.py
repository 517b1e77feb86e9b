"""Operations probes: a small repository in, exact operations findings (rule, path, line) out.

Decisions the cases pin down:
- a shallow *liveness* endpoint (``/livez``, ``/ping``) is correct practice and is not flagged;
  ``/health`` and readiness endpoints that check nothing are;
- ``print`` is "logging" only in a source module that has a logger and is not a command line
  (argparse/click/typer), and only when it prints a message (a string), not data (``print(result)``);
  the sample's startup banner is such a print: it bypasses the JSON logger the module already uses;
- SIGINT alone (Ctrl-C) is not graceful shutdown; a SIGTERM handler anywhere in the source covers
  every server; uvicorn.run and aiohttp's run_app drain on SIGTERM themselves;
- repository-level gaps (no health endpoint, metrics, Dockerfile, runbooks, lock file) are claimed
  only for a deployable service (a manifest and code that builds a web app or starts a server);
  "no CI" only needs a project manifest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes

FAMILY = ("health.", "observability.", "shutdown.", "ops.")
Key = tuple[str, str | None, int | None]


def findings(root: Path, files: dict[str, str]) -> set[Key]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    data, warnings = scan(root)
    assert not warnings, warnings
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.path, f.line) for f in found if f.rule.startswith(FAMILY)}


FLASK_HEALTH = """\
from flask import Flask, jsonify
from app.db import engine

app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.get("/api/v1/readyz")
def ready():
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    return {"status": "ready"}


@app.get("/livez")
def live():
    return {"status": "alive"}


@app.get("/orders/ready")
def ready_orders():
    return []
"""

HTTP_SERVER = """\
from http.server import BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        resource = self.path.strip("/")
        if resource == "health":
            return self.reply(200, {"status": "ok"})
        if resource == "ready":
            return self.reply(200, {"tasks": self.server.store.ping()})
        if self.headers.get("X-State") == "ready":
            return self.reply(200, {})
        return self.reply(404, {})

    def reply(self, status, body):
        self.send_response(status)
"""

EXPRESS = """\
const express = require('express');
const app = express();
app.get('/healthz', (req, res) => res.send('ok'));
app.get('/readyz', async (req, res) => {
  await redis.ping();
  res.json({ ok: true });
});
app.get('/users/ready', (req, res) => res.json([]));
"""

NEST = """\
import { Controller, Get } from '@nestjs/common';

@Controller('health')
export class HealthController {
  constructor(private readonly db: TypeOrmHealthIndicator) {}

  @Get()
  check(): Promise<unknown> {
    return this.db.pingCheck('database');
  }
}
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"app/web.py": FLASK_HEALTH},
            {("health.shallow-check", "app/web.py", 9), ("health.deep-check", "app/web.py", 14)},
            id="flask-shallow-deep-liveness-lookalike",
        ),
        pytest.param(
            {"srv.py": HTTP_SERVER},
            {("health.shallow-check", "srv.py", 8), ("health.deep-check", "srv.py", 10)},
            id="http-server-branches",
        ),
        pytest.param(
            {"server.js": EXPRESS},
            {("health.shallow-check", "server.js", 3), ("health.deep-check", "server.js", 5)},
            id="express-routes",
        ),
        pytest.param({"health.controller.ts": NEST}, {("health.deep-check", "health.controller.ts", 9)}, id="nest"),
        pytest.param({"tests/test_web.py": FLASK_HEALTH}, set(), id="health-endpoints-in-tests-are-not-judged"),
        pytest.param(
            {"views.py": "def health(request):\n    return {'ok': True}\n\n\ndef health_report(request):\n    pass\n"},
            {("health.shallow-check", "views.py", 2)},
            id="django-named-view",
        ),
    ],
)
def test_health_endpoints(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert findings(tmp_path, files) == expected


SERVICE = {
    "pyproject.toml": "[project]\nname = 'svc'\n",
    "svc/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
}
SERVICE_GAPS = {
    ("health.no-endpoint", None, None), ("observability.no-metrics", None, None), ("ops.no-ci", None, None),
    ("ops.no-dockerfile", None, None), ("ops.no-runbooks", None, None), ("ops.no-lockfile", None, None),
}  # fmt: skip


def test_service_without_anything_gets_every_repository_gap(tmp_path: Path) -> None:
    assert findings(tmp_path, SERVICE) == SERVICE_GAPS


def test_library_gets_only_no_ci(tmp_path: Path) -> None:
    files = {"pyproject.toml": "[project]\nname = 'lib'\n", "lib/core.py": "def add(a, b):\n    return a + b\n"}
    assert findings(tmp_path, files) == {("ops.no-ci", None, None)}


def test_health_route_handled_in_another_module_counts_as_an_endpoint(tmp_path: Path) -> None:
    files = {
        **SERVICE,
        "svc/urls.py": "from django.urls import path\nfrom svc import checks\n\n"
        "urls = [path('healthz/', checks.probe)]\n",
        "web/server.js": "const express = require('express');\nconst app = express();\napp.get('/health', health);\n"
        "axios.get('/ready');\n",
        "package.json": "{}\n",
    }
    assert not {key for key in findings(tmp_path, files) if key[0] == "health.no-endpoint"}
    data, _ = scan(tmp_path)
    routes = [(s.path, s.line, getattr(s, "deep", "")) for s in data.sites if s.kind == "health-endpoint"]
    assert routes == [("svc/urls.py", 4, None), ("web/server.js", 3, None)]


def test_tcp_server_is_not_an_http_service(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[project]\nname = 'relay'\n",
        "relay.py": "import socketserver\n\n\n"
        "class Relay(socketserver.TCPServer):\n    pass\n\n\nRelay(('127.0.0.1', 9), None).serve_forever()\n",
    }
    assert findings(tmp_path, files) == {("ops.no-ci", None, None), ("shutdown.no-signal-handler", "relay.py", 8)}


def test_server_without_manifest_gets_no_repository_claims(tmp_path: Path) -> None:
    assert findings(tmp_path, {"app.py": "from flask import Flask\n\napp = Flask(__name__)\n"}) == set()


def test_service_with_everything(tmp_path: Path) -> None:
    files = {
        **SERVICE,
        "svc/health.py": "from svc.app import app\n\n\n@app.get('/ready')\ndef ready():\n    return db_check()\n",
        "svc/metrics.py": "import prometheus_client\n",
        "Dockerfile": "FROM python:3.12\nEXPOSE 80\nHEALTHCHECK CMD true\nUSER app\nCMD ['svc']\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: pytest\n",
        "docs/runbooks/db.md": "# DB down\n",
        "uv.lock": "version = 1\n",
    }
    assert findings(tmp_path, files) == {
        ("health.deep-check", "svc/health.py", 6), ("observability.metrics", "svc/metrics.py", 1),
        ("ops.dockerfile", "Dockerfile", 1), ("health.dockerfile-healthcheck", "Dockerfile", 3),
        ("ops.ci-workflow", ".github/workflows/ci.yml", 5), ("ops.runbooks", "docs/runbooks/db.md", 1),
        ("ops.lockfile", "uv.lock", 1),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"Dockerfile": "FROM python:3.12\nEXPOSE 8080\nUSER app\nCMD python -m app\n"},
            {("ops.dockerfile", "Dockerfile", 1), ("health.dockerfile-no-healthcheck", "Dockerfile", 4)},
            id="no-healthcheck-at-cmd",
        ),
        pytest.param(
            {"Dockerfile": 'FROM a AS b\nHEALTHCHECK CMD x\nFROM c\nEXPOSE 1\nUSER 1000\nENTRYPOINT ["x"]\n'},
            {("ops.dockerfile", "Dockerfile", 1), ("health.dockerfile-no-healthcheck", "Dockerfile", 6)},
            id="healthcheck-only-in-build-stage",
        ),
        pytest.param(
            {"Dockerfile": "FROM a\nEXPOSE 1\nHEALTHCHECK NONE\nUSER app\nCMD x\n"},
            {("ops.dockerfile", "Dockerfile", 1), ("health.dockerfile-no-healthcheck", "Dockerfile", 5)},
            id="healthcheck-none",
        ),
        pytest.param(
            {"Dockerfile": 'FROM a\nRUN make\nUSER app\nENTRYPOINT ["tool"]\n'},
            {("ops.dockerfile", "Dockerfile", 1)},
            id="tool-image-not-judged",
        ),
        pytest.param({"Dockerfile": ""}, set(), id="empty-dockerfile"),
    ],
)
def test_dockerfiles(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert findings(tmp_path, files) == expected


K8S = """\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: api
          readinessProbe: {httpGet: {path: /ready, port: 80}}
        - name: sidecar
          startupProbe: {tcpSocket: {port: 1}}
---
apiVersion: apps/v1
kind: Job
spec:
  template:
    spec:
      containers:
        - name: once
"""


def test_kubernetes(tmp_path: Path) -> None:
    assert findings(tmp_path, {"k8s/app.yaml": K8S, "chart/Chart.yaml": "apiVersion: v2\nname: x\n"}) == {
        ("ops.k8s-manifests", "k8s/app.yaml", 2), ("health.k8s-probes", "k8s/app.yaml", 7),
        ("health.k8s-no-probes", "k8s/app.yaml", 9), ("ops.k8s-manifests", "chart/Chart.yaml", 1),
    }  # fmt: skip


def test_alerting_and_broken_config(tmp_path: Path) -> None:
    files = {
        "prom/rules.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n",
        "alertmanager.yml": "route:\n  receiver: x\nreceivers:\n  - name: x\n",
        "prom/broken.yml": "groups:\n  - name: g\n   rules: []\n",
        "bad.json": '{"a": 1,}\n',
        "cfn.yaml": "Value: !Ref Thing\n",
        "tsconfig.json": "{\n  // ok\n}\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: c\n",
        "chart/templates/d.yaml": "name: {{ .Release.Name }}\n  x: [\n",
        "tests/data/bad.yaml": "a: [\n",
    }
    assert findings(tmp_path, files) == {
        ("ops.alerting-rules", "prom/rules.yml", 4), ("ops.alerting-rules", "alertmanager.yml", 1),
        ("ops.config-does-not-parse", "prom/broken.yml", 3), ("ops.config-does-not-parse", "bad.json", 1),
        ("ops.k8s-manifests", "chart/Chart.yaml", 1),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {".gitlab-ci.yml": "test:\n  script:\n    - yarn install\n    - yarn test\n"},
            {("ops.ci-workflow", ".gitlab-ci.yml", 4)}, id="gitlab-tests",
        ),
        pytest.param(
            {".github/workflows/a.yml": "jobs:\n  t:\n    steps:\n      - name: pytest\n        run: pytest\n"
             "      - run: coverage run -m pytest\n"},
            {("ops.ci-workflow", ".github/workflows/a.yml", 6)}, id="prefers-the-coverage-run",
        ),
        pytest.param(
            {".github/workflows/lint.yml": "jobs:\n  l:\n    steps:\n      - run: ruff check\n"},
            {("ops.ci-workflow", ".github/workflows/lint.yml", 1)}, id="no-tests-line-1",
        ),
        pytest.param({"ci/notes.yml": "run: pytest\n"}, set(), id="not-a-ci-file"),
    ],
)  # fmt: skip
def test_ci(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert findings(tmp_path, files) == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"requirements.txt": "a==1.0\nb==2 ; python_version<'4'\n"},
            {("ops.lockfile", "requirements.txt", 1), ("ops.no-ci", None, None)},
            id="pinned-requirements",
        ),
        pytest.param({"requirements.txt": "a==1.0\nb>=2\n"}, {("ops.no-ci", None, None)}, id="unpinned-requirements"),
        pytest.param(
            {"package-lock.json": "{}\n", "node_modules/x/yarn.lock": ""},
            {("ops.lockfile", "package-lock.json", 1)},
            id="npm-lock-vendored-ignored",
        ),
        pytest.param(
            {"RUNBOOK.md": "# x\n", "docs/ops/runbook-db.md": "# y\n"},
            {("ops.runbooks", "RUNBOOK.md", 1)},
            id="runbooks-reported-once",
        ),
    ],
)
def test_lockfiles_and_runbooks(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert findings(tmp_path, files) == expected


PRINTS = """\
import logging

log = logging.getLogger(__name__)


def main(result):
    print(f"listening on {result}")
    print("starting " + str(result))
    print(result)
    print(json.dumps(result))
    with open("out.txt", "w") as fh:
        print("written", file=fh)
    print("to stderr", file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"svc/run.py": PRINTS},
            {("observability.print-logging", "svc/run.py", n) for n in (7, 8, 13)},
            id="messages-not-data",
        ),
        pytest.param(
            {"svc/run.py": PRINTS.replace("import logging", "import argparse\nimport logging")}, set(), id="cli-module"
        ),
        pytest.param({"svc/run.py": "def main():\n    print('hi')\n"}, set(), id="no-logger"),
        pytest.param({"tests/test_run.py": PRINTS}, set(), id="tests-may-print"),
        pytest.param(
            {"src/a.ts": "import pino from 'pino';\nconst log = pino();\nconsole.log('up');\nconsole.log(data);\n"},
            {("observability.print-logging", "src/a.ts", 3), ("observability.structured-logging", "src/a.ts", 2)},
            id="console-log-beside-pino",
        ),
        pytest.param({"src/b.js": "console.log('up');\n"}, set(), id="console-log-without-logger"),
    ],
)
def test_print_logging(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert findings(tmp_path, files) == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"a.py": "import json, logging\n\n\nclass J(logging.Formatter):\n    def format(self, r):\n"
                     "        return json.dumps({})\n\n\nclass Plain(logging.Formatter):\n    pass\n"},
            {("observability.structured-logging", "a.py", 4)}, id="json-formatter-class",
        ),
        pytest.param(
            {"a.py": "from pythonjsonlogger import jsonlogger\n\nh.setFormatter(jsonlogger.JsonFormatter())\n"},
            {("observability.structured-logging", "a.py", 3)}, id="python-json-logger",
        ),
        pytest.param(
            {"a.py": "from opentelemetry import trace, metrics\nfrom opentelemetry import metrics as m2\n"},
            {("observability.tracing", "a.py", 1), ("observability.metrics", "a.py", 1)}, id="otel-both",
        ),
        pytest.param(
            {"a.ts": "import { trace } from '@opentelemetry/api';\nconst tracer = require('dd-trace');\n"},
            {("observability.tracing", "a.ts", 1)}, id="js-tracing-first-only",
        ),
        pytest.param(
            {"a.js": "const h = { 'X-Correlation-ID': id };\n"}, {("observability.request-id", "a.js", 1)},
            id="js-correlation-header",
        ),
        pytest.param(
            {"a.py": '"""Reads the X-Request-Id header."""\nREQUEST = "request"\n'}, set(),
            id="docstring-mention-is-not-a-request-id",
        ),
        pytest.param({"a.py": "import prometheus_client\n"}, {("observability.metrics", "a.py", 1)}, id="prometheus"),
    ],
)  # fmt: skip
def test_observability(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert findings(tmp_path, files) == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"s.py": "import signal\n\nsignal.signal(signal.SIGINT, h)\nserver.serve_forever()\n"},
            {("shutdown.no-signal-handler", "s.py", 4)}, id="sigint-is-not-enough",
        ),
        pytest.param(
            {"s.py": "import signal\n\nserver.serve_forever()\n", "stop.py": "import signal\nsignal.signal(15, h)\n"},
            {("shutdown.signal-handler", "stop.py", 2)}, id="handler-in-another-module",
        ),
        pytest.param(
            {"s.py": "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nserver.serve_forever()\n"},
            {("shutdown.no-signal-handler", "s.py", 3)}, id="ignoring-sigterm-is-not-handling",
        ),
        pytest.param({"s.py": "import uvicorn\nuvicorn.run(app)\n"}, set(), id="uvicorn-drains"),
        pytest.param({"s.py": "import asyncio, subprocess\nasyncio.run(main())\nsubprocess.run(['x'])\n"}, set(),
                     id="run-lookalikes"),
        pytest.param(
            {"s.py": "from flask import Flask\napp = Flask(__name__)\napp.run()\n"},
            {("shutdown.no-signal-handler", "s.py", 3)}, id="flask-dev-server",
        ),
        pytest.param(
            {"s.js": "const app = require('express')();\napp.listen(3000);\n"},
            {("shutdown.no-signal-handler", "s.js", 2)}, id="express-listen",
        ),
        pytest.param(
            {"s.ts": "const server = http.createServer(h);\nserver.listen(8080);\n"
                     "process.on('SIGTERM', () => server.close());\n"},
            {("shutdown.signal-handler", "s.ts", 3)}, id="node-sigterm",
        ),
        pytest.param(
            {"s.js": "import { createTerminus } from '@godaddy/terminus';\napp.listen(1);\n"},
            {("shutdown.signal-handler", "s.js", 1)}, id="terminus",
        ),
        pytest.param(  # the library is put to work where its name is called, not where it is imported
            {"s.js": "const gracefulShutdown = require('http-graceful-shutdown');\nserver.listen(1);\n"
                     "gracefulShutdown(server, { signals: 'SIGINT SIGTERM', timeout: 30000 });\n"},
            {("shutdown.signal-handler", "s.js", 3)}, id="http-graceful-shutdown-call",
        ),
        pytest.param(
            {"s.js": "import { createHttpTerminator } from 'http-terminator';\napp.listen(1);\n"},
            {("shutdown.signal-handler", "s.js", 1)}, id="http-terminator-import",
        ),
        pytest.param({"s.js": "emitter.listen();\nsocket.listen(1);\n"}, set(), id="listen-lookalikes"),
        pytest.param({"tests/test_s.py": "server.serve_forever()\n"}, set(), id="servers-in-tests"),
    ],
)  # fmt: skip
def test_shutdown(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert findings(tmp_path, files) == expected


ODD = {
    "odd.py": "@(lambda f: f)\ndef g(*a, **k):\n    return x[0]()(*a)\n\nif (lambda: 1)() == '/health':\n    pass\n"
    "match p:\n    case {'a': 1}:\n        pass\n    case '/ready':\n        pass\n",
    "list.yaml": "- 1\n- 2\n",
    "scalar.yaml": "just text\n",
    "empty.yaml": "",
    "empty.py": "",
    "empty.js": "",
    "odd.ts": "app.get(`/health`, h);\napp.get();\n@Get() class X {}\nprocess.on(...args);\n",
    "Dockerfile.dev": "HEALTHCHECK CMD x\n",
    "k8s.yaml": "kind: Deployment\napiVersion: v1\nspec: [1, 2]\n---\nkind: Deployment\napiVersion: v1\n"
    "spec: {template: {spec: {containers: [1, {name: x}]}}}\n",
}


def test_odd_inputs_do_not_crash(tmp_path: Path) -> None:
    found = findings(tmp_path, ODD)
    assert ("health.k8s-no-probes", "k8s.yaml", 7) in found
