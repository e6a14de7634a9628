"""What an outsider without a browser does: a Reflex websocket opened by hand (Engine.IO + Socket.IO framing)."""

from __future__ import annotations

import json
import socket
import time
import types
import uuid

import simple_websocket
import simple_websocket.ws

NAMESPACE = "/_event"
DETAIL = ("reflex___state____state.heartbeat_app___state___operator____operator_state."
          "heartbeat_app___state___detail____detail_state")
OPERATOR = "reflex___state____state.heartbeat_app___state___operator____operator_state"


# Where outsiders connect from: their wrong tokens count against this address, not the browsers' 127.0.0.1.
OUTSIDER_ADDRESS = "127.0.0.2"


class _FromOutsider(socket.socket):
    def connect(self, address) -> None:
        self.bind((OUTSIDER_ADDRESS, 0))
        super().connect(address)


def _client(url: str, headers: dict | None) -> simple_websocket.Client:
    real = simple_websocket.ws.socket
    simple_websocket.ws.socket = types.SimpleNamespace(**{**vars(socket), "socket": _FromOutsider})
    try:
        return simple_websocket.Client(url, headers=headers)
    finally:
        simple_websocket.ws.socket = real


class Refused(Exception):
    """The server refused the websocket handshake."""


class RawSession:
    """One Reflex session over a raw websocket, under any client token (a stolen one, or a fresh one)."""

    def __init__(self, host: str, port: int, client_token: str | None = None, origin: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.token = client_token or str(uuid.uuid4())
        url = f"ws://{host}:{port}/_event/?EIO=4&transport=websocket&token={self.token}"
        headers = {**({"Origin": origin} if origin else {}), **(headers or {})} or None
        try:
            self.ws = _client(url, headers)
        except simple_websocket.ConnectionError as exc:
            raise Refused(str(exc)) from exc
        # The Engine.IO open packet may arrive in the same read as the handshake, where this client can drop
        # it; it only carries the ping interval, so go on without it.
        self.ws.receive(timeout=2)
        self.ws.send(f"40{NAMESPACE},")
        self.frames: list[str] = []
        self.wait_for(lambda frame: frame.startswith(f"40{NAMESPACE},"), timeout=10)

    def emit(self, name: str, payload: dict, path: str) -> None:
        event = {"name": name, "payload": payload, "router_data": {"pathname": path, "asPath": path}}
        self.ws.send(f"42{NAMESPACE}," + json.dumps(["event", event]))

    def wait_for(self, predicate, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.ws.receive(timeout=max(0.1, deadline - time.monotonic()))
            if frame is None:
                continue
            if frame == "2":  # Engine.IO ping
                self.ws.send("3")
                continue
            self.frames.append(frame)
            if predicate(frame):
                return frame
        raise TimeoutError(f"no matching frame in {timeout}s; got {self.frames[-5:]}")

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
