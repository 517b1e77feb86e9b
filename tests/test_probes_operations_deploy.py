"""Operations probes of deployment: container images (runtime stage, HEALTHCHECK, user, lock file), CI, lock files,
configuration that does not parse, service managers that restart the process. A small repository in, exact
findings (rule, path, line) out.

Decisions the cases pin down:
- a multi-stage Dockerfile is judged by its runtime stage (named ``release``/``production``/..., else the last
  stage with its own command); a stage built from another inherits its HEALTHCHECK, USER and command;
- an image runs as root when its runtime stage sets no USER (or USER root) and no stage built from it offers a
  rootless variant; a base image from another publisher may set its own user: to review;
- an image ignores the lock file when it installs before the lock is copied in, or pip-installs unpinned ranges
  while a Python lock exists; ``npm install`` with the lock present uses it and is not flagged;
- a lock file that says it is generated (yarn v1's header) is still the project's lock file;
- JSON with comments is JSONC, which its tools accept, except for files read as strict JSON (package.json).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes
from assess.project import model_project

from .test_probes_operations import Key, findings

Judged = tuple[str, str | None, int | None, str]


def judged(root: Path, files: dict[str, str], rules: tuple[str, ...]) -> set[Judged]:
    """(rule, path, line, confidence) of the findings of ``rules``, judged with the project model."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    data, _ = scan(root)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)}, project=model_project(data, None))
    return {(f.rule, f.path, f.line, f.confidence) for f in found if f.rule in rules and not f.outside}


def only(root: Path, files: dict[str, str], *rules: str) -> set[Key]:
    return {key for key in findings(root, files) if key[0] in rules}


