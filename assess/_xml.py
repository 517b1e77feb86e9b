"""Parsing untrusted XML reports (JUnit, Cobertura) with defusedxml.

Entity declarations and external references are refused (no billion laughs, no quadratic blowup,
no file or URL read). A ``<!DOCTYPE>`` is refused when it has an internal subset (``[...]``, where
entities and default attributes are declared); a bare one naming an external DTD is allowed,
because Cobertura (Java, istanbul, gcovr) writes one, and expat never loads it.

:func:`parse_xml` builds the whole tree; :func:`walk_xml` streams it, for reports too large to hold
as a tree (an element costs about ten times its text).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, TypeAlias
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree as SafeET
from defusedxml.common import DTDForbidden

__all__ = ["ParseError", "XmlRefused", "parse_xml", "refused", "walk_xml"]

XmlRefused: TypeAlias = defusedxml.DefusedXmlException
"""Raised for an entity, an external reference or a DTD internal subset."""


def refused(err: XmlRefused) -> str:
    """What a report refused for ``err`` says after its path."""
    return f"XML with entity or DTD tricks refused ({type(err).__name__})"


class _Parser(SafeET.DefusedXMLParser):  # type: ignore[misc]  # defusedxml has no type hints
    def __init__(self) -> None:
        super().__init__(target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def defused_start_doctype_decl(self, name: str, sysid: str, pubid: str, has_internal_subset: bool) -> None:
        if has_internal_subset:
            raise DTDForbidden(name, sysid, pubid)


def parse_xml(source: Path | str) -> Element:
    """The root element of the XML file ``source`` (a path) or of the XML text ``source``.

    Raises :data:`XmlRefused` for entity or DTD tricks, :class:`ParseError` for malformed XML and
    OSError for an unreadable file.
    """
    parser = _Parser()
    if isinstance(source, Path):
        return SafeET.parse(source, parser=parser).getroot()  # type: ignore[no-any-return]
    parser.feed(source)
    return parser.close()  # type: ignore[no-any-return]


Event = tuple[Literal["start", "end"], Element, list[Element]]
"""(event, element, its open ancestors from the root down: empty for the root)."""


def walk_xml(source: Path | str, keep: Callable[[Element, Element], bool]) -> Iterator[Event]:
    """``("start", element, ancestors)`` and ``("end", element, ancestors)`` for every element of the
    XML file ``source`` (a path) or XML text, in document order, parsed 16 KiB at a time by
    :func:`parse_xml`'s parser (so the same documents are refused).

    At ``start`` an element has its attributes; at ``end`` its text and the children kept so far.
    Once the caller has handled an element's ``end``, the element is removed from its parent unless
    ``keep(element, parent)`` says otherwise, so memory is bounded by what is kept, not by the
    document: keep only what an open ancestor still needs (the root itself is never removed).
    ``ancestors`` is one list, changed as the walk goes on: read it, do not keep it. Raises what
    parse_xml raises, while iterating: nothing is checked ahead, so the caller must not act on
    what it has seen before the walk ends.
    """
    stream = source if isinstance(source, Path) else io.StringIO(source)
    events = SafeET.iterparse(stream, ("start", "end"), parser=_Parser())
    ancestors: list[Element] = []
    kept: list[int] = []  # per open element, how many of its children were kept
    for event, element in events:
        if event == "start":
            yield "start", element, ancestors
            ancestors.append(element)
            kept.append(0)
            continue
        ancestors.pop()
        kept.pop()
        yield "end", element, ancestors
        if not ancestors:
            continue
        # The parser may be ahead of the events (it works a chunk at a time), so the parent may
        # already hold later siblings: this element is the one after those kept, not the last.
        if keep(element, ancestors[-1]):
            kept[-1] += 1
        else:
            del ancestors[-1][kept[-1]]
