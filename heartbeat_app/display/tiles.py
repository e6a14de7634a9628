"""Shape read-model cards into what a tile shows: texts, colours, sparkline paths. Pure, no I/O.

Everything is a string so the frontend does no arithmetic and a refresh
sends only what changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict
from zoneinfo import ZoneInfo

from engine.contract import Freshness, Status
from engine.core import formatting
from engine.read.cards import MetricCard
from heartbeat_app.display import fit
from heartbeat_app.display.text import crossed_text

SPARK_W, SPARK_H = 100.0, 30.0
# Above this many greens, they collapse into one "N OK" strip.
GREEN_STRIP_AFTER = 24
# Green tiles take room below the attention tiles only while a page shows at most this many of those;
# a fuller page collapses the greens into the strip (the wall must fit one screen).
GREEN_TILES_BESIDE = 12


def _finite(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def sparkline(card: MetricCard) -> dict[str, str]:
    """SVG paths (viewBox 0 0 100 30) of the 30-day values and the norm/alert lines, on one scale."""
    values = [value for _, value in card.history]
    points = _finite(values)
    if not points:
        return {"spark": "", "norm": "", "alert": ""}
    lines = _finite([card.norm_value, card.alert_value])
    low, high = min(points + lines), max(points + lines)
    if high == low:
        high, low = high + 1, low - 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad

    def y(v: float) -> float:
        return round(SPARK_H - (v - low) / (high - low) * SPARK_H, 2)

    step = SPARK_W / max(len(values) - 1, 1)
    parts, pen_down = [], False
    for i, value in enumerate(values):
        if value is None or not math.isfinite(value):
            pen_down = False  # a gap in the data is a gap in the line
            continue
        parts.append(f"{'L' if pen_down else 'M'}{round(i * step, 2)} {y(value)}")
        pen_down = True

    def hline(v: float | None) -> str:
        return "" if v is None or not math.isfinite(v) else f"M0 {y(v)} L{SPARK_W} {y(v)}"

    return {"spark": " ".join(parts), "norm": hline(card.norm_value), "alert": hline(card.alert_value)}


def clock_text(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%H:%M") if local.date() == now.astimezone(tz).date() else local.strftime("%d %b %H:%M")


def freshness_text(card: MetricCard, tz: ZoneInfo, now: datetime) -> str:
    if card.source_as_of is None:
        return "never synced"
    when = clock_text(card.source_as_of, tz, now)
    if card.freshness is Freshness.FRESH:
        return f"as of {when}"
    return f"{card.freshness.value} · as of {when}"


def alert_mark(mark: dict | None, tz: ZoneInfo, now: datetime) -> tuple[str, str]:
    """What the alerting layer says about a tile, as (kind, words): silenced, acknowledged, alerting — or
    ("", ""). The page draws the kind as an icon (no emoji: a TV without emoji fonts shows empty boxes)."""
    if not mark:
        return "", ""
    if "silenced" in mark:
        return "silenced", f"silenced until {clock_text(mark['silenced']['until'], tz, now)}"
    if "acknowledged" in mark:
        return "acknowledged", f"acknowledged by {mark['acknowledged']['by']}"
    if "firing" in mark:
        return "firing", "alert sent"
    if "pending" in mark:
        return "pending", "alert pending"
    return "", ""


class Tile(TypedDict):
    """One tile as the page reads it; the page's keys are checked against this in tests/app."""

    id: str
    name: str
    value: str
    period: str
    status: str
    freshness: str
    freshness_text: str
    crossed: str
    error: str
    owner: str
    unverified: str
    target_hit: str
    spark: str
    norm_line: str
    alert_line: str
    mark: str
    mark_kind: str  # silenced / acknowledged / firing / pending: which icon goes before ``mark``
    cut_href: str   # the first audit cut that explains it (red and amber tiles only; "" otherwise)
    cut_title: str


def tile_owner(owner: str | None) -> str:
    """Who owns the metric, as a tile has room for: the name before the ``@`` of an e-mail ("mlro", not
    "mlro@sa" cut at the tile's edge across the room); the whole address is on the metric's page."""
    if not owner:
        return "no owner"
    return owner.split("@", 1)[0] or owner


CUT_ROUTES = {"overview": "/audit", "clients": "/audit/clients", "journeys": "/audit/journeys"}


