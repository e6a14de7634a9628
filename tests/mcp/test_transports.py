"""The MCP server through the SDK's own client over both transports against the demo: stdio (`heartbeat mcp`)
and streamable HTTP at /mcp of the running app (`heartbeat serve`), with the read token."""

from __future__ import annotations

import json
import os
import sys
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import AsyncIterator

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.mcp.conftest import READ_TOKEN, McpDemo, run_async
from tests.support.demo import INCIDENT_METRICS
from tests.support.running_app import RunningApp

ROOT = Path(__file__).resolve().parents[2]
TOOLS = {"whats_wrong_today", "get_metric", "metric_history", "list_metrics", "get_cut", "refresh_status",
         "list_alerts", "search_docs"}
RED_INCIDENTS = set().union(*(m for i, m in INCIDENT_METRICS.items() if i != "stale_feed"))
MAX_ANSWER_BYTES = 8 * 1024


@asynccontextmanager
async def _client(transport: str, demo: McpDemo, app: RunningApp | None) -> AsyncIterator[Client]:
    if transport == "stdio":
        heartbeat = str(Path(sys.executable).parent / "heartbeat")
        params = StdioServerParameters(command=heartbeat, args=["mcp"], cwd=ROOT, env={**os.environ, **demo.env})
        async with Client(params, read_timeout_seconds=60) as client:
            yield client
    else:
        assert app is not None
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {READ_TOKEN}"}, timeout=60)
        async with http, Client(streamable_http_client(f"{app.url}/mcp", http_client=http)) as client:
            yield client


@pytest.fixture(params=["stdio", "http"])
def transport(request, mcp_demo: McpDemo):
    """Each test once per transport; the HTTP one starts the app (once for the package)."""
    app = request.getfixturevalue("mcp_app") if request.param == "http" else None
    return request.param, mcp_demo, app


def run(transport, body):
    """Run ``body(client)`` with a client of ``transport``; returns what it returns."""
    name, demo, app = transport

    async def main():
        async with _client(name, demo, app) as client:
            return await body(client)

    return run_async(main)


def test_lists_the_tools_with_descriptions_and_input_and_output_schemas(transport):
    async def body(client):
        return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in run(transport, body)}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert len(tool.description or "") > 80, tool.name
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        assert tool.annotations.read_only_hint is True
    limit = tools["whats_wrong_today"].input_schema["properties"]["limit"]
    assert (limit["default"], limit["minimum"], limit["maximum"]) == (10, 1, 50)
    assert tools["metric_history"].input_schema["properties"]["days"]["maximum"] == 730
    assert set(tools["list_metrics"].input_schema["properties"]) == {"status", "tag", "owner", "verified"}
    assert "items" in tools["whats_wrong_today"].output_schema["properties"]


def test_whats_wrong_today_puts_the_planted_incidents_first_and_stale_feeds_as_stale(transport):
    async def body(client):
        return await client.call_tool("whats_wrong_today", {})

    result = run(transport, body)
    assert not result.is_error
    size = len(result.model_dump_json(by_alias=True, exclude_none=True).encode())
    assert size <= MAX_ANSWER_BYTES, f"the answer is {size} bytes"
    items = result.structured_content["items"]
    top = items[:len(RED_INCIDENTS)]
    assert {i["subject"] for i in top} == RED_INCIDENTS and {i["kind"] for i in top} == {"red"}
    assert top[0]["subject"] == "collateral_covered_by_company"
    assert [i["severity"] for i in top] == sorted((i["severity"] for i in top), reverse=True)
    for item in top:
        assert item["owner"] and item["why"].endswith("."), item
    stale = {i["subject"]: i for i in items if i["kind"] == "stale"}
    assert {"card_management.cards", "currency_rate_files.daily"} <= set(stale)
    assert not {"card_feed_lag", "rates_file_feed_lag"} & {i["subject"] for i in items}
    # What a client that reads only text gets: the same ranking in words, with owner and evidence link.
    text = result.content[0].text
    assert text.splitlines()[1].startswith("1. [red] Card collateral covered by us (unpaid) is €100k")
    assert "(credit-risk@satchel.example)" in text.splitlines()[1] and "/audit/" in text.splitlines()[1]


def _cockpit(demo: McpDemo, app: RunningApp | None) -> dict:
    if app is None:  # stdio: no app running; the read model is the same, read it like the API does
        from engine.api.metrics import _render_cockpit
        return json.loads(_render_cockpit(demo.db.engine()))
    return httpx.get(f"{app.url}/api/cockpit", headers={"Authorization": f"Bearer {READ_TOKEN}"}, timeout=30).json()


