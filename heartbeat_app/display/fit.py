"""The wall always fits one screen: how many tiles a page holds, which page shows which, and the grid shape.

Pure, no I/O. A page never scrolls: the tile area is a fixed share of the screen and its grids divide it
(``assets/heartbeat.css``: the tiles' type scales with the tile through container units). Below the legible
size — ``CAPACITY`` tiles on a 1920×1080 screen, about 300×150 px each — the wall pages instead, one page per
refresh. Reds are pinned to every page while they fit beside a few others; more reds than that page too,
ahead of everything else, so each red is on screen at least once per rotation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Tiles one page holds at a legible size on a 1920×1080 screen (6 columns × 5 rows at the smallest).
CAPACITY = 30
# Reds stay pinned to every page while at least this many other tiles fit beside them.
MIN_OTHERS_PER_PAGE = 6
# Width / height of the tile area (1920×1080 less header, margins, the strips below) and of a tile.
AREA_ASPECT = 2.3
TILE_ASPECT = 2.0
# A red row is this much taller than an attention row (reds come first and largest).
RED_ROW_WEIGHT = 1.6
MAX_COLUMNS = 8
# Up to this many tiles in all, red and attention tiles stand side by side in one row (not one grid above
# the other): two tiles stacked would leave half a TV empty.
ONE_ROW_UP_TO = 4


@dataclass(frozen=True)
class Page:
    """Which reds and which other attention tiles one page shows (indexes into the sorted lists)."""

    red: tuple[int, int]
    others: tuple[int, int]


def pages(reds: int, others: int, capacity: int = CAPACITY) -> list[Page]:
    """Split ``reds`` red and ``others`` amber/error/no-data tiles into pages of at most ``capacity`` tiles."""
    if reds <= capacity - MIN_OTHERS_PER_PAGE:
        per_page = capacity - reds
        count = max(1, math.ceil(others / per_page))
        return [Page((0, reds), (i * per_page, min(others, (i + 1) * per_page))) for i in range(count)]
    # Too many reds to pin: reds rotate first, in pages of their own, then the others.
    red_pages = [Page((i, min(reds, i + capacity)), (0, 0)) for i in range(0, reds, capacity)]
    other_pages = [Page((0, 0), (i, min(others, i + capacity))) for i in range(0, others, capacity)]
    return red_pages + other_pages


def pick(items: list[T], span: tuple[int, int]) -> list[T]:
    return items[span[0]:span[1]]


def columns(count: int, aspect: float) -> int:
    """Columns that make ``count`` tiles closest to TILE_ASPECT in an area of width/height ``aspect``."""
    if count <= 0:
        return 1
    return max(1, min(count, MAX_COLUMNS, round(math.sqrt(count * aspect / TILE_ASPECT))))


def grid_classes(reds: int, others: int) -> tuple[str, str]:
    """CSS classes of the red grid and the attention grid for a page showing ``reds`` and ``others`` tiles.

    ``hb-cols-N`` sets the columns; ``hb-rows-N`` the rows, which are also the grid's share of the tile
    area's height (a red row weighing RED_ROW_WEIGHT), so both grids fill the area and nothing overflows.
    """
    if reds and others and reds + others <= ONE_ROW_UP_TO:
        return f"hb-cols-{reds} hb-rows-1", f"hb-cols-{others} hb-rows-1"
    red_area = RED_ROW_WEIGHT * reds
    total = red_area + others
    red_share = red_area / total if total else 1.0
    out = []
    for count, share in ((reds, red_share), (others, 1.0 - red_share)):
        if count == 0:
            out.append("")
            continue
        cols = columns(count, AREA_ASPECT / max(share, 0.05))
        out.append(f"hb-cols-{cols} hb-rows-{math.ceil(count / cols)}")
    return out[0], out[1]


def one_row(reds: int, others: int) -> bool:
    """Whether the red and the attention grid stand side by side (few tiles of both kinds)."""
    return bool(reds and others and reds + others <= ONE_ROW_UP_TO)
