"""`heartbeat discover`: profile → candidates → the metric-validate gate → backtest → ranked proposals.

Every candidate is written as a proposal file and put through the same gate as a
hand-written metric (``engine.metrics.validate``: 5 s, plan checks); one that fails
is dropped with its reason. Its history runs once, read-only, and the backtest
judges it day by day. The evidence (profiles, each proposal's 90 days and
figures, the drops) goes to ``metrics/proposed/evidence.json`` for the
``/metrics/proposed`` page.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import text

from engine.discover import backtest, proposals
from engine.discover.profile import TableProfile, profile_marts
from engine.discover.rules import Candidate, candidates_for
from engine.metrics.compute import ComputeContext
from engine.metrics.sql import MetricSqlError, run_readonly
from engine.metrics.validate import validate

CHART_DAYS = 90


class _Granted(ComputeContext):
    """The context once the schemas are granted: the workers' connections (validate's too) skip the grant sync,
    which must not run concurrently."""

    def connect(self, *, sync_grants: bool = True) -> Any:
        return super().connect(sync_grants=False)


@dataclass
class Proposal:
    candidate: Candidate
    result: backtest.Backtest
    seconds: float
    value: float | None


@dataclass
class Discovery:
    profiles: list[TableProfile]
    proposals: list[Proposal]  # ranked, most useful first
    dropped: dict[str, str] = field(default_factory=dict)  # candidate id → why
    skipped: dict[str, str] = field(default_factory=dict)  # rejected or already a metric
    timings: dict[str, float] = field(default_factory=dict)


def _existing_history(ctx: ComputeContext) -> dict[str, dict[date, float | None]]:
    """The recorded daily history of every active metric, for the near-duplicate check."""
    series: dict[str, dict[date, float | None]] = {}
    with ctx.db.engine().connect() as conn:
        rows = conn.execute(text(
            "SELECT h.metric_id, h.day, h.value FROM heartbeat.metric_history h "
            "JOIN heartbeat.metric_registry r ON r.id = h.metric_id WHERE r.retired_at IS NULL"
        )).all()
    for metric_id, day, value in rows:
        series.setdefault(metric_id, {})[day] = None if value is None else float(value)
    return series


def _series(rows: list[tuple]) -> dict[date, float | None]:
    out: dict[date, float | None] = {}
    for row in rows:
        if len(row) == 2 and isinstance(row[0], date):
            out[row[0]] = None if row[1] is None else float(row[1])
    return out


def _evaluate(ctx: ComputeContext, connection: Callable[[], Any], metrics_dir: Path, candidate: Candidate,
              incidents: list[backtest.KnownIncident], today: date) -> Proposal | str:
    """Gate, history and backtest of one candidate; a string says why it was dropped."""
    folder = proposals.proposed_dir(metrics_dir)
    proposals.write(metrics_dir, candidate)
    check = validate(candidate.id, ctx, folder)
    if not check.passed:
        (folder / f"{candidate.id}.sql").unlink()
        return check.error or "; ".join(check.warnings) or f"took {check.seconds:.2f} s"
    try:
        history = _series(run_readonly(connection(), candidate.history_sql, ctx.statement_timeout,
                                       f"{candidate.id} (history_sql)"))
    except MetricSqlError as exc:
        (folder / f"{candidate.id}.sql").unlink()
        return f"history_sql: {exc}"
    history = {d: v for d, v in history.items() if d < today}
    series = {**history, today: check.value}
    if candidate.lines_from_history:
        candidate.norm, candidate.alert = candidate.lines_from_history(candidate.direction, list(history.values()))
        if candidate.norm is None and candidate.alert is None:
            (folder / f"{candidate.id}.sql").unlink()
            return "its history is constant or too short to draw lines from"
        proposals.write(metrics_dir, candidate)  # the file carries the lines the backtest used
    try:
        result = backtest.run(candidate.id, candidate.source_table, candidate.direction, candidate.benchmark,
                              candidate.norm, candidate.alert, series, incidents, candidate.unit)
    except ValueError as exc:  # a benchmark kind this version cannot learn
        (folder / f"{candidate.id}.sql").unlink()
        return f"backtest: {exc}"
    return Proposal(candidate, result, check.seconds, check.value)


def discover(ctx: ComputeContext, metrics_dir: Path, incidents: list[backtest.KnownIncident],
             on_step: Callable[[str], None] | None = None) -> Discovery:
    """Profile the marts, propose, validate and backtest; write ``metrics/proposed/``."""
    say = on_step or (lambda _message: None)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    with ctx.connect() as conn:
        profiles = profile_marts(conn)
        timings["profile_s"] = time.perf_counter() - began
        say(f"profiled {len(profiles)} tables in {timings['profile_s']:.1f} s")
        rejected = proposals.rejected(metrics_dir)
        existing_files = {p.stem for p in Path(metrics_dir).glob("*.sql")}
        candidates: dict[str, Candidate] = {}
        skipped: dict[str, str] = {}
        for profile in profiles:
            for candidate in candidates_for(profile):
                if candidate.id in rejected:
                    skipped[candidate.id] = f"rejected: {rejected[candidate.id].get('reason', '')}"
                elif candidate.id in existing_files:
                    skipped[candidate.id] = "already a metric in metrics/"
                else:
                    candidates.setdefault(candidate.id, candidate)
        say(f"{len(candidates)} candidates ({len(skipped)} skipped)")
        proposals.clear(metrics_dir)
    today = datetime.now(timezone.utc).date()
    ctx = _Granted(ctx.db, ctx.marts_database, ctx.statement_timeout, ctx.workers, ctx.compute_url)
    kept: list[Proposal] = []
    dropped: dict[str, str] = {}
    step = time.perf_counter()
    # One marts connection per worker, as the compute pool does: the history queries are the cost.
    local = threading.local()
    opened: list[Any] = []
    lock = threading.Lock()

    def connection() -> Any:
        if getattr(local, "conn", None) is None:
            local.conn = ctx.connect()
            with lock:
                opened.append(local.conn)
        return local.conn

    try:
        with ThreadPoolExecutor(max_workers=max(1, ctx.workers), thread_name_prefix="discover") as pool:
            outcomes = pool.map(lambda c: (c, _evaluate(ctx, connection, metrics_dir, c, incidents, today)),
                                candidates.values())
            for candidate, outcome in outcomes:
                if isinstance(outcome, str):
                    dropped[candidate.id] = outcome
                else:
                    kept.append(outcome)
    finally:
        for conn in opened:
            conn.close()
    timings["backtest_s"] = time.perf_counter() - step
    say(f"{len(kept)} candidates passed the gate and were backtested in {timings['backtest_s']:.1f} s")
    existing = _existing_history(ctx)
    for proposal in kept:
        series = {date.fromisoformat(p.day): p.value for p in proposal.result.points}
        backtest.flag_duplicate(proposal.result, series, existing)
    kept.sort(key=lambda p: (-p.result.usefulness, p.candidate.id))
    timings["total_s"] = time.perf_counter() - began
    found = Discovery(profiles, kept, dropped, skipped, timings)
    write_evidence(metrics_dir, found, incidents)
    return found


def write_evidence(metrics_dir: Path, found: Discovery, incidents: list[backtest.KnownIncident]) -> Path:
    """``evidence.json``: what the /metrics/proposed page shows, ranked."""
    cutoff = (datetime.now(timezone.utc).date() - timedelta(days=CHART_DAYS)).isoformat()
    items = []
    for rank, proposal in enumerate(found.proposals, start=1):
        c, r = proposal.candidate, proposal.result
        data = r.as_json()
        data["points"] = [p for p in data["points"] if p["day"] >= cutoff]
        items.append({
            "id": c.id, "rank": rank, "name": c.name, "rule": c.rule, "table": c.table, "source": c.source,
            "period": c.period, "unit": c.unit, "currency": c.currency, "direction": c.direction,
            "benchmark": c.benchmark, "how_to_read": c.how_to_read, "value": proposal.value,
            "seconds": round(proposal.seconds, 3), **data,
        })
    evidence = {
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "incidents": [{"id": i.id, "start": i.start.isoformat(), "tables": list(i.tables)} for i in incidents],
        "profiles": [p.summary() for p in found.profiles],
        "proposals": items,
        "dropped": found.dropped,
        "skipped": found.skipped,
        "timings": {k: round(v, 2) for k, v in found.timings.items()},
    }
    path = proposals.proposed_dir(metrics_dir) / proposals.EVIDENCE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(evidence, indent=1, default=str), encoding="utf-8")
    return path
