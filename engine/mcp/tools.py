"""What each MCP tool answers, as plain functions over the read model (the server only declares them).

Every read is of schema ``heartbeat``: registry, history, sync ledger, job ledger, alert states, cut
snapshots. An id that names nothing is a ``ToolError`` that names it and the closest existing ids.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from sqlalchemy import Engine, text

from engine.audit import read as cuts_read
from engine.core import formatting
from engine.core.errors import NotFound
from engine.docs.handwritten import shipped_pages
from engine.docs.search import Searchable, search
from engine.ingest.ledger import last_syncs
from engine.mcp import models
from engine.read import jobs
from engine.read.cards import MetricCard, metric_cards, metric_profile
from engine.read.triage import CutLink

MAX_HISTORY_DAYS = 730
PAYLOAD_LIST_ITEMS = 20  # a cut payload's lists are cut to this many items when the payload is large
PAYLOAD_LARGE_BYTES = 4_000
DOC_HITS = 5  # search_docs answers the five best sections


class UnknownId(ToolError):
    """An id that names nothing; the message names it and suggests the closest existing ones."""

    def __init__(self, what: str, given: str, known: Iterable[str]) -> None:
        close = difflib.get_close_matches(given, list(known), n=3, cutoff=0.4)
        hint = f"; closest: {', '.join(close)}" if close else f"; {list_hint(what)}"
        super().__init__(f"no active {what} {given!r}{hint}")


def list_hint(what: str) -> str:
    return "call list_metrics for the ids" if what == "metric" else "the ids are the cut links of get_metric"


def _active_ids(engine: Engine, table: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(f"SELECT id FROM heartbeat.{table} WHERE retired_at IS NULL")).scalars())


def _card(engine: Engine, metric_id: str, history_days: int = 0) -> MetricCard:
    cards = metric_cards(engine, history_days=history_days, ids=[metric_id])
    if not cards:
        raise UnknownId("metric", metric_id, _active_ids(engine, "metric_registry"))
    return cards[0]


def _cut_links(engine: Engine, metric_id: str, link_base: str) -> list[CutLink]:
    return [CutLink(id=c["id"], title=c["title"], link=f"{link_base}/audit/{c['page']}#{c['id']}")
            for c in cuts_read.cuts_for_metric(engine, metric_id)]


def get_metric(engine: Engine, metric_id: str, link_base: str) -> models.MetricDetail:
    card = _card(engine, metric_id)
    profile = metric_profile(engine, metric_id)
    if profile is None:  # retired between the two reads
        raise UnknownId("metric", metric_id, _active_ids(engine, "metric_registry"))
    crossing = card.crossing
    return models.MetricDetail(
        id=card.id, name=card.name, how_to_read=card.how_to_read, methodology=profile.methodology,
        sources=list(profile.source_schemas), period=card.period, unit=card.unit, currency=card.currency,
        lines=models.Lines(direction=card.direction, amber_line=card.norm_value, red_line=card.alert_value,
                           typical_mean=card.benchmark_mean, typical_stddev=card.benchmark_stddev,
                           target=card.target_value, target_due=card.target_due_date),
        now=models.MetricNow(
            value=card.value, value_text=formatting.value(card.value, card.unit, card.currency),
            status=card.status.value, freshness=card.freshness.value,
            crossed=crossing.line if crossing else None, crossed_by=crossing.by if crossing else None,
            target_hit=card.target_hit, computed_at=card.computed_at, data_as_of=card.source_as_of,
            last_error=card.error),
        pace=_pace(card),
        owner=card.owner, verification_state=card.verification_state, verified_by=profile.verified_by,
        tags=list(card.tags), link=f"{link_base}/metrics/{card.id}",
        cuts=_cut_links(engine, metric_id, link_base),
    )


def _pace(card: MetricCard) -> models.Pace | None:
    pace = card.pace
    if pace is None:
        return None
    return models.Pace(state=pace.state.value, label=pace.label, target=pace.target, due=pace.due,
                       start_day=pace.start_day, start_value=pace.start_value, expected_now=pace.expected_now,
                       projected=pace.projected, days_left=pace.days_left, reaches_on=pace.reaches_on)


def metric_history(engine: Engine, metric_id: str, days: int) -> models.MetricHistory:
    card = _card(engine, metric_id)
    since = datetime.now(timezone.utc).date() - timedelta(days=days - 1)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT day, value, status FROM heartbeat.metric_history WHERE metric_id = :id AND day >= :since "
            "ORDER BY day"), {"id": metric_id, "since": since}).all()
    return models.MetricHistory(
        id=card.id, name=card.name, unit=card.unit, currency=card.currency, days=days,
        points=[models.HistoryPoint(day=r.day, value=r.value, status=r.status) for r in rows])


def list_metrics(engine: Engine, *, status: str | None, tag: str | None, owner: str | None,
                 verified: bool | None) -> models.MetricList:
    selected = [
        card for card in metric_cards(engine, history_days=0)
        if (status is None or card.status.value == status)
        and (tag is None or tag in card.tags)
        and (owner is None or (card.owner or "").lower() == owner.lower())
        and (verified is None or (card.verification_state == "verified") == verified)
    ]
    return models.MetricList(count=len(selected), metrics=[
        models.MetricSummary(id=c.id, name=c.name, status=c.status.value, freshness=c.freshness.value,
                             value_text=formatting.value(c.value, c.unit, c.currency), owner=c.owner,
                             verified=c.verification_state == "verified", tags=list(c.tags))
        for c in selected])


def _shorten(value: Any) -> tuple[Any, bool]:
    """Lists cut to PAYLOAD_LIST_ITEMS (their full length noted beside them), recursively."""
    if isinstance(value, list):
        items = [_shorten(v) for v in value[:PAYLOAD_LIST_ITEMS]]
        return [v for v, _ in items], len(value) > PAYLOAD_LIST_ITEMS or any(s for _, s in items)
    if isinstance(value, dict):
        out, cut = {}, False
        for key, item in value.items():
            out[key], shortened = _shorten(item)
            if isinstance(item, list) and len(item) > PAYLOAD_LIST_ITEMS:
                out[f"{key}_total"] = len(item)
            cut = cut or shortened
        return out, cut
    return value, False


def get_cut(engine: Engine, cut_id: str, window: str | None, link_base: str) -> models.CutAnswer:
    try:
        cut = cuts_read.cut(engine, cut_id)
    except NotFound:
        raise UnknownId("cut", cut_id, _active_ids(engine, "audit_cut_registry")) from None
    window = window or cut["window_default"]
    if window not in cut["windows"]:
        raise ToolError(f"cut {cut_id!r} has no window {window!r}; its windows: {', '.join(cut['windows'])}")
    snapshot = cut["snapshots"].get(window) or {}
    payload = snapshot.get("payload")
    summarised = False
    if payload is not None and len(json.dumps(payload, default=str)) > PAYLOAD_LARGE_BYTES:
        payload, summarised = _shorten(payload)
    return models.CutAnswer(
        id=cut["id"], title=cut["title"], page=cut["page"], window=window, windows=list(cut["windows"]),
        metrics=list(cut["metrics"] or []), link=f"{link_base}/audit/{cut['page']}#{cut['id']}",
        computed_at=snapshot.get("computed_at"), data_as_of=snapshot.get("source_as_of"),
        error=snapshot.get("error"), summarised=summarised, payload=payload)


def refresh_status(engine: Engine) -> models.RefreshStatus:
    now = datetime.now(timezone.utc)
    job = jobs.active_job(engine)
    sources = [
        models.SourceState(source=f"{s.source}.{s.schema}", last_status=s.status, last_run_at=s.started_at,
                           data_as_of=s.last_success_at, age=formatting.age(s.last_success_at, now),
                           last_error=s.error if s.status == "failed" else None)
        for _, s in sorted(last_syncs(engine).items())
    ]
    return models.RefreshStatus(
        active_job=models.RunningJob(**{k: job[k] for k in models.RunningJob.model_fields}) if job else None,
        last_successful_refresh=jobs.last_successful_refresh(engine), sources=sources)


ALERT_STATES = ("pending", "firing", "resolved", "ok")


def list_alerts(engine: Engine, state: str | None) -> models.AlertList:
    now = datetime.now(timezone.utc)
    where, params = ("state = :state", {"state": state}) if state else ("state <> 'ok'", {})
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT key, kind, subject, state, severity, since, fired_at, last_notified_at, acked_by, acked_until, "
            f"suppressed_by FROM heartbeat.alert_state WHERE {where} "
            "ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 WHEN 'resolved' THEN 2 ELSE 3 END, "
            "key LIMIT 200"), params).mappings().all()
        silences = conn.execute(text(
            "SELECT metric_id, tag, reason, created_by, ends_at FROM heartbeat.alert_silence "
            "WHERE created_at <= :now AND ends_at > :now ORDER BY ends_at"), {"now": now}).mappings().all()
    alerts = []
    for r in rows:
        acked = r["acked_until"] is not None and r["acked_until"] > now
        alerts.append(models.AlertRow(
            key=r["key"], kind=r["kind"], subject=r["subject"], state=r["state"], severity=r["severity"],
            since=r["since"], fired_at=r["fired_at"], notified_at=r["last_notified_at"],
            acknowledged_by=r["acked_by"] if acked else None, acknowledged_until=r["acked_until"] if acked else None,
            held_back_by=r["suppressed_by"]))
    return models.AlertList(alerts=alerts, silences=[
        models.SilenceRow(target=f"metric:{s['metric_id']}" if s["metric_id"] else f"tag:{s['tag']}",
                          reason=s["reason"], by=s["created_by"], ends_at=s["ends_at"]) for s in silences])


def search_docs(query: str, link_base: str) -> models.DocSearch:
    """The /docs search over the hand-written pages; an agent's question in words matches the sections that
    hold most of them (the search box wants every word)."""
    pages = [Searchable(p.route, p.title, p.body) for p in shipped_pages()]
    return models.DocSearch(query=query, hits=[
        models.DocHit(page=h.href.removeprefix("/docs/"), title=h.title, section=h.section,
                      link=f"{link_base}{h.href}" + (f"#{h.anchor}" if h.anchor else ""), excerpt=h.line)
        for h in search(query, pages, DOC_HITS, every_word=False)])


def metric_definition(engine: Engine, metric_id: str) -> str:
    """One metric's definition as Markdown (the ``heartbeat://metrics/{id}`` resource)."""
    detail = get_metric(engine, metric_id, "")
    lines = detail.lines
    rows = [("period", detail.period), ("unit", detail.unit + (f" ({detail.currency})" if detail.currency else "")),
            ("direction", lines.direction), ("amber line", lines.amber_line), ("red line", lines.red_line),
            ("typical band", f"{lines.typical_mean:g} ± {lines.typical_stddev:g}"
             if lines.typical_mean is not None and lines.typical_stddev is not None else None),
            ("target", lines.target), ("target due", lines.target_due), ("owner", detail.owner),
            ("verification", detail.verification_state), ("sources", ", ".join(detail.sources)),
            ("tags", ", ".join(detail.tags))]
    table = "\n".join(f"| {k} | {'—' if v is None or v == '' else v} |" for k, v in rows)
    return (f"# {detail.name} (`{detail.id}`)\n\n{detail.how_to_read}\n\n## Methodology\n\n{detail.methodology}\n\n"
            f"## Contract\n\n| field | value |\n| --- | --- |\n{table}\n")
