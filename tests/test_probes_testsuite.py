"""Tests-as-evidence probes: test files in, exact (rule, path, line) findings out, Python and JavaScript/TypeScript."""

from __future__ import annotations

from pathlib import Path

import pytest

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

        def test_e():
            pytest.skip()
        """
        },
        {(SKIP, PY_TEST, 3), (SKIP, PY_TEST, 7), (SKIP, PY_TEST, 20)},
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
            (SLEEP, JS_TEST, 17),
            (SLEEP, JS_TEST, 18),
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
