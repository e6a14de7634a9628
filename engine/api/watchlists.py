"""REST routes of the watchlists: which metrics a team's screen shows (reads open, writes need the operator token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from engine.api.deps import Json, require_operator, require_reader, runtime_of
from engine.api.schemas.errors import READ, WRITE, errors
from engine.api.schemas.watchlists import WatchlistDeleted, WatchlistDetail, WatchlistList, WatchlistSaved
from engine.read import watchlists

router = APIRouter(prefix="/api", dependencies=[Depends(require_reader)])

WatchlistName = Annotated[str, Path(pattern=watchlists.NAME_PATTERN, max_length=63,
                                    description="the watchlist's name (a slug, as in /?watchlist=<name>)")]
Entries = Annotated[list[Annotated[str, Field(max_length=254)]], Field(max_length=watchlists.MAX_ITEMS)]


class WatchlistBody(BaseModel):
    """A whole watchlist: at least one of metrics, tags, owners. PUT replaces what was there."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"title": "AML team", "metrics": ["aml_open_cases"], "tags": ["aml"],
         "owners": ["mlro@satchel.example"]}]})

    title: Annotated[str | None, Field(max_length=watchlists.MAX_TITLE,
                                       description="the screen's title (null: the name)")] = None
    metrics: Annotated[Entries, Field(description="ids of active metrics to show")] = []
    tags: Annotated[Entries, Field(description="show every metric carrying one of these tags")] = []
    owners: Annotated[Entries, Field(description="show every metric owned by one of these email addresses")] = []


@router.get("/watchlists", response_class=Json, response_model=WatchlistList,
            responses=errors(401, 503), tags=["watchlists"], summary="Every watchlist")
def list_watchlists(request: Request) -> Json:
    """Each with `screen`, the address to open on a TV. See [the cockpit](/docs/cockpit)."""
    return Json({"watchlists": [w.as_json() for w in watchlists.listed(runtime_of(request).db.engine())]})


@router.get("/watchlists/{name}", response_class=Json, response_model=WatchlistDetail,
            responses=errors(404, *READ, why={404: "No watchlist by that name"}), tags=["watchlists"],
            summary="One watchlist")
def get_watchlist(request: Request, name: WatchlistName) -> Json:
    """With its change trail: field, old, new, who, when."""
    found = watchlists.get(runtime_of(request).db.engine(), name)
    if found is None:
        raise watchlists.WatchlistNotFound(f"no watchlist {name!r}")
    return Json({**found.as_json(), "changes": watchlists.changes(runtime_of(request).db.engine(), name)})


@router.put("/watchlists/{name}", response_class=Json, response_model=WatchlistSaved,
            response_description="Replaced an existing watchlist",
            responses={201: {"model": WatchlistSaved, "description": "Created"}, **errors(*WRITE)}, tags=["watchlists"],
            summary="Create or replace a watchlist (operator token)")
def put_watchlist(request: Request, name: WatchlistName, body: WatchlistBody,
                  actor: str = Depends(require_operator)) -> Json:
    """Creates (`201`) or replaces (`200`) the watchlist: lists left out are emptied, at least one entry in total.
    The name: lower-case letters, digits and dashes (`starred` is reserved for a browser's own stars). Metric
    ids must name active metrics and owners must be emails; otherwise `422` naming the field (`metrics`, `tags`,
    `owners`, `title`, `path.name`).
    """
    checked = watchlists.checked(name, title=body.title, metrics=body.metrics, tags=body.tags, owners=body.owners)
    saved, created = watchlists.save(runtime_of(request).db.engine(), checked, actor=actor)
    return Json({"created": created, "watchlist": saved.as_json()}, status_code=201 if created else 200)


@router.delete("/watchlists/{name}", response_class=Json, response_model=WatchlistDeleted,
               responses=errors(404, *WRITE, why={404: "No watchlist by that name"}), tags=["watchlists"],
               summary="Delete a watchlist (operator token); its screens fall back to the whole wall")
def delete_watchlist(request: Request, name: WatchlistName, actor: str = Depends(require_operator)) -> Json:
    """`404` when there is none by that name; its change trail keeps what it was. Its screens show the whole wall
    from their next refresh.
    """
    watchlists.delete(runtime_of(request).db.engine(), name, actor=actor)
    return Json({"deleted": name})
