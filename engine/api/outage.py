"""A database outage answers 503 with a JSON reason, never 500 (the embedded server restarts by itself)."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from engine.core.db import DatabaseError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Connection lost or refused (sqlalchemy wraps psycopg's OperationalError/InterfaceError).
OUTAGE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, psycopg.OperationalError,
                 psycopg.InterfaceError, DatabaseError)


def unreachable() -> JSONResponse:
    return JSONResponse(
        {"error": "database unreachable", "status": "unavailable",
         "detail": "the database cannot be reached right now; try again shortly"},
        503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install(api: FastAPI) -> None:
    """Map connection failures on any route to 503 (one warning line, no traceback in the body)."""
    async def outage(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: database unreachable (%s)", request.method, request.url.path, type(exc).__name__)
        return unreachable()

    for error in OUTAGE_ERRORS:
        api.add_exception_handler(error, outage)
