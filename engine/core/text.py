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


def tame_text(value: str | None, *, max_length: int) -> str | None:
    """Text from a client Heartbeat only shows (a user agent, a path): never refused, made harmless instead.

    Control, format (bidi) and markup characters (``<>"'`&``) are dropped, runs of spaces collapsed, the
    result cut to ``max_length``; None when nothing is left.
    """
    if value is None:
        return None
    kept = "".join(
        " " if c.isspace() else c for c in value[: max_length * 4]
        if c not in _BIDI_CONTROLS and c not in "<>\"'`&"
        and (c.isspace() or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs"))
    )
    kept = " ".join(kept.split())[:max_length].strip()
    return kept or None
