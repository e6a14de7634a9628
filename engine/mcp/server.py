"""The Heartbeat MCP server: its tools, resources and prompt, declared on the SDK's ``MCPServer``.

Every tool is read-only and answers a typed model (its output schema); bodies are in ``engine.mcp.tools``
and run in a worker thread (the SDK runs sync tools off the event loop). ``build_server(get_runtime)``
is called once per transport: stdio (``heartbeat mcp``) and HTTP (``engine.mcp.http``).
"""

from __future__ import annotations

import functools
import logging
from typing import Annotated, Any, Callable, Literal, TypeVar

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from mcp.types import Resource as MCPResource
from pydantic import Field
from sqlalchemy import exc as sa_exc

from engine import contract
from engine.core.db import DatabaseError
from engine.core.version import VERSION
from engine.docs.handwritten import shipped_pages
from engine.mcp import models, tools
from engine.read.cards import metric_cards
from engine.read.triage import MAX_LIMIT, Triage, current
from engine.runtime import Runtime

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
# Connection lost or refused: a tool error in words, never "Error executing tool" (the embedded server restarts).
OUTAGE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, DatabaseError)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
MetricId = Annotated[str, Field(pattern=contract.METRIC_ID_PATTERN, description="metric id, e.g. payments_24h")]

INSTRUCTIONS = """\
Heartbeat is the always-on cockpit of a business: every metric has a value, an amber and a red line, \
optionally a typical band and a target, and a colour decided by one contract. Start with \
whats_wrong_today: it ranks what needs attention (red values, failed computations, amber values, stale \
sources) and says why in one sentence each. Stale data is never a bad value: report it as stale. \
Everything here is read-only."""

DAILY_TRIAGE = """\
Do the morning check of this business with the Heartbeat tools, then answer in at most eight short \
bullet points a CEO can read in one minute.

1. Call whats_wrong_today (limit 10). Its items are already ranked: red values (most severe first), \
then failed computations, amber values, then stale sources.
2. For the first three items that are metrics, call get_metric for the lines and the owner, and, when \
the item links a cut, get_cut for the evidence behind it (quote one or two concrete rows).
3. If any item is stale, or the answer looks old, call refresh_status: say which source stopped \
delivering and since when. A stale value is not a bad value; never call it red.
4. Call list_alerts to say whether the owners were notified and whether anyone acknowledged.

For each bullet: what is wrong in plain words, since when, who owns it, and the link to open. End with \
the single thing to look at first."""


