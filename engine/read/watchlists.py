"""Watchlists: which metrics one team's screen shows. Surface state (table ``heartbeat.watchlist``), never the
registry: a metric file knows nothing of the screens that show it.

A watchlist names metrics, tags and owners; a metric is on it when its id is listed, or it carries one of the
tags, or one of the owners looks after it. ``/?watchlist=<name>`` shows that wall; a red metric that is on no
part of it still shows, in the "elsewhere" strip. Every rule is checked here, so the API and the app refuse the
same input with the same words (``FieldRejected`` names the field).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from sqlalchemy import Engine, text

from engine.contract import METRIC_ID_PATTERN
from engine.core.errors import FieldRejected, NotFound

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"  # a slug: it goes in a TV's URL
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_. -]{0,62}$"
EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")
MAX_TITLE = 80
MAX_ITEMS = 200  # per list: a watchlist is a team's wall, not the registry
# Reserved: the browser's own starred list (``/?watchlist=starred``) is kept in the browser, not here.
RESERVED = ("starred",)


class WatchlistNotFound(NotFound):
    pass


@dataclass(frozen=True)
class Watchlist:
    name: str
    title: str | None
    metrics: tuple[str, ...]
    tags: tuple[str, ...]
    owners: tuple[str, ...]
    updated_by: str | None = None
    updated_at: Any = None

    @property
    def screen_title(self) -> str:
        return self.title or self.name

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "metrics": list(self.metrics), "tags": list(self.tags),
                "owners": list(self.owners), "updated_by": self.updated_by, "updated_at": self.updated_at,
                "screen": f"/?watchlist={self.name}&kiosk=1"}


class _Card(Protocol):
    id: str
    tags: tuple[str, ...]
    owner: str | None


def selects(watchlist: Watchlist, card: _Card) -> bool:
    """Whether ``card`` is on the watchlist: listed by id, or one of its tags, or its owner."""
    return (card.id in watchlist.metrics or any(tag in watchlist.tags for tag in card.tags)
            or (card.owner is not None and card.owner.lower() in (o.lower() for o in watchlist.owners)))


def split(watchlist: Watchlist, cards: Iterable[_Card]) -> tuple[list, list]:
    """(the cards on the watchlist, the others)."""
    inside, outside = [], []
    for card in cards:
        (inside if selects(watchlist, card) else outside).append(card)
    return inside, outside


def _clean_list(field: str, values: Iterable[Any], rule: re.Pattern[str], example: str) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not rule.match(value.strip()):
            raise FieldRejected(field, f"{str(value)[:80]!r} is not valid, e.g. {example}")
        if value.strip() not in out:
            out.append(value.strip())
    if len(out) > MAX_ITEMS:
        raise FieldRejected(field, f"at most {MAX_ITEMS} entries")
    return tuple(out)


def checked(name: str, *, title: str | None, metrics: Iterable[Any], tags: Iterable[Any],
            owners: Iterable[Any]) -> Watchlist:
    """A watchlist from operator input, or ``FieldRejected`` naming the first field to fix."""
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        raise FieldRejected("name", "lower-case letters, digits and dashes, starting with a letter or digit, "
                                    "e.g. aml-team")
    if name in RESERVED:
        raise FieldRejected("name", f"{name!r} is the browser's own starred list; choose another name")
    title = (title or "").strip() or None
    if title is not None and (len(title) > MAX_TITLE or any(ord(c) < 32 for c in title)):
        raise FieldRejected("title", f"at most {MAX_TITLE} characters, one line")
    watchlist = Watchlist(
        name=name, title=title,
        metrics=_clean_list("metrics", metrics, re.compile(METRIC_ID_PATTERN), "payment_approval_rate_24h"),
        tags=_clean_list("tags", tags, re.compile(TAG_PATTERN), "aml"),
        owners=tuple(o.lower() for o in _clean_list("owners", owners, EMAIL, "aml@example.com")),
    )
    if not (watchlist.metrics or watchlist.tags or watchlist.owners):
        raise FieldRejected("metrics", "a watchlist needs at least one metric, tag or owner")
    return watchlist


def _row(row: Any) -> Watchlist:
    return Watchlist(name=row["name"], title=row["title"], metrics=tuple(row["metrics"] or ()),
                     tags=tuple(row["tags"] or ()), owners=tuple(row["owners"] or ()),
                     updated_by=row["updated_by"], updated_at=row["updated_at"])


_COLUMNS = "name, title, metrics, tags, owners, updated_by, updated_at"


def listed(engine: Engine) -> list[Watchlist]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_COLUMNS} FROM heartbeat.watchlist ORDER BY name")).mappings().all()
    return [_row(r) for r in rows]


def get(engine: Engine, name: str) -> Watchlist | None:
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {_COLUMNS} FROM heartbeat.watchlist WHERE name = :n"),
                           {"n": name}).mappings().first()
    return None if row is None else _row(row)


def save(engine: Engine, watchlist: Watchlist, *, actor: str) -> tuple[Watchlist, bool]:
    """Create or replace ``watchlist`` (already ``checked``); refuses metric ids the registry does not hold.

    Returns the stored watchlist and whether it was created.
    """
    with engine.begin() as conn:
        if watchlist.metrics:
            known = set(conn.execute(text("SELECT id FROM heartbeat.metric_registry WHERE id = ANY(:ids) "
                                          "AND retired_at IS NULL"), {"ids": list(watchlist.metrics)}).scalars())
            unknown = [m for m in watchlist.metrics if m not in known]
            if unknown:
                raise FieldRejected("metrics", f"no active metric {', '.join(repr(m) for m in unknown[:5])}")
        before = conn.execute(text(f"SELECT {_COLUMNS} FROM heartbeat.watchlist WHERE name = :n FOR UPDATE"),
                              {"n": watchlist.name}).mappings().first()
        row = conn.execute(text(
            "INSERT INTO heartbeat.watchlist (name, title, metrics, tags, owners, updated_by) "
            "VALUES (:name, :title, :metrics, :tags, :owners, :actor) "
            "ON CONFLICT (name) DO UPDATE SET title = EXCLUDED.title, metrics = EXCLUDED.metrics, "
            "tags = EXCLUDED.tags, owners = EXCLUDED.owners, updated_by = EXCLUDED.updated_by, updated_at = now() "
            f"RETURNING {_COLUMNS}, (xmax = 0) AS created"),
            {"name": watchlist.name, "title": watchlist.title, "metrics": list(watchlist.metrics),
             "tags": list(watchlist.tags), "owners": list(watchlist.owners), "actor": actor},
        ).mappings().one()
        old = _row(before) if before is not None else None
        for field in FIELDS:
            was, now = (None if old is None else _field(old, field)), _field(watchlist, field)
            if was != now:
                _trail(conn, watchlist.name, field, was, now, actor)
    return _row(row), bool(row["created"])


FIELDS = ("title", "metrics", "tags", "owners")


def _field(watchlist: Watchlist, field: str) -> Any:
    value = getattr(watchlist, field)
    return list(value) if isinstance(value, tuple) else value


def _trail(conn: Any, name: str, field: str, old: Any, new: Any, actor: str) -> None:
    """The change trail every operator edit lands in (``registry_change``, entity ``watchlist``)."""
    conn.execute(text("INSERT INTO heartbeat.registry_change (entity, entity_id, field, old_value, new_value, "
                      "changed_by) VALUES ('watchlist', :name, :field, cast(:old AS jsonb), cast(:new AS jsonb), "
                      ":actor)"),
                 {"name": name, "field": field, "old": json.dumps(old), "new": json.dumps(new), "actor": actor})


def changes(engine: Engine, name: str, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT field, old_value, new_value, changed_by, changed_at FROM heartbeat.registry_change "
            "WHERE entity = 'watchlist' AND entity_id = :n ORDER BY id DESC LIMIT :limit"),
            {"n": name, "limit": limit}).mappings()]


def delete(engine: Engine, name: str, *, actor: str = "operator") -> None:
    with engine.begin() as conn:
        gone = conn.execute(text(f"DELETE FROM heartbeat.watchlist WHERE name = :n RETURNING {_COLUMNS}"),
                            {"n": name}).mappings().first()
        if gone is None:
            raise WatchlistNotFound(f"no watchlist {name!r}")
        _trail(conn, name, "watchlist", _row(gone).as_json() | {"updated_at": None}, None, actor)
