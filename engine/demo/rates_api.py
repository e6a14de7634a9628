"""The demo's currency-rate REST API: a small paginated JSON endpoint on localhost.

    GET /rates?page=1&page_size=100&updated_since=2026-01-01T00:00:00Z
    -> {"items": [...], "page": 1, "page_size": 100, "total": 1620, "next_page": 2}

Items are ordered by (updated_at, id), so paging is stable and an incremental
reader can resume from the last ``updated_at`` it saw. ``updated_since`` is
inclusive: a reader that resumes at its last value sees that row again and
drops it by id, rather than missing rows written in the same second.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from engine.demo import rates
from engine.demo.plan import DemoError

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class _BadRequest(ValueError):
    pass


def _parse_since(raw: str) -> datetime:
    text = raw.strip().replace("Z", "+00:00")
    # An unescaped "+" in a query string arrives as a space: "...T00:00:00 00:00".
    for candidate in (text, text[:-6] + "+" + text[-5:] if text[-6:-5] == " " else text):
        try:
            moment = datetime.fromisoformat(candidate)
            break
        except ValueError:
            continue
    else:
        raise _BadRequest("updated_since must be an ISO 8601 timestamp, e.g. 2026-01-01T00:00:00Z")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, [str(default)])[-1]
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise _BadRequest(f"{name} must be between {low} and {high}")
    return value


class _RateBook:
    """The served rows, re-read when a rebuild replaces the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._items: list[dict[str, Any]] = []

    def items(self) -> list[dict[str, Any]]:
        stamp = self.path.stat().st_mtime_ns
        with self._lock:
            if stamp != self._stamp:
                rows = json.loads(self.path.read_text())
                for row in rows:
                    row["_since"] = _parse_since(row["updated_at"])
                rows.sort(key=lambda row: (row["_since"], row["id"]))
                self._items, self._stamp = rows, stamp
            return self._items


def _page(book: _RateBook, target: str) -> dict[str, Any]:
    query = parse_qs(urlsplit(target).query)
    page = _int_param(query, "page", 1, 1, 10_000_000)
    size = _int_param(query, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    items = book.items()
    if "updated_since" in query:
        since = _parse_since(query["updated_since"][-1])
        items = [row for row in items if row["_since"] >= since]
    chunk = items[(page - 1) * size: page * size]
    return {
        "items": [{key: value for key, value in row.items() if key != "_since"} for row in chunk],
        "page": page,
        "page_size": size,
        "total": len(items),
        "next_page": page + 1 if page * size < len(items) else None,
    }


def _handler(book: _RateBook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = urlsplit(self.path).path
            if path != "/rates":
                self._send(404, {"error": f"no such endpoint {path!r}; use GET /rates"})
                return
            try:
                self._send(200, _page(book, self.path))
            except _BadRequest as exc:
                self._send(400, {"error": str(exc)})
            except Exception:
                log.exception("rates API failed on %s", path)
                self._send(500, {"error": "internal error"})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
            log.debug("rates API: " + format, *args)

    return Handler


class RatesServer:
    """A running rates API; ``url`` is its base URL. Stop it with ``stop()`` or a ``with`` block."""

    def __init__(self, files_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        path = rates.api_file(files_dir)
        if not path.is_file():
            raise DemoError(f"no rates data at {path}; build the demo sources first (build_demo)")
        try:
            self._server = ThreadingHTTPServer((host, port), _handler(_RateBook(path)))
        except OSError as exc:
            # A second demo in another folder (or anything else) holds the port: say which setting moves it.
            raise DemoError(f"the demo rates API cannot listen on {host}:{port} ({exc.strerror or exc}); another "
                            "`heartbeat demo` may be running — stop it or set HEARTBEAT_DEMO_RATES_PORT to a "
                            "free port") from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-rates-api", daemon=True)
        self._thread.start()
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> RatesServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_rates(files_dir: Path, host: str = "127.0.0.1", port: int = 0) -> RatesServer:
    """Start the rates API on ``host:port`` (port 0: a free port) in a background thread."""
    return RatesServer(files_dir, host, port)
