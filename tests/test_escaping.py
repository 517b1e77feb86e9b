"""Hostile names and snippets from the target show as text in every part of every report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assess.assessment import write_outputs
from assess.collectors import CollectContext, run_collector
from assess.model import RunParameters
from assess.pipeline import Pipeline

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
HOSTILE_FILE = f"app/{SCRIPT}.py"
CODE = f'''\
import requests


def fetch(url):
    try:
        return requests.get(url)  # "{IMG}"
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
    return "{SCRIPT}"
'''
PYPROJECT = f'''\
[project]
name = "hostile"
version = "0"

[[tool.assess.waivers]]
rule = "errors.*"
path = "app/*"
justification = "{IMG} accepted"
expires = "2000-01-01"
'''


class _Elements(HTMLParser):
    """Every start tag and every script body, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:

    repo = tmp_path_factory.mktemp("hostile")
    (repo / HOSTILE_FILE).parent.mkdir(parents=True)  # "</" makes a folder
    (repo / HOSTILE_FILE).write_text(CODE, encoding="utf-8")
    (repo / "app" / "__init__.py").write_text("", encoding="utf-8")
    (repo / HOSTILE_FILE).with_name("__init__.py").write_text("", encoding="utf-8")  # measured, never imported
    (repo / "tests").mkdir()
    (repo / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n", encoding="utf-8")
    (repo / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    run_dir = tmp_path_factory.mktemp("run")
    ctx = CollectContext(params=RunParameters(target=str(repo), timeout_s=120), run_dir=run_dir)
    Pipeline(ctx.params, run_dir).write_info()
    for kind in ("inventory", "complexity", "patterns", "coverage", "tests"):
        run_collector(kind, ctx)
    assessment = write_outputs(run_dir)
    # The hostile name reaches the parts of the report this test is about.
    assert any(f.path == HOSTILE_FILE for f in assessment.findings)
    assert any(HOSTILE_FILE in loc for item in assessment.plan.items for loc in item.locations)
    assert any(IMG in w.justification for w in assessment.waivers)
    assert any(a.path == HOSTILE_FILE for a in assessment.critical_areas)
    return run_dir


def test_html_has_no_element_or_script_from_the_target(hostile_run: Path) -> None:
    html = (hostile_run / "assessment.html").read_text(encoding="utf-8")
    parser = _Elements()
    parser.feed(html)
    assert not [(t, a) for t, a in parser.tags if t == "img"]
    assert not [a for _, a in parser.tags if any(k.startswith("on") for k in a)]
    # Chart data is JSON inside script elements: the target's text may be there as data, but never
    # as markup that could end the element or open another.
    assert all(not re.search(r"<\s*/?\s*(script|img)", s, flags=re.I) for s in parser.scripts)
    assert SCRIPT not in html and IMG not in html


@pytest.mark.parametrize("section", ["grades", "critical", "plan", "findings"])
def test_each_section_shows_the_hostile_text_escaped(hostile_run: Path, section: str) -> None:
    html = (hostile_run / "assessment.html").read_text(encoding="utf-8")
    match = re.search(rf'<section id="{section}">(.*?)</section>', html, flags=re.S)
    assert match, f"no section {section}"
    body = match.group(1)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escaped in body or "&lt;img src=x onerror=alert(2)&gt;" in body


def test_waiver_justification_is_escaped(hostile_run: Path) -> None:
    html = (hostile_run / "assessment.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(2)&gt; accepted" in html


def test_markdown_and_json_outputs_carry_it_as_data(hostile_run: Path) -> None:
    summary = (hostile_run / "summary.md").read_text(encoding="utf-8")
    # Rendered as GitHub would (tables, raw HTML allowed): no element and no link from the target.
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(summary)
    parser = _Elements()
    parser.feed(rendered)
    assert not [t for t, _ in parser.tags if t in ("img", "script")]
    assert not [a for _, a in parser.tags if any(k.startswith("on") for k in a)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    document = json.loads((hostile_run / "assessment.json").read_text(encoding="utf-8"))
    assert any(f["path"] == HOSTILE_FILE for f in document["findings"])  # JSON keeps it exact
    sarif = json.loads((hostile_run / "findings.sarif").read_text(encoding="utf-8"))
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
            for loc in r["locations"]}  # fmt: skip
    assert "app/%3Cscript%3Ealert%281%29%3C/script%3E.py" in uris
    badge = (hostile_run / "badge.svg").read_text(encoding="utf-8")
    assert "<script" not in badge
