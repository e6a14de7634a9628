"""`heartbeat mcp`: the MCP server over stdio, for desktop clients that start it as a subprocess.

Stdout carries the protocol only; anything Heartbeat has to say goes to stderr and the log file.
"""

from __future__ import annotations

import argparse

from engine.cli.common import Formatter, upgrade
from engine.mcp.server import build_server
from engine.runtime import Runtime


def cmd_mcp(rt: Runtime, args: argparse.Namespace) -> int:
    upgrade(rt)
    build_server(lambda: rt).run("stdio")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``heartbeat mcp``."""
    mcp = commands.add_parser(
        "mcp", help="serve the MCP tools over stdio (for Claude Desktop, VS Code, …)",
        description="Serve Heartbeat's MCP server over stdin/stdout: whats_wrong_today, get_metric, "
        "metric_history, list_metrics, get_cut, refresh_status, list_alerts, search_docs, the docs and metric "
        "definitions as resources, and the daily_triage prompt. Read only. Over HTTP the same server answers at "
        "/mcp on the app's port (see docs/mcp.md).",
        formatter_class=Formatter,
    )
    mcp.set_defaults(handler=cmd_mcp)
