"""A stand-in for Slack (or Telegram, or any webhook): an HTTP server on localhost that records every POST.

The alert tests start one per channel (``Receiver``). Run as a program it is
the local "Slack" of the demo (docs/alerts.md, "Try it with the demo"):

    .venv/bin/python -m tests.support.receiver --port 9009 --record /tmp/slack.jsonl

prints each message as it arrives (its title and lines) and, with
``--record``, appends each request as one JSON line (path, time, body).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable


class Receiver:
    """An HTTP server that records every request and answers from a script (then 200).

    A script item is a status code, or ("sleep", seconds) to answer 200 only after that long.
    ``on_request`` (optional) is called with each recorded request.
    """

    def __init__(self, script: list[Any] | None = None, reply: dict | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, on_request: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.script = list(script or [])
        self.reply = json.dumps(reply or {"ok": True}).encode()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                request = {"path": self.path, "headers": dict(self.headers), "json": json.loads(body or b"null"),
                           "received_at": datetime.now(timezone.utc).isoformat()}
                with receiver.lock:
                    receiver.requests.append(request)
                    action = receiver.script.pop(0) if receiver.script else 200
                    if on_request is not None:
                        on_request(request)
                if isinstance(action, tuple):
                    time.sleep(action[1])
                    action = 200
                try:
                    self.send_response(action)
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(receiver.reply if action == 200 else b'{"ok": false}')
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def bodies(self) -> list[Any]:
        with self.lock:
            return [r["json"] for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def describe(body: Any) -> str:
    """A Slack body (``text`` + Block Kit section) or any JSON body, as a few readable lines."""
    if not isinstance(body, dict):
        return json.dumps(body)
    lines = [str(body.get("text", "")).splitlines()[0] if body.get("text") else json.dumps(body)[:200]]
    for block in body.get("blocks", []):
        if block.get("type") == "section":
            lines += ["    " + line for line in block["text"]["text"].splitlines()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local stand-in for a Slack incoming webhook: prints and "
                                     "records every POST it receives, answers 200.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9009)
    parser.add_argument("--record", type=Path, help="append each request as a JSON line to this file")
    args = parser.parse_args(argv)
    count = 0

    def show(request: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        print(f"[{count}] {request['received_at'][11:19]} POST {request['path']}\n{describe(request['json'])}",
              flush=True)
        if args.record:
            with args.record.open("a") as out:
                out.write(json.dumps({k: request[k] for k in ("path", "received_at", "json")}) + "\n")

    receiver = Receiver(host=args.host, port=args.port, on_request=show)
    print(f"listening on {receiver.url} (Ctrl+C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
