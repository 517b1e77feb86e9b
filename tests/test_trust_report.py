"""The trust boundary in what assess shows (issue #14).

Text that assess did not write (the target's names, paths, code and messages, a config's words, what
a run folder from an untrusted CI job holds, a stage's reason) is printed on the console as it is,
never as Rich markup or terminal control sequences; it shows without bidirectional controls in
the HTML report, the notebooks' tables and charts, SARIF and ``summary.md``; and it becomes a link
only when it is a known relative path of the run folder.
"""

from __future__ import annotations

import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest
from rich.console import Console

from assess import display
from assess.assessment import load_evidence, write_outputs
from assess.cli import EXIT_GATE, EXIT_OK, EXIT_STAGE_ERRORS, _progress, main
from assess.collectors import CollectContext, run_collector
from assess.model import Assessment, RunInfo, RunParameters, StageResult, Status
from assess.model.findings import Finding, Severity
from assess.model.grades import Verdict
from assess.model.io import read_assessment, write_model
from assess.pipeline import Pipeline
from assess.report.html import build_view, render_html
from assess.report.sarif import sarif_document

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Unicode's Bidi_Control characters."""
BIDI_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u(061c|200e|200f|202[a-e]|206[6-9])", flags=re.IGNORECASE)
"""The same characters as JSON escapes (not an escaped backslash followed by ``u202e``): the charts'
JSON writes them so, and the browser decodes them."""
SGR = re.compile(r"\x1b\[[0-9;]*m")
"""The colour sequences of assess's own styles (the only escape sequences the console may write)."""


def _no_bidi(text: str, *, json_text: bool = False) -> None:
    """No bidirectional control in ``text``; in JSON text (``json_text``) not even as an escape."""
    raw = sorted({f"U+{ord(c):04X}" for c in text if c in BIDI})
    escaped = sorted(set(BIDI_ESCAPE.findall(text))) if json_text else []
    assert not raw and not escaped, f"bidirectional controls: raw {raw}, escaped {escaped}"


def _texts(value: Any) -> list[str]:
    """Every string in ``value``: a DataFrame's column names and cells, nested dicts, lists and tuples."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, pd.DataFrame):
        return [*map(str, value.columns), *(t for cell in value.to_numpy().ravel() for t in _texts(cell))]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


# --- 1. the console -------------------------------------------------------------------------------

CONSOLE_CASES = [
    # id, text from outside assess (a stage's reason, a chaos family, a test command), as the console shows it
    ("closing-tag", "unknown family [/oops]", "unknown family [/oops]"),
    ("style-tags", "pytest -k '[bold]loud[/bold]'", "pytest -k '[bold]loud[/bold]'"),
    ("link", "[link=javascript:x]a[/link]", "[link=javascript:x]a[/link]"),
    ("emoji-code", "family :warning: unknown", "family :warning: unknown"),
    ("clear-screen-and-title", "\x1b[2J\x1b]0;owned\x07", "\ufffd[2J\ufffd]0;owned\ufffd"),
    ("c1-csi", "\x9b31mred", "\ufffd31mred"),
    ("bidi", "admin\u202egnp.py \u2066x\u2069", "admin\ufffdgnp.py \ufffdx\ufffd"),
    ("forged-lines", "ok\r\n::error::forged\rover", "ok ::error::forged over"),
]


def _said(console: Console) -> str:
    """What ``console`` wrote, less assess's own colours; no other escape sequence may be left."""
    assert isinstance(console.file, io.StringIO)
    text = SGR.sub("", console.file.getvalue())
    assert "\x1b" not in text and "\x9b" not in text
    _no_bidi(text)
    return text


@pytest.mark.parametrize(("raw", "shown"), [c[1:] for c in CONSOLE_CASES], ids=[c[0] for c in CONSOLE_CASES])
def test_progress_prints_a_stage_reason_as_it_is(raw: str, shown: str):
    console = Console(file=io.StringIO(), force_terminal=True, color_system="standard", soft_wrap=True)
    listener = _progress(console)
    stage = SimpleNamespace(name="chaos")
    listener("start", stage, None)
    listener("end", stage, StageResult(name="chaos", status=Status.ERROR, reason=raw, started_at="t", duration_s=1.0))
    assert _said(console) == f"… chaos\n  error chaos (1.0 s): {shown}\n"


def _run_info(target: str, stages: list[StageResult], run_id: str = "run") -> RunInfo:
    return RunInfo(assess_version="0", run_id=run_id, target=target, target_name=Path(target).name,
                   started_at="2026-01-01T00:00:00+00:00", parameters=RunParameters(target=target), python="3.11",
                   platform="linux", stages=tuple(stages))  # fmt: skip


