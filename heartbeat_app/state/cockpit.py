"""The cockpit's state and its refresh loop: reads the read model on a fixed interval, forever.

The loop runs on the server (started from on_load; ``supersedes`` keeps one
per tab across reloads) and only reads registry + history. If the database
is down, the last good tiles stay, dimmed, with "database unreachable since";
if data stops moving, a "frozen since" banner says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
import urllib.parse
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import reflex as rx

from engine import runtime
from engine.alerts import silences
from engine.read import jobs, screens, watchlists
from engine.read.cards import metric_cards
from engine.read.evidence import first_cuts
from heartbeat_app import sessions
from heartbeat_app.app import app
from heartbeat_app.display import cockpit, tiles
from heartbeat_app.display import last_wall as last_wall_display
from heartbeat_app.state import last_wall
from heartbeat_app.state.shared_snapshot import SnapshotCache
from heartbeat_app.state.shell import ShellState
from heartbeat_app.state.stars import StarState, starred_ids

log = logging.getLogger(__name__)

ROTATE_EVERY_TICKS = 1  # attention pages turn once per refresh when they do not fit
DISCONNECTED_GRACE_SECONDS = 3.0  # a tab gone this long stops its loop (a reconnect or reload starts a new one)
DISCONNECT_CHECK_SECONDS = 1.0  # how often a sleeping loop looks whether its tab is still there
PIXEL_SHIFT_PHASES = 4


def _watchlist(engine, name: str, starred: tuple[str, ...]) -> tuple[watchlists.Watchlist | None, str]:
    """The watchlist a screen asked for, and what to say when there is none by that name."""
    if not name:
        return None, ""
    if name == "starred":
        if not starred:
            return None, "No starred metrics in this browser yet: star a metric on its page. Showing the whole wall."
        return watchlists.Watchlist("starred", "Starred", starred, (), ()), ""
    found = watchlists.get(engine, name)
    if found is None:
        return None, f"No watchlist named {name[:64]!r}: showing the whole wall."
    return found, ""


def _snapshot(page: int, watchlist: str = "", starred: tuple[str, ...] = ()) -> dict:
    """Everything a tick shows, read in a worker thread (the event loop never blocks on the database).

    On a watchlist screen the board holds the watchlist's metrics, and the reds outside it as "elsewhere".
    """
    rt = runtime.get()
    tz = ZoneInfo(rt.settings.timezone)
    now = datetime.now(timezone.utc)
    engine = rt.db.engine()
    all_cards = metric_cards(engine, now)
    chosen, problem = _watchlist(engine, watchlist, starred)
    cards, outside = watchlists.split(chosen, all_cards) if chosen else (all_cards, [])
    try:
        marks = silences.marks(engine, now)
    except Exception:  # alert marks are a decoration: a failure must not blank the wall
        log.warning("reading alert marks failed", exc_info=True)
        marks = {}
    try:
        cuts = first_cuts(engine)
    except Exception:  # the cut links are a decoration too
        log.warning("reading the audit cut registry failed", exc_info=True)
        cuts = {}
    board = tiles.board(cards, tz, now, page, marks, cuts, elsewhere=outside)
    last = jobs.last_successful_refresh(engine)
    snap = cockpit.snapshot(board, last, jobs.active_job(engine), now, tz,
                            frozen_after=rt.settings.frozen_after, night=rt.settings.night_dim,
                            interval=rt.settings.tv_refresh_seconds)
    snap["title"] = chosen.screen_title if chosen else ""
    snap["watchlist_problem"] = problem
    if chosen is None:
        # Kept for an outage: a tab opened while the database is down shows these values (state/last_wall.py).
        # Only the whole wall is kept: a team screen in an outage shows it too (better than nothing).
        last_wall.keep(rt.settings.data_dir,
                       lambda: [tiles.board(cards, tz, now, p, marks, cuts) for p in range(board.pages)],
                       last, now, rt.settings.tv_refresh_seconds)
    return snap


def _kept_snapshot(page: int) -> dict | None:
    """The last good wall (this process's, else the data folder's) as a tick's snapshot; None when none was kept."""
    settings = runtime.get().settings
    saved = last_wall.recall(settings.data_dir)
    if saved is None:
        return None
    return last_wall_display.snapshot(saved, page, datetime.now(timezone.utc), ZoneInfo(settings.timezone),
                                      frozen_after=settings.frozen_after, night=settings.night_dim,
                                      interval=settings.tv_refresh_seconds)


