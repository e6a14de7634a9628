"""Payload kinds: the JSON shape of each chart a cut can return, with its check.

A payload is ``{"kind": <kind>, ...}``; ``validate`` returns what is wrong
with it (empty: it may be stored). Cells are made JSON first (``jsonable``):
``Decimal`` → float, dates → ISO strings, so cut SQL can return rows as they
come. The renderers in ``heartbeat_app/display/cut_charts.py`` draw exactly
these kinds; a new kind is one entry here and one renderer there.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

# Optional keys every kind may carry: the axis unit, a one-line headline.
COMMON_OPTIONAL = {"unit", "headline", "y_title", "x_title"}


def jsonable(value: Any) -> Any:
    """``value`` with Decimals, dates and tuples turned into JSON types."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value))


def _labels(payload: dict, key: str, problems: list[str]) -> list:
    values = payload.get(key)
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) for v in values):
        problems.append(f"'{key}' must be a list of labels")
        return []
    return values


def _series(payload: dict, length: int, problems: list[str]) -> None:
    series = payload.get("series")
    if not isinstance(series, list) or not series:
        problems.append("'series' must be a non-empty list of {name, values}")
        return
    for i, one in enumerate(series):
        if not isinstance(one, dict) or not isinstance(one.get("name"), str):
            problems.append(f"series[{i}] needs a 'name' string")
            continue
        values = one.get("values")
        if not isinstance(values, list) or len(values) != length or not all(_number(v) for v in values):
            problems.append(f"series[{i}] ('{one['name']}') needs {length} numbers (or null) in 'values'")


def _xy(payload: dict, problems: list[str]) -> None:
    _series(payload, len(_labels(payload, "x", problems)), problems)


def _funnel(payload: dict, problems: list[str]) -> None:
    stages = payload.get("stages")
    if not isinstance(stages, list) or not stages or not all(
        isinstance(s, dict) and isinstance(s.get("label"), str) and "value" in s and _number(s["value"])
        for s in stages
    ):
        problems.append("'stages' must be a non-empty list of {label, value}")


def _histogram(payload: dict, problems: list[str]) -> None:
    bins = payload.get("bins")
    if not isinstance(bins, list) or not bins or not all(
        isinstance(b, dict) and isinstance(b.get("label"), str) and "count" in b and _number(b["count"])
        for b in bins
    ):
        problems.append("'bins' must be a non-empty list of {label, count}")


def _table(payload: dict, problems: list[str]) -> None:
    columns = payload.get("columns")
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        problems.append("'columns' must be a non-empty list of names")
        return
    rows = payload.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == len(columns) for r in rows):
        problems.append(f"'rows' must be a list of rows of {len(columns)} cells")
        return
    for r, row in enumerate(rows):
        if not all(c is None or isinstance(c, (str, int, float, bool)) for c in row):
            problems.append(f"rows[{r}] has a cell that is not text, a number, a boolean or null")
            return


def _heatmap(payload: dict, problems: list[str]) -> None:
    x = _labels(payload, "x", problems)
    y = _labels(payload, "y", problems)
    z = payload.get("z")
    if not isinstance(z, list) or len(z) != len(y) or not all(
        isinstance(row, list) and len(row) == len(x) and all(_number(v) for v in row) for row in z
    ):
        problems.append(f"'z' must be {len(y)} rows (one per y) of {len(x)} numbers (one per x)")


# kind → (required keys, optional keys, check). Optional keys beyond COMMON_OPTIONAL are kind-specific.
KINDS: dict[str, tuple[set[str], set[str], Callable[[dict, list[str]], None]]] = {
    "timeseries": ({"x", "series"}, set(), _xy),
    "bars": ({"x", "series"}, {"stacked"}, _xy),
    "funnel": ({"stages"}, set(), _funnel),
    "histogram": ({"bins"}, set(), _histogram),
    "table": ({"columns", "rows"}, {"highlight"}, _table),
    "heatmap": ({"x", "y", "z"}, set(), _heatmap),
}


def validate(payload: Any) -> list[str]:
    """What is wrong with ``payload`` against its kind's schema (empty list: valid)."""
    if not isinstance(payload, dict):
        return [f"compute must return a dict, got {type(payload).__name__}"]
    kind = payload.get("kind")
    if kind not in KINDS:
        return [f"'kind' must be one of {', '.join(sorted(KINDS))}, got {kind!r}"]
    required, optional, check = KINDS[kind]
    problems = [f"'{key}' is missing" for key in sorted(required - set(payload))]
    extra = set(payload) - required - optional - COMMON_OPTIONAL - {"kind"}
    problems += [f"'{key}' is not a field of kind {kind}" for key in sorted(extra)]
    if not problems:
        check(payload, problems)
    return problems


def is_empty(payload: dict) -> bool:
    """A valid payload with nothing to draw (no rows, no points, all zero stages)."""
    kind = payload["kind"]
    if kind == "table":
        return not payload["rows"]
    if kind == "funnel":
        return not any(s["value"] for s in payload["stages"])
    if kind == "histogram":
        return not any(b["count"] for b in payload["bins"])
    if kind == "heatmap":
        return not payload["y"]
    return not payload["x"]