def _stage(name: str, reason: str | None = None, status: Status = Status.ERROR, **paths: str | None) -> StageResult:
    return StageResult(name=name, status=status, reason=reason, started_at="2026-01-01T00:00:00+00:00",
                       duration_s=0.5, **paths)  # type: ignore[arg-type]  # fmt: skip


def test_run_prints_hostile_reasons_as_they_are_and_exits_as_for_any_failed_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    stages = [_stage(f"stage{i}", raw) for i, (_, raw, _) in enumerate(CONSOLE_CASES)]

    class Run:
        """Pipeline stand-in: reports the stages (as the real one does, through the listener), writes run.json."""

        def __init__(self, params: RunParameters, run_dir: Path, listener: Any) -> None:
            self.params, self.run_dir, self.listener = params, run_dir, listener

        def run(self) -> RunInfo:
            for s in stages:
                self.listener("start", SimpleNamespace(name=s.name), None)
                self.listener("end", SimpleNamespace(name=s.name), s)
            info = _run_info(self.params.target, stages, self.run_dir.name)
            write_model(info, self.run_dir / "run.json")
            return info

    monkeypatch.setattr("assess.pipeline.Pipeline", Run)
    (tmp_path / "repo").mkdir()
    code = main(["run", str(tmp_path / "repo"), "--out", str(tmp_path / "runs"), "--no-tests"])
    err = capsys.readouterr().err
    assert code == EXIT_STAGE_ERRORS  # as for any run with failed stages: the report was written
    assert "\x1b" not in err and "\x9b" not in err
    _no_bidi(err)
    for i, (_, _, shown) in enumerate(CONSOLE_CASES):
        assert f"  error stage{i} (0.5 s): {shown}\n" in err


