"""A full-width banner of the cockpit (class ``hb-banner``): what is wrong with the wall, in one line."""

from __future__ import annotations

import reflex as rx

# Orange for "the values may be old" (no connection, no database), yellow for "the data stopped moving".
TONE = {"stale": "var(--orange-9)", "frozen": "var(--yellow-9)"}


def banner(when: rx.Var, *text, element_id: str, tone: str = "stale") -> rx.Component:
    """Shown while ``when`` holds; black text on the tone's colour reads from across a room."""
    return rx.cond(
        when,
        rx.el.div(*text, class_name="hb-banner", id=element_id, style={"background": TONE[tone], "color": "black"}),
    )
