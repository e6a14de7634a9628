"""The cursor lag's re-reads, dropped when they are exactly the rows landed last time.

An update cursor re-reads the last ``lag_seconds`` before its last value on
every run (a row whose transaction committed late is not skipped). On a quiet
source those re-read rows are all the run finds, and landing them costs a
whole merge (staging table, delete, insert) for nothing: card_management's
no-change re-run was a tenth of its full load. ``LagWindow`` remembers a
digest of every row in the newest lag window (in dlt's resource state, so it
moves with the incremental cursor and is committed with it) and drops a
re-read row whose digest — every column, cursor included — it has seen. A row
that changed in any column, or arrived late, is landed as before.
"""

from __future__ import annotations

import hashlib
from typing import Any

import dlt

STATE_KEY = "heartbeat_lag_window"
# A window this full is a busy table, not a quiet one: its re-reads are landed rather than the state grown.
MAX_WINDOW_ROWS = 20_000
_UNITS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _digest(row: dict[str, Any]) -> str:
    return hashlib.blake2b(repr(sorted(row.items())).encode(), digest_size=12).hexdigest()


class LagWindow:
    """A map step of one table's resource (one instance per run): drops re-reads, records the new window."""

    def __init__(self, table: str, cursor: str, lag_seconds: int) -> None:
        self.table = table
        self.cursor = cursor
        self.lag_seconds = lag_seconds
        self._state: dict[str, Any] | None = None
        self._seen: dict[str, int] = {}  # rows landed by earlier runs, digest -> cursor value
        self._window: dict[str, int] = {}  # the window this run leaves behind
        self._newest: int | None = None

    def _open(self, unit: str) -> None:
        self._state = dlt.current.resource_state(self.table)
        stored = self._state.get(STATE_KEY) or {}
        if stored.get("unit") == unit:
            self._seen = dict(stored.get("rows") or {})
            self._window = dict(self._seen)
            self._newest = max(self._seen.values(), default=None)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        names = getattr(batch, "column_names", None)
        if names is None or self.cursor not in names or not getattr(batch, "num_rows", 0):
            return batch
        column = batch.column(names.index(self.cursor))
        if not pa.types.is_timestamp(column.type):
            return batch
        unit = column.type.unit
        if self._state is None:
            self._open(unit)
        values = pc.cast(column, pa.int64())
        top = pc.max(values).as_py()
        if top is None:
            return batch
        self._newest = top if self._newest is None else max(self._newest, top)
        since = self._newest - self.lag_seconds * _UNITS_PER_SECOND[unit]
        # Only rows in the new window, or inside the span of the rows seen before, need a digest: a
        # handful. (Rows newer than the newest seen one cannot have been seen: a +1 % run's new rows
        # are not digested, bar those of its own last 60 s.)
        near = pc.greater_equal(values, since)
        if self._seen:
            seen_span = pc.and_(pc.greater_equal(values, min(self._seen.values())),
                                pc.less_equal(values, max(self._seen.values())))
            near = pc.or_(near, seen_span)
        positions = pc.indices_nonzero(pc.fill_null(near, False)).to_pylist()
        keep = None
        if positions:
            rows = batch.take(pa.array(positions)).to_pylist()
            cursor_values = values.take(pa.array(positions)).to_pylist()
            dropped = []
            for position, row, value in zip(positions, rows, cursor_values):
                digest = _digest(row)
                if self._seen.get(digest) == value:
                    dropped.append(position)
                if value >= since:
                    self._window[digest] = value
            if dropped:
                mask = [True] * batch.num_rows
                for position in dropped:
                    mask[position] = False
                keep = pa.array(mask)
        self._window = {d: v for d, v in self._window.items() if v >= since}
        if len(self._window) > MAX_WINDOW_ROWS:
            self._window = {}
        self._state[STATE_KEY] = {"unit": unit, "rows": self._window}
        return batch.filter(keep) if keep is not None else batch
