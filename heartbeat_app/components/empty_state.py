"""The page that has nothing to show yet: an icon, a heading, one sentence and the way on."""

from __future__ import annotations

import reflex as rx


def empty_state(icon: str, heading: str, *text, link: tuple[str, str], element_id: str, large: bool = False,
                link_id: str | None = None) -> rx.Component:
    """Centred in the page; ``large`` for a dead end (a wrong address), the normal size for "not yet"."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=72 if large else 64, color=rx.color("gray", 9)),
            rx.heading(heading, size="9" if large else "8"),
            rx.text(*text, size="6" if large else "5", align="center"),
            rx.link(link[0], href=link[1], size="6" if large else "5", **({"id": link_id} if link_id else {})),
            align="center",
            spacing="5" if large else "4",
            max_width="56rem" if large else "48rem",
        ),
        id=element_id,
        padding_top="18vh" if large else "20vh",
        width="100%",
    )