# Every tab ticks on the same wall-clock grid (multiples of the interval, next_tick_in), so the tabs of a worker
# tick together and share one read and one board (shared_snapshot). A read at most SHARE_SECONDS old is shared:
# long enough for a whole fleet's tick to land on it, short enough that a change is on every screen within one
# interval (plus delivery) of being written. The key is (page, watchlist, starred ids): screens of one
# watchlist share theirs.
SHARE_SECONDS = 3.0
def _reuse(new: dict, previous: dict) -> dict:
    """A new read that equals the previous one hands out the previous tiles (tabs keep what they are given)."""
    tiles.reuse_equal(new["board"], previous["board"])
    if new["job"] == previous["job"]:
        new["job"] = previous["job"]
    return new


_shared = SnapshotCache(lambda key: _snapshot(*key), reuse=_reuse)


def _shared_snapshot(page: int, fresh: bool = False, watchlist: str = "", starred: tuple[str, ...] = ()) -> dict:
    """A new tab's first tick reads afresh (and refreshes the shared copy); later ticks share."""
    key = (page, watchlist, starred if watchlist == "starred" else ())
    return _shared.get(key, 0.0 if fresh else min(SHARE_SECONDS, runtime.get().settings.tv_refresh_seconds / 2))


def next_tick_in(interval: float, now: float | None = None) -> float:
    """Seconds until the next multiple of ``interval`` on the wall clock (the same instant in every worker)."""
    now = time.time() if now is None else now
    return interval - (now % interval)


# Screen ids are not Reflex client tokens (a client token opens that tab's session): a keyed hash of it,
# with a key that never leaves the app. `GET /api/screens` lists these; they open nothing. Several workers
# share one key through their Redis (first writer wins), so a tab that moves to another worker stays one screen.
_SCREEN_KEY_NAME = "heartbeat:screen_key"
_screen_key: bytes | None = None


def _shared_screen_key() -> bytes:
    global _screen_key
    if _screen_key is None:
        url = runtime.get().settings.redis_url
        key = secrets.token_hex(32)
        if url:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5)
            try:
                client.set(_SCREEN_KEY_NAME, key, nx=True)
                key = client.get(_SCREEN_KEY_NAME).decode()
            finally:
                client.close()
        _screen_key = key.encode()
    return _screen_key


def screen_id(client_token: str) -> str:
    return "scr_" + hmac.new(_shared_screen_key(), client_token.encode(), hashlib.sha256).hexdigest()[:24]


def _beat(screen_id: str, path: str, kiosk: bool, user_agent: str | None, watchlist: str = "") -> None:
    rt = runtime.get()
    screens.beat(rt.db.engine(), screen_id, path=path, kiosk=kiosk, user_agent=user_agent,
                 expire_after=rt.settings.screen_expiry, watchlist=watchlist or None)


