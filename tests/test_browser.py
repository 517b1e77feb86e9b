"""The report in a real browser: opened from disk with the network locked, it asks for nothing,
logs no error, draws every chart and shows the grade card (slow: installs and launches Chromium).

The harness tests come first and prove that each check can fail: a page that fetches something,
logs an error, breaks its Content-Security-Policy or leaves a chart undrawn is caught. The
report tests then open ``assessment.html`` of a run of the bundled sample.

Screenshots and the PDF go to ``$ASSESS_ARTIFACTS`` when set (else the test's tmp_path).
``$ASSESS_BROWSER_RUN`` names an existing run folder to check instead of making one (for
example a full ``assess run`` with notebooks and every chaos experiment).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from assess.assessment import write_outputs
from assess.collectors import CollectContext, run_collector
from assess.model import RunParameters
from assess.model.io import ModelFileError, read_evidence
from assess.paths import sample_target
from assess.pipeline import Pipeline, Stage, new_run_dir

from .browser import (
    NETWORK_LOCK_FLAGS,
    PROXY_TO_NOWHERE,
    RESOLVE_NOTHING,
    BrowserInstallError,
    Visit,
    install_browser,
    install_failure,
    is_png,
    launch,
    open_page,
    run_install_script,
    wait_for_charts,
)

pytestmark = pytest.mark.slow

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'"
"""The harness pages' policy: inline plotly may run, nothing may load (the report allows its scripts by hash)."""

BASE_CHARTS = ("grades", "coverage by package", "hotspots", "test pyramid", "findings by severity")
"""Charts the report draws for any run of the sample; a chaos chart is added when chaos ran."""


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium, installed by the project's script when missing (a failure fails the tests)."""
    try:
        return install_browser()
    except BrowserInstallError as err:
        problem = str(err)
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="module")
def playwright(chromium: Path) -> Iterator[Playwright]:
    """Playwright's driver (after the install script: it needs libatomic1 from Debian)."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    browser = launch(playwright, chromium)
    yield browser
    browser.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """Where screenshots go: ``$ASSESS_ARTIFACTS`` (created if needed), else the test's tmp_path."""
    folder = Path(os.environ.get("ASSESS_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def make_page(tmp_path: Path) -> Callable[..., Path]:
    """make_page(body, csp=REPORT_CSP) -> an HTML file in tmp_path (``csp=None``: no policy)."""

    def make(body: str, *, csp: str | None = REPORT_CSP, name: str = "page.html") -> Path:
        meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">' if csp else ""
        path = tmp_path / name
        path.write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{meta}'
                        f"<title>t</title></head><body>{body}</body></html>", encoding="utf-8")  # fmt: skip
        return path

    return make


# -- harness pages --------------------------------------------------------------------------------


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return f"<script>{get_plotlyjs()}</script>"


def chart(name: str, data: list[dict[str, Any]] | None = None) -> str:
    """A ``figure.chart`` holding a plotly bar chart (``data=[]`` draws the axes and no trace)."""
    import plotly.graph_objects as go

    fig = go.Figure(data if data is not None else [go.Bar(x=["a", "b"], y=[3, 1])])
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}")
    return f'<figure class="chart" data-chart="{name}">{div}</figure>'


