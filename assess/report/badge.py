"""``badge.svg``: a shields.io-style flat badge of the verdict, ``readiness | NO-GO``.

Written here rather than with a badge library: ``pybadges`` (3.0.1, 2023) imports ``imghdr``,
which Python 3.13 removed, and pulls in ``requests``; ``anybadge`` has no ``<title>``. The badge
is one small template, so it is made here, with the layout of shields.io's flat style (text
measured in 11 px, 5 px of padding each side, a 3 px corner radius) and ``textLength`` on each
text so that it fits the computed width in whatever font the viewer has.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from assess._files import atomic_write_text
from assess.model.run import Assessment
from assess.report.text import one_line

LABEL = "readiness"
NO_VERDICT = "no verdict"
LABEL_COLOUR = "#555"
COLOURS = {"GO": "#4c1", "NEEDS_WORK": "#dfb317", "NO-GO": "#e05d44", NO_VERDICT: "#9f9f9f"}
"""shields.io's brightgreen, yellow, red and lightgrey."""
PADDING = 5
HEIGHT = 20
NAME_LIMIT = 100
"""Characters of the target's name kept in the title."""

_WIDTHS_11PX = {
    3.0: "'", 3.1: "ijl", 3.2: "IJ", 3.5: " ,.", 3.7: "/:;\\|", 3.9: "f", 4.0: "-", 4.3: "()[]t", 4.4: "!",
    4.5: "r", 5.1: '"', 5.5: "*_`", 5.7: "s", 5.8: "?z", 6.0: "c", 6.1: "L", 6.3: "F", 6.4: "k", 6.5: "vxy",
    6.6: "P", 6.7: "TYao", 6.8: "e", 7.0: "$0123456789ESbdghnpqu{}", 7.2: "K", 7.5: "ABVXZ", 7.6: "R",
    7.7: "C", 8.1: "U", 8.2: "N", 8.3: "H", 8.5: "DG", 8.6: "&", 8.7: "OQ", 9.0: "w", 9.2: "#+<=>^~",
    9.5: "M", 10.5: "%", 10.7: "m", 10.9: "W", 11.0: "@",
}  # fmt: skip
"""Advance widths (px) of printable ASCII in DejaVu Sans at 11 px (Pillow's ``ImageFont.getlength``
at 1100 px, divided by 100, rounded to 0.1). Verdana, shields.io's first font, is within a few
percent; ``textLength`` absorbs the difference."""
CHAR_WIDTHS: dict[str, float] = {c: width for width, chars in _WIDTHS_11PX.items() for c in chars}
WIDE = 11.0
"""Width assumed for any other character (as wide as ``@``, so the text is never cramped)."""

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 does not allow in a document at all, escaped or not."""


def text_width(text: str) -> float:
    """Width of ``text`` in px at 11 px, from :data:`CHAR_WIDTHS` (:data:`WIDE` for others)."""
    return sum(CHAR_WIDTHS.get(c, WIDE) for c in text)


def xml_text(text: str) -> str:
    """``text`` safe as XML character data or a double-quoted attribute value: ``& < > "``
    escaped, characters XML forbids (controls, lone surrogates) replaced by U+FFFD."""
    return xml_escape(_NOT_XML.sub("\ufffd", text), {'"': "&quot;"})


def badge_svg(label: str, message: str, colour: str, *, title: str) -> str:
    """A flat badge: ``label`` on grey, ``message`` on ``colour`` (``#rgb`` or ``#rrggbb``), with
    ``title`` as its tooltip and accessible name. Raises ValueError for any other colour."""
    if not _COLOUR.fullmatch(colour):
        raise ValueError(f"not a hex colour: {colour!r}")
    left = round(text_width(label)) + 2 * PADDING
    right = round(text_width(message)) + 2 * PADDING
    width = left + right
    name = xml_text(title)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" role="img" aria-label="{name}">',
        f"<title>{name}</title>",
        '<linearGradient id="assess-badge-s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>',
        f'<clipPath id="assess-badge-r"><rect width="{width}" height="{HEIGHT}" rx="3" fill="#fff"/></clipPath>',
        f'<g clip-path="url(#assess-badge-r)"><rect width="{left}" height="{HEIGHT}" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="{HEIGHT}" fill="{colour}"/>'
        f'<rect width="{width}" height="{HEIGHT}" fill="url(#assess-badge-s)"/></g>',
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">',
        *_text(label, 0, left),
        *_text(message, left, right),
        "</g>",
        "</svg>",
    ]) + "\n"  # fmt: skip


def _text(text: str, x: int, width: int) -> list[str]:
    """The shadow and the text, drawn at ten times the size and scaled down (as shields.io does),
    so positions have a tenth of a pixel of precision."""
    centre = (x * 2 + width) * 5
    length = round(text_width(text) * 10)
    body = xml_text(text)
    return [
        f'<text aria-hidden="true" x="{centre}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" '
        f'textLength="{length}">{body}</text>',
        f'<text x="{centre}" y="140" transform="scale(.1)" textLength="{length}">{body}</text>',
    ]


def readiness_badge(assessment: Assessment) -> str:
    """The badge of ``assessment``'s verdict (``no verdict`` in grey when the rubric gave none);
    its title names the target."""
    message = assessment.verdict.decision if assessment.verdict else NO_VERDICT
    name = one_line(assessment.run.target_name)  # one line, controls and bidi overrides marked
    name = name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"
    return badge_svg(LABEL, message, COLOURS[message], title=f"{LABEL} of {name}: {message}")


def write_badge(assessment: Assessment, path: Path) -> Path:
    """Write :func:`readiness_badge` of ``assessment`` to ``path`` atomically; returns ``path``."""
    atomic_write_text(path, readiness_badge(assessment))
    return path
