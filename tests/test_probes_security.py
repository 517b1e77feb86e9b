"""Security probes: a snippet in, exact (rule, line) findings out, for every rule, with look-alikes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsData, PatternsEvidence
from assess.patterns.security import env_value, secret_kind
from assess.patterns.security_bandit import BanditSite
from assess.probes import run_probes
from assess.probes.security import id_like, key_material, looks_secret, says_secret, secret_key, token_like, words

from .conftest import write_files

Found = set[tuple[str, str | None, int | None]]


def security_findings(root: Path, *, warned: int = 0) -> Found:
    data, warnings = scan(root)
    ours = [w for w in warnings if "assess.patterns.security" in w or "not scanned" in w]  # other families' are theirs
    assert len(ours) == warned, ours
    findings = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.path, f.line) for f in findings if f.rule.startswith("security.")}


def found_in(tmp_path: Path, path: str, source: str) -> set[tuple[str, int | None]]:
    write_files(tmp_path, {path: source})
    return {(rule, line) for rule, p, line in security_findings(tmp_path) if p == path}


PYTHON_CASES = [
    (
        "secret-assigned",
        """
        ADMIN_TOKEN = "s3cr3t-admin-token"
        DB_PASSWORD = "hunter2"  # nosec B105
        """,
        {("security.hardcoded-secret", 1)},
    ),
    (
        "secret-default-and-keyword",
        """
        def login(user, password="letmein99"):
            return connect(user=user, password="tiger-42")
        """,
        {("security.hardcoded-secret", 1), ("security.hardcoded-secret", 2)},
    ),
    (
        "secret-look-alikes",
        """
        import os
        TOKEN_TYPE = "bearer"
        TOKEN_URL = "https://auth.example.com/oauth/token"
        PASSWORD_HEADER = "X-Password"
        password = ""
        TOKEN_FIELD = "access_token"
        PASSWORD_PROMPT = "Enter your password: "
        API_TOKEN = os.environ["API_TOKEN"]
        SECRET_PATH = "/run/secrets/api_token"
        ACTIONS = {"pass": "skips", "fail": "stops"}
        """,
        set(),
    ),
    (
        "weak-random-ids-and-tokens",
        """
        import random, string

        def new_task_id():
            return "t_" + "".join(random.choice(string.digits) for _ in range(10))

        def make_invite():
            suffix = random.randint(1000, 9999)
            return f"inv-{suffix}"

        token = "".join(random.choices(string.ascii_letters, k=32))
        payload = {"session_id": random.getrandbits(64)}
        api_key = hex(random.getrandbits(128))
        """,
        {  # the task id (line 4) is to review: it is a secret only if knowing it reaches the task
            ("security.weak-random", 4),
            ("security.weak-random", 7),
            ("security.weak-random", 10),
            ("security.weak-random", 11),
            ("security.weak-random", 12),
        },
    ),
    (
        "random-for-jitter-sampling-sorting",
        """
        import random, time, secrets

        def backoff(attempt, base=0.1):
            delay = base * (2 ** attempt) * random.random()
            time.sleep(random.uniform(0, delay))

        def pick(items, d):
            picked = random.choice(items)
            order = sorted(items, key=lambda _: random.random())
            key = random.choice(list(d))
            return secrets.token_urlsafe(32), picked, order, key
        """,
        set(),
    ),
    (
        "shell",
        """
        import os, subprocess

        def run(cmd, name):
            subprocess.run(cmd, shell=True)
            os.system("rm -rf " + name)
            subprocess.run("ls -l", shell=True)
            subprocess.run(["git", "status"])
        """,
        {("security.shell-injection", 4), ("security.shell-injection", 5)},
    ),
    (
        "yaml",
        """
        import yaml

        def read(text):
            unsafe = yaml.load(text)
            safe = yaml.load(text, Loader=yaml.SafeLoader)
            return unsafe, safe, yaml.safe_load(text)
        """,
        {("security.unsafe-yaml", 4)},
    ),
    (
        "deserialization",
        """
        import marshal
        import pickle

        def load(blob):
            obj = pickle.loads(blob)
            code = marshal.loads(blob)
            return obj, code, pickle.dumps(obj)
        """,
        {("security.unsafe-deserialization", 5), ("security.unsafe-deserialization", 6)},
    ),
    (
        "sql",
        """
        def find(cur, name, table):
            cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
            cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
            cur.execute("SELECT * FROM users WHERE name = %s", (name,))
            cur.execute("SELECT count(*) FROM users")
        """,
        {("security.sql-injection", 2), ("security.sql-injection", 3), ("security.parameterized-sql", 4)},
    ),
    (
        "hash-and-eval",
        """
        import ast, hashlib

        def digest(data, expr, model, password):
            weak = hashlib.md5(password.encode()).hexdigest()
            etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
            value = eval(expr)
            model.eval()
            checksum = hashlib.md5(data).hexdigest()
            return weak, etag, value, ast.literal_eval(expr), hashlib.sha256(data).hexdigest(), checksum
        """,
        {("security.weak-hash", 4), ("security.eval", 6)},
    ),
    (
        "bandit-catch-all",
        """
        import tempfile, urllib.request
        import requests

        def fetch(url):
            assert url
            requests.get(url, verify=False, timeout=5)
            path = tempfile.mktemp()
            requests.get(url)
            urllib.request.urlopen(url, timeout=5)
            return path

        HOST = "0.0.0.0"
        """,
        {("security.bandit-high", 6), ("security.bandit", 7)},
    ),
    (
        "parameterized-sql-once-per-function",
        """
        def create(conn, task):
            conn.execute("INSERT INTO tasks (id, title) VALUES (?, ?)", (task.id, task.title))
            conn.execute("INSERT INTO audit (task_id) VALUES (?)", (task.id,))

        async def get(pool, task_id):
            return await pool.fetchrow("SELECT * FROM tasks WHERE id = $1", task_id)

        def update(session, task_id):
            session.execute(text("UPDATE tasks SET done = 1 WHERE id = :id"), {"id": task_id})

        def setup(conn, sql, params):
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript("CREATE TABLE t (id TEXT)")
            conn.execute(sql, params)
            conn.execute("SELECT * FROM tasks WHERE id = ?")
        """,
        {("security.parameterized-sql", 2), ("security.parameterized-sql", 6), ("security.parameterized-sql", 9)},
    ),
    (
        "input-validation",
        """
        def validate_task(data, *, partial=False):
            if not isinstance(data, dict):
                raise ValueError("body must be an object")
            if len(data.get("title", "")) > 200:
                raise ValueError("title too long")
            return data

        def validate_config(cfg):
            if "url" not in cfg:
                log.warning("no url")
            return cfg

        def validate(x):
            return isinstance(x, int)

        def check_user(user):
            if not isinstance(user, dict):
                raise ValueError("user")
            if len(user) > 3:
                raise ValueError("user")
        """,
        {("security.input-validation", 1)},
    ),
    (
        "request-size-limit",
        """
        MAX_BODY = 64 * 1024
        MAX_ITEMS = 100

        class Handler:
            def read_json(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise ValueError("too large")
                return self.rfile.read(length)

            def read_report(self, path):
                if path.stat().st_size > MAX_REPORT_BYTES:
                    raise ValueError("report too large")
                with path.open("rb") as fh:
                    return fh.read()

            def batch(self, items):
                if len(items) > MAX_ITEMS:
                    raise ValueError("too many")
                if len(items) > MAX_BODY:
                    log.warning("large")

        app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
        DATA_UPLOAD_MAX_MEMORY_SIZE = None
        web_app = web.Application(client_max_size=1024**2)
        """,
        {("security.request-size-limit", 7), ("security.request-size-limit", 23), ("security.request-size-limit", 25)},
    ),
]


SECRET = "security.hardcoded-secret"

HARDCODED_SECRET_CASES = [
    (
        "compared-with-a-weak-name-words",  # Jinja2's lexer, parser and compiler
        """
        def lex(token, token_type, pass_arg, tokens):
            if token == "keyword":
                return 1
            elif token == "#bygroup":
                return 2
            if token_type == "dot" or token_type == "lbracket":
                return 3
            if pass_arg == "environment":
                return 4
            if token.type == "name:end" or token == "COLLATE" or token == "hunter2":
                return 5
        """,
        set(),
    ),
    (
        "compared-with-a-weak-name-key-material",
        """
        def check(token, api_token):
            if token == "ghp_16C7e42F292c6912E7710c838347Ae178B4a":
                return 1
            if api_token != "AKIAIOSFODNN7EXAMPLE":
                return 2
        """,
        {(SECRET, 2), (SECRET, 4)},
    ),
    (
        "compared-with-a-strong-name",
        """
        class Login:
            def check(self, password, user):
                if password == "hunter2":
                    return 1
                if self.password != "P@ssw0rd":
                    return 2
                if user.passwd == "s3cr3t!":
                    return 3
                if password == "":
                    return 4
        """,
        {(SECRET, 3), (SECRET, 5), (SECRET, 7)},
    ),
    (
        "assigned",
        """
        DB_PASSWORD = "hunter2"
        SECRET_KEY = "changeme-please"
        GITHUB_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
        ADMIN_TOKEN = "s3cr3t-admin-token"
        SECRET_KEY_INSECURE_PREFIX = "django-insecure-"
        reset_url_token = "set-password"
        INTERNAL_RESET_SESSION_TOKEN = "_password_reset_token"
        token_source = "POST"
        PASSWORD_FIELD = "password"
        """,
        {(SECRET, 1), (SECRET, 2), (SECRET, 3), (SECRET, 4)},
    ),
    (
        "keyword-arguments",
        """
        def setup(connect, render, form):
            connect(user="svc", password="letmein-42")
            connect(
                host="db",
                password="tiger-42",
            )
            render(token_type="lbracket")
            connect(access_token="ya29.a0AfH6SMBx3k9")
            form(token="keyword", pass_arg="environment")
        """,
        {(SECRET, 2), (SECRET, 5), (SECRET, 8)},
    ),
    (
        "dict-keys",
        """
        SETTINGS = {
            "password": "hunter2",
            "token": "keyword",
            "pass": "skips",
            "api_token": "sk_live_51Hx9Qz2eZvKYlo2C",
            "token_type": "bearer-v2",
        }
        """,
        {(SECRET, 2), (SECRET, 5)},
    ),
    (
        "function-defaults",
        """
        def connect(user, password="admin1234"):
            pass

        def validate(user, password_field_name="password2"):
            pass

        def lex(source, token="keyword"):
            pass

        def auth(user, token="ghp_16C7e42F292c6912E7710c838347Ae178B4a"):
            pass
        """,
        {(SECRET, 1), (SECRET, 10)},
    ),
]


def test_password_sites_name_what_the_literal_meets(tmp_path: Path) -> None:
    """B105 in a comparison records the other operand; B106 and B107 the keyword and parameter given the literal."""
    write_files(tmp_path, {"app/m.py": """
        def f(t, password="admin1234"):
            if t.token_type == "lbracket":
                connect(
                    password="tiger-42",
                )
        TOKEN = "abc-1234"
        """})  # fmt: skip
    data, _ = scan(tmp_path)
    sites = {(s.test_id, s.line, s.flows_into, s.compared_with) for s in data.of(BanditSite)}
    assert sites == {
        ("B107", 1, ("password",), ()),
        ("B105", 2, (), ("token_type",)),
        ("B106", 4, ("password",), ()),
        ("B105", 6, ("TOKEN",), ()),
    }
    old = next(s for s in data.of(BanditSite) if s.line == 2).model_dump(exclude={"compared_with"})
    assert BanditSite.model_validate(old).compared_with == ()  # evidence written before the field still reads


@pytest.mark.parametrize(
    ("name", "source", "expected"), HARDCODED_SECRET_CASES, ids=[c[0] for c in HARDCODED_SECRET_CASES]
)
def test_hardcoded_secret(tmp_path: Path, name: str, source: str, expected: set[tuple[str, int]]) -> None:
    found = found_in(tmp_path, "app/module.py", source)
    assert {f for f in found if f[0] == SECRET} == expected


@pytest.mark.parametrize(("name", "source", "expected"), PYTHON_CASES, ids=[c[0] for c in PYTHON_CASES])
def test_python(tmp_path: Path, name: str, source: str, expected: set[tuple[str, int]]) -> None:
    assert found_in(tmp_path, "app/module.py", source) == expected


def test_python_tests_are_not_given_to_bandit(tmp_path: Path) -> None:
    assert found_in(tmp_path, "tests/test_app.py", 'API_TOKEN = "s3cr3t-token-1"\nassert eval("1")\n') == set()


SCRIPT_CASES = [
    (
        "weak-random.js",
        """
        const token = Math.random().toString(36).slice(2);
        function newSessionId() {
          return Math.random().toString(16).substring(2);
        }
        user.apiKey = String(Math.random());
        const job = { id: Math.random() };
        const delay = base * Math.random();
        items.sort(() => Math.random() - 0.5);
        const sample = pick(Math.random());
        """,
        {
            ("security.js-weak-random", 1),
            ("security.js-weak-random", 3),
            ("security.js-weak-random", 5),
            ("security.js-weak-random", 6),
        },
    ),
    (
        "weak-random.tsx",
        """
        const makeNonce = (): string => Math.random().toString(36);
        export function List({ items }: { items: string[] }) {
          return <ul>{items.map((i) => <li key={Math.random()}>{i}</li>)}</ul>;
        }
        class Store { requestId: number = Math.random(); jitter: number = Math.random(); }
        """,
        {("security.js-weak-random", 1)},  # a nonce (to review); a request id is no secret
    ),
    (
        "eval.ts",
        """
        const result: number = eval(userInput);
        const fn = new Function("a", "b", body);
        const constant = eval("1 + 1");
        const globalObject = new Function("return this")();
        model.eval();
        evaluate(expression);
        """,
        {("security.js-eval", 1), ("security.js-eval", 2)},
    ),
    (
        "storage.js",
        """
        localStorage.setItem("token", response.token);
        window.localStorage.setItem("authState", JSON.stringify(state));
        localStorage.jwt = jwt;
        localStorage.setItem(STORAGE_KEY, data.accessToken);
        localStorage.setItem("theme", "dark");
        const saved = localStorage.getItem("token");
        cache.setItem("token", response.token);
        localStorage.setItem("tokenizerModel", "bpe");
        sessionStore.setItem("refresh", refresh);
        """,
        {
            ("security.token-in-localstorage", 1),
            ("security.token-in-localstorage", 2),
            ("security.token-in-localstorage", 3),
            ("security.token-in-localstorage", 4),
        },
    ),
    (
        "server.js",
        """
        app.use(express.json({ limit: "100kb" }));
        app.use(bodyParser.urlencoded({ extended: true, limit: "1mb" }));
        app.use(express.json());
        app.use(cors({ limit: 5 }));
        """,
        {("security.request-size-limit", 1), ("security.request-size-limit", 2)},
    ),
    (
        "validate.ts",
        """
        export function validateTask(body: unknown): Task {
          if (typeof body !== "object" || body === null) {
            throw new ValidationError("body must be an object");
          }
          if ((body as Task).title.length > 200) throw new ValidationError("title too long");
          return body as Task;
        }
        const validateEmail = (s: string) => /@/.test(s);
        """,
        {("security.input-validation", 1)},
    ),
]


@pytest.mark.parametrize(("path", "source", "expected"), SCRIPT_CASES, ids=[c[0] for c in SCRIPT_CASES])
def test_scripts(tmp_path: Path, path: str, source: str, expected: set[tuple[str, int]]) -> None:
    assert found_in(tmp_path, f"src/{path}", source) == expected


CONFIG_CASES = [
    (
        "docker-compose.yml",
        """
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD: example123
              POSTGRES_PASSWORD_FILE: /run/secrets/db_password
              MYSQL_ALLOW_EMPTY_PASSWORD: "yes"
          api:
            environment:
              - API_TOKEN=abcd1234efgh
              - SECRET_KEY=${SECRET_KEY}
              - STRIPE_PUBLISHABLE_KEY=pk_test_123456
              - DATABASE_URL=postgres://app:hunter22@db/app
              - SESSION_SECRET
        """,
        {
            ("security.compose-hardcoded-credential", 6),
            ("security.compose-hardcoded-credential", 11),
            ("security.compose-hardcoded-credential", 14),
        },
    ),
    (
        "compose.prod.yaml",
        """
        services:
          cache:
            environment:
              REDIS_PASSWORD: "${REDIS_PASSWORD:?required}"
              JWT_SECRET: ""
              ADMIN_TOKEN: <set-me>
        """,
        set(),
    ),
    (
        "k8s/deployment.yaml",
        """
        services:
          db:
            environment:
              POSTGRES_PASSWORD: example123
        """,
        set(),
    ),
    ("docker-compose.override.yml", "- just\n- a list\n", set()),
    ("docker-compose.yaml", "just a scalar\n", set()),
]


@pytest.mark.parametrize(("path", "source", "expected"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_compose(tmp_path: Path, path: str, source: str, expected: set[tuple[str, int]]) -> None:
    assert found_in(tmp_path, path, source) == expected


def test_env_files(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".env": "# local settings\nDEBUG=1\nDB_PASSWORD=s3cret-pw\nAPI_KEY='abcdef123456'\nTOKEN_TTL=3600\n",
        ".env.example": "DB_PASSWORD=\nAPI_KEY=changeme123\n",
        "deploy/prod.env": "LOG_LEVEL=info\nSECRET_KEY=${SECRET_KEY}\n",
        "config/app.env": "PUBLIC_KEY=abcdef123456\nSTRIPE_SECRET_KEY=live-abcdef-123\n",
    })  # fmt: skip
    os.chmod(tmp_path / "config/app.env", 0o600)
    assert security_findings(tmp_path) == {
        ("security.committed-env-file", ".env", 3),
        ("security.world-readable-secret", ".env", 1),
        ("security.committed-env-file", "config/app.env", 2),
    }


def test_secret_files_by_mode(tmp_path: Path) -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"
    cert = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
    write_files(tmp_path, {
        "deploy/id_rsa": key, "deploy/id_rsa.pub": "ssh-rsa AAAA", "certs/server.pem": key, "certs/ca.pem": cert,
        "certs/private.key": key, "config/credentials.json": "{}", "config/secrets.yaml": "a: 1\n",
        "app/secretary.py": "X = 1\n", "tests/fixtures/test.key": key, "docs/example.key": key,
    })  # fmt: skip
    os.chmod(tmp_path / "certs/private.key", 0o600)
    os.chmod(tmp_path / "config/secrets.yaml", 0o640)
    assert security_findings(tmp_path) == {
        ("security.world-readable-secret", "deploy/id_rsa", 1),
        ("security.world-readable-secret", "certs/server.pem", 1),
        ("security.world-readable-secret", "config/credentials.json", 1),
    }


@pytest.mark.parametrize(
    ("rel", "head", "what"),
    [
        ("id_ed25519", b"", "private key"), ("id_ed25519.pub", b"", None), ("a/tls.key", b"", "private key"),
        ("a/b.pem", b"-----BEGIN EC PRIVATE KEY-----", "private key"), ("a/b.pem", b"CERTIFICATE", None),
        (".env", b"", "env file"), (".env.local", b"", "env file"), (".env.sample", b"", None),
        ("example.env", b"", None), ("client_secret.json", b"", "secrets file"), ("secrets.py", b"", None),
        ("gcp-credentials.json", b"", "credentials file"), ("secretary.yaml", b"", None),
    ],
)  # fmt: skip
def test_secret_kind(rel: str, head: bytes, what: str | None) -> None:
    assert secret_kind(rel, head) == what


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("s3cr3t-admin-token", True), ("hunter2", True), ("changeme", True), ("", False), ("abc", False),
        ("bearer", False), ("X-Api-Token", False), ("Authorization-Token", False), ("access_token", False),
        ("https://auth.example.com/token", False), ("postgres://u:pw@db/app", True), ("${TOKEN}", False),
        ("<your token>", False), ("your-api-key", False), ("xxxxxxxx", False), ("/run/secrets/x", False),
        ("Enter password:", False), ("true", False), ("paste-token-here", False), (":****", False),
    ],
)  # fmt: skip
def test_looks_secret(value: str, secret: bool) -> None:
    assert looks_secret(value) is secret


@pytest.mark.parametrize(
    ("value", "material"),
    [
        # words that name things: lexer token types, field names, prefixes, header values
        ("keyword", False), ("environment", False), ("lbracket", False), ("#bygroup", False), ("name:end", False),
        ("COLLATE", False), ("NOTPROVIDED", False), ("_password_reset_token", False), ("django-insecure-", False),
        ("getElementById", False), ("HTTPServer", False), ("text/html", False), ("@import", False),
        ("sha256", False), ("password2", False), ("hunter2", False), ("letmein-42", False), ("Winter2024!", False),
        ("abcdefghijklmnopqrstuvwxyz0123456789", False), ("pässwört", False), ("", False),
        ("[-!#$%&'*+.^_`|~0-9a-zA-Z]+", False), (r"[A-Z]\w*", False), (r"(?:u8|u|U|L)?R", False),
        # key material: digits inside letters, a symbol inside, case mixed within a word, long random letters
        ("s3cr3t!", True), ("P@ssw0rd", True), ("AKIAIOSFODNN7EXAMPLE", True), ("s3cr3t-admin-token", True),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", True), ("sk_live_51Hx9Qz2eZvKYlo2C", True),
        ("123e4567-e89b-12d3-a456-426614174000", True), ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", True),
        ("qWeRtY", True), ("AbCdEfGhIjKlMnOpQrStUvWx", True),
    ],
)  # fmt: skip
def test_key_material(value: str, material: bool) -> None:
    assert key_material(value) is material


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True), ("DB_PASSWORD", True), ("password2", True), ("passwd", True), ("pwd", True),
        ("passphrase", True), ("client_secret", True), ("credentials", True), ("apikey", True), ("apiKey", True),
        ("SECRET_KEY", True), ("private_key", True), ("AccessKey", True),
        ("token", False), ("token_type", False), ("api_token", False), ("pass_arg", False), ("pass", False),
        ("key", False), ("cache_key", False), ("kind", False), ("password_field_name", False),
        ("SECRET_KEY_INSECURE_PREFIX", False), ("PASSWORD_HEADER", False), ("", False),
    ],
)  # fmt: skip
def test_says_secret(name: str, secret: bool) -> None:
    assert says_secret(name) is secret


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("POSTGRES_PASSWORD", "example123", True), ("POSTGRES_PASSWORD_FILE", "/run/x", False),
        ("TOKEN_TTL", "3600", False), ("STRIPE_PUBLIC_KEY", "pk_123456", False), ("apiKey", "abcdef12", True),
        ("DATABASE_URL", "mysql://root:pw12@db/x", True), ("DATABASE_URL", "sqlite:///x.db", False),
        ("SECRET_KEY", None, False), ("MYSQL_RANDOM_ROOT_PASSWORD", "yes", False),
    ],
)  # fmt: skip
def test_secret_key(key: str, value: str | None, secret: bool) -> None:
    assert secret_key(key, value) is secret


@pytest.mark.parametrize(
    ("names", "hit"),
    [
        (("new_task_id",), None), (("sessionToken",), "sessionToken"), (("api_key",), "api_key"),
        (("key",), None), (("sort_key",), None), (("delay",), None), (("jitter", "requestId"), None),
        (("identity",), None), (("CSRF_TOKEN",), "CSRF_TOKEN"), (("uuid4",), None), (("pid",), None),
        (("alert_key",), None), (("cache_key",), None), (("sessionKey",), "sessionKey"), (("nonce",), None),
    ],
)  # fmt: skip
def test_token_like(names: tuple[str, ...], hit: str | None) -> None:
    assert token_like(names) == hit


@pytest.mark.parametrize(
    ("names", "hit"),
    [
        (("new_task_id",), "new_task_id"), (("orderId",), "orderId"), (("requestId",), None), (("random_id",), None),
        (("clientId",), None), (("correlation_id",), None), (("jobId",), None), (("delay",), None),
    ],
)  # fmt: skip
def test_id_like(names: tuple[str, ...], hit: str | None) -> None:
    assert id_like(names) == hit


def test_words() -> None:
    assert words("HTTPSessionId_v2") == ["http", "session", "id", "v", "2"]
    assert words("api-key") == ["api", "key"]


def test_bandit_is_quiet_and_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys) -> None:
    write_files(tmp_path, {
        "app/big.py": "X = 1\n" * 200_000, "app/bad.py": "def (:\n",
        "app/ok.py": "def run(expr):\n    return eval(expr)\n",
    })  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        found = security_findings(tmp_path, warned=1)  # the collector's count of files left out: big.py
    assert found == {("security.eval", "app/ok.py", 2)}
    data, _ = scan(tmp_path)
    assert [(f.path, f.reason) for f in data.skipped] == [("app/big.py", "larger than 1 MiB")]
    assert not [r for r in caplog.records if r.name.startswith("bandit")]
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert logging.getLogger("bandit").level == logging.NOTSET


def test_nothing_crashes_the_extractors(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "app/empty.py": "", "app/odd.py": "x = (lambda: 1)()[0](*a, **k)\n@dec(1)\ndef f(): ...\n",
        "app/calls.py": "f()()\nx[0].execute('SELECT ? FROM t', p)\ndef validate_x(): raise\n",
        "src/empty.js": "", "src/odd.ts": "eval?.(x); new (Function as any)(y); localStorage.setItem();\n",
        "src/broken.js": "function (((", "docker-compose.yml": "services: 3\n",
        "compose.yml": "services:\n  a: [1]\n  b:\n    environment: 7\n", ".env": "=\nNOVALUE\n",
        "docker-compose.dev.yml": "services: {x: {environment: [1, {a: b}]}}\n",
    })  # fmt: skip
    assert security_findings(tmp_path) == {  # odd but well-formed: the calls are real
        ("security.parameterized-sql", "app/calls.py", 2),
        ("security.js-eval", "src/odd.ts", 1),
    }


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("abc # comment", "abc"), ("'a b' # c", "a b"), ('"x#y"', "x#y"), ("x#y", "x#y"), ("", ""), ("'open", "open"),
    ],
)  # fmt: skip
def test_env_value(raw: str, value: str) -> None:
    assert env_value(raw) == value


def test_sites_survive_json(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "app/ids.py": "import random\ntoken = random.random()\nPASSWORD = 'hunter22'\n",
        "src/a.js": "localStorage.setItem('jwt', t); const id = Math.random(); eval(x);\n",
        "docker-compose.yml": "services:\n  a:\n    environment:\n      A_TOKEN: abcdefgh\n",
        ".env": "A_KEY=abcdefgh\n",
    })  # fmt: skip
    data, _ = scan(tmp_path)
    assert PatternsData.model_validate_json(data.model_dump_json()) == data
    kinds = {s.kind for s in data.sites if s.kind.startswith("security.")}
    assert kinds >= {"security.bandit", "security.js-random", "security.storage-write", "security.js-eval",
                     "security.compose-env", "security.env-entry", "security.secret-file"}  # fmt: skip


def test_a_blacklisted_import_alone_is_to_review(tmp_path: Path) -> None:
    """bandit's import warnings (B401-B415) say nothing about a use of the module: to review, never confirmed."""
    write_files(tmp_path, {"app/rpc.py": "import xmlrpc.client as xmlrpclib\n\n\ndef version():\n    return 1\n"})
    data, _ = scan(tmp_path)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    imports = [f for f in found if f.rule.startswith("security.bandit") and f.line == 1]
    assert imports and all(f.confidence == "possible" for f in imports)
