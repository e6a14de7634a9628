"""`heartbeat metric validate <id>`: the seed's metric-validate gate as a command.

Parse the file, run the value SQL with timing against the 5 s gate, read its
plan (EXPLAIN ANALYZE, BUFFERS) for sequential scans on large tables and
nested loops over large inputs, and say what the tile would show.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg

from engine import contract
from engine.core import formatting
from engine.core.errors import HeartbeatError
from engine.ingest.ledger import source_as_of
from engine.metrics.compute import ComputeContext
from engine.metrics.files import MetricDefinition, MetricFilesInvalid, parse_file
from engine.metrics.registry import METRICS_DIR
from engine.metrics.sql import MetricSqlError, run_readonly, scalar

GATE_SECONDS = 5.0
LARGE_TABLE_ROWS = 200_000
LARGE_LOOP_ROWS = 10_000


@dataclass
class Validation:
    definition: MetricDefinition
    seconds: float = 0.0
    value: float | None = None
    status: contract.Status | None = None
    freshness: contract.Freshness | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    plan_summary: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and self.seconds < GATE_SECONDS and not self.warnings


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [node]
    for child in node.get("Plans", []):
        nodes.extend(_walk(child))
    return nodes


def _table_rows(conn: psycopg.Connection, schema: str | None, relation: str) -> float:
    row = conn.execute(
        "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = %s AND (%s::text IS NULL OR n.nspname = %s)",
        (relation, schema, schema),
    ).fetchone()
    return float(row[0]) if row else 0.0


def _inspect_plan(conn: psycopg.Connection, sql: str, timeout: float, result: Validation) -> None:
    rows = run_readonly(conn, f"EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) {sql}", timeout)
    plan = rows[0][0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    top = plan[0]
    result.plan_summary.append(
        f"planning {top.get('Planning Time', 0):.1f} ms, execution {top.get('Execution Time', 0):.1f} ms"
    )
    for node in _walk(top["Plan"]):
        kind = node.get("Node Type", "")
        if kind == "Seq Scan":
            relation = node.get("Relation Name", "?")
            size = _table_rows(conn, node.get("Schema"), relation)
            if size >= LARGE_TABLE_ROWS:
                result.warnings.append(
                    f"Seq Scan on {node.get('Schema', '')}.{relation} (~{size:,.0f} rows): add a post-ingest index "
                    "on its WHERE/JOIN columns (POST_INGEST_INDEXES in engine/sources.py)"
                )
        if kind == "Nested Loop":
            outer = node.get("Plans", [{}])[0]
            outer_rows = outer.get("Actual Rows", 0) * outer.get("Actual Loops", 1)
            if outer_rows >= LARGE_LOOP_ROWS:
                result.warnings.append(
                    f"Nested Loop over {outer_rows:,} outer rows: rewrite as a JOIN + conditional aggregation "
                    "(no correlated subqueries) so it can hash join"
                )


def validate(metric_id: str, ctx: ComputeContext, folder: Path = METRICS_DIR) -> Validation:
    """Run every check of the metric-validate gate on ``metrics/<metric_id>.sql``."""
    path = folder / f"{metric_id}.sql"
    if not path.exists():
        raise HeartbeatError(f"no metric file {path}; metric ids are file names in {folder}")
    definition, errors = parse_file(path)
    if definition is None:
        raise MetricFilesInvalid(errors)
    result = Validation(definition)
    header = definition.header
    try:
        conn = ctx.connect()
    except MetricSqlError as exc:
        result.error = str(exc)
        return result
    with conn:
        began = time.perf_counter()
        try:
            result.value = scalar(run_readonly(conn, definition.value_sql, ctx.statement_timeout, str(path)))
        except MetricSqlError as exc:
            result.error = str(exc)
            return result
        finally:
            result.seconds = time.perf_counter() - began
        _inspect_plan(conn, definition.value_sql, ctx.statement_timeout, result)
    result.status = contract.status(
        result.value, direction=header.direction, norm_value=header.norm, alert_value=header.alert
    )
    as_of = source_as_of(ctx.db.engine(), definition.source_pairs)
    result.freshness = contract.freshness(as_of, header.period, datetime.now(timezone.utc))
    if result.seconds >= GATE_SECONDS:
        result.warnings.insert(0, f"took {result.seconds:.2f} s: over the {GATE_SECONDS:g} s gate")
    return result


def render(result: Validation) -> list[str]:
    """The report as lines of text for the terminal."""
    h = result.definition.header
    lines = [f"{result.definition.id} — {h.name} ({h.period}, {h.direction})"]
    if result.error:
        return lines + [f"FAILED: {result.error}"]
    shown = formatting.value(result.value, h.unit, h.currency)
    lines.append(f"value {shown} (raw {result.value!r}) in {result.seconds * 1000:.0f} ms (gate {GATE_SECONDS:g} s)")
    lines.append(f"status {result.status.value if result.status else '?'} against norm {h.norm} / alert {h.alert}; "
                 f"freshness {result.freshness.value if result.freshness else '?'}")
    lines.extend(f"plan: {line}" for line in result.plan_summary)
    lines.extend(f"WARNING: {w}" for w in result.warnings)
    lines.append("PASSED" if result.passed else "NEEDS WORK")
    return lines
