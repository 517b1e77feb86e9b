"""Security probes judged by where data comes from, and the web-service rules: a snippet in, exact
(rule, line, confidence) findings out, with a look-alike that must not match for each."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assess.collectors.patterns import scan
from assess.model import Status
from assess.model.patterns import PatternsEvidence
from assess.patterns.pyast import PythonFile
from assess.patterns.security_flow import origins, summary
from assess.patterns.security_sql import holes
from assess.probes import run_probes

from .conftest import write_files

Found = set[tuple[str, str | None, int | None, str]]


def findings(tmp_path: Path, files: dict[str, str]) -> Found:
    write_files(tmp_path, files)
    data, _ = scan(tmp_path)
    found = run_probes({"patterns": PatternsEvidence(status=Status.OK, data=data)})
    return {(f.rule, f.path, f.line, f.confidence) for f in found if f.rule.startswith("security.")}


def in_file(tmp_path: Path, path: str, source: str, rule_prefix: str = "security.") -> set[tuple[str, int, str]]:
    return {(r, line or 0, c) for r, p, line, c in findings(tmp_path, {path: source}) if p == path
            and r.startswith(rule_prefix)}  # fmt: skip


SQL = "security.sql-injection"
PY_DATA_CASES = [
    (
        "sql-from-the-request-is-confirmed",
        """
        from flask import request

        def search(db):
            column = request.args.get("sort")
            return db.execute(f"SELECT * FROM items ORDER BY {column}")
        """,
        {(SQL, 5, "confirmed")},
    ),
    (
        "sql-from-a-route-segment-is-confirmed",
        """
        @app.route("/tables/<table>")
        def rows(table):
            return db.execute("SELECT * FROM %s" % table)
        """,
        {(SQL, 3, "confirmed")},
    ),
    (
        "sql-names-from-the-schema-are-not-findings",
        """
        def counts(conn):
            out = {}
            for (table,) in conn.execute("select name from sqlite_master where type = 'table'"):
                out[table] = conn.execute(f"select count(*) from [{table}]").fetchone()
            for column in db.table_columns("items"):
                conn.execute("select max({}) from items".format(column))
            return out
        """,
        set(),
    ),
    (
        "sql-checked-against-allowed-names-is-not-a-finding",
        """
        from flask import request

        def sorted_rows(db, allowed):
            sort = request.args.get("sort")
            if sort not in allowed:
                raise ValueError(sort)
            size = request.args.get("size")
            size = int(size)
            return db.execute(f"SELECT * FROM items ORDER BY {sort} LIMIT {size}")
        """,
        set(),
    ),
    (
        "sql-text-only-compared-is-not-run",
        """
        def cached(count_sql, table):
            return count_sql == f"select count(*) from {table}"
        """,
        set(),
    ),
    (
        "sql-quoted-request-value-is-likely",
        """
        from flask import request

        def through(db):
            column = request.args["column"]
            return db.execute("SELECT {} FROM items".format(quote_identifier(column)))
        """,
        {(SQL, 5, "likely")},
    ),
    (
        "sql-value-of-unknown-origin-is-likely-identifier-possible-fragment-none",
        """
        def find(cur, name, table, where_clause):
            cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
            cur.execute(f"SELECT * FROM {table}")
            cur.execute(f"SELECT * FROM users {where_clause}")
        """,
        {(SQL, 2, "likely"), (SQL, 3, "possible")},
    ),
    (
        "shell-from-a-cli-option-is-not-a-finding-from-the-request-is",
        """
        import subprocess
        import click
        from flask import request

        @click.command()
        @click.option("--service")
        def deploy(service):
            subprocess.check_call("gcloud run deploy {}".format(service), shell=True)

        def ping():
            host = request.form["host"]
            subprocess.run("ping -c 1 " + host, shell=True)

        def archive(name):
            subprocess.run(f"tar czf {name}.tgz data/", shell=True)
        """,
        {("security.shell-injection", 12, "confirmed"), ("security.shell-injection", 15, "likely")},
    ),
    (
        "shell-call-over-several-lines-typed-at-a-prompt-is-not-a-finding",
        """
        import subprocess
        import click

        def deploy():
            service = click.prompt("Service name")
            subprocess.check_call(
                "gcloud run deploy {}".format(service),
                shell=True,
            )

        def ping_all(hosts):
            subprocess.check_call(
                "ping -c 1 " + hosts,
                shell=True,
            )
        """,
        {("security.shell-injection", 14, "likely")},
    ),
    (
        "eval-of-a-file-the-operator-writes-is-not-a-finding",
        """
        from flask import request

        def load_plugin(path, mod):
            with open(path) as fp:
                code = fp.read()
            exec(code, mod.__dict__)

        def calc():
            return eval(request.args["expr"])
        """,
        {("security.eval", 9, "confirmed")},
    ),
    (
        "pickle-from-redis-confirmed-from-a-file-possible",
        """
        import pickle
        import redis

        def job(conn, key):
            return pickle.loads(conn.hget(key, "data"))

        def cached(path):
            with open(path, "rb") as fh:
                return pickle.load(fh)
        """,
        {("security.unsafe-deserialization", 5, "confirmed"), ("security.unsafe-deserialization", 9, "possible")},
    ),
    (
        "weak-hash-only-when-it-guards-something",
        """
        import hashlib

        def password_digest(password):
            return hashlib.md5(password.encode()).hexdigest()

        def colour(name):
            return hashlib.md5(name.encode()).hexdigest()[:6]

        def cache_key(body):
            etag = hashlib.sha1(body).hexdigest()
            return etag
        """,
        {("security.weak-hash", 4, "confirmed")},
    ),
    (
        "markup-escaped-or-of-unknown-origin-none-request-confirmed",
        """
        import markupsafe
        from flask import request

        def link(url):
            return markupsafe.Markup('<a href="{}">x</a>'.format(markupsafe.escape(url)))

        def echo():
            return markupsafe.Markup(request.args["html"])

        def script(body):
            return markupsafe.Markup(body)
        """,
        {("security.bandit", 8, "confirmed")},
    ),
]


@pytest.mark.parametrize(("name", "source", "expected"), PY_DATA_CASES, ids=[c[0] for c in PY_DATA_CASES])
def test_python_data_origins(tmp_path: Path, name: str, source: str, expected: set[tuple[str, int, str]]) -> None:
    found = in_file(tmp_path, "app/module.py", source)
    assert {f for f in found if f[0] != "security.parameterized-sql"} == expected


def test_a_pickle_deserialiser_handed_on_in_a_redis_worker_is_confirmed(tmp_path: Path) -> None:
    source = """
        import pickle
        import redis

        class Serializer:
            loads = pickle.loads
            dumps = pickle.dumps
        """
    assert in_file(tmp_path, "app/serializers.py", source) == {("security.unsafe-deserialization", 5, "confirmed")}


def test_a_pickle_deserialiser_handed_on_elsewhere_is_likely(tmp_path: Path) -> None:
    source = "import pickle\n\nDECODE = pickle.loads\nENCODE = pickle.dumps\n"
    assert in_file(tmp_path, "app/codec.py", source) == {("security.unsafe-deserialization", 3, "likely")}


PY_WEB_CASES = [
    (
        "cookie-flags",
        """
        import secrets

        def login(response, token, expected):
            if secrets.compare_digest(token, expected):
                response.set_cookie("app_actor", sign(token))
            response.set_cookie("session", token, httponly=True, secure=True)

        def prefs(response):
            response.set_cookie("theme", "dark")
            response.set_cookie("session_id", "", max_age=0)
            response.set_cookie("session_id", new_id(), httponly=True)
        """,
        {("security.cookie-flags", 5, "confirmed"), ("security.cookie-flags", 11, "confirmed")},
    ),
    (
        "jwt-without-expiry",
        """
        import datetime
        import jwt

        def issue(user, key):
            return jwt.encode({"sub": user.id}, key, algorithm="HS256")

        def issue_short(user, key):
            claims = {"sub": user.id, "exp": datetime.datetime.now() + datetime.timedelta(hours=1)}
            return jwt.encode(claims, key, algorithm="HS256")

        def sign(claims, key):
            return jwt.encode(claims, key, algorithm="HS256")
        """,
        {("security.token-without-expiry", 5, "confirmed")},
    ),
    (
        "cors",
        """
        from fastapi import FastAPI
        from fastapi.middleware.cors import CORSMiddleware

        app = FastAPI()
        app.add_middleware(CORSMiddleware, allow_origins=["*"])
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
        app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True)
        if settings.DEBUG:
            app.add_middleware(CORSMiddleware, allow_origins=["*"])

        def add_headers(headers, settings):
            if settings.cors:
                headers["Access-Control-Allow-Origin"] = "*"

        def add_cors_headers(headers):
            headers["Access-Control-Allow-Origin"] = "*"

        def public_feed(headers):
            headers["Access-Control-Allow-Origin"] = "*"
        """,
        {
            ("security.cors-any-origin", 5, "possible"),
            ("security.cors-credentials-any-origin", 6, "confirmed"),
            ("security.cors-any-origin", 19, "possible"),
        },
    ),
    (
        "secret-in-log",
        """
        import logging
        log = logging.getLogger(__name__)

        def login(user, password, token):
            log.info("login %s with %s", user, password)
            log.info("password changed for %s", user)
            log.debug("token length %d", len(token))
            log.debug("token %s...", token[:4])
            logging.warning(f"bad api key {user.api_key}")
            log.info("token present: %s", token is not None)
            dialog.warning(password)
        """,
        {("security.secret-in-log", 5, "confirmed"), ("security.secret-in-log", 9, "confirmed")},
    ),
    (
        "secret-in-log-through-a-format-mapping",
        """
        import logging
        log = logging.getLogger(__name__)

        def after(config, response):
            log.info(config.log_res_frmt, {"status": response.status, "cookies": response.cookies})
            log.info("%(status)s", {"status": response.status, "cookies": response.cookies})
            log.info("%(status)s %(cookies)s", {"status": response.status, "cookies": response.cookies})
        """,
        {("security.secret-in-log", 5, "possible"), ("security.secret-in-log", 7, "confirmed")},
    ),
    (
        "ssrf",
        """
        import requests
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/preview")
        def preview():
            target = request.args.get("url")
            return requests.get(target, timeout=5).text

        @app.get("/fetch/<path:where>")
        def fetch(where):
            return requests.get(where, timeout=5).text

        def refresh(feed_url):
            return requests.get(feed_url, timeout=5).text

        def status():
            return requests.get(STATUS_URL, timeout=5).text
        """,
        {("security.ssrf", 9, "confirmed"), ("security.ssrf", 13, "confirmed")},
    ),
    (
        "login-routes",
        """
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/login", methods=["POST"])
        def login():
            return check(request.form["user"], request.form["password"])

        @app.post("/api/token")
        @limiter.limit("5/minute")
        def token():
            return issue(request.form)

        @app.route("/login")
        def login_page():
            return render("login.html")

        @app.post("/items")
        def create():
            return save(request.json)
        """,
        {("security.login-no-rate-limit", 5, "confirmed")},
    ),
]


@pytest.mark.parametrize(("name", "source", "expected"), PY_WEB_CASES, ids=[c[0] for c in PY_WEB_CASES])
def test_python_web(tmp_path: Path, name: str, source: str, expected: set[tuple[str, int, str]]) -> None:
    found = in_file(tmp_path, "app/web.py", source)
    assert {f for f in found if f[0] != "security.parameterized-sql"} == expected


def test_a_rate_limit_library_anywhere_means_login_routes_are_limited(tmp_path: Path) -> None:
    files = {
        "app/limits.py": "from flask_limiter import Limiter\nlimiter = Limiter()\n",
        "app/web.py": '@app.route("/login", methods=["POST"])\ndef login():\n    return check()\n',
    }
    assert not {f for f in findings(tmp_path, files) if f[0] == "security.login-no-rate-limit"}


def test_python_good_practices(tmp_path: Path) -> None:
    source = """
        import sqlite3
        from flask_wtf.csrf import CSRFProtect

        csrf = CSRFProtect(app)

        def connect(path, write):
            if not write:
                return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            return sqlite3.connect(path)

        def handle(lines):
            for line in lines:
                if not is_valid_line(line):
                    continue
                store(line)
        """
    assert in_file(tmp_path, "app/db.py", source) == {
        ("security.csrf-protection", 4, "confirmed"),
        ("security.read-only-connection", 8, "confirmed"),
        ("security.input-validation", 13, "confirmed"),
    }


JS_CASES = [
    (
        "server/cookies.js",
        """
        async function login(req, res) {
          const ok = await bcrypt.compare(req.body.password, user.password);
          res.cookie("sid", makeSession(user));
          res.cookie("token", token, { httpOnly: true, secure: env.isProd, maxAge: 3600 });
          res.cookie("lang", "en");
          res.cookie("token", "", { maxAge: 0 });
        }
        """,
        {("security.cookie-flags", 3, "confirmed")},
    ),
    (
        "server/tokens.js",
        """
        const jwt = require("jsonwebtoken");
        class User {
          static createToken(user, secret) {
            return jwt.sign({ username: user.username }, secret);
          }
          static shortToken(user, secret) {
            return jwt.sign({ sub: user.id }, secret, { expiresIn: "1h" });
          }
        }
        function screenshotPath(id, secret) {
          const filename = jwt.sign(id, secret) + ".png";
          return filename;
        }
        """,
        {("security.token-without-expiry", 4, "confirmed")},
    ),
    (
        "server/cors.js",
        """
        const cors = require("cors");
        app.use(cors());
        app.use(cors({ origin: true, credentials: true }));
        app.use(cors({ origin: ["https://app.example.com"], credentials: true }));
        let socketCors;
        if (isDev) {
          cors = { origin: "*" };
        }
        function allow(req, res) {
          res.setHeader("Access-Control-Allow-Origin", req.headers.origin);
          res.setHeader("Access-Control-Allow-Credentials", "true");
        }
        exports.allowAllOrigin = (res) => {
          res.header("Access-Control-Allow-Origin", "*");
        };
        """,
        {
            ("security.cors-any-origin", 2, "possible"),
            ("security.cors-credentials-any-origin", 3, "confirmed"),
            ("security.cors-credentials-any-origin", 10, "confirmed"),
        },
    ),
    (
        "server/secrets.js",
        """
        function login(user, password, token) {
          console.log("login", user.name, password);
          logger.info(`token ${token}`);
          console.log("token expired for", user.name);
          console.log("password length", password.length);
        }
        """,
        {("security.secret-in-log", 2, "confirmed"), ("security.secret-in-log", 3, "confirmed")},
    ),
    (
        "server/proxy.js",
        """
        app.get("/preview", async (req, res) => {
          const page = await axios.get(req.query.url);
          const { feed } = req.body;
          const items = await fetch(feed);
          const status = await fetch(config.statusUrl);
          res.send(page.data);
        });
        """,
        {("security.ssrf", 2, "confirmed"), ("security.ssrf", 4, "confirmed")},
    ),
    (
        "server/eval.js",
        """
        fs.readFile(file, function (err, data) {
          config = eval("config = " + data);
        });
        app.post("/run", (req, res) => res.send(eval(req.body.code)));
        const settings = eval(fs.readFileSync(path, "utf8"));
        function run(code) { return eval(code); }
        """,
        {("security.js-eval", 4, "confirmed"), ("security.js-eval", 6, "likely")},
    ),
    (
        "server/deserialize.js",
        """
        const serialize = require("node-serialize");
        app.post("/restore", (req, res) => res.send(serialize.unserialize(req.body.state)));
        const saved = serialize.serialize(state);
        """,
        {("security.unsafe-deserialization", 2, "confirmed")},
    ),
    (
        "server/random.js",
        """
        const requestId = Math.random().toString(36).slice(2);
        const sessionToken = Math.random().toString(36).slice(2);
        const alert_key = Math.random().toString(36);
        const body = { SignatureNonce: Math.random().toString() };
        const order = { orderId: Math.random().toString(36) };
        """,
        {
            ("security.js-weak-random", 2, "confirmed"),
            ("security.js-weak-random", 4, "likely"),
            ("security.js-weak-random", 5, "possible"),
        },
    ),
]


@pytest.mark.parametrize(("path", "source", "expected"), JS_CASES, ids=[c[0] for c in JS_CASES])
def test_scripts_web(tmp_path: Path, path: str, source: str, expected: set[tuple[str, int, str]]) -> None:
    assert in_file(tmp_path, path, source) == expected


def test_trust_proxy_true_by_default(tmp_path: Path) -> None:
    files = {
        "server/env.js": """
            const { cleanEnv, bool, num } = require("envalid");
            module.exports = cleanEnv(process.env, {
              PORT: num({ default: 3000 }),
              TRUST_PROXY: bool({ default: true }),
              BEHIND_CDN: bool({ default: false }),
            });
            """,
        "server/app.js": """
            const env = require("./env");
            if (env.TRUST_PROXY) {
              app.set("trust proxy", true);
            }
            if (env.BEHIND_CDN) {
              app.set("trust proxy", true);
            }
            admin.set("trust proxy", true);
            api.set("trust proxy", 1);
            """,
    }
    found = {(r, p, line) for r, p, line, _ in findings(tmp_path, files) if r == "security.trust-proxy-all"}
    assert found == {("security.trust-proxy-all", "server/env.js", 4), ("security.trust-proxy-all", "server/app.js", 8)}


def test_a_login_limiter_with_no_client_key(tmp_path: Path) -> None:
    files = {
        "server/limits.js": """
            const { RateLimiter } = require("limiter");
            const loginRateLimiter = new RateLimiter({ tokensPerInterval: 20, interval: "minute" });
            const loginByIpLimiter = new RateLimiterMemory({ points: 5, duration: 60 });
            const apiLimiter = new RateLimiter({ tokensPerInterval: 60, interval: "minute" });
            module.exports = { loginRateLimiter, loginByIpLimiter, apiLimiter };
            """,
        "server/auth.js": """
            async function login(req, res) {
              if ((await loginRateLimiter.removeTokens(1)) < 0) return res.status(429).end();
              await loginByIpLimiter.consume(req.ip);
              await apiLimiter.removeTokens(1);
            }
            """,
    }
    found = {(r, p, line) for r, p, line, _ in findings(tmp_path, files) if r == "security.global-login-rate-limit"}
    assert found == {("security.global-login-rate-limit", "server/limits.js", 2)}


def test_login_routes_in_express(tmp_path: Path) -> None:
    source = """
        router.post("/login", validators.login, asyncHandler(auth.login));
        router.post("/signup", validators.signup, helpers.rateLimit({ window: 60, limit: 5 }), auth.signup);
        router.post("/api/token", (req, res) => res.json(issue(req.body)));
        router.post("/links", validators.createLink, link.create);
        router.get("/login", renders.login);
        axios.post("/api/login", credentials);
        """
    assert in_file(tmp_path, "server/routes.js", source, "security.login") == {
        ("security.login-no-rate-limit", 1, "likely"),
        ("security.login-no-rate-limit", 3, "confirmed"),
    }


def test_script_good_practices(tmp_path: Path) -> None:
    source = """
        const { body } = require("express-validator");
        const csrf = require("csurf");
        const Database = require("better-sqlite3");

        const createLink = [
          body("target").isString().isLength({ min: 1, max: 2040 }),
          body("password").optional().isLength({ min: 3, max: 64 }),
        ];
        const editLink = [body("id").isUUID(), body("target").isURL()];
        app.use(csrf({ cookie: true }));
        const reader = new Database("data.db", { readonly: true });

        function handle(lines) {
          for (const line of lines) {
            if (!helpers.isValidPacket(line)) {
              continue;
            }
            store(line);
          }
        }
        """
    assert in_file(tmp_path, "server/app.js", source) == {
        ("security.input-validation", 5, "confirmed"),
        ("security.csrf-protection", 10, "confirmed"),
        ("security.read-only-connection", 11, "confirmed"),
        ("security.input-validation", 15, "confirmed"),
    }


def _expression(source: str, line: int) -> tuple[PythonFile, ast.expr]:
    f = PythonFile.parse("m.py", source)
    found = [n for n in f.nodes if isinstance(n, ast.Call | ast.JoinedStr | ast.BinOp) and n.lineno == line]
    return f, found[0]


@pytest.mark.parametrize(
    ("source", "line", "kind"),
    [
        ("from flask import request\ndef f():\n    x = request.args['q']\n    return g(x)\n", 4, "request"),
        ('@app.get("/u/{name}")\ndef f(name):\n    return g(name)\n', 3, "request"),
        ('@app.get("/u")\ndef f(db=Depends(get_db)):\n    return g(db)\n', 3, "unknown"),
        ("@click.command()\n@click.option('--n')\ndef f(n):\n    return g(n)\n", 4, "cli"),
        ("def f(conn):\n    for t in conn.table_names():\n        g(t)\n", 3, "schema"),
        ("def f(path):\n    with open(path) as fh:\n        text = fh.read()\n    g(text)\n", 4, "file"),
        ("import os\ndef f():\n    g(os.environ['HOME'])\n", 3, "operator"),
        ("def f(request):\n    n = request.args['n']\n    n = int(n)\n    g(n)\n", 4, "constant"),
        ("def f(request):\n    c = request.args['c']\n    g(escape_sqlite(c))\n", 3, "quoted-request"),
        ("def f(conn):\n    g(conn.brpop('q'))\n", 2, "network"),
        ("def f(request, ok):\n    c = request.args['c']\n    if c not in ok:\n        raise E\n    g(c)\n", 5,
         "constant"),
        ("def f(x):\n    g(x)\n", 2, "unknown"),
    ],
)  # fmt: skip
def test_origins(source: str, line: int, kind: str) -> None:
    f, call = _expression(source, line)
    assert isinstance(call, ast.Call)
    assert summary(origins(f, call.args[0]))[0] == kind


@pytest.mark.parametrize(
    ("source", "places"),
    [
        ("f\"SELECT * FROM {t} WHERE a = '{v}' LIMIT {n}\"", ["identifier", "value", "number"]),
        ("'SELECT {} FROM t WHERE id IN ({})'.format(c, ids)", ["identifier", "value"]),
        ("'DELETE FROM %s WHERE id = %s' % (t, i)", ["identifier", "value"]),
        ("'SELECT * FROM ' + t + \" WHERE name LIKE '\" + v + \"'\"", ["identifier", "value"]),
    ],
)
def test_sql_holes_and_their_places(source: str, places: list[str]) -> None:
    node = ast.parse(source, mode="eval").body
    assert [place for _, place in holes(node)] == places


SOCKET_LOGIN = """\
io.on("connection", (socket) => {
  socket.on("auth:perform", performAuthentication);
  socket.on("search", (query) => search(query));
});

function performAuthentication(data) {
  const ok = bcrypt.compareSync(data.password, user.hash);
  if (!ok) { log.warn("failed login"); return; }
}
"""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a login over a websocket with no limit: found at the handler's code, where a reader looks for the limit
        (SOCKET_LOGIN, {("security.login-no-rate-limit", 6, "confirmed")}),
        (SOCKET_LOGIN.replace('log.warn("failed login")', "loginLimiter.consume(socket.ip)"), set()),
        ('socket.on("login", (d) => { if (rateLimit.check(d.user)) return; check(d); });\n', set()),
        ('socket.on("message", (d) => room.send(d));\n', set()),  # not a login event
        ('emitter.on("auth", (d) => check(d));\n', set()),  # not a socket
    ],
    ids=["named-handler-no-limit", "named-handler-limited", "inline-limited", "other-event", "not-a-socket"],
)
def test_login_over_a_websocket(tmp_path: Path, source: str, expected: set[tuple[str, int, str]]) -> None:
    found = in_file(tmp_path, "server/server.js", source)
    assert {f for f in found if f[0] == "security.login-no-rate-limit"} == expected