def test_score_and_render_print_hostile_text_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    write_model(_run_info(str(tmp_path), []), run_dir / "run.json")
    rubric = tmp_path / "rubric [" / "oops] \x1b[2J \u202e.toml"  # a file name is any bytes but / and NUL
    rubric.parent.mkdir()
    rubric.write_text("not = [toml", encoding="utf-8")
    assert main(["score", str(run_dir), "--rubric", str(rubric)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "not scored: " in err and "rubric [/oops] \ufffd[2J \ufffd.toml: cannot be read" in err
    assert "\x1b" not in err
    _no_bidi(err)

    assert main(["score", str(run_dir)]) == EXIT_OK
    assessment = read_assessment(run_dir / "assessment.json")
    reasons = tuple(raw for _, raw, _ in CONSOLE_CASES)
    verdict = Verdict(decision="NO-GO", reasons=reasons, rules=())
    write_model(assessment.model_copy(update={"verdict": verdict}), run_dir / "assessment.json")
    capsys.readouterr()
    assert main(["render", str(run_dir), "--fail-on", "NO-GO"]) == EXIT_GATE
    err = capsys.readouterr().err
    assert "\x1b" not in err
    _no_bidi(err)
    assert "gate failed: verdict NO-GO (--fail-on NO-GO): " + "; ".join(s for _, _, s in CONSOLE_CASES) in err


def test_chaos_run_prints_the_targets_text_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from assess.chaos.runner import ChaosRun, ExperimentRun

    hostile = "[/oops] \x1b[2J \u202e"
    shown = "[/oops] \ufffd[2J \ufffd"

    def run_chaos(target: Path, spec: object, out_dir: Path, *, progress: Any, **_: object) -> ChaosRun:
        progress(f"chaos: {hostile}")
        journal = out_dir / "x[bold]\x1b[2J\u202e" / "journal.json"
        journal.parent.mkdir(parents=True)
        journal.write_text("{not json", encoding="utf-8")
        runs = (ExperimentRun("process-crash", 1, None, message=hostile), ExperimentRun("process-crash", 2, journal))
        return ChaosRun(runs=runs, skipped=(hostile,))

    monkeypatch.setattr("assess.cli_chaos.run_chaos", run_chaos)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    repo = tmp_path / "repo [bold] \x1b[2J \u202e"
    repo.mkdir()
    code = main(["chaos", "run", str(repo), "--out", str(tmp_path / "out"), "--command", "serve {port}"])
    err = capsys.readouterr().err
    assert code == EXIT_STAGE_ERRORS  # a run without a journal: incomplete, as for any such run
    assert "\x1b" not in err
    _no_bidi(err)
    assert f"chaos experiments against {tmp_path}/repo [bold] \ufffd[2J \ufffd (--command)" in err
    assert f"… chaos: {shown}\n" in err and f"skipped {shown}\n" in err
    assert f"no journal │ {shown}" in err and "x[bold]\ufffd[2J\ufffd/journal.json" in err


# --- 2. bidirectional controls in reports and notebooks ------------------------------------------

BIDI_FILE = "app/admin\u202egnp.py"
BIDI_SHOWN = "app/admin\ufffdgnp.py"
BIDI_CODE = """\
import requests


def fetch(url):
    try:
        return requests.get(url)  # "\u202e\u2066 admin only"
    except Exception:
        pass


def pick(a, b, c, d):
    if a:
        if b:
            return 1
        elif c:
            return 2
        elif d:
            return 3
    return 0
"""


@pytest.fixture(scope="module")
def bidi_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("bidi") / "repo\u2067"
    (repo / "app").mkdir(parents=True)
    (repo / BIDI_FILE).write_text(BIDI_CODE, encoding="utf-8")
    (repo / "app" / "__init__.py").write_text("", encoding="utf-8")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n", encoding="utf-8")
    run_dir = tmp_path_factory.mktemp("run")
    ctx = CollectContext(params=RunParameters(target=str(repo), timeout_s=120), run_dir=run_dir)
    Pipeline(ctx.params, run_dir).write_info()
    for kind in ("inventory", "complexity", "patterns", "coverage", "tests"):
        run_collector(kind, ctx)
    assessment = write_outputs(run_dir)
    # The name and the snippet reach the parts of the report this test is about.
    assert any(f.path == BIDI_FILE and f.snippet and "\u202e" in f.snippet for f in assessment.findings)
    assert any(a.path == BIDI_FILE for a in assessment.critical_areas)
    return run_dir


def test_html_report_shows_no_bidi_control_and_marks_where_one_was(bidi_run: Path):
    page = (bidi_run / "assessment.html").read_text(encoding="utf-8")
    page = page.replace(plotly.offline.get_plotlyjs(), "")  # plotly.js itself holds RTL regexes
    _no_bidi(page)  # markup, attributes, and the charts' JSON
    for chart in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.DOTALL):
        _no_bidi(chart, json_text=True)
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    assert f'<span class="path">{BIDI_SHOWN}:' in markup  # the findings, critical areas, plan
    assert "# &#34;\ufffd\ufffd admin only&#34;</pre>" in markup  # the snippet, in logical order, controls marked
    assert "<title>assess: repo\ufffd</title>" in markup
    charts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    assert any("admin\\ufffdgnp.py" in c for c in charts)  # the hotspots chart's hover text


def test_sarif_summary_and_badge_mark_bidi_controls_and_keep_real_paths(bidi_run: Path):
    sarif = (bidi_run / "findings.sarif").read_text(encoding="utf-8")
    _no_bidi(sarif, json_text=True)
    results = json.loads(sarif)["runs"][0]["results"]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"]}
    assert "app/admin%E2%80%AEgnp.py" in uris  # the real path, percent-encoded, for code scanning to map
    snippets = [r["locations"][0]["physicalLocation"].get("region", {}).get("snippet", {}).get("text", "")
                for r in results]  # fmt: skip
    assert any('# "\ufffd\ufffd admin only"' in s for s in snippets)
    _no_bidi((bidi_run / "summary.md").read_text(encoding="utf-8"))
    badge = (bidi_run / "badge.svg").read_text(encoding="utf-8")
    _no_bidi(badge)
    assert "<title>readiness of repo\ufffd: " in badge  # the target's folder is named repo\u2067


def test_notebook_tables_and_charts_show_no_bidi_control(bidi_run: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]):  # fmt: skip
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **_k: shown.append(obj))
    monkeypatch.setattr(go.Figure, "show", lambda fig, *_a, **_k: shown.append(fig))
    evidence, _ = load_evidence(bidi_run)
    returned: list[Any] = [display.show(ev) for ev in evidence.values()]
    assessment = read_assessment(bidi_run / "assessment.json")
    returned.append(display.show_assessment(assessment, evidence))
    returned.append(display.findings_frame(assessment))
    texts = [*_texts(returned), capsys.readouterr().out, display.verdict_html(assessment)]
    for obj in shown:
        if isinstance(obj, go.Figure):
            _no_bidi(obj.to_json(), json_text=True)
            texts.append(obj.to_json())
        elif hasattr(obj, "to_html"):  # a pandas Styler
            texts.append(obj.to_html())
        elif hasattr(obj, "data"):  # IPython's HTML
            texts.append(obj.data)
        texts.extend(_texts(obj))
    for text in texts:
        _no_bidi(text)
    assert BIDI_SHOWN in display.findings_frame(assessment)["path"].tolist()
    assert any("admin\\ufffdgnp.py" in fig.to_json() for fig in shown if isinstance(fig, go.Figure))


def test_text_marks_controls_and_bidi_keeps_lines_and_tabs():
    from assess.report.text import log_line, one_line, visible

    raw = "a\tb\r\nc\rd\x00\x1b[2J\x85\x9b\u202e\u2066\u200f\u061c e"
    assert visible(raw) == "a\tb\nc\nd\ufffd\ufffd[2J" + "\ufffd" * 6 + " e"
    assert log_line(raw) == "a\tb c d\ufffd\ufffd[2J" + "\ufffd" * 6 + " e"
    assert one_line(raw) == "a b c d\ufffd\ufffd[2J " + "\ufffd" * 5 + " e"  # U+0085 is whitespace: a space
    assert one_line("word " * 10, 12) == "word word w…"


