"""Operator mode: the token lives only in this browser (localStorage) and travels with every write event.

The server never keeps the token in state. Each write event carries the
token read from localStorage when the operator clicks (a JavaScript
expression as the event's argument, ``BROWSER_TOKEN``); the handler checks
it with the API's rule (``token_matches``). So a Reflex session id learned
anywhere (a closed tab, a log) opens nothing: without the token in the very
event, a write is refused. ``operator`` only decides which controls are
drawn. Wrong tokens are rate-limited per connection and per client address
and logged as one aggregated line a minute.
"""

from __future__ import annotations

import asyncio
import json
import logging

import reflex as rx

from engine import refresh, runtime
from engine.core.auth import AttemptLimiter, AttemptLog, token_matches
from engine.refresh import RefreshRequest
from engine.runtime import wiring

log = logging.getLogger(__name__)

TOKEN_KEY = "heartbeat_operator_token"  # the localStorage key (unchanged: browsers that unlocked stay unlocked)
# Evaluated in the browser when the event fires: the token this browser holds, or "".
_READ_TOKEN_JS = f"(window.localStorage.getItem({json.dumps(TOKEN_KEY)}) ?? \"\")"
BROWSER_TOKEN: rx.Var[str] = rx.Var(_READ_TOKEN_JS, _var_type=str)

WRITES_DISABLED = "Operator writes are disabled on this server (no HEARTBEAT_OPERATOR_TOKEN is configured)."
WRONG_TOKEN = "Wrong operator token: nothing was changed."
NO_TOKEN = "Enter the operator token to edit: nothing was changed."
TOO_MANY = "Too many wrong operator tokens from this connection or address: try again in {minutes} min."
NOT_KEPT = "This browser did not keep the operator token (its storage is blocked?): writes stay locked."

ATTEMPTS = AttemptLimiter(limit=5, window=60.0, lockout=300.0)
ATTEMPT_LOG = AttemptLog(log, "operator token in the app", interval=60.0)


def token_problem(presented: str | None, *, connection: str = "", address: str = "") -> str:
    """Why ``presented`` may not write ("" when it may): the API's rule, in constant time, rate-limited.

    ``connection`` and ``address`` identify who presents it: after 5 wrong tokens within a minute from
    either, every token from them (the right one too) is refused for 5 minutes.
    """
    expected = runtime.get().settings.operator_token
    if not expected:
        return WRITES_DISABLED
    if not presented:
        return NO_TOKEN
    keys = [f"connection:{connection}", f"address:{address}"]
    wait = ATTEMPTS.retry_after(keys)
    if wait > 0:
        ATTEMPT_LOG.note(address, refused=True)
        return TOO_MANY.format(minutes=max(1, round(wait / 60)))
    if not token_matches(presented, expected):
        locked = ATTEMPTS.failed(keys)
        ATTEMPT_LOG.note(address, locked_out=locked)
        return WRONG_TOKEN
    return ""


def forget_in_browser() -> rx.event.EventSpec:
    return rx.remove_local_storage(TOKEN_KEY)


def keep_in_browser(token: str, then: rx.event.EventHandler) -> rx.event.EventSpec:
    """Store the token in the browser that presented it (the server keeps no copy); ``then`` receives what
    the browser holds once it stored it ("" when it could not)."""
    key, value = json.dumps(TOKEN_KEY), json.dumps(token)
    return rx.call_script(f"(window.localStorage.setItem({key}, {value}), {_READ_TOKEN_JS})", callback=then)


def _start_refresh() -> refresh.Started:
    """Build the job's context (it opens connections and takes a lock) and start it, off the event loop."""
    rt = runtime.get()
    return refresh.start(wiring.refresh_context(rt.settings, rt.db), RefreshRequest("all", "ui"))


class OperatorState(rx.State):
    """Operator mode of this tab: whether the edit controls are drawn, and what the last attempt said."""

    operator: bool = False  # draws the edit controls; every write still checks the token it carries
    operator_message: str = ""
    recompute_message: str = ""

    def _token_problem(self, presented: str | None) -> str:
        session = self.router.session
        return token_problem(presented if isinstance(presented, str) else None,
                             connection=session.session_id or session.client_token, address=session.client_ip)

    @rx.event
    async def probe_operator(self):
        """On page load (on_load runs on the server): ask the browser for its token, then check it."""
        return rx.call_script(_READ_TOKEN_JS, callback=OperatorState.check_operator)

    @rx.event
    async def check_operator(self, presented: str = ""):
        """On page load, with the token this browser holds: does it still open writes?"""
        return self._accept_browser_token(presented)

    def _accept_browser_token(self, presented: str):
        if not presented:
            self.operator = False
            return None
        problem = self._token_problem(presented)
        self.operator = problem == ""
        if not problem:
            return None
        if problem in (WRONG_TOKEN, WRITES_DISABLED):
            # A rotated or removed server token: forget the stale one rather than keep sending it.
            self.operator_message = (WRITES_DISABLED if problem == WRITES_DISABLED
                                     else "The operator token saved in this browser is no longer valid.")
            return forget_in_browser()
        self.operator_message = problem
        return None

    @rx.event
    async def unlock(self, form_data: dict):
        presented = str(form_data.get("token", "")).strip()
        problem = self._token_problem(presented)
        if problem:
            self.operator = False
            self.operator_message = {WRONG_TOKEN: "Wrong operator token.",
                                     NO_TOKEN: "Enter the operator token."}.get(problem, problem)
            return None
        # The controls are drawn once the browser holds the token (``kept_in_browser``), not now: Reflex sends
        # this event's state change and the storing script as two messages, and a page left between them (a
        # reload as soon as the controls showed, a busy worker) would lose the token and come back locked;
        # a click between them would carry no token and be refused.
        self.operator_message = ""
        return keep_in_browser(presented, then=OperatorState.kept_in_browser)

    @rx.event
    async def kept_in_browser(self, presented: str = ""):
        """After an unlock, with the token the browser now holds: draw the controls."""
        if not presented:
            self.operator = False
            self.operator_message = NOT_KEPT
            return None
        return self._accept_browser_token(presented)

    @rx.event
    async def lock(self):
        self.operator = False
        self.operator_message = ""
        return forget_in_browser()

    @rx.event
    async def recompute_all(self, presented: str = ""):
        """The cockpit's recompute button: the same single-flight job as the API (joins a running one)."""
        problem = self._token_problem(presented)
        if problem:
            log.debug("operator recompute refused in the app: %s", problem.split(":")[0])
            self.operator = False
            self.recompute_message = problem
            return
        started = await asyncio.to_thread(_start_refresh)
        self.recompute_message = (f"joined the running refresh (job {started.job_id})" if started.coalesced
                                  else f"refresh started (job {started.job_id})")
