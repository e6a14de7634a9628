"""An audit page as the page reads it: one card per cut, strings and figures only. Pure, no I/O.

Input is what ``engine.audit.read.page`` returns (the registry row of each cut
with its snapshot per window); output is a ``CutCard`` per cut plus, kept
beside it, the figure of every window so switching windows re-reads nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from heartbeat_app.display import cut_charts
from heartbeat_app.display.text import when
from heartbeat_app.display.tiles import CUT_ROUTES

PAGE_TITLES = {"overview": "Audit — overview", "clients": "Audit — clients", "journeys": "Audit — journeys"}
PAGE_ROUTES = CUT_ROUTES
PAGE_INTROS = {
    "overview": "Money in and out, fees, the ledger and the feeds behind the wall: check a number against the data.",
    "clients": "Who our clients are and who owes us: collateral arrears, segments, dormancy, card lifecycle.",
    "journeys": "How clients move through us: onboarding, KYC, payment approval, AML cases, processing times.",
}
# A snapshot older than this is said to be stale (they are refreshed daily, and on incidents).
STALE_AFTER = timedelta(hours=36)
SHORT = "%d %b %H:%M"


class CutCard(TypedDict):
    """One cut on its page; keys are checked against the page in tests/app."""

    id: str
    title: str
    href: str
    prose_before: str
    prose_after: str
    window: str
    windows: list[str]
    headline: str
    freshness: str          # fresh | stale | never
    freshness_text: str
    error: str
    owner: str
    verification_state: str
    verification: str
    chart_height: str
    empty: str
    table: dict             # a table cut: columns, rows of cells (text), "more"; {} for a chart


def cut_href(cut: dict[str, Any]) -> str:
    """The anchor of a cut on its page: ``/audit/clients#collateral_arrears``."""
    return f"{PAGE_ROUTES[cut['page']]}#{cut['id']}"


def freshness(computed_at: datetime | None, now: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """(state, text) of a snapshot's age: computed when, stale after 36 h, never computed."""
    if computed_at is None:
        return "never", "not computed yet — run `heartbeat cuts refresh`"
    state = "stale" if now - computed_at > STALE_AFTER else "fresh"
    text = f"computed {when(computed_at, tz, SHORT)}"
    return state, (f"stale · {text}" if state == "stale" else text)


def verification_text(cut: dict[str, Any], tz: ZoneInfo) -> str:
    if cut.get("verification_state") == "verified":
        by = cut.get("verified_by") or "someone"
        return f"verified by {by}" + (f" on {when(cut['verified_at'], tz, '%d %b %Y')}" if cut.get("verified_at")
                                        else "")
    return "unverified"


def card(cut: dict[str, Any], window: str, figure: dict[str, Any], now: datetime, tz: ZoneInfo) -> CutCard:
    snap = cut["snapshots"].get(window) or {}
    payload = snap.get("payload") or {}
    state, text = freshness(snap.get("computed_at"), now, tz)
    source = snap.get("source_as_of")
    if source is not None and state != "never":
        text += f" · data as of {when(source, tz, SHORT)}"
    return CutCard(
        id=cut["id"],
        title=cut["title"],
        href=cut_href(cut),
        prose_before=cut.get("prose_before") or "",
        prose_after=cut.get("prose_after") or "",
        window=window,
        windows=list(cut["windows"]),
        headline=str(payload.get("headline") or ""),
        freshness=state,
        freshness_text=text,
        error=(snap.get("error") or "")[:300],
        owner=cut.get("owner") or "",
        verification_state=cut.get("verification_state") or "unverified",
        verification=verification_text(cut, tz),
        chart_height=f"{cut_charts.height(figure)}px" if figure else "0px",
        table=figure.get("table") or {},
        empty="" if figure else ("The last computation failed and no earlier snapshot exists." if snap.get("error")
                                 else "Nothing to draw for this window yet."),
    )


def page(cuts: list[dict[str, Any]], chosen: dict[str, str], now: datetime,
         tz: ZoneInfo) -> tuple[list[CutCard], dict[str, dict[str, dict[str, Any]]]]:
    """The cards of a page (each in its chosen window, else its default) and every window's figure."""
    figures: dict[str, dict[str, dict[str, Any]]] = {}
    cards: list[CutCard] = []
    for cut in cuts:
        figures[cut["id"]] = {w: cut_charts.figure((cut["snapshots"].get(w) or {}).get("payload"))
                              for w in cut["windows"]}
        window = chosen.get(cut["id"])
        if window not in cut["windows"]:
            window = cut["window_default"]
        cards.append(card(cut, window, figures[cut["id"]].get(window) or {}, now, tz))
    return cards, figures


def metric_cut_row(cut: dict[str, Any], now: datetime, tz: ZoneInfo) -> dict[str, str]:
    """A cut as the metric's page lists it: title, page, freshness, link."""
    state, text = freshness(cut.get("computed_at"), now, tz)
    if cut.get("error"):
        text += " · last run failed"
    return {"id": cut["id"], "title": cut["title"], "page": cut["page"], "href": cut_href(cut),
            "freshness": state, "freshness_text": text}
