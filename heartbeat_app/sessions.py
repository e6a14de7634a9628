"""A closed tab costs nothing for long: its state is released shortly after its websocket goes away.

Reflex keeps every tab's state in memory for ``redis_token_expiration`` (an hour by default) after its last
event, whether or not the tab still exists; 200 sockets opened and dropped cost ~220 KB each for that hour.
Here a disconnect schedules the release of that tab's state after ``RELEASE_AFTER_SECONDS`` (a reconnect in
that window — a network blip, a reload, which re-use the tab's client token — keeps it), and the cockpit's
refresh loop stops on its own (``heartbeat_app.state.cockpit``). Reflex's own expiry stays as the backstop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
from typing import Any

log = logging.getLogger(__name__)

RELEASE_AFTER_SECONDS = 5.0  # a reconnect within this keeps the tab's state
_tasks: set[asyncio.Task] = set()
_trim_pending = False


def connected(app: Any, client_token: str) -> bool:
    """True while a websocket of this tab is linked (unknown counts as connected: never stop a live tab)."""
    try:
        namespace = app.event_namespace
        if namespace is None:
            return True
        sockets = getattr(namespace._token_manager, "token_to_socket", None)  # a dict: no copy per check
        return client_token in (sockets if sockets is not None else namespace.token_to_sid)
    except Exception:
        return True


def held_states(app: Any) -> int:
    """How many tabs' states the server holds in memory (the benchmark and the tests read it)."""
    manager = app._state_manager
    return len(getattr(manager, "states", {}) or {})


def release(app: Any, client_token: str) -> bool:
    """Drop the in-memory state of a tab that is gone; False when it is connected again or busy."""
    if connected(app, client_token):
        return False
    manager = app._state_manager
    expiring = getattr(manager, "_token_expires_at", None)
    if manager is None or expiring is None or not hasattr(manager, "_purge_token"):
        return False
    released = False
    for _key, (_deadline, token) in list(expiring.items()):
        if token.ident != client_token:
            continue
        lock = manager._states_locks.get(token.lock_key)
        if lock is not None and lock.locked():
            continue  # an event or the refresh loop is inside; Reflex's expiry takes it later
        manager._purge_token(token)
        released = True
    if released:
        _trim_soon()
    return released


def _trim_soon() -> None:
    """Hand freed memory back to the OS once per burst of releases (glibc keeps it otherwise)."""
    global _trim_pending
    if _trim_pending:
        return
    _trim_pending = True

    def trim() -> None:
        global _trim_pending
        _trim_pending = False
        import gc

        gc.collect()
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.malloc_trim(0)
        except Exception:  # not glibc: the memory is reused by the next sessions instead
            pass

    asyncio.get_running_loop().call_later(1.0, trim)


async def _release_later(app: Any, client_token: str) -> None:
    await asyncio.sleep(RELEASE_AFTER_SECONDS)
    try:
        release(app, client_token)
    except Exception:
        log.warning("releasing a closed tab's state failed", exc_info=True)


@contextlib.asynccontextmanager
async def lifespan(app: Any):
    """Install once the serving worker has built its event namespace (it does not exist at import time)."""
    install(app)
    yield


def install(app: Any) -> None:
    """Wrap the event namespace's disconnect so a closed tab's state is released (idempotent)."""
    namespace = app.event_namespace
    if namespace is None or getattr(namespace, "_heartbeat_release", False):
        return
    original = namespace.on_disconnect

    def on_disconnect(sid: str, *reason: Any):
        client_token = namespace.sid_to_token.get(sid)
        result = original(sid)
        if client_token:
            task = asyncio.get_running_loop().create_task(_release_later(app, client_token))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
        return result

    namespace.on_disconnect = on_disconnect
    namespace._heartbeat_release = True


