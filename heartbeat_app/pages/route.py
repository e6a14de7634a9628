"""How a page declares itself beside its code: ``@page(route=, title=, on_load=)``.

Reflex's own ``@rx.page`` is re-applied each time the app compiles, and the
production server compiles twice in one process, so every route was logged as
"being redefined". Here the declarations are collected on import and the app
adds each page exactly once (``heartbeat_app.heartbeat_app``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DECLARED: list[tuple[Callable[..., Any], dict[str, Any]]] = []


def page(*, route: str, title: str, on_load: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare ``render`` as the page at ``route``; the app adds it once, after every page module is imported."""

    def declare(render: Callable[..., Any]) -> Callable[..., Any]:
        DECLARED.append((render, {"route": route, "title": title, "on_load": on_load}))
        return render

    return declare
