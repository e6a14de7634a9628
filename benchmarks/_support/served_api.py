"""The REST API (create_api under uvicorn) in a spawned process of its own, so the client measuring it does
not share its interpreter; percentiles of the timings."""

from __future__ import annotations

import multiprocessing
import statistics
import time
from types import TracebackType

import httpx

from engine.core.db import Database
from tests.support.running_app import free_port


def _serve(url: str, port: int, environ: dict[str, str]) -> None:
    import uvicorn
    from sqlalchemy.engine import make_url

    from engine.api import create_api
    from engine.core.settings import load_settings
    from engine.runtime import Runtime

    settings = load_settings({"HEARTBEAT_LOG_LEVEL": "WARNING", **environ})
    rt = Runtime(settings=settings, db=Database(make_url(url)))
    uvicorn.run(create_api(lambda: rt), host="127.0.0.1", port=port, log_level="warning")


class ServedApi:
    """create_api() over ``db`` with the settings ``environ``, served in another process while the ``with``
    block runs; ``url`` once it answers /api/health."""

    def __init__(self, db: Database, environ: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(db.url().render_as_string(hide_password=False), self.port, environ or {}),
            daemon=True)

    def __enter__(self) -> "ServedApi":
        self.process.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.is_alive():
            try:
                httpx.get(self.url + "/api/health", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.process.terminate()
        raise RuntimeError(f"the API did not answer on {self.url} (exit code {self.process.exitcode}); "
                           "its error is printed above")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.process.terminate()
        self.process.join(10)


def percentiles(timings: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``timings`` (milliseconds)."""
    timings = sorted(timings)
    return {"p50": statistics.median(timings), "p95": timings[int(len(timings) * 0.95) - 1], "max": timings[-1]}
