"""The project model (issue 15): what the project is, how it starts, and which code is the service.

Small repositories built in tmp_path go through the real static analysis; the model is read from its evidence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.collectors import CollectContext
from assess.collectors.inventory import collect_inventory
from assess.collectors.patterns import collect_patterns
from assess.model import RunParameters
from assess.model.project import ProjectModel
from assess.project import build_project
from tests.conftest import write_files


def model(root: Path, tmp_path: Path) -> ProjectModel:
    ctx = CollectContext(RunParameters(target=str(root), jobs=1, no_tests=True), tmp_path / "run")
    built = build_project({"inventory": collect_inventory(ctx), "patterns": collect_patterns(ctx)})
    assert built is not None
    return built


PY_SERVICE: dict[str, str | bytes] = {
    "pyproject.toml": '[project]\nname = "shop"\n[project.scripts]\nshop = "shop.cli:main"\n',
    "shop/__init__.py": "",
    "shop/cli.py": "import argparse\nfrom shop.app import serve\n\ndef main():\n    serve()\n",
    "shop/app.py": "from flask import Flask\nimport requests\n\napp = Flask(__name__)\n\ndef serve():\n"
                   "    app.run()\n\n@app.get('/')\ndef index():\n    return requests.get('http://x').text\n",
    "scripts/deploy.py": "import subprocess\nsubprocess.run('make deploy', shell=True)\n",
    "bootstrap.py": "import os\nos.system('pip install -e .')\n",
    "gen_docs.py": "import shop.app\nprint(shop.app.__doc__)\n",
    "benchmarks/load.py": "import requests\nrequests.get('http://localhost')\n",
    "docker/Dockerfile.test": "FROM python:3.11\nCMD pytest\n",
    "Dockerfile": "FROM python:3.11\nCMD [\"shop\"]\n",
}  # fmt: skip


def test_a_python_service_its_tooling_and_its_entry_points(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_files(root, PY_SERVICE)
    m = model(root, tmp_path)
    assert m.kinds[0] == "http-service" and "cli" in m.kinds and "library" not in m.kinds
    assert m.packages == ("shop",)
    points = {(e.how, e.file) for e in m.entry_points}
    assert points >= {("console-script", "shop/cli.py"), ("dockerfile", "shop/cli.py")}
    assert m.outside == {"scripts/deploy.py": "tooling", "bootstrap.py": "tooling", "gen_docs.py": "unreachable",
                         "benchmarks/load.py": "benchmarks", "docker/Dockerfile.test": "test-harness"}  # fmt: skip
    assert m.is_production("shop/app.py") and not m.is_production("scripts/deploy.py")


NODE_SERVICE: dict[str, str | bytes] = {
    "package.json": '{"name": "kuma", "main": "server/server.js", "scripts": {"start": "npm run start-server",'
                    ' "start-server": "node server/server.js", "lint": "eslint ."},'
                    ' "dependencies": {"express": "4", "express-actuator": "1"}}',
    "server/server.js": "const express = require('express');\nconst db = require('./db');\n"
                        "const app = express();\napp.listen(3001);\n",
    "server/db.js": "module.exports = {};\n",
    "extra/release.js": "const { execSync } = require('child_process');\nexecSync('git tag');\n",
    "docker/dockerfile": "FROM node:20\nHEALTHCHECK CMD node extra/healthcheck.js\n"
                         "CMD [\"node\", \"server/server.js\"]\n",
    "proxy.js": "const dgram = require('dgram');\nconst s = dgram.createSocket('udp4');\ns.bind(8125);\n",
}  # fmt: skip


def test_a_node_service_started_through_package_scripts(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_files(root, NODE_SERVICE)
    m = model(root, tmp_path)
    assert m.kinds == ("http-service",)
    assert ("package-script", "server/server.js") in {(e.how, e.file) for e in m.entry_points}
    assert ("dockerfile", "server/server.js") in {(e.how, e.file) for e in m.entry_points}  # a lower-case dockerfile
    assert m.outside == {"extra/release.js": "tooling"}  # a top-level Node file may be run directly: kept
    assert m.concurrency.get("server/server.js") == "event-loop"


def test_a_typescript_service_started_from_its_build_output(tmp_path: Path) -> None:
    """``node index start`` runs index.js, which requires ./dist/server/index.js: the tree holds its source,
    server/index.ts, which starts the Express server (The Lounge's layout)."""
    root = tmp_path / "repo"
    write_files(root, {
        "package.json": '{"name": "chat", "bin": {"chat": "index.js"}, "scripts": {"start": "node index start"}}',
        "index.js": "if (require('fs').existsSync('./dist/server/index.js')) {\n"
                    "  require('./dist/server/index.js');\n}\n",
        "server/index.ts": "import program from './command-line';\nprogram.parse();\n",
        "server/command-line/index.ts": "import start from './start';\nexport default start;\n",
        "server/command-line/start.ts": "import server from '../server';\nexport default () => server();\n",
        "server/server.ts": "import express from 'express';\nexport default async function () {\n"
                            "  const app = express();\n  app.listen(9000);\n}\n",
    })  # fmt: skip
    m = model(root, tmp_path)
    assert m.kinds[0] == "http-service" and "library" not in m.kinds, m.kind_reasons
    assert ("package-script", "index.js") in {(e.how, e.file) for e in m.entry_points}


def test_browser_code_is_not_the_service(tmp_path: Path) -> None:
    """A bundle the browser runs (it imports a UI library, or sits under client/) is outside the service; a file the
    server imports stays production code wherever it is."""
    root = tmp_path / "repo"
    write_files(root, {
        "package.json": '{"name": "chat", "scripts": {"start": "node server/index.js"}}',
        "server/index.js": "const express = require('express');\nconst shared = require('../client/shared/constants');"
                           "\nexpress().listen(1);\n",
        "client/shared/constants.js": "module.exports = { MAX: 10 };\n",
        "client/js/store.ts": "export function load() {\n  try { return localStorage.x; } catch (e) {}\n}\n",
        "web/app.ts": "import { createApp } from 'vue';\ncreateApp({}).mount('#app');\n",
        "src/util.js": "module.exports = {};\n",
    })  # fmt: skip
    m = model(root, tmp_path)
    assert m.outside.get("client/js/store.ts") == "browser"
    assert m.outside.get("web/app.ts") == "browser"
    assert "client/shared/constants.js" not in m.outside  # the server requires it
    assert "src/util.js" not in m.outside


def test_a_library_with_an_incidental_server_is_a_library(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_files(root, {
        "package.json": '{"name": "queue", "main": "dist/cjs/index.js"}',
        "src/index.ts": "export * from './child';\n",
        "src/child.ts": "import { createServer } from 'net';\nexport const port = () => createServer().listen(0);\n",
        "python/pyproject.toml": '[project]\nname = "queue"\n',
        "python/queue/__init__.py": "import redis\nr = redis.Redis()\nr.bzpopmin('q')\n",
    })  # fmt: skip
    m = model(root, tmp_path)
    assert m.kinds == ("library",)
    assert m.packages == ("src",)
    assert m.outside["python/queue/__init__.py"] == "other-package"


@pytest.mark.parametrize(
    ("files", "kinds"),
    [
        ({"setup.py": "from setuptools import setup\nsetup(entry_points='''[console_scripts]\nw = w.main:run''')\n",
          "w/__init__.py": "", "w/main.py": "import redis\n\ndef run():\n    while True:\n"
                                            "        redis.Redis().blpop('jobs')\n"},
         ("worker", "cli", "library")),
        ({"pyproject.toml": '[project]\nname = "srv"\n[project.scripts]\nsrv = "srv.main:main"\n',
          "srv/__init__.py": "", "srv/main.py": "import asyncio\n\nasync def main():\n"
                                                "    await asyncio.get_event_loop().create_server(None, port=1)\n"},
         ("network-daemon", "cli", "library")),
        ({"lib/__init__.py": "def add(a, b):\n    return a + b\n", "pyproject.toml": '[project]\nname = "lib"\n'},
         ("library",)),
    ],
    ids=["worker", "asgi-server", "plain-library"],
)
def test_kinds_of_project(tmp_path: Path, files: dict[str, str | bytes], kinds: tuple[str, ...]) -> None:
    root = tmp_path / "repo"
    write_files(root, files)
    assert model(root, tmp_path).kinds == kinds


def test_an_sdist_cannot_show_its_ci(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_files(root, {"PKG-INFO": "Metadata-Version: 2.1\nName: lib\n", "lib/__init__.py": "x = 1\n"})
    assert model(root, tmp_path).not_in_tree[0].startswith("CI configuration")
    write_files(root, {".github/workflows/ci.yml": "on: push\n"})
    assert model(root, tmp_path).not_in_tree == ()


def test_concurrency_of_modules(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_files(root, {
        "pyproject.toml": '[project]\nname = "c"\n[project.scripts]\nc = "c.a:main"\n',
        "c/__init__.py": "",
        "c/a.py": "import asyncio\nfrom c import b, d\n\nasync def main():\n    await asyncio.sleep(0)\n",
        "c/b.py": "import threading\n\ndef go():\n    threading.Thread(target=print).start()\n",
        "c/d.py": "def plain():\n    return 1\n",
    })  # fmt: skip
    assert model(root, tmp_path).concurrency == {"c/a.py": "event-loop", "c/b.py": "threads"}
