"""The MCP tools reference, generated from the MCP server itself once ``engine.mcp`` is part of the app.

Looked up by name so that this reference appears by itself when the MCP server lands (issue #10):
until then there is nothing to list and the docs page for it does not exist either.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.docs.markdown import cell, code, table


def mcp_tools() -> list[Any] | None:
    """The tools the MCP server declares (name, description, input schema); None without an MCP server."""
    try:
        server_module = importlib.import_module("engine.mcp.server")
    except ModuleNotFoundError:
        return None
    server = server_module.build_server(lambda: None)  # declaring tools reads no runtime
    # Its own loop, in a thread: the app may be building its pages inside a running event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return list(pool.submit(asyncio.run, server.list_tools()).result())


def _arguments(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = []
    for name, sub in schema.get("properties", {}).items():
        kinds = [s.get("type", "any") for s in sub.get("anyOf", [sub])]
        extra = [f"{k} {sub[k]}" for k in ("minimum", "maximum", "pattern", "maxLength") if k in sub]
        if "enum" in sub:
            extra.append("one of " + ", ".join(map(str, sub["enum"])))
        for option in sub.get("anyOf", []):
            if "enum" in option:
                extra.append("one of " + ", ".join(map(str, option["enum"])))
        default = f"default {json.dumps(sub['default'])}" if "default" in sub else ""
        rows.append((code(name), "yes" if name in required else "no", " or ".join(kinds) + (
            f" ({'; '.join(extra)})" if extra else ""), "; ".join(p for p in (sub.get("description", ""), default) if p)))
    return table(("Argument", "Required", "Type", "Meaning"), rows) if rows else "No arguments."


def mcp_reference(tools: list[Any] | None = None) -> str:
    """A section per tool: what it answers and its arguments; empty when there is no MCP server."""
    tools = mcp_tools() if tools is None else tools
    if not tools:
        return ""
    parts = ["## Reference (generated from the MCP server's tools)",
             f"{len(tools)} tools, read from the server's own declarations each time this page is built.",
             table(("Tool", "What it answers"), [(code(t.name), (t.description or "").split(". ")[0]) for t in tools])]
    for tool in tools:
        schema = getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None) or {}
        parts += [f"### {tool.name}", cell(tool.description or ""), _arguments(schema)]
    return "\n\n".join(parts) + "\n"