def _database_errors_in_words(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OUTAGE_ERRORS as exc:
            log.warning("MCP tool %s: database unreachable (%s)", fn.__name__, type(exc).__name__)
            raise ToolError("Heartbeat's database cannot be reached right now; try again shortly") from None

    return wrapper  # type: ignore[return-value]


def _triage_text(answer: Triage) -> str:
    """What a client that ignores structured content reads: one line per item, worst first."""
    counts = answer.counts
    head = (f"{counts.red} red, {counts.error} error, {counts.amber} amber, {counts.stale} stale; "
            f"{counts.green} green.")
    lines = [head]
    for item in answer.items:
        link = item.cut.link if item.cut else item.link
        lines.append(f"{item.rank}. [{item.kind}] {item.why} ({item.owner or 'no owner'})" + (f" {link}" if link else ""))
    if answer.more:
        lines.append(f"… and {answer.more} more (raise limit).")
    return "\n".join(lines)


class HeartbeatMCP(MCPServer):
    """The SDK's server, with one resource per metric definition listed from the registry on each call."""

    def __init__(self, get_runtime: Callable[[], Runtime]) -> None:
        # The SDK calls logging.basicConfig (a rich handler on the root logger) unless the root has a
        # handler: Heartbeat configures its own logging, so the root keeps no trace of the SDK's choice.
        root = logging.getLogger()
        guard = logging.NullHandler()
        root.addHandler(guard)
        try:
            super().__init__("heartbeat", title="Heartbeat", version=VERSION, instructions=INSTRUCTIONS,
                             log_level="WARNING")
        finally:
            root.removeHandler(guard)
        self.get_runtime = get_runtime

    async def list_resources(self) -> list[MCPResource]:
        static = await super().list_resources()
        cards = await anyio.to_thread.run_sync(lambda: metric_cards(self.get_runtime().db.engine(),
                                                                    history_days=0))
        return static + [
            MCPResource(uri=f"heartbeat://metrics/{c.id}", name=c.id, title=c.name,
                        description=f"Definition and contract of the metric {c.name}", mime_type="text/markdown")
            for c in sorted(cards, key=lambda c: c.id)
        ]


def build_server(get_runtime: Callable[[], Runtime]) -> HeartbeatMCP:
    """A fresh server over ``get_runtime()``'s database and settings (read at each call)."""
    server = HeartbeatMCP(get_runtime)

    def engine():
        return get_runtime().db.engine()

    def link_base() -> str:
        return get_runtime().settings.link_base

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def whats_wrong_today(
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="how many items to return")] = 10,
    ) -> Annotated[CallToolResult, Triage]:
        """What should I look at first today? The ranked list of what is wrong now: red values first (most
        severe: furthest past their red line, or σ past their typical band, with money at stake counting more),
        then failed computations, amber values, then stale sources (their metrics show old values, which are
        reported as stale, never as bad). Each item: a one-sentence why, since when, owner, the last 7 daily
        values, freshness, the alert's state (notified, acknowledged, silenced) and links to the metric's
        page and to the audit chart that explains it."""
        answer = current(engine(), link_base=link_base(), limit=limit)
        return CallToolResult(content=[TextContent(type="text", text=_triage_text(answer))],
                              structured_content=answer.model_dump(mode="json", exclude_defaults=True))

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def get_metric(metric_id: MetricId) -> models.MetricDetail:
        """One metric: its definition (how to read it, methodology, sources, period, unit), its contract
        (amber and red lines, typical band, target and due date), its value and colour now with freshness,
        owner and verification, and the audit charts (cuts) that explain it."""
        return tools.get_metric(engine(), metric_id, link_base())

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def metric_history(
        metric_id: MetricId,
        days: Annotated[int, Field(ge=1, le=tools.MAX_HISTORY_DAYS, description="days back from today")] = 90,
    ) -> models.MetricHistory:
        """The daily values of one metric for the last `days` days (at most 730), oldest first, each with the
        status it had when it was computed. Days without a computation are absent."""
        return tools.metric_history(engine(), metric_id, days)

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def list_metrics(
        status: Literal["red", "amber", "green", "no_data", "error"] | None = None,
        tag: Annotated[str | None, Field(max_length=64, description="only metrics with this tag")] = None,
        owner: Annotated[str | None, Field(max_length=254, description="only metrics of this owner")] = None,
        verified: Annotated[bool | None, Field(description="only verified (true) or unverified (false)")] = None,
    ) -> models.MetricList:
        """The active metrics, red first, each with its id, name, colour now, freshness, value, owner,
        verification and tags; every filter is optional and they combine."""
        return tools.list_metrics(engine(), status=status, tag=tag, owner=owner, verified=verified)

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def get_cut(
        cut_id: Annotated[str, Field(pattern=contract.METRIC_ID_PATTERN, description="cut id (from get_metric)")],
        window: Annotated[str | None, Field(pattern=r"^[1-9][0-9]{0,2}d$",
                                            description="e.g. 30d; default: the cut's own default")] = None,
    ) -> models.CutAnswer:
        """One audit chart (cut) that explains metrics: its snapshot for a window — headline and data (a
        table's rows or a chart's series; long lists are shortened and their totals kept), when it was
        computed and how current its data is."""
        return tools.get_cut(engine(), cut_id, window, link_base())

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def refresh_status() -> models.RefreshStatus:
        """Is the data moving? The refresh job running now (phase and progress), when the last successful
        refresh finished, and for every source schema its last run, how current its data is and its last
        error."""
        return tools.refresh_status(engine())

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def list_alerts(
        state: Literal["pending", "firing", "resolved", "ok"] | None = None,
    ) -> models.AlertList:
        """Alert states (default: every alert that is not ok): value, error and stale-source alerts with
        since when, whether a notification went out, who acknowledged it, and the silences in force."""
        return tools.list_alerts(engine(), state)

    @server.tool(annotations=READ_ONLY)
    @_database_errors_in_words
    def search_docs(query: Annotated[str, Field(min_length=2, max_length=200)]) -> models.DocSearch:
        """Search Heartbeat's documentation (how metrics, colours, freshness, alerts, sources and security
        work); the best sections with a link and an excerpt."""
        return tools.search_docs(query, link_base())

    for page in shipped_pages():
        _doc_resource(server, page)

    @server.resource("heartbeat://metrics/{metric_id}", mime_type="text/markdown",
                     description="A metric's definition and contract, by id")
    def metric_definition(metric_id: str) -> str:
        try:
            return tools.metric_definition(engine(), metric_id)
        except tools.UnknownId as exc:
            raise ResourceNotFoundError(str(exc)) from None

    @server.prompt(title="Daily triage",
                   description="The morning check: what is wrong, why, since when, who owns it, what to open")
    def daily_triage() -> str:
        return DAILY_TRIAGE

    return server


def _doc_resource(server: MCPServer, page: Any) -> None:
    @server.resource(f"heartbeat://docs/{page.slug}", name=f"docs/{page.slug}", title=page.title,
                     description=f"Documentation: {page.title}", mime_type="text/markdown")
    def read() -> str:
        return page.body
