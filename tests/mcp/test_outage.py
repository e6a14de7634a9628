"""A database that cannot be reached is a tool error in words — never a stack trace, never the URL."""

from __future__ import annotations

from mcp import Client
from sqlalchemy.engine import make_url

from engine.core.db import Database
from engine.core.settings import load_settings
from engine.mcp.server import build_server
from engine.runtime import Runtime
from tests.mcp.conftest import run_async

UNREACHABLE = "postgresql+psycopg://heartbeat:s3cr3t-pw@127.0.0.1:9/heartbeat"


def test_every_tool_answers_an_outage_in_words(tmp_path):
    settings = load_settings({"HEARTBEAT_DATA_DIR": str(tmp_path), "HEARTBEAT_DATABASE_URL": UNREACHABLE})
    db = Database(make_url(UNREACHABLE))
    server = build_server(lambda: Runtime(settings, db))

    async def main():
        async with Client(server) as client:
            return [await client.call_tool(name, args) for name, args in (
                ("whats_wrong_today", {}), ("get_metric", {"metric_id": "payments_24h"}),
                ("refresh_status", {}), ("list_alerts", {}))]

    try:
        results = run_async(main)
    finally:
        db.dispose()
    for result in results:
        assert result.is_error
        text = result.content[0].text
        assert "database cannot be reached right now" in text
        assert "s3cr3t" not in text and "127.0.0.1" not in text and "Traceback" not in text
