"""Operator mode: the token kept in this browser, checked on the server before every write."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from engine import refresh, runtime
from engine.core.auth import token_matches
from engine.refresh import RefreshRequest
from engine.runtime import wiring

log = logging.getLogger(__name__)

WRITES_DISABLED = "Operator writes are disabled on this server (no HEARTBEAT_OPERATOR_TOKEN is configured)."
WRONG_TOKEN = "Wrong operator token: nothing was changed."
NO_TOKEN = "Enter the operator token to edit: nothing was changed."


def token_problem(presented: str | None) -> str:
    """Why ``presented`` may not write ("" when it may): the API's rule, in constant time."""
    expected = runtime.get().settings.operator_token
    if not expected:
        return WRITES_DISABLED
    if not presented:
        return NO_TOKEN
    if not token_matches(presented, expected):
        return WRONG_TOKEN
    return ""


def _start_refresh() -> refresh.Started:
    """Build the job's context (it opens connections and takes a lock) and start it, off the event loop."""
    rt = runtime.get()
    return refresh.start(wiring.refresh_context(rt.settings, rt.db), RefreshRequest("all", "ui"))


class OperatorState(rx.State):
    """Operator mode: the token kept in this browser, and whether it opens writes now."""

    operator_token: str = rx.LocalStorage("", name="heartbeat_operator_token", sync=True)
    operator: bool = False  # draws the edit controls; every write still checks the token itself
    operator_message: str = ""

    @rx.event
    async def check_operator(self):
        """On page load: does the token this browser kept still open writes?"""
        if not self.operator_token:
            self.operator = False
            return
        problem = token_problem(self.operator_token)
        self.operator = problem == ""
        if problem:
            # A rotated or removed server token: forget the stale one rather than keep sending it.
            self.operator_token = ""
            self.operator_message = (WRITES_DISABLED if problem == WRITES_DISABLED
                                     else "The operator token saved in this browser is no longer valid.")

    @rx.event
    async def unlock(self, form_data: dict[str, Any]):
        presented = str(form_data.get("token", "")).strip()
        problem = token_problem(presented)
        if problem:
            log.warning("operator unlock refused in the app: %s", problem.split(":")[0])
            self.operator = False
            self.operator_message = {WRONG_TOKEN: "Wrong operator token.",
                                     NO_TOKEN: "Enter the operator token."}.get(problem, problem)
            return
        self.operator_token = presented
        self.operator = True
        self.operator_message = ""

    @rx.event
    async def lock(self):
        self.operator_token = ""
        self.operator = False
        self.operator_message = ""

    recompute_message: str = ""

    @rx.event
    async def recompute_all(self):
        """The cockpit's recompute button: the same single-flight job as the API (joins a running one)."""
        problem = token_problem(self.operator_token)
        if problem:
            self.operator = False
            self.recompute_message = problem
            return
        started = await asyncio.to_thread(_start_refresh)
        self.recompute_message = (f"joined the running refresh (job {started.job_id})" if started.coalesced
                                  else f"refresh started (job {started.job_id})")