def tile(card: MetricCard, tz: ZoneInfo, now: datetime, mark: dict | None = None,
         cut: dict | None = None) -> Tile:
    paths = sparkline(card)
    mark_kind, mark_text = alert_mark(mark, tz, now)
    return Tile(
        id=card.id,
        name=card.name,
        value=formatting.value(card.value, card.unit, card.currency),
        period=card.period,
        status=card.status.value,
        freshness=card.freshness.value,
        freshness_text=freshness_text(card, tz, now),
        crossed=crossed_text(card, short=True),
        error=(card.error or "")[:140],
        owner=tile_owner(card.owner),
        unverified="" if card.verification_state == "verified" else "unverified",
        target_hit="target hit" if card.target_hit else "",
        spark=paths["spark"],
        norm_line=paths["norm"],
        alert_line=paths["alert"],
        mark=mark_text,
        mark_kind=mark_kind,
        cut_href=(f"{CUT_ROUTES.get(cut['page'], '/audit')}#{cut['id']}"
                  if cut and card.status in (Status.RED, Status.AMBER) else ""),
        cut_title=cut["title"] if cut and card.status in (Status.RED, Status.AMBER) else "",
    )


@dataclass
class Board:
    """One page of the cockpit: its tiles in attention order, sized to fit one screen (``fit``).

    On a watchlist screen the tiles are the watchlist's and ``elsewhere`` holds the reds outside it.
    """

    red: list[Tile] = field(default_factory=list)
    attention: list[Tile] = field(default_factory=list)  # amber, then error / no data
    green: list[Tile] = field(default_factory=list)
    pages: int = 1
    elsewhere: list[Tile] = field(default_factory=list)
    page: int = 0  # which page this is (0-based)

    @property
    def green_strip(self) -> bool:
        return len(self.green) > GREEN_STRIP_AFTER or len(self.red) + len(self.attention) > GREEN_TILES_BESIDE

    @property
    def red_grid(self) -> str:
        return fit.grid_classes(len(self.red), len(self.attention))[0]

    @property
    def attention_grid(self) -> str:
        return fit.grid_classes(len(self.red), len(self.attention))[1]

    @property
    def tiles_layout(self) -> str:
        return "hb-tiles hb-tiles-row" if fit.one_row(len(self.red), len(self.attention)) else "hb-tiles"


def board(cards: list[MetricCard], tz: ZoneInfo, now: datetime, page: int = 0,
          marks: dict[str, dict] | None = None, cuts: dict[str, dict] | None = None,
          elsewhere: list[MetricCard] | None = None) -> Board:
    """Group cards red / amber + error + no data / green, then take page ``page`` of them (``fit.pages``).
    Within a group the order is by name, so a tile moves only when its status changes (a wall must not
    shuffle every refresh). ``elsewhere``: cards outside a watchlist, of which the reds are shown apart."""
    groups: dict[str, list[MetricCard]] = {"red": [], "attention": [], "green": []}
    for card in cards:
        key = "red" if card.status is Status.RED else "green" if card.status is Status.GREEN else "attention"
        groups[key].append(card)
    order = {Status.AMBER: 0, Status.ERROR: 1, Status.NO_DATA: 2}
    groups["attention"].sort(key=lambda c: (order.get(c.status, 3), c.name.lower()))
    groups["red"].sort(key=lambda c: c.name.lower())
    groups["green"].sort(key=lambda c: c.name.lower())
    layout = fit.pages(len(groups["red"]), len(groups["attention"]))
    page %= len(layout)
    shown = layout[page]
    marks, cuts = marks or {}, cuts or {}
    outside = sorted((c for c in elsewhere or () if c.status is Status.RED), key=lambda c: c.name.lower())
    return Board(
        red=[tile(c, tz, now, marks.get(c.id), cuts.get(c.id)) for c in fit.pick(groups["red"], shown.red)],
        attention=[tile(c, tz, now, marks.get(c.id), cuts.get(c.id)) for c in fit.pick(groups["attention"], shown.others)],
        green=[tile(c, tz, now, marks.get(c.id)) for c in groups["green"]],
        pages=len(layout),
        elsewhere=[tile(c, tz, now, marks.get(c.id)) for c in outside],
        page=page,
    )


TILE_LISTS = ("red", "attention", "green", "elsewhere")


def reuse_equal(new: Board, old: Board) -> Board:
    """``new``, holding ``old``'s tile lists and tiles wherever they are equal.

    Every open tab's state keeps references to the board it was given; two reads of an unchanged wall give
    equal but distinct tiles, and a tab keeps whichever copy it got first. Reusing the previous read's objects
    keeps one copy of each tile per worker, however many reads there were (docs/performance.md, Sessions).
    """
    known = {t["id"]: t for name in TILE_LISTS for t in getattr(old, name)}
    for name in TILE_LISTS:
        tiles_now = [known[t["id"]] if known.get(t["id"]) == t else t for t in getattr(new, name)]
        previous = getattr(old, name)
        setattr(new, name, previous if tiles_now == previous else tiles_now)
    return new
