"""Parsing untrusted XML reports (JUnit, Cobertura) with defusedxml.

Entity declarations and external references are refused (no billion laughs, no quadratic blowup,
no file or URL read). A ``<!DOCTYPE>`` is refused when it has an internal subset (``[...]``, where
entities and default attributes are declared); a bare one naming an external DTD is allowed,
because Cobertura (Java, istanbul, gcovr) writes one, and expat never loads it.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree as SafeET
from defusedxml.common import DTDForbidden

__all__ = ["ParseError", "XmlRefused", "parse_xml"]

XmlRefused = defusedxml.DefusedXmlException
"""Raised for an entity, an external reference or a DTD internal subset."""


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