RELEASE = """\
FROM node:22 AS build
RUN npm ci
FROM node:22-slim AS release
COPY --from=build /app /app
EXPOSE 3000
HEALTHCHECK CMD node check.js
CMD ["node", "server.js"]
FROM release AS rootless
USER node
FROM debian AS upload
RUN tar czf dist.tgz /app
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"Dockerfile": RELEASE}, {("health.dockerfile-healthcheck", "Dockerfile", 6)},
                     id="release-stage-judged-rootless-variant-offered"),
        pytest.param(
            {"Dockerfile": "FROM python:3.12 AS base\nHEALTHCHECK CMD true\nUSER app\n"
                           "FROM base AS app\nCMD ['svc']\n"},
            {("health.dockerfile-healthcheck", "Dockerfile", 2)}, id="inherited-from-the-base-stage",
        ),
        pytest.param(
            {"Dockerfile": "FROM python:3.12\nEXPOSE 80\nCMD ['svc']\n"},
            {("health.dockerfile-no-healthcheck", "Dockerfile", 3), ("ops.container-runs-as-root", "Dockerfile", 3)},
            id="official-base-no-user",
        ),
        pytest.param(
            {"Dockerfile": "FROM python:3.12\nRUN useradd app\nUSER root\nEXPOSE 80\nCMD ['svc']\n"},
            {("ops.container-runs-as-root", "Dockerfile", 3), ("health.dockerfile-no-healthcheck", "Dockerfile", 5)},
            id="user-root",
        ),
        pytest.param(
            {"Dockerfile": "FROM gcr.io/distroless/python3:nonroot\nCMD ['svc']\n"}, set(), id="nonroot-base",
        ),
        pytest.param({"Dockerfile": "FROM python:3.12\nRUN pip install x\n"}, set(), id="base-image-not-run"),
        pytest.param(
            {"tests/Dockerfile": "FROM python:3.12\nEXPOSE 80\nCMD ['pytest']\n"}, set(), id="test-harness-image",
        ),
    ],
)  # fmt: skip
def test_images(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    rules = ("health.dockerfile-healthcheck", "health.dockerfile-no-healthcheck", "ops.container-runs-as-root")
    assert only(tmp_path, files, *rules) == expected


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        pytest.param("FROM python:3.12\nRUN useradd -m app\nEXPOSE 80\nCMD ['svc']\n", {4: "confirmed"},
                     id="user-never-used"),
        pytest.param("FROM myorg/python-base:3\nEXPOSE 80\nCMD ['svc']\n", {3: "likely"},
                     id="unknown-base-may-set-a-user"),
        pytest.param('FROM node:22\nEXPOSE 80\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["node", "s.js"]\n',
                     {4: "likely"}, id="entrypoint-script-may-drop-privileges"),
        pytest.param("FROM node:22\nUSER node\nEXPOSE 80\nCMD ['node', 's.js']\n", {}, id="switches-user"),
        pytest.param("FROM node:22\nCMD ['node', 'tool.js']\n", {}, id="a-tool-image-serves-nothing"),
    ],
)  # fmt: skip
def test_container_user(tmp_path: Path, dockerfile: str, expected: dict[int, str]) -> None:
    found = judged(tmp_path, {"Dockerfile": dockerfile}, ("ops.container-runs-as-root",))
    assert {line: confidence for _, _, line, confidence in found} == expected


GOSU_IMAGE = ('FROM python:3.12\nRUN adduser --system app\nCOPY docker/entrypoint.sh /entrypoint.sh\nEXPOSE 8080\n'
              'ENTRYPOINT ["/entrypoint.sh"]\n')


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # root-only set-up, then the service as the unprivileged user: not root
        pytest.param('#!/bin/sh\nchown -R app /data\nexec gosu app server "$@"\n', {}, id="exec-gosu"),
        pytest.param('#!/bin/sh\nexec su-exec "${USER}" server\n', {}, id="exec-su-exec"),
        pytest.param("#!/bin/sh\nexec setpriv --reuid=app --regid=app --init-groups server\n", {},
                     id="exec-setpriv"),
        # the script is there and starts the service as it is: root, and the code shows it
        pytest.param('#!/bin/sh\nchown -R app /data\nexec server "$@"\n', {5: "likely"}, id="script-stays-root"),
        # a gosu that is not how the service starts (a one-off command) is no drop
        pytest.param("#!/bin/sh\ngosu app migrate\nexec server\n", {5: "likely"}, id="gosu-not-exec"),
    ],
)  # fmt: skip
def test_entrypoint_script_that_drops_to_another_user(tmp_path: Path, script: str, expected: dict[int, str]) -> None:
    files = {"Dockerfile": GOSU_IMAGE, "docker/entrypoint.sh": script}
    found = judged(tmp_path, files, ("ops.container-runs-as-root",))
    assert {line: confidence for _, _, line, confidence in found} == expected


NPM_LOCK = {"package.json": '{"name": "svc"}\n', "package-lock.json": "{}\n"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({**NPM_LOCK, "Dockerfile": "FROM node:22\nCOPY package.json .\nRUN npm install\nUSER node\n"},
                     {("ops.dockerfile-ignores-lockfile", "Dockerfile", 3)}, id="lock-not-copied"),
        pytest.param({**NPM_LOCK, "Dockerfile": "FROM node:22\nCOPY package*.json ./\nRUN npm ci\n"}, set(),
                     id="lock-copied-by-glob"),
        pytest.param({**NPM_LOCK, "Dockerfile": "FROM node:22\nRUN git clone https://x/y.git .\nRUN npm ci\n"},
                     set(), id="npm-ci-cannot-run-without-the-lock"),
        pytest.param({**NPM_LOCK, "Dockerfile": "FROM node:22\nCOPY . .\nRUN npm install && npm cache clean\n"},
                     set(), id="whole-context-copied"),
        pytest.param({**NPM_LOCK, "Dockerfile": "FROM node:22\nRUN --mount=type=bind,source=package-lock.json,"
                                                "target=package-lock.json npm ci\n"}, set(), id="lock-bind-mounted"),
        pytest.param({"package.json": "{}\n", "Dockerfile": "FROM node:22\nCOPY package.json .\nRUN npm install\n"},
                     set(), id="no-lock-in-the-repository"),
        pytest.param({"uv.lock": "version = 1\n", "Dockerfile": "FROM python:3\nCOPY . .\nRUN pip install .\n"},
                     {("ops.dockerfile-ignores-lockfile", "Dockerfile", 3)}, id="pip-install-project-beside-uv-lock"),
        pytest.param({"poetry.lock": "", "requirements.txt": "flask>=2\n",
                      "Dockerfile": "FROM python:3\nCOPY . .\nRUN python -m pip install -r requirements.txt\n"},
                     {("ops.dockerfile-ignores-lockfile", "Dockerfile", 3)}, id="unpinned-requirements-beside-lock"),
        pytest.param({"poetry.lock": "", "requirements.txt": "flask==3.0.0\n",
                      "Dockerfile": "FROM python:3\nCOPY . .\nRUN pip install -r requirements.txt\n"},
                     set(), id="pinned-requirements"),
        pytest.param({**NPM_LOCK, "test/Dockerfile": "FROM node:22\nCOPY package.json .\nRUN npm install\n"},
                     set(), id="test-image"),
    ],
)  # fmt: skip
def test_dockerfile_lockfile(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "ops.dockerfile-ignores-lockfile") == expected


YARN_V1 = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\nleft-pad@1:\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"yarn.lock": YARN_V1}, {("ops.lockfile", "yarn.lock", 1)}, id="yarn-v1-says-autogenerated"),
        pytest.param({"config/api-extractor.json": '/**\n * docs\n */\n{\n  "a": 1, // why\n}\n'}, set(),
                     id="jsonc-tool-config"),
        pytest.param({"package.json": '{\n  // no\n  "name": "x"\n}\n'},
                     {("ops.config-does-not-parse", "package.json", 2)}, id="package-json-is-strict"),
        pytest.param({"bad.json": '{"url": "http://x",}\n'}, {("ops.config-does-not-parse", "bad.json", 1)},
                     id="url-is-not-a-comment"),
    ],
)  # fmt: skip
def test_lockfiles_and_json(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "ops.lockfile", "ops.config-does-not-parse") == expected


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {".github/workflows/test.yml": "on: push\njobs:\n  t:\n    steps:\n      - uses: paths-filter\n"
             "        with:\n          filters: |\n            - 'vitest.config.ts'\n      - run: yarn lint\n"
             "      - run: |\n          yarn build\n          yarn test\n      - run: yarn coverage\n"},
            {("ops.ci-workflow", ".github/workflows/test.yml", 13)}, id="commands-not-path-filters",
        ),
        pytest.param(
            {".github/workflows/stale.yml": "on: schedule\njobs:\n  s:\n    steps:\n      - uses: stale\n",
             ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: npm test\n"},
            {("ops.ci-workflow", ".github/workflows/ci.yml", 4)}, id="bots-are-not-pipelines",
        ),
        pytest.param({".travis.yml": "script: pytest\n"}, {("ops.ci-workflow", ".travis.yml", 1)}, id="inline-script"),
    ],
)  # fmt: skip
def test_ci(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "ops.ci-workflow") == expected


COMPOSE = """\
services:
  app:
    build: .
    restart: unless-stopped
  db:
    image: postgres:16
    restart: always
  web:
    image: acme/shop:2
    restart: "no"
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"debian/svc.service": "[Service]\nExecStart=/usr/bin/svc\nRestart=on-failure\n"},
                     {("ops.restart-policy", "debian/svc.service", 3)}, id="systemd"),
        pytest.param({"deploy/svc.service": "[Service]\nExecStart=/usr/bin/svc\nRestart=no\n"}, set(),
                     id="systemd-no-restart"),
        pytest.param({"debian/svc.upstart": "start on runlevel [2345]\nrespawn\nexec svc\n"},
                     {("ops.restart-policy", "debian/svc.upstart", 2)}, id="upstart"),
        pytest.param({"deploy/supervisord.conf": "[supervisord]\n\n[program:svc]\ncommand=svc\n"},
                     {("ops.restart-policy", "deploy/supervisord.conf", 3)}, id="supervisord"),
        pytest.param({"deploy/supervisor/svc.conf": "[program:svc]\ncommand=svc\nautorestart=false\n"}, set(),
                     id="supervisord-no-restart"),
        pytest.param({"docker-compose.yml": COMPOSE}, {("ops.restart-policy", "docker-compose.yml", 4)},
                     id="compose-own-service-not-its-database"),
    ],
)  # fmt: skip
def test_restart_policy(tmp_path: Path, files: dict[str, str], expected: set[Key]) -> None:
    assert only(tmp_path, files, "ops.restart-policy") == expected


