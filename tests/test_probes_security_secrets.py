"""Signing secrets that fall back to a random value, and request bodies accumulated without a limit: a snippet in,
exact (rule, line) findings out, with look-alikes that must not match (nonces, CSRF tokens, ids, required
secrets, secrets generated for the user to store, bounded reads, test files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.probes import run_probes

from .conftest import write_files

EPHEMERAL = "security.ephemeral-signing-secret"
UNBOUNDED = "security.unbounded-request-body"
RULES = (EPHEMERAL, UNBOUNDED)


def findings(tmp_path: Path, path: str, source: str) -> set[tuple[str, int]]:
    write_files(tmp_path, {path: source})
    data, _ = scan(tmp_path)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.line or 0) for f in found if f.rule in RULES and f.path == path}


CASES = [
    # --- ephemeral signing secrets: Python ---
    (
        "env-or-token-hex",
        "app/settings.py",
        """
        import os
        import secrets

        SECRET_KEY = os.environ.get("APP_SECRET") or secrets.token_hex(32)
        """,
        {(EPHEMERAL, 4)},
    ),
    (
        "argument-or-token-hex-in-init",
        "app/server.py",
        """
        import secrets

        class App:
            def __init__(self, secret=None):
                self._secret = secret or secrets.token_hex(32)
        """,
        {(EPHEMERAL, 5)},
    ),
    (
        "getenv-default-urandom",
        "app/config.py",
        """
        import os
        SESSION_KEY = os.getenv("SESSION_KEY", os.urandom(32).hex())
        """,
        {(EPHEMERAL, 2)},
    ),
    (
        "argument-default-computed-at-import",
        "app/signer.py",
        """
        from secrets import token_bytes

        def make_signer(signing_key=token_bytes(32)):
            return signing_key
        """,
        {(EPHEMERAL, 3)},
    ),
    (
        "if-unset-assign-random",
        "app/auth.py",
        """
        import secrets

        def configure(config):
            if not config.jwt_secret:
                config.jwt_secret = secrets.token_urlsafe(32)
        """,
        {(EPHEMERAL, 5)},
    ),
    (
        "nonce-is-meant-to-be-fresh",
        "app/csp.py",
        """
        import secrets

        def nonce(request):
            return request.headers.get("x-nonce") or secrets.token_hex(16)
        """,
        set(),
    ),
    (
        "csrf-token-per-request",
        "app/csrf.py",
        """
        import secrets

        def csrf_token(request):
            token = request.cookies.get("csrftoken") or secrets.token_hex(16)
            return token
        """,
        set(),
    ),
    (
        "request-id-is-not-a-secret",
        "app/ids.py",
        """
        import uuid

        def request_id(headers):
            return headers.get("x-request-id") or uuid.uuid4().hex
        """,
        set(),
    ),
    (
        "one-off-root-token-is-not-a-fallback",
        "app/root.py",
        """
        import secrets

        class App:
            def __init__(self):
                self._root_token = secrets.token_hex(32)
        """,
        set(),
    ),
    (
        "required-secret-raises",
        "app/required.py",
        """
        import os
        import secrets

        def load(debug):
            secret = os.environ.get("APP_SECRET")
            if not secret and not debug:
                raise RuntimeError("APP_SECRET must be set")
            return secret or secrets.token_hex(32)
        """,
        set(),
    ),
    (
        "cli-generates-a-secret-to-store",
        "app/cli.py",
        """
        import secrets
        import click

        @click.command()
        @click.option("--secret", default=lambda: secrets.token_hex(32))
        def generate(secret=None):
            secret = secret or secrets.token_hex(32)
            click.echo(secret)
        """,
        set(),
    ),
    (
        "fallback-with-a-warning",
        "app/warned.py",
        """
        import logging
        import secrets
        log = logging.getLogger(__name__)

        def setup(settings):
            if settings.secret_key is None:
                log.warning("SECRET_KEY is not set: sessions will not survive a restart")
                settings.secret_key = secrets.token_hex(32)
        """,
        set(),
    ),
    (
        "test-file-is-not-judged",
        "tests/test_app.py",
        """
        import os, secrets
        SECRET = os.environ.get("APP_SECRET") or secrets.token_hex(32)
        """,
        set(),
    ),
    # --- ephemeral signing secrets: JS/TS ---
    (
        "js-env-or-random-bytes",
        "src/auth.js",
        """
        const crypto = require("crypto");
        const jwtSecret = process.env.JWT_SECRET || crypto.randomBytes(32).toString("hex");
        module.exports = { jwtSecret };
        """,
        {(EPHEMERAL, 2)},
    ),
    (
        "ts-session-option-nullish-uuid",
        "src/app.ts",
        """
        import session from "express-session";
        import { randomUUID } from "crypto";
        app.use(session({ secret: process.env.SESSION_SECRET ?? randomUUID() }));
        """,
        {(EPHEMERAL, 3)},
    ),
    (
        "js-required-secret-throws",
        "src/config.js",
        """
        const crypto = require("crypto");
        if (!process.env.JWT_SECRET && process.env.NODE_ENV === "production") {
          throw new Error("JWT_SECRET is required");
        }
        const secret = process.env.JWT_SECRET || crypto.randomBytes(32).toString("hex");
        """,
        set(),
    ),
    (
        "js-random-id-fallback",
        "src/ids.js",
        """
        const { randomUUID } = require("crypto");
        function traceId(req) { return req.headers["x-trace-id"] || randomUUID(); }
        """,
        set(),
    ),
    (
        "js-test-file",
        "test/auth.test.js",
        """
        const crypto = require("crypto");
        const secret = process.env.JWT_SECRET || crypto.randomBytes(32).toString("hex");
        """,
        set(),
    ),
    (
        "ts-parameter-default",
        "src/signer.ts",
        """
        import { randomBytes } from "crypto";
        export function signer(secretKey: Buffer = randomBytes(32)) {
          return secretKey;
        }
        """,
        {(EPHEMERAL, 2)},
    ),
    (
        "js-random-inside-a-function-is-not-the-fallback",
        "src/random.js",
        """
        const makeSecret = process.env.APP_SECRET ? () => process.env.APP_SECRET : () => crypto.randomBytes(32);
        const secretMaker = process.env.APP_SECRET || (() => crypto.randomBytes(32));
        """,
        set(),
    ),
    (
        "python-lambda-is-not-the-fallback",
        "app/factory.py",
        """
        import secrets
        SECRET_FACTORY = None or (lambda: secrets.token_hex(32))
        """,
        set(),
    ),
    # --- unbounded request bodies: Python ---
    (
        "asgi-receive-loop",
        "app/asgi.py",
        """
        class Request:
            async def post_body(self):
                body = b""
                more_body = True
                while more_body:
                    message = await self.receive()
                    body += message.get("body", b"")
                    more_body = message.get("more_body", False)
                return body
        """,
        {(UNBOUNDED, 7)},
    ),
    (
        "starlette-stream-chunks",
        "app/upload.py",
        """
        async def upload(request):
            chunks = []
            async for chunk in request.stream():
                chunks.append(chunk)
            return b"".join(chunks)
        """,
        {(UNBOUNDED, 4)},
    ),
    (
        "asgi-receive-loop-with-limit",
        "app/bounded.py",
        """
        MAX_BODY = 1024 * 1024

        async def read_body(receive):
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if len(body) > MAX_BODY:
                    raise ValueError("request body too large")
                if not message.get("more_body"):
                    return body
        """,
        set(),
    ),
    (
        "receive-loop-that-does-not-keep-the-body",
        "app/drain.py",
        """
        async def drain(receive):
            more = True
            while more:
                message = await receive()
                more = message.get("more_body", False)
        """,
        set(),
    ),
    (
        "aiohttp-read-is-the-frameworks-limit",
        "app/aio.py",
        """
        async def handler(request):
            data = await request.read()
            return data
        """,
        set(),
    ),
    (
        "asgi-receive-loop-in-tests",
        "tests/test_asgi.py",
        """
        async def test_body(receive):
            body = b""
            while True:
                message = await receive()
                body += message["body"]
        """,
        set(),
    ),
    # --- unbounded request bodies: JS ---
    (
        "js-req-on-data",
        "src/server.js",
        """
        const http = require("http");
        http.createServer((req, res) => {
          let body = "";
          req.on("data", chunk => { body += chunk; });
          req.on("end", () => res.end(body));
        });
        """,
        {(UNBOUNDED, 4)},
    ),
    (
        "js-req-on-data-push",
        "src/collect.ts",
        """
        export function collect(req: IncomingMessage): Promise<Buffer> {
          const chunks: Buffer[] = [];
          return new Promise((resolve) => {
            req.on("data", (chunk: Buffer) => chunks.push(chunk));
            req.on("end", () => resolve(Buffer.concat(chunks)));
          });
        }
        """,
        {(UNBOUNDED, 4)},
    ),
    (
        "js-buffer-concat",
        "src/raw.js",
        """
        module.exports = (req, res, next) => {
          let raw = Buffer.alloc(0);
          req.on("data", (chunk) => { raw = Buffer.concat([raw, chunk]); });
          req.on("end", () => { req.rawBody = raw; next(); });
        };
        """,
        {(UNBOUNDED, 3)},
    ),
    (
        "js-req-on-data-with-limit",
        "src/limited.js",
        """
        const LIMIT = 1e6;
        function handle(req, res) {
          let body = "";
          req.on("data", chunk => {
            body += chunk;
            if (body.length > LIMIT) { res.writeHead(413); req.destroy(); }
          });
        }
        """,
        set(),
    ),
    (
        "js-socket-data-is-not-a-request",
        "src/client.js",
        """
        function read(socket) {
          let buf = "";
          socket.on("data", chunk => { buf += chunk; });
        }
        """,
        set(),
    ),
]


@pytest.mark.parametrize("path,source,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cases(tmp_path: Path, path: str, source: str, expected: set[tuple[str, int]]):
    assert findings(tmp_path, path, source) == expected


def test_message_names_the_secret_and_the_fallback(tmp_path: Path):
    write_files(tmp_path, {"app/server.py": CASES[1][2]})
    data, _ = scan(tmp_path)
    [found] = [
        f for f in run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)}) if f.rule == EPHEMERAL
    ]
    assert "self._secret becomes a new random value (secrets.token_hex(32)) when secret is not set" in found.message
