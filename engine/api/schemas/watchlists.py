"""The answers of the watchlist routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from engine.api.schemas.base import Answer, Change, example

AML = {"name": "aml-team", "title": "AML team", "metrics": [], "tags": ["aml"], "owners": [],
       "updated_by": "operator", "updated_at": "2026-11-30T09:02:17.450000+00:00",
       "screen": "/?watchlist=aml-team&kiosk=1"}


class Watchlist(Answer):
    """Which metrics one team's screen shows: a metric is on it by id, by one of its tags, or by its owner."""

    model_config = example(AML)

    name: str = Field(description="a slug: lower-case letters, digits and dashes")
    title: str | None = Field(description="the screen's title (null: the name)")
    metrics: list[str]
    tags: list[str]
    owners: list[str]
    updated_by: str | None
    updated_at: datetime | None
    screen: str = Field(description="the address to open on a TV")


class WatchlistList(Answer):
    """Every watchlist, by name."""

    model_config = example({"watchlists": [AML]})

    watchlists: list[Watchlist]


class WatchlistDetail(Watchlist):
    """One watchlist with its change trail."""

    model_config = example({**AML, "changes": [
        {"field": "tags", "old_value": None, "new_value": ["aml"], "changed_by": "operator",
         "changed_at": "2026-11-30T09:02:17.450000+00:00"}]})

    changes: list[Change] = Field(description="newest first")


class WatchlistSaved(Answer):
    """The watchlist as stored; 201 when it was created, 200 when it replaced one."""

    model_config = example({"created": True, "watchlist": AML})

    created: bool = Field(description="true when there was no watchlist by that name (status 201)")
    watchlist: Watchlist


class WatchlistDeleted(Answer):
    """The watchlist is gone; its change trail keeps what it was."""

    model_config = example({"deleted": "aml-team"})

    deleted: str = Field(description="the name of the watchlist deleted")
