"""Tests-as-evidence probes: test files in, exact (rule, path, line) findings out, Python and JavaScript/TypeScript."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_probes_errors import scanned
from .test_probes_performance import findings

INTEG = "tests.integration-suite"
PERF = "tests.performance-suite"
NOPERF = "tests.no-performance-tests"
NOASSERT = "tests.no-assertion"
SLEEP = "tests.sleep-in-test"
PARAM = "tests.parametrized"
CLOCK = "tests.fake-clock"
SKIP = "tests.skipped-tests"

PY_TEST = "tests/test_a.py"
JS_TEST = "src/a.test.ts"

CASES = [
    (
        "python test without assertion, and tests that check in every way",
        {
            PY_TEST: """
        import pytest, unittest
        from unittest import mock

        def check_ok(r):
            assert r

        def test_nothing():
            load_config(["--log-level", "debug"])

        def test_assert():
            assert 1

        def test_raises():
            with pytest.raises(ValueError):
                int("x")

        def test_mock(m):
            m.assert_called_once_with(1)

        def test_helper():
            check_ok(1)

        def test_benchmark(benchmark):
            benchmark(sorted, [1])

        def helper_not_a_test():
            pass

        class Things(unittest.TestCase):
            def test_eq(self):
                self.assertEqual(1, 1)

            def test_empty(self):
                pass
        """
        },
        {(NOASSERT, PY_TEST, 7), (NOASSERT, PY_TEST, 33), (PERF, PY_TEST, 23)},
    ),
    (
        "real-clock sleeps in tests; short or computed sleeps are fine",
        {
            PY_TEST: """
        import asyncio, time

        def test_wait():
            time.sleep(0.3)
            assert True

        async def test_async():
            await asyncio.sleep(2)
            await asyncio.sleep(0)
            time.sleep(0.01)
            time.sleep(delay)
            assert True
        """
        },
        {(SLEEP, PY_TEST, 4), (SLEEP, PY_TEST, 8)},
    ),
    (
        "parametrize: the first use per file, on its def line; fake clock class",
        {
            PY_TEST: """
        import pytest

        class FakeClock:
            now = 0.0

        @pytest.mark.parametrize("x", [1, 2])
        def test_one(x):
            assert x

        @pytest.mark.parametrize("y", [1, 2])
        def test_two(y):
            assert y
        """
        },
        {(PARAM, PY_TEST, 7), (CLOCK, PY_TEST, 3)},
    ),
    (
        "skips without a reason; with a reason, or skipif, is fine",
        {
            PY_TEST: """
        import pytest

        @pytest.mark.skip
        def test_a():
            assert 0

        @pytest.mark.skip()
        def test_b():
            assert 0

        @pytest.mark.skip(reason="flaky on CI, see #12")
        def test_c():
            assert 0

        @pytest.mark.skipif(True, reason="windows")
        def test_d():
            pass

        # flaky until the clock is injected, see #31
        @pytest.mark.skip
        def test_f():
            assert 0

        def test_e():
            pytest.skip()
        """
        },
        {(SKIP, PY_TEST, 3), (SKIP, PY_TEST, 7), (SKIP, PY_TEST, 25)},
    ),
    (
        "integration: registered marker, marked module, real server on port 0, testcontainers",
        {
            "pyproject.toml": """
            [tool.pytest.ini_options]
            markers = [
                "slow: takes long",
                "integration: starts a real server",
            ]
            """,
            "tests/conftest.py": """
            import pytest
            from testcontainers.postgres import PostgresContainer

            @pytest.fixture
            def db():
                with PostgresContainer("postgres:16") as pg:
                    yield pg
            """,
            "tests/test_http.py": """
            import pytest
            pytestmark = pytest.mark.integration

            def test_live(tmp_path):
                server = make_server(Config(host="127.0.0.1", port=0))
                assert server
            """,
        },
        {
            (INTEG, "pyproject.toml", 4),
            (INTEG, "tests/conftest.py", 6),
            (INTEG, "tests/test_http.py", 2),
            (NOPERF, "", None),
        },
    ),
    (
        "integration: setup.cfg markers, an e2e folder; unrelated markers and port 8080 are not evidence",
        {
            "setup.cfg": """
            [tool:pytest]
            markers =
                slow: takes long
                e2e: drives the browser
            """,
            "tests/e2e/test_flow.py": """
            def test_flow():
                assert True
            """,
            "tests/test_unit.py": """
            import pytest

            @pytest.mark.slow
            def test_x():
                server = Config(port=8080)
                assert server
            """,
        },
        {(INTEG, "setup.cfg", 4), (INTEG, "tests/e2e/test_flow.py", 1), (NOPERF, "", None)},
    ),
    (
        "performance: locust, asv, and no performance tests in a project with tests",
        {
            "locustfile.py": """
            from locust import HttpUser, task

            class Visitor(HttpUser):
                @task
                def home(self):
                    self.client.get("/")
            """,
            "asv.conf.json": '{"version": 1}\n',
        },
        {(PERF, "locustfile.py", 3), (PERF, "asv.conf.json", 1)},
    ),
    (
        "no performance tests: manifest and tests but no benchmark",
        {
            "pyproject.toml": "[project]\nname = 'x'\n",
            PY_TEST: "def test_a():\n    assert 1\n",
        },
        {(NOPERF, "", None)},
    ),
    (
        "no claim without a manifest, or without tests",
        {
            "src/app.py": "x = 1\n",
            PY_TEST: "def test_a():\n    assert 1\n",
        },
        set(),
    ),
    (
        "JS: it without expect, supertest, each, skip, sleeps, fake timers",
        {
            JS_TEST: """
            import request from "supertest";
            import { app } from "./app";

            describe("api", () => {
              it("responds", async () => {
                await request(app).get("/health").expect(200);
              });
              it("does nothing", async () => {
                await request(app).get("/health");
              });
              it.each([[1], [2]])("handles %i", (n) => {
                expect(n).toBeGreaterThan(0);
              });
              it.skip("later", () => {});
              xit("old", () => {});
              test.skip(() => process.platform === "win32", "no fork on Windows");
              // SKIPPED: needs a Redis cluster, see the README
              it.skip("clusters", () => {});
              test("waits", async () => {
                await new Promise((r) => setTimeout(r, 500));
                await sleep(1000);
                await new Promise((r) => setTimeout(r, 10));
                expect(true).toBe(true);
              });
              test("ava style", (t) => {
                t.is(1, 1);
              });
            });
            """,
        },
        {
            (INTEG, JS_TEST, 1),
            (NOASSERT, JS_TEST, 8),
            (PARAM, JS_TEST, 11),
            (SKIP, JS_TEST, 14),
            (SKIP, JS_TEST, 15),
            (SLEEP, JS_TEST, 20),
            (SLEEP, JS_TEST, 21),
        },
    ),
    (
        "JS: fake timers make setTimeout fine; jest.setTimeout is not a sleep; k6 script",
        {
            "src/b.spec.js": """
            jest.useFakeTimers();
            jest.setTimeout(30000);
            test("timer", () => {
              setTimeout(() => done(), 1000);
              jest.advanceTimersByTime(1000);
              expect(done).toHaveBeenCalled();
            });
            """,
            "load/script.js": """
            import http from "k6/http";
            export default function () { http.get("http://localhost/"); }
            """,
        },
        {(CLOCK, "src/b.spec.js", 1), (PERF, "load/script.js", 1)},
    ),
]


@pytest.mark.parametrize(("files", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_cases(tmp_path: Path, files: dict[str, str], expected: set[tuple[str, str, int | None]]) -> None:
    got = findings(tmp_path, files, family="tests.")
    assert got == expected


def test_sleep_in_source_is_not_a_test_finding(tmp_path: Path) -> None:
    assert findings(tmp_path, {"app/poll.py": "import time\ndef f():\n    time.sleep(5)\n"}, family="tests.") == set()


NOTESTS = "tests.no-test-suite"
GATE = "tests.coverage-gate"
CI_NO_TESTS = "tests.ci-without-tests"

WAIT_CASES = [
    (
        "python: a sleep in the test's own flow is a wait; one in code handed to the code under test is the workload",
        {
            "tests/test_queue.py": """
            import asyncio, threading, time
            from contextlib import asynccontextmanager
            import pytest

            def job():
                time.sleep(0.5)

            def wait_a_bit():
                time.sleep(0.5)

            def touch_later(path):
                time.sleep(0.2)
                path.touch()

            @pytest.fixture
            def server():
                start()
                time.sleep(1)
                yield

            @asynccontextmanager
            async def running(app):
                task = asyncio.create_task(app.serve())
                await asyncio.sleep(0.1)
                yield

            class SlowWorker(Worker):
                def perform(self, job):
                    time.sleep(0.2)

            def idle(sockets):
                while True:
                    time.sleep(1)

            def test_queue(queue, p):
                queue.enqueue(job)
                wait_a_bit()
                threading.Thread(target=touch_later, args=(p,)).start()
                async def app(scope, receive, send):
                    await asyncio.sleep(1)
                serve(Config(app=app), target=idle)
                time.sleep(0.3)
                assert queue.empty
            """,
        },
        {(SLEEP, "tests/test_queue.py", line) for line in (9, 12, 18, 24, 42)},
    ),
    (
        "JS: waits in tests, hooks and listeners; processors, fixtures, guards and staged actions are not waits",
        {
            JS_TEST: """
            import { Worker } from "bullmq";
            describe("worker", () => {
              beforeEach(async () => { await delay(500); });
              it("processes", async () => {
                const worker = new Worker("q", async (job) => { await delay(300); });
                queueEvents.on("completed", async () => { await delay(200); });
                await Promise.all([delay(100).then(() => queue.add("x")), worker.run()]);
                const guard = setTimeout(() => reject(new Error("timed out")), 10000);
                await new Promise((r) => setTimeout(r, 1000));
                expect(await queue.count()).toBe(0);
              });
              it("waits for ready, a second at most", async () => {
                await new Promise(async (resolve) => {
                  worker.on("ready", () => resolve());
                  await delay(1000);
                  resolve();
                });
                expect(worker.isRunning()).toBe(true);
              });
            });
            """,
            "tests/fixtures/processor.js": """
            const delay = require("./delay");
            module.exports = function (job) {
              return delay(500).then(() => 42);
            };
            """,
        },
        {(SLEEP, JS_TEST, 3), (SLEEP, JS_TEST, 6), (SLEEP, JS_TEST, 9)},
    ),
    (
        "no assertion: names that say nothing raises, fixtures, webtest checks, a rejected promise, non-test classes",
        {
            PY_TEST: """
            import pytest

            @pytest.mark.parametrize("sql", ["select 1"])
            def test_validate_good(sql):
                validate(sql)

            @pytest.fixture
            def test_data():
                return {"a": 1}

            def test_missing(app):
                app.get("/nope", status=404)

            def test_page(app):
                app.get("/").mustcontain("Welcome")

            class Helpers:
                def test_like(self):
                    pass

            def test_nothing_checked(app):
                app.get("/")
            """,
            JS_TEST: """
            it("counts once", async () => {
              const done = new Promise((resolve, reject) => {
                worker.on("completed", (job) => (job.count === 1 ? resolve() : reject(new Error("wrong count"))));
              });
              await done;
            });
            it("pauses and resumes without error", async () => {
              await worker.pause();
              worker.resume();
            });
            it("runs the worker", async () => {
              await worker.run();
            });
            it("processes both jobs", async () => {
              let processor;
              const processing = new Promise((resolve) => {
                processor = async () => { if (++counter === 2) resolve(); };
              });
              new Worker("q", processor).run();
              await processing;
            });
            it("sleeps in a promise", async () => {
              await new Promise((resolve) => setTimeout(() => resolve(), 500));
            });
            it("emits close on disconnect", async () => {
              const closed = new Promise((resolve) => client.on("close", resolve));
              client.disconnect();
              await closed;
            });
            """,
        },
        {(NOASSERT, PY_TEST, 21), (NOASSERT, JS_TEST, 11), (NOASSERT, JS_TEST, 22), (SLEEP, JS_TEST, 23),
         (PARAM, PY_TEST, 4)},
    ),
    (
        "polling steps wait for a condition, not a fixed time; deprecated_call is a check",
        {
            PY_TEST: """
            import time
            import pytest

            def test_poll(job):
                while not job.done:
                    time.sleep(0.5)
                for _ in range(10):
                    if job.ready:
                        break
                    time.sleep(0.2)
                with pytest.deprecated_call():
                    job.old_api()
            """,
            JS_TEST: """
            it("waits until ready", async () => {
              while (!(await job.ready())) {
                await delay(200);
              }
              expect(job.done).toBe(true);
            });
            """,
        },
        set(),
    ),
    (
        "the tests of another project in the tree (a port in python/) are judged apart",
        {
            "package.json": '{"name": "queue", "scripts": {"test": "vitest"}}\n',
            "src/a.test.ts": "it('adds', async () => {\n  await delay(500);\n  expect(1).toBe(1);\n});\n",
            "python/pyproject.toml": "[project]\nname = 'queue'\n",
            "python/tests/test_port.py": "import time\n\ndef test_port():\n    time.sleep(1)\n    assert True\n",
        },
        {(SLEEP, "src/a.test.ts", 2), (NOPERF, "", None)},
    ),
    (
        "no test suite: a project with code and no tests",
        {
            "package.json": '{"name": "shortener", "scripts": {"start": "node server/index.js"}}\n',
            "server/index.js": "const app = require('express')();\n" + "".join(
                f"app.use(require('./part{n}'));\n" for n in range(8)) + "app.listen(3000);\n",
            **{f"server/part{n}.js": f"module.exports = (req, res, next) => next({n});\n" for n in range(8)},
        },
        {(NOTESTS, "", None)},
    ),
    (
        "a sample app too small to judge",
        {
            "package.json": '{"name": "sample", "scripts": {"start": "node index.js"}}\n',
            "index.js": "const app = require('express')();\napp.listen(3000);\n",
        },
        set(),
    ),
    (
        "a test script counts as a test suite, even when its files are not named like tests",
        {
            "package.json": '{"name": "d", "scripts": {"test": "node run_tests.js"}}\n',
            "server/index.js": "const app = require('express')();\napp.listen(3000);\n",
        },
        set(),
    ),
    (
        "npm's placeholder test script is no test suite",
        {
            "package.json": '{"name": "d", "scripts": {"test": "echo \\\\"Error: no test specified\\\\" && exit 1"}}\n',
            "index.js": "".join(f"require('./lib/m{n}');\n" for n in range(8)),
            **{f"lib/m{n}.js": f"module.exports = {n};\n" for n in range(8)},
        },
        {(NOTESTS, "", None)},
    ),
    (
        "coverage gates: coverage.py, jest, vitest; a zero threshold is no gate",
        {
            "pyproject.toml": """
            [project]
            name = "x"

            [tool.coverage.report]
            fail_under = 95
            """,
            "pkg/package.json": '{"name": "p", "jest": {"coverageThreshold": {"global": {"lines": 80}}}}\n',
            "web/vitest.config.ts": """
            export default defineConfig({
              test: {
                coverage: {
                  provider: "v8",
                  thresholds: {
                    lines: 80,
                  },
                },
              },
            });
            """,
            ".coveragerc": "[report]\nfail_under = 0\n",
            PY_TEST: "def test_a():\n    assert 1\n",
        },
        {(GATE, "pyproject.toml", 5), (GATE, "pkg/package.json", 1), (GATE, "web/vitest.config.ts", 5),
         (NOPERF, "", None)},
    ),
    (
        "CI that publishes and never runs the tests",
        {
            "package.json": '{"name": "d", "scripts": {"test": "mocha"}}\n',
            "test/app.test.js": "it('works', () => { expect(1).toBe(1); });\n",
            ".github/workflows/publish.yml": """
            name: publish
            on: push
            jobs:
              image:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
                  - uses: docker/build-push-action@v5
                    with:
                      push: true
            """,
        },
        {(CI_NO_TESTS, ".github/workflows/publish.yml", 8), (NOPERF, "", None)},
    ),
    (
        "CI that runs the tests through a make target or a package script",
        {
            "package.json": '{"name": "d", "scripts": {"test": "mocha", "ci": "npm run lint && npm test"}}\n',
            "Makefile": "ci: lint check\n\nlint:\n\teslint .\n\ncheck:\n\tpytest -q\n",
            "test/app.test.js": "it('works', () => { expect(1).toBe(1); });\n",
            ".github/workflows/a.yml": "jobs:\n  a:\n    steps:\n      - run: make ci\n",
            ".github/workflows/b.yml": "jobs:\n  b:\n    steps:\n      - run: yarn ci\n",
        },
        {(NOPERF, "", None)},
    ),
]


@pytest.mark.parametrize(("files", "expected"), [(c[1], c[2]) for c in WAIT_CASES], ids=[c[0] for c in WAIT_CASES])
def test_waits_suites_and_gates(tmp_path: Path, files: dict[str, str], expected: set[tuple[str, str, int | None]]):
    assert findings(tmp_path, files, family="tests.") == expected


def test_ci_calling_a_script_the_tree_lacks_is_to_review(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[project]\nname = 'x'\n",
        PY_TEST: "def test_a():\n    assert 1\n",
        ".github/workflows/ci.yml": "jobs:\n  a:\n    steps:\n      - run: ./scripts/ci.sh\n",
    }
    got = [f for f in scanned(tmp_path, files, prefix=CI_NO_TESTS)]
    assert [(f.path, f.confidence) for f in got] == [(".github/workflows/ci.yml", "likely")]
