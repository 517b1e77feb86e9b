"""How much memory decoding a JSON document will take, told from its text without decoding it.

Python's json has no streaming decoder: a document is decoded whole, and a hostile one costs up
to about 35 times its size (``[[]],`` repeated: two lists of 64 bytes for five bytes of text).
Readers of untrusted JSON check :func:`decoded_size` against a budget before calling json.loads.
"""

from __future__ import annotations

CONTAINER_BYTES = 104
"""An empty list or dict (56 to 64 bytes), its slot in its parent, and the value that ends it."""
VALUE_BYTES = 40
"""A value after a comma, or a member after a colon: an int or float object and its slot, or a
dict entry; strings add their header below, and their characters."""
QUOTE_BYTES = 28
"""Half the header of a string object (two quotes a string)."""
WIDE = 4
"""Bytes a character at most, taken for text that is not all ASCII: CPython stores a string with
one character beyond U+FFFF at four bytes a character, all of them."""


def decoded_size(text: bytes | str) -> int:
    """An estimate, meant to be on the high side, of the bytes ``json.loads(text)`` will allocate.

    Counts brackets, braces, commas, colons and quotes (including those inside strings, which
    only makes it higher) and adds the text itself, four times over when it is not all ASCII.
    Measured against json.loads, it is 1.1 to 2.3 times what is taken: about twice for
    coverage.py's reports and Chaos Toolkit's journals (small numbers and repeated keys are
    shared), closest for lists of numbers and nested lists. Whitespace costs nothing. Never raises.
    """
    if isinstance(text, str):
        brackets, braces, commas, colons, quotes = (text.count(c) for c in '[{,:"')
    else:
        brackets, braces, commas, colons, quotes = (text.count(c) for c in (b"[", b"{", b",", b":", b'"'))
    characters = len(text) * (1 if text.isascii() else WIDE)
    return CONTAINER_BYTES * (brackets + braces) + VALUE_BYTES * (commas + colons) + QUOTE_BYTES * quotes + characters
