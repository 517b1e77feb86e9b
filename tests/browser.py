"""Open a page from disk in headless Chromium with the network locked, and record what it tried.

The browser is Debian's chromium (``scripts/install-browser`` installs it), driven by Playwright
through ``executable_path``: Playwright's own browser downloads are never used.

Two locks keep every request on the machine; each of their three parts is enough alone
(``test_browser.py`` proves it with a loopback server that never sees the request):

1. Routing: every request of the browser context goes through a route. The page's own file://
   URL (and data:/blob: URLs) continue; anything else is recorded and aborted before it is sent.
2. Chromium's own network, locked twice over: no host name or address resolves
   (``--host-resolver-rules``), and every request, loopback included, goes to a proxy on a
   closed local port (``--proxy-server`` with ``--proxy-bypass-list=<-loopback>``), where it fails.

Any request other than the page itself counts as attempted, whichever lock stopped it. Console
errors and warnings (Content-Security-Policy violations are console errors) and uncaught page
errors are recorded too.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Route
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[1]
INSTALL_SCRIPT = ROOT / "scripts" / "install-browser"

BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Measured to run Debian's chromium under Playwright as root on a headless machine."""

RESOLVE_NOTHING = "--host-resolver-rules=MAP * ~NOTFOUND"
"""No host name resolves, and no IP literal either: Chromium fails them with ERR_NAME_NOT_RESOLVED."""

NOWHERE_PROXY = "http://127.0.0.1:9"
"""The discard port: nothing listens there on these machines, so a proxied request is refused."""

PROXY_TO_NOWHERE = (
    f"--proxy-server={NOWHERE_PROXY}",
    "--proxy-bypass-list=<-loopback>",  # loopback too goes to the proxy (Chromium bypasses it by default)
)

NETWORK_LOCK_FLAGS = (RESOLVE_NOTHING, *PROXY_TO_NOWHERE)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOCAL_SCHEMES = ("data:", "blob:")


class BrowserInstallError(RuntimeError):
    """``scripts/install-browser`` failed; the message ends with its stderr."""


def run_install_script() -> subprocess.CompletedProcess[str]:
    """Run ``scripts/install-browser``, capturing its output."""
    return subprocess.run([str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False)


def install_failure(proc: subprocess.CompletedProcess[str]) -> str | None:
    """Why the install script failed, ending with its stderr; None when it printed a path."""
    if proc.returncode == 0 and proc.stdout.strip():
        return None
    return f"{INSTALL_SCRIPT.relative_to(ROOT)} exited {proc.returncode}; stderr:\n{proc.stderr[-4000:]}"


def install_browser() -> Path:
    """Run ``scripts/install-browser``; the browser's path (its last line of output).

    Raises BrowserInstallError with the script's exit code and stderr when it fails.
    """
    proc = run_install_script()
    problem = install_failure(proc)
    if problem:
        raise BrowserInstallError(problem)
    return Path(proc.stdout.strip().splitlines()[-1])


def launch(playwright: Playwright, executable: Path, flags: tuple[str, ...] = NETWORK_LOCK_FLAGS) -> Browser:
    """Headless Chromium at ``executable`` with the measured flags and ``flags`` (by default lock 2)."""
    return playwright.chromium.launch(executable_path=str(executable), args=[*BROWSER_FLAGS, *flags], headless=True)


@dataclass
class Visit:
    """One page opened from disk, and what it did."""

    page: Page
    url: str
    attempted: list[str] = field(default_factory=list)
    """Requests other than the page itself, in order (each was aborted by a lock)."""
    console: list[str] = field(default_factory=list)
    """Console errors and warnings, as 'type: text (location)'."""
    errors: list[str] = field(default_factory=list)
    """Uncaught exceptions in the page."""

    def is_own(self, url: str) -> bool:
        return url.split("#", 1)[0] == self.url or url.startswith(LOCAL_SCHEMES)

    def _attempt(self, url: str) -> None:
        if not self.is_own(url) and url not in self.attempted:
            self.attempted.append(url)

    def _on_route(self, route: Route) -> None:
        url = route.request.url
        if self.is_own(url):
            route.continue_()
        else:
            self._attempt(url)
            route.abort("blockedbyclient")

    def _on_request(self, request: Request) -> None:
        self._attempt(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            where = message.location.get("url", "")
            self.console.append(f"{message.type}: {message.text}" + (f" ({where})" if where else ""))


@contextmanager
def open_page(browser: Browser, html: Path, *, route: bool = True, width: int = 1280) -> Iterator[Visit]:
    """Open ``html`` in a fresh context; routing (lock 1) aborts every other request unless ``route`` is False."""
    context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block")
    try:
        page = context.new_page()
        visit = Visit(page=page, url=html.resolve().as_uri())
        if route:
            context.route(lambda _url: True, visit._on_route)
        context.on("request", visit._on_request)
        page.on("websocket", lambda ws: visit._attempt(ws.url))
        page.on("console", visit._on_console)
        page.on("pageerror", lambda err: visit.errors.append(str(err)))
        page.goto(visit.url, wait_until="load")
        yield visit
    finally:
        context.close()


@dataclass(frozen=True)
class ChartState:
    """What one ``figure.chart`` holds after rendering."""

    name: str
    """Its ``data-chart`` attribute."""
    graphs: int
    """Plotly graph divs (``.js-plotly-plot``) in the figure."""
    svgs: int
    """Rendered ``svg.main-svg`` elements."""
    traces: int
    """Trace groups (``g.trace``) in those SVGs."""
    marks: int
    """Shapes inside the traces (path, rect, image, text) drawn with a non-zero size."""

    @property
    def rendered(self) -> bool:
        return self.graphs >= 1 and self.svgs >= 1 and self.traces >= 1 and self.marks >= 1


_CHART_STATES_JS = """
() => Array.from(document.querySelectorAll('figure.chart')).map(fig => {
  const traces = Array.from(fig.querySelectorAll('svg.main-svg g.trace'));
  const marks = traces.flatMap(t => Array.from(t.querySelectorAll('path, rect, image, text')))
    .filter(el => { const b = el.getBoundingClientRect(); return b.width > 0 || b.height > 0; });
  return {
    name: fig.dataset.chart || '',
    graphs: fig.querySelectorAll('.js-plotly-plot').length,
    svgs: fig.querySelectorAll('svg.main-svg').length,
    traces: traces.length,
    marks: marks.length,
  };
})
"""


def chart_states(page: Page) -> list[ChartState]:
    """The state of every ``figure.chart`` on the page, in document order."""
    return [ChartState(**state) for state in page.evaluate(_CHART_STATES_JS)]


def wait_for_charts(page: Page, timeout_ms: float = 15_000) -> list[ChartState]:
    """Chart states once every chart has rendered, or as they stand after ``timeout_ms``."""
    # On a timeout the caller's assertion says which chart is not drawn.
    with contextlib.suppress(PlaywrightError):
        page.wait_for_function(
            f"() => ({_CHART_STATES_JS})().every(c => c.graphs && c.svgs && c.traces && c.marks)",
            timeout=timeout_ms,
        )
    return chart_states(page)


def is_png(data: bytes) -> bool:
    return len(data) > len(PNG_SIGNATURE) and data.startswith(PNG_SIGNATURE)