class _Counter(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1: its base URL and the paths it was asked for."""
    handler = type("Counter", (_Counter,), {"hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.hits
    finally:
        server.shutdown()
        server.server_close()


# -- the harness can fail -------------------------------------------------------------------------


def test_install_script_prints_the_browser_and_is_idempotent():
    first = run_install_script()
    problem = install_failure(first)
    if problem:
        pytest.fail(problem, pytrace=False)
    browser = Path(first.stdout.strip().splitlines()[-1])
    assert browser.is_absolute() and os.access(browser, os.X_OK), browser
    again = run_install_script()
    assert (again.returncode, again.stdout, again.stderr) == (0, f"{browser}\n", "")  # nothing left to install


def test_harness_catches_external_request(browser: Browser, make_page):
    url = "http://example.com/x.png"
    with open_page(browser, make_page(f'<img src="{url}" alt="">', csp=None)) as visit:
        visit.page.wait_for_load_state("networkidle")
    assert visit.attempted == [url]
    (message,) = visit.console
    assert message.startswith("error: Failed to load resource: net::ERR_BLOCKED_BY_CLIENT"), message


LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
"""For the cases that test one lock alone: 127.0.0.1 is reachable, still no other name or address."""


@pytest.mark.parametrize(
    ("route", "flags", "reached"),
    [
        pytest.param(True, NETWORK_LOCK_FLAGS, False, id="all-locks"),
        pytest.param(True, (LOOPBACK_ONLY,), False, id="routing-alone"),
        pytest.param(False, (RESOLVE_NOTHING,), False, id="resolver-alone"),
        pytest.param(False, (LOOPBACK_ONLY, *PROXY_TO_NOWHERE), False, id="proxy-alone"),
        pytest.param(False, (LOOPBACK_ONLY,), True, id="no-lock-control"),
    ],
)
def test_each_lock_alone_keeps_requests_from_being_sent(
    playwright: Playwright, chromium: Path, make_page, loopback_server, route: bool, flags, reached: bool
):
    """A loopback server sees the page's request only when every lock is off (the control)."""
    base, hits = loopback_server
    browser = launch(playwright, chromium, flags)
    try:
        with open_page(browser, make_page(f'<img src="{base}/x.png" alt="">', csp=None), route=route) as visit:
            visit.page.wait_for_load_state("networkidle")
    finally:
        browser.close()
    assert visit.attempted == [f"{base}/x.png"]
    assert hits == (["/x.png"] if reached else [])


@pytest.mark.parametrize(
    ("script", "errors", "console"),
    [
        ("console.error('boom')", [], ["error: boom"]),
        ("console.warn('careful')", [], ["warning: careful"]),
        ("throw new Error('kaput')", ["kaput"], []),
    ],
)
def test_harness_catches_console_error(browser: Browser, make_page, script: str, errors, console):
    with open_page(browser, make_page(f"<script>{script}</script>")) as visit:
        pass
    assert [e.split("\n")[0].removeprefix("Error: ") for e in visit.errors] == errors
    assert [c.split(" (file:")[0] for c in visit.console] == console


def test_harness_catches_csp_violation(browser: Browser, make_page):
    page = make_page("<script>document.title = 'ran'</script>", csp="default-src 'none'")
    with open_page(browser, page) as visit:
        title = visit.page.title()
    assert title == "t"
    assert len(visit.console) == 1 and "Content Security Policy" in visit.console[0]
    assert visit.attempted == []


def test_harness_sees_rendered_charts(browser: Browser, make_page):
    page = make_page(plotly_js() + chart("one") + chart("two"))
    with open_page(browser, page) as visit:
        states = wait_for_charts(visit.page)
    assert [s.name for s in states] == ["one", "two"]
    assert all(s.rendered for s in states), states
    assert visit.attempted == [] and visit.console == [] and visit.errors == []


UNRENDERED = {
    "no-plot": (lambda: '<figure class="chart" data-chart="x"><div></div></figure>', REPORT_CSP),
    "no-trace": (lambda: plotly_js() + chart("x", data=[]), REPORT_CSP),
    "script-blocked": (lambda: plotly_js() + chart("x"), "default-src 'none'; style-src 'unsafe-inline'"),
}


@pytest.mark.parametrize("case", UNRENDERED)
def test_harness_sees_unrendered_chart(browser: Browser, make_page, case: str):
    body, csp = UNRENDERED[case]
    with open_page(browser, make_page(body(), csp=csp)) as visit:
        (state,) = wait_for_charts(visit.page, timeout_ms=2_000)
    assert state.name == "x" and not state.rendered, state


# -- the report -----------------------------------------------------------------------------------


class _InProcess(Pipeline):
    """A run whose stages call the collectors in this process instead of executing notebooks:
    the same evidence, run.json and report, without a kernel per stage."""

    def _execute(self, stage: Stage) -> str | None:
        if stage.collects:
            run_collector(stage.name, CollectContext(self.params, self.run_dir))
        else:
            write_outputs(self.run_dir)
        return None


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of the bundled sample: tests under coverage and one chaos experiment (about 30 s)."""
    given = os.environ.get("ASSESS_BROWSER_RUN")
    if given:
        return Path(given).resolve()
    params = RunParameters(target=str(sample_target()), timeout_s=300, chaos_experiments=("process-crash",))
    run_dir = new_run_dir(tmp_path_factory.mktemp("runs"), sample_target())
    _InProcess(params, run_dir).run()
    write_outputs(run_dir)  # as `assess run` does, with the final run.json
    return run_dir


@pytest.fixture(scope="module")
def assessment(sample_run: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((sample_run / "assessment.json").read_text(encoding="utf-8"))
    return result


@pytest.fixture(scope="module")
def report(browser: Browser, sample_run: Path) -> Iterator[Visit]:
    """The report, opened once, with its charts given time to render."""
    with open_page(browser, sample_run / "assessment.html") as visit:
        wait_for_charts(visit.page)
        yield visit


def chaos_ran(run_dir: Path) -> bool:
    try:
        evidence = read_evidence(run_dir / "evidence" / "chaos.json")
    except ModelFileError:
        return False
    return bool(getattr(evidence.data, "results", None))


def test_report_requests_nothing(report: Visit):
    assert report.attempted == []


def test_report_logs_no_error_or_warning(report: Visit):
    assert report.console == [] and report.errors == []


def test_report_has_the_grade_card(report: Visit, assessment: dict[str, Any]):
    rows = report.page.locator("section#grades > table").first.locator("tr:has(td)")
    categories = [cell.split(" (critical)")[0].strip() for cell in rows.locator("td:first-child").all_inner_texts()]
    assert categories == [g["category"] for g in assessment["grades"]]
    assert len(categories) >= 1


def test_report_verdict_banner_matches_the_assessment(report: Visit, assessment: dict[str, Any]):
    banner = report.page.locator(".verdict").first
    assert banner.locator("strong").first.inner_text() == assessment["verdict"]["decision"]
    assert banner.locator("li").all_inner_texts() == assessment["verdict"]["reasons"]


def test_report_draws_every_chart(report: Visit, sample_run: Path):
    states = wait_for_charts(report.page, timeout_ms=1_000)
    expected = len(BASE_CHARTS) + chaos_ran(sample_run)
    assert len(states) >= expected, f"{len(states)} figure.chart elements; expected at least {expected}"
    names = [s.name for s in states]
    assert all(names) and len(set(names)) == len(names), f"data-chart names must be set and unique: {names}"
    assert [s for s in states if not s.rendered] == []


def test_report_screenshot_and_pdf(report: Visit, artifacts: Path):
    shot = artifacts / "assessment.png"
    report.page.screenshot(path=shot, full_page=True)
    print(f"screenshot: {shot}")
    assert is_png(shot.read_bytes())
    pdf = artifacts / "assessment.pdf"
    report.page.pdf(path=pdf, print_background=True)
    print(f"pdf: {pdf}")
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 10_000
    assert report.console == [] and report.errors == []
