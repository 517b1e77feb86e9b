"""How text that assess did not write is shown: the target's paths, names, code and messages, a
config's words, whatever a run folder holds, a stage's reason. It must show as what it is.

Two kinds of character make text show as something else, and both are replaced by :data:`MARK`:

- Bidirectional formatting characters (Unicode's ``Bidi_Control`` property, :data:`BIDI_CONTROLS`):
  an override makes ``admin\\u202egnp.py`` show as ``adminyp.png``, and in code it makes a reviewer
  read other code than the compiler does ("Trojan Source", CVE-2021-42574).
- Control characters (C0 and C1) and lone surrogates: ESC starts a terminal's control sequences
  (clear the screen, set the window's title, forge colours, hide text), a carriage return makes
  a terminal or a notebook overwrite the line, and lone surrogates cannot even be encoded.

One mark everywhere (the HTML report, the notebooks' tables and charts, SARIF messages, ``summary.md``,
the console), U+FFFD, the replacement character: every font has a glyph for it, so it is seen where
the character was; it is one character, so clipping and column widths stay as they were; and it says
"a character that could not be shown was here", which is what happened. Which character it was is
kept in ``assessment.json`` and the evidence, which store the text exactly.
"""

from __future__ import annotations

import re

MARK = "\ufffd"
"""What each unsafe character is shown as (see the module's docstring)."""
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Unicode's ``Bidi_Control`` characters: the marks (ALM, LRM, RLM), embeddings (LRE, RLE), overrides
(LRO, RLO), their end (PDF) and the isolates (LRI, RLI, FSI, PDI)."""

_BIDI = "".join(sorted(BIDI_CONTROLS))
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
_UNSAFE_IN_BLOCK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
"""As :data:`_UNSAFE` but for tab and line feed (carriage returns are made line feeds first)."""
_LINE_BREAK = re.compile(r"\r\n?")
_WORD = re.compile(r"\S+")


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a control character (tabs and line breaks too), a lone surrogate or
    a bidirectional formatting character: one that :func:`one_line` would replace."""
    return _UNSAFE.search(text) is not None


def visible(text: str) -> str:
    """``text`` with its lines and tabs kept, for code, logs and multi-line messages: line breaks
    become ``\\n`` (``\\r\\n`` and a lone ``\\r`` too, as universal newlines read them) and every other
    control, lone surrogate or bidirectional formatting character becomes :data:`MARK`."""
    return _UNSAFE_IN_BLOCK.sub(MARK, _LINE_BREAK.sub("\n", text))


def log_line(text: str) -> str:
    """``text`` as :func:`visible` shows it, with each line break made a space: for one line of a
    terminal or a CI log, where a line break would start a line the text chose (a forged status,
    a GitHub Actions ``::error::`` command). Other whitespace is kept as it is."""
    return visible(text).replace("\n", " ")


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` on one line (every run of whitespace, line breaks included, made one space), with
    control, surrogate and bidirectional formatting characters replaced by :data:`MARK`, and, when
    ``limit`` is given, cut to ``limit`` characters with a final '…'. Reads only as much of
    ``text`` as it keeps, so a huge text costs no more than ``limit``."""
    words: list[str] = []
    size = -1
    for word in _WORD.finditer(text):
        words.append(word.group())
        size += len(words[-1]) + 1
        if limit is not None and size > limit:
            break
    flat = " ".join(words)
    if limit is not None and len(flat) > limit:
        flat = flat[: max(limit - 1, 0)].rstrip() + "…"
    return _UNSAFE.sub(MARK, flat)
