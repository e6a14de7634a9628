"""Free text an operator types (owner, reason, comment, tag, who): refused when it could deceive or break.

Control characters (a NUL byte makes PostgreSQL fail mid-write) and the Unicode
direction overrides (which make "evil.com" read as "moc.live" on a wall or in a
chat message) are never part of an honest name or reason.
"""

from __future__ import annotations

import unicodedata

from engine.core.errors import FieldRejected

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(field: str, value: str, *, max_length: int, multiline: bool = False) -> str:
    """``value`` stripped, or FieldRejected naming ``field`` and the reason."""
    allowed = "\n\t" if multiline else ""
    for char in value:
        if char in _BIDI_CONTROLS:
            raise FieldRejected(field, f"must not contain the text-direction control U+{ord(char):04X}")
        if unicodedata.category(char) == "Cc" and char not in allowed:
            raise FieldRejected(field, f"must not contain the control character U+{ord(char):04X}")
    value = value.strip()
    if len(value) > max_length:
        raise FieldRejected(field, f"must be at most {max_length} characters")
    return value