# --- 3. links only from known relative paths of the run folder -----------------------------------

LINK_CASES = [
    # id, a stage's notebook and evidence in run.json, the hrefs they may become (None: text only)
    ("javascript", "javascript:alert(1)", "javascript:alert(2)", None, None),
    ("mixed-case-scheme", "JaVaScRiPt:alert(1)", "JAVASCRIPT:alert(2)", None, None),
    ("leading-space", " javascript:alert(1)", "\tjavascript:alert(2)", None, None),
    ("data-url", "data:text/html,<script>alert(1)</script>", "data:,x", None, None),
    ("network-path", "//evil.example/x", "//evil.example/evidence/x.json", None, None),
    ("traversal", "../../etc/passwd", "evidence/../../../etc/x.json", None, None),
    ("absolute", "/etc/passwd", "/evidence/x.json", None, None),
    ("backslash", "notebooks\\ok.ipynb", "evidence\\ok.json", None, None),
    ("control-in-scheme", "java\nscript:alert(1)", "evidence/\x00x.json", None, None),
    ("bidi", "notebooks/a\u202eb.ipynb", "evidence/\u202ex.json", None, None),
    ("elsewhere-in-the-folder", "raw/evil.html", "raw/evil.svg", None, None),
    ("space-and-hash", "notebooks/my nb#1.ipynb", "evidence/a b#c?.json",
     "notebooks/my%20nb%231.ipynb", "evidence/a%20b%23c%3F.json"),
]  # fmt: skip
SAFE = ("safe", "notebooks/ok.ipynb", "evidence/ok.json", "notebooks/ok.ipynb", "evidence/ok.json")


class _Links(HTMLParser):
    """Every ``href`` and ``src`` of the page's markup, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "action", "formaction", "xlink:href")]


def _urls(page: str) -> list[str]:
    parser = _Links()
    parser.feed(re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL))  # plotly.js holds "<a href=" strings
    return parser.urls


def _expected(cases: list[tuple[str, str, str, str | None, str | None]]) -> list[str]:
    return [href for case in cases for href in case[3:] if href is not None]


@pytest.mark.parametrize("case", LINK_CASES, ids=[c[0] for c in LINK_CASES])
def test_a_stage_links_only_to_a_known_relative_path(case: tuple[str, str, str, str | None, str | None]):
    _, notebook, evidence, _, _ = case
    run = _run_info("/t", [_stage("coverage", status=Status.OK, notebook=notebook, evidence=evidence)])
    page = render_html(build_view(Assessment(run=run, evidence=(), facts=(), findings=()), {}))
    assert _urls(page) == _expected([case])
    stages = page[page.index('<section id="stages">') : page.index("</section>", page.index('<section id="stages">'))]
    for value in (notebook, evidence):  # shown as text (escaped, controls marked)
        assert _visible_escaped(value) in stages


def _visible_escaped(value: str) -> str:
    from assess.report.text import visible

    return visible(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_score_and_render_of_an_untrusted_run_folder_link_only_safe_relative_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    cases = [*LINK_CASES, SAFE]
    stages = [_stage(f"stage{i}", status=Status.OK, notebook=c[1], evidence=c[2]) for i, c in enumerate(cases)]
    run_dir = tmp_path / "run from CI"
    run_dir.mkdir()
    write_model(_run_info(str(tmp_path), stages), run_dir / "run.json")
    assert main(["score", str(run_dir)]) == EXIT_OK
    assert _urls((run_dir / "assessment.html").read_text(encoding="utf-8")) == _expected(cases)
    (run_dir / "assessment.html").unlink()
    assert main(["render", str(run_dir)]) == EXIT_OK
    page = (run_dir / "assessment.html").read_text(encoding="utf-8")
    assert _urls(page) == _expected(cases)
    assert "javascript:alert(1)" in page and 'href="javascript' not in page.lower()


def test_sarif_places_a_path_outside_the_repository_at_the_repository(tmp_path: Path):
    finding = Finding(rule="errors.bare-except", category="Error Handling", severity=Severity.HIGH, kind="problem",
                      message="m", path="../../etc/passwd", line=3, snippet="x")  # fmt: skip
    run = _run_info(str(tmp_path), [])
    document = sarif_document(Assessment(run=run, evidence=(), facts=(), findings=(finding,)), {}, anchor="README.md")
    (location,) = document["runs"][0]["results"][0]["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    assert "../../etc/passwd" in location["message"]["text"]