def test_get_metric_and_metric_history_agree_with_the_cockpit(transport):
    ids = sorted(RED_INCIDENTS) + ["payments_24h", "card_feed_lag"]

    async def body(client):
        found = {}
        for metric_id in ids:
            detail = await client.call_tool("get_metric", {"metric_id": metric_id})
            history = await client.call_tool("metric_history", {"metric_id": metric_id, "days": 30})
            found[metric_id] = (detail.structured_content, history.structured_content)
        return found

    answers = run(transport, body)
    cockpit = {m["id"]: m for m in _cockpit(transport[1], transport[2])["metrics"]}
    for metric_id, (detail, history) in answers.items():
        card = cockpit[metric_id]
        now = detail["now"]
        assert (now["value"], now["status"], now["freshness"], now["value_text"]) == (
            card["value"], card["status"], card["freshness"], card["value_text"]), metric_id
        assert (detail["owner"], detail["lines"]["red_line"], detail["lines"]["amber_line"]) == (
            card["owner"], card["alert_value"], card["norm_value"])
        first = date.fromisoformat(card["history"]["from"])
        expected = {first + timedelta(days=n): v for n, v in enumerate(card["history"]["values"]) if v is not None}
        got = {date.fromisoformat(p["day"]): float(f"{p['value']:.6g}") for p in history["points"]
               if p["value"] is not None}
        assert got == expected, metric_id
        # A target's pace is the one the OKR board and the cockpit show.
        pace, card_pace = detail.get("pace"), card.get("pace")
        assert (pace["state"], pace["days_left"]) == (card_pace["state"], card_pace["days_left"]) if card_pace \
            else pace is None
    assert answers["collateral_covered_by_company"][0]["cuts"], "a metric links the cuts that explain it"
    assert any(detail.get("pace") for detail, _ in answers.values()), "some of these demo metrics have targets"


def test_unknown_ids_are_tool_errors_naming_them_and_the_closest_ids(transport):
    async def body(client):
        metric = await client.call_tool("get_metric", {"metric_id": "collateral_covered"})
        history = await client.call_tool("metric_history", {"metric_id": "paymentz_24h"})
        cut = await client.call_tool("get_cut", {"cut_id": "collateral_arrear"})
        too_long = await client.call_tool("metric_history", {"metric_id": "payments_24h", "days": 731})
        return metric, history, cut, too_long

    metric, history, cut, too_long = run(transport, body)
    for result, given, closest in ((metric, "collateral_covered", "collateral_covered_by_company"),
                                   (history, "paymentz_24h", "payments_24h"),
                                   (cut, "collateral_arrear", "collateral_arrears")):
        assert result.is_error
        text = result.content[0].text
        assert f"'{given}'" in text and closest in text and "Traceback" not in text
    assert too_long.is_error and "days" in too_long.content[0].text


def test_the_other_tools_answer_from_the_demo(transport):
    async def body(client):
        names = ("get_cut", "refresh_status", "list_alerts", "list_metrics", "search_docs")
        args = ({"cut_id": "collateral_arrears"}, {}, {"state": "firing"}, {"status": "red"},
                {"query": "stale freshness"})
        return {n: (await client.call_tool(n, a)).structured_content for n, a in zip(names, args)}

    got = run(transport, body)
    cut = got["get_cut"]
    assert cut["window"] and cut["payload"]["kind"] and "collateral_covered_by_company" in cut["metrics"]
    sources = {s["source"]: s for s in got["refresh_status"]["sources"]}
    assert sources["card_management.cards"]["age"].endswith("ago") and got["refresh_status"]["last_successful_refresh"]
    firing = {a["key"] for a in got["list_alerts"]["alerts"]}
    assert "value:collateral_covered_by_company" in firing and "stale:card_management.cards" in firing
    reds = {m["id"] for m in got["list_metrics"]["metrics"]}
    assert RED_INCIDENTS <= reds
    assert got["search_docs"]["hits"] and all(h["link"].startswith("http") for h in got["search_docs"]["hits"])


def test_resources_and_the_daily_triage_prompt(transport):
    async def body(client):
        listed = (await client.list_resources()).resources
        doc = await client.read_resource("heartbeat://docs/mcp")
        metric = await client.read_resource("heartbeat://metrics/collateral_covered_by_company")
        try:
            await client.read_resource("heartbeat://metrics/collateral_covered")
            unknown = None
        except MCPError as exc:
            unknown = str(exc)
        prompt = await client.get_prompt("daily_triage")
        return listed, doc, metric, unknown, prompt

    listed, doc, metric, unknown, prompt = run(transport, body)
    uris = {str(r.uri) for r in listed}
    assert {"heartbeat://docs/index", "heartbeat://docs/mcp", "heartbeat://metrics/payments_24h"} <= uris
    assert "whats_wrong_today" in doc.contents[0].text
    assert metric.contents[0].text.startswith("# Card collateral covered by us (unpaid)")
    assert unknown and "collateral_covered_by_company" in unknown
    assert "whats_wrong_today" in prompt.messages[0].content.text