def screen_query(url: str) -> tuple[bool, str]:
    """(kiosk mode, watchlist name) from a cockpit address such as ``/?watchlist=aml-team&kiosk=1``."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return (query.get("kiosk", ["0"])[0] in ("1", "true", "yes"),
            query.get("watchlist", [""])[0].strip().lower()[:64])


class CockpitState(ShellState):
    """The wall of one tab; ``last_refresh`` is the header's own (ShellState), moved forward by every tick."""

    red: list[dict[str, str]] = []
    attention: list[dict[str, str]] = []
    green: list[dict[str, str]] = []
    elsewhere: list[dict[str, str]] = []
    green_strip: bool = False
    red_grid: str = ""
    attention_grid: str = ""
    tiles_layout: str = "hb-tiles"
    shown_page: int = 0  # the page on screen (``page`` is the one the next tick reads)
    watchlist: str = ""  # ?watchlist=<name>: that team's wall ("" the whole wall; "starred" this browser's stars)
    title: str = ""
    watchlist_problem: str = ""
    page: int = 0
    pages: int = 1
    loaded: bool = False
    kiosk: bool = False
    clock: str = ""
    updated_at: str = ""
    db_error: str = ""
    frozen: str = ""
    dim: bool = False
    shift: int = 0
    job: dict[str, str] = {}

    @rx.var
    def green_count(self) -> int:
        return len(self.green)

    @rx.var
    def total(self) -> int:
        return len(self.red) + len(self.attention) + len(self.green)

    def _read_query(self) -> None:
        """Kiosk mode and the watchlist come from the tab's address (the loop reads them too: its first tick
        may run before ``open_page``'s changes reach it, and a TV must not show the whole wall meanwhile)."""
        kiosk, watchlist = screen_query(str(self.router.url))
        if (self.kiosk, self.watchlist) != (kiosk, watchlist):
            self.kiosk, self.watchlist = kiosk, watchlist

    @rx.event
    def open_page(self):
        self._read_query()

    def _apply(self, snap: dict) -> None:
        board: tiles.Board = snap["board"]
        # Assign only what changed: a refresh of an unchanged wall sends a few bytes.
        for name, value in (("red", board.red), ("attention", board.attention), ("green", board.green),
                            ("elsewhere", board.elsewhere), ("green_strip", board.green_strip),
                            ("red_grid", board.red_grid), ("attention_grid", board.attention_grid),
                            ("tiles_layout", board.tiles_layout), ("shown_page", board.page),
                            ("title", snap.get("title", "")), ("watchlist_problem", snap.get("watchlist_problem", "")),
                            ("pages", board.pages),
                            ("clock", snap["clock"]), ("last_refresh", snap["last_refresh"]),
                            ("frozen", snap["frozen"]), ("dim", snap["dim"]), ("job", snap["job"])):
            if getattr(self, name) != value:
                setattr(self, name, value)
        self.updated_at = snap["updated_at"]
        self.db_error = ""
        self.loaded = True

    @rx.event(background=True, supersedes=True)
    async def run_loop(self):
        """Refresh this tab's tiles forever; one loop per tab (a reload supersedes the old one)."""
        ticks = 0
        while True:
            async with self:
                self._read_query()
                page, kiosk, watchlist = self.page, self.kiosk, self.watchlist
                starred = starred_ids((await self.get_state(StarState)).starred) if watchlist == "starred" else ()
                token = self.router.session.client_token
                screen = screen_id(token)
                path = urllib.parse.urlsplit(str(self.router.url)).path or "/"
                user_agent = self.router.headers.user_agent
            interval = 30.0
            try:
                snap = await asyncio.to_thread(_shared_snapshot, page, ticks == 0, watchlist, starred)
                await asyncio.to_thread(_beat, screen, path, kiosk, user_agent, watchlist)
                interval = snap["interval"]
                async with self:
                    self._apply(snap)
            except Exception:  # the database is down: keep the last tiles and say since when
                log.warning("cockpit refresh failed", exc_info=True)
                kept = await asyncio.to_thread(_kept_snapshot, page)
                async with self:
                    if kept is not None and not self.loaded:
                        self._apply(kept)  # a fresh tab: the last good wall, dimmed under the banner
                    if not self.db_error:
                        tz = ZoneInfo(runtime.get().settings.timezone)
                        self.db_error = cockpit.unreachable_text(last_wall.down_since(datetime.now(timezone.utc)), tz)
            ticks += 1
            async with self:
                if self.pages > 1 and ticks % ROTATE_EVERY_TICKS == 0:
                    self.page = (self.page + 1) % self.pages
                self.shift = (self.shift + 1) % PIXEL_SHIFT_PHASES
            if not await _wait_connected(token, next_tick_in(interval)):
                sessions.release(app, token)
                return  # the tab is gone; a reconnect or reload starts a fresh loop (heartbeat_app.sessions frees it)


async def _wait_connected(token: str, interval: float) -> bool:
    """Sleep one refresh interval; False as soon as the tab has been gone for DISCONNECTED_GRACE_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + interval
    gone_since: float | None = None
    while (now := loop.time()) < deadline:
        if sessions.connected(app, token):
            gone_since = None
        else:
            gone_since = gone_since if gone_since is not None else now
            if now - gone_since >= DISCONNECTED_GRACE_SECONDS:
                return False
        await asyncio.sleep(min(DISCONNECT_CHECK_SECONDS, deadline - now))
    return sessions.connected(app, token) or gone_since is None or loop.time() - gone_since < DISCONNECTED_GRACE_SECONDS
