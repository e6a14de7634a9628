"""Helpers for cut modules: turn query rows into the payload of a kind, so a cut is SQL plus a call.

``pivot`` is for rows of (x, series name, value) — the shape a GROUP BY gives —
and fills the holes with 0 (or None), so every series has a value per x.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence


def pivot(rows: Iterable[Sequence[Any]], *, names: Sequence[str] | None = None, fill: Any = 0,
          x: Sequence[Any] | None = None) -> tuple[list[Any], list[dict[str, Any]]]:
    """(x labels, series) from rows (x, name, value); ``names`` fixes the series and their order."""
    cells: dict[tuple[Any, Any], Any] = {}
    xs: list[Any] = list(x) if x is not None else []
    seen = set(xs)
    found: list[Any] = []
    for at, name, value in rows:
        if x is None and at not in seen:
            xs.append(at)
            seen.add(at)
        if name not in found:
            found.append(name)
        cells[(at, name)] = value
    order = list(names) if names is not None else found
    series = [{"name": str(n), "values": [_num(cells.get((at, n), fill)) for at in xs]} for n in order]
    return [_label(v) for v in xs], series


def columns(rows: Iterable[Sequence[Any]], *names: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """(x labels, series) from rows (x, value1, value2, …): one series per column after the first."""
    rows = list(rows)
    xs = [_label(r[0]) for r in rows]
    return xs, [{"name": name, "values": [_num(r[i + 1]) for r in rows]} for i, name in enumerate(names)]


def _label(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _num(value: Any) -> Any:
    return None if value is None else float(value)