FLASK_PACKAGE = {
    "pyproject.toml": "[project]\nname = 'svc'\n\n[project.scripts]\nsvc = 'svc.cli:main'\n",
    "svc/__init__.py": "",
    "svc/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    "svc/cli.py": "from svc.app import app\n\n\ndef main():\n    app.run()\n",
}
REPOSITORY_GAPS = ("ops.no-lockfile", "ops.no-dockerfile", "ops.no-runbooks", "health.no-endpoint")


def test_a_package_others_deploy_gets_no_deployment_gaps(tmp_path: Path) -> None:
    found = judged(tmp_path, FLASK_PACKAGE, REPOSITORY_GAPS)
    assert found == {("health.no-endpoint", None, None, "likely")}


def test_a_service_deployed_from_its_tree_gets_them(tmp_path: Path) -> None:
    files = {**FLASK_PACKAGE, "Procfile": "web: python -m svc.cli\n"}
    found = judged(tmp_path, files, REPOSITORY_GAPS)
    assert {f[0] for f in found} == set(REPOSITORY_GAPS)


def test_a_healthcheck_makes_no_endpoint_a_question(tmp_path: Path) -> None:
    files = {**FLASK_PACKAGE, "Dockerfile": "FROM python:3\nUSER app\nHEALTHCHECK CMD curl -f localhost/\n"
                                           "CMD ['flask', '--app', 'svc.app', 'run']\n"}
    assert judged(tmp_path, files, ("health.no-endpoint",)) == {("health.no-endpoint", None, None, "possible")}
