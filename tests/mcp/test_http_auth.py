"""Who may use /mcp over HTTP: a bearer token (read, or operator) — none, a wrong one or one in the query
string is 401; a browser on another origin is refused; with no token configured only this machine may call."""

from __future__ import annotations

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from engine.core.settings import load_settings
from engine.mcp.http import refusal
from engine.runtime import Runtime
from tests.mcp.conftest import OPERATOR_TOKEN, READ_TOKEN, McpDemo, run_async
from tests.support.running_app import RunningApp
from tests.support.served_api import ServedApi

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "test", "version": "1"}}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def _post(url: str, headers: dict[str, str] | None = None, **kwargs) -> httpx.Response:
    return httpx.post(url, json=INITIALIZE, headers={**ACCEPT, **(headers or {})}, timeout=30, **kwargs)


def _tool_names(url: str, token: str | None) -> set[str]:
    async def main():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                return {tool.name for tool in (await client.list_tools()).tools}

    return run_async(main)


def test_without_a_token_or_with_a_wrong_one_mcp_is_401(mcp_app: RunningApp):
    url = f"{mcp_app.url}/mcp"
    missing = _post(url)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "token required" in missing.json()["error"]
    wrong = _post(url, {"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong.json() == {"error": "wrong token"}
    # The read token opens pages from ?token=, never /mcp: URLs end up in logs and histories.
    in_query = _post(url, params={"token": READ_TOKEN})
    assert in_query.status_code == 401
    assert READ_TOKEN not in missing.text + wrong.text + in_query.text


def test_the_read_and_the_operator_token_open_it(mcp_app: RunningApp):
    assert "whats_wrong_today" in _tool_names(f"{mcp_app.url}/mcp", READ_TOKEN)
    assert "whats_wrong_today" in _tool_names(f"{mcp_app.url}/mcp", OPERATOR_TOKEN)


def test_a_browser_on_another_origin_is_refused_and_gets_no_cors(mcp_app: RunningApp):
    url = f"{mcp_app.url}/mcp"
    evil = {"Origin": "https://evil.example", "Authorization": f"Bearer {READ_TOKEN}"}
    assert _post(url, evil).status_code == 403
    preflight = httpx.options(url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "authorization"}, timeout=30)
    assert "access-control-allow-origin" not in preflight.headers


def test_with_no_token_configured_only_this_machine_may_call(mcp_demo: McpDemo, tmp_path):
    settings = load_settings({"HEARTBEAT_DATA_DIR": str(tmp_path)})
    assert not settings.read_token and not settings.operator_token
    with ServedApi(Runtime(settings, mcp_demo.db)) as api:
        assert "whats_wrong_today" in _tool_names(f"http://localhost:{api.port}/mcp", None)
        # Reached from this machine under another name (a DNS rebinding, a forwarded port): refused.
        assert _post(f"{api.url}/mcp", {"Host": "heartbeat.example.com"}).status_code == 403
    outside = {"type": "http", "client": ("10.1.2.3", 50000), "headers": [(b"host", b"localhost:3000")]}
    status, reason = refusal(settings, outside)
    assert status == 403 and "HEARTBEAT_READ_TOKEN" in reason
