"""badge.svg: well-formed SVG, colour by verdict, width from the text, everything escaped."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import pytest

from assess.model.grades import Verdict
from assess.model.run import Assessment
from assess.report import badge
from assess.report.badge import (
    CHAR_WIDTHS,
    COLOURS,
    PADDING,
    WIDE,
    badge_svg,
    readiness_badge,
    text_width,
    write_badge,
    xml_text,
)
from tests.test_markdown import make_run

SVG = "{http://www.w3.org/2000/svg}"


def assessment(decision: str | None, target_name: str = "shop") -> Assessment:
    verdict = Verdict(decision=decision, reasons=(), rules=()) if decision else None  # type: ignore[arg-type]
    return Assessment(run=make_run(target_name=target_name), evidence=(), facts=(), verdict=verdict)


def parse(svg: str) -> Element:
    root: Element = SafeET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("decision", "message", "colour"),
    [("GO", "GO", "#4c1"), ("NEEDS_WORK", "NEEDS_WORK", "#dfb317"), ("NO-GO", "NO-GO", "#e05d44"),
     (None, "no verdict", "#9f9f9f")],
)  # fmt: skip
def test_badge_per_verdict(decision: str | None, message: str, colour: str):
    root = parse(readiness_badge(assessment(decision)))
    assert texts(root) == ["readiness", "readiness", message, message]  # shadow, then text
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == f"readiness of shop: {message}"
    assert root.get("role") == "img" and root.get("aria-label") == title.text
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("fill", "").startswith("#")][1:]
    assert [r.get("fill") for r in rects] == ["#555", colour]
    left, right = (int(r.get("width", "0")) for r in rects)
    assert left == round(text_width("readiness")) + 2 * PADDING
    assert right == round(text_width(message)) + 2 * PADDING
    assert int(root.get("width", "0")) == left + right and root.get("height") == "20"


def test_width_grows_with_the_text():
    widths = {m: int(parse(readiness_badge(assessment(m))).get("width", "0")) for m in ("GO", "NO-GO", "NEEDS_WORK")}
    assert widths["GO"] < widths["NO-GO"] < widths["NEEDS_WORK"]
    assert text_width("readiness") == pytest.approx(53.3, abs=0.5)  # DejaVu Sans 11 px
    assert text_width("iiii") < text_width("WWWW")
    assert text_width("漢字") == 2 * WIDE
    assert all(chr(c) in CHAR_WIDTHS for c in range(32, 127))  # every printable ASCII character


def test_text_length_matches_the_computed_width():
    root = parse(badge_svg("readiness", "NO-GO", "#e05d44", title="t"))
    lengths = [int(t.get("textLength", "0")) for t in root.iter(f"{SVG}text")]
    assert lengths == [round(text_width("readiness") * 10)] * 2 + [round(text_width("NO-GO") * 10)] * 2


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>",
        'quote" onload="alert(1)',
        "a & b ]]> <!-- x -->",
        "nul\x00 esc\x1b surrogate\udcff",
        "x" * 500,
    ],
)
def test_hostile_target_name_is_text(name: str):
    svg = readiness_badge(assessment("NO-GO", target_name=name))
    svg.encode("utf-8")  # no lone surrogate left
    root = parse(svg)
    title = root.find(f"{SVG}title")
    assert title is not None and title.text is not None
    assert title.text.startswith("readiness of ") and title.text.endswith(": NO-GO")
    assert root.get("aria-label") == title.text
    assert [e.tag for e in root.iter()].count(f"{SVG}script") == 0
    assert len(title.text) < 150


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c'"), ("tab\tnl\n", "tab\tnl\n"), ("\x00\x1f\udcff", "\ufffd" * 3),
     ("ok ✓ 漢", "ok ✓ 漢")],
)  # fmt: skip
def test_xml_text(text: str, escaped: str):
    assert xml_text(text) == escaped


def test_hostile_label_and_message_are_escaped():
    root = parse(badge_svg("<b>", "</text><script>x</script>", "#abc", title="<t>"))
    assert texts(root)[2] == "</text><script>x</script>"
    assert texts(root)[0] == "<b>"


@pytest.mark.parametrize("colour", ["red", "#12", "#12345g", '#fff" onload="x', "url(#x)"])
def test_only_hex_colours(colour: str):
    with pytest.raises(ValueError, match="not a hex colour"):
        badge_svg("a", "b", colour, title="t")


def test_colours_are_hex():
    assert set(COLOURS) == {"GO", "NEEDS_WORK", "NO-GO", "no verdict"}
    for colour in COLOURS.values():
        badge_svg("a", "b", colour, title="t")


def test_write_badge_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_badge(assessment("GO"), tmp_path / "out" / "badge.svg")
    written = path.read_text(encoding="utf-8")
    assert written == readiness_badge(assessment("GO")) and written.endswith("</svg>\n")

    def broken(_assessment: Assessment) -> str:
        raise RuntimeError("no badge")

    monkeypatch.setattr(badge, "readiness_badge", broken)
    with pytest.raises(RuntimeError):
        write_badge(assessment("NO-GO"), path)
    assert path.read_text(encoding="utf-8") == written
    assert [p.name for p in path.parent.iterdir()] == ["badge.svg"]
