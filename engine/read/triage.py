"""What is wrong today, ranked: the one triage the MCP tool ``whats_wrong_today`` and ``heartbeat today`` share.

Reads schema ``heartbeat`` only — registry, history, the sync ledger, alert states and silences, the cut
registry — and judges with ``engine.contract`` now, like the cockpit. The ranking:

1. **red** values (fresh enough to judge), most severe first. Severity is how far past the line the value is,
   in units of the line (or in σ past the typical band), plus one point per factor of ten of money past the
   line above 1,000 when the unit is money. Within the reds, verified and owned ones come first, then
   unverified reds, then ownerless reds (each says so in its why);
2. **error**: the computation failed (the last good value is quoted, never judged);
3. **amber** values, most severe first;
4. **stale**: a source schema whose data is older than its most demanding reader allows, naming the metrics
   it holds back (their values are old, not bad: a stale red is never reported as red), or a metric whose own
   data is stale while its sources are not.

Each item says why in one sentence (``engine.read.why``), since when it is in that state (the first day of
its current streak in the history; for a stale source, the as-of time of its last good data), its owner,
the last 7 daily values, freshness, the alert's state (notified, acknowledged, silenced, held back) and links
to the metric's page and its first cut.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine, text

from engine import contract
from engine.read import why
from engine.read.cards import MetricCard, metric_cards
from engine.read.evidence import first_cuts
from engine.read.streaks import current_streaks

Kind = Literal["red", "error", "amber", "stale"]
KIND_ORDER: dict[str, int] = {"red": 0, "error": 1, "amber": 2, "stale": 3}
LAST_DAYS = 7
TREND_DAYS = 120  # how far back "rising for …" looks
MAX_LIMIT = 50
MONEY_FLOOR = 1_000.0  # money past the line adds a point per factor of ten above this

# The as-of time of each source schema's newest good data (a feed's newest row, if older than the sync).
_SOURCES_SQL = text("""
    SELECT DISTINCT ON (source, schema_name) source || '.' || schema_name AS pair,
           least(started_at, coalesce(data_as_of, started_at)) AS as_of
    FROM heartbeat.source_sync WHERE status = 'succeeded'
    ORDER BY source, schema_name, started_at DESC
""")
_ATTEMPTED_SQL = text("SELECT DISTINCT source || '.' || schema_name AS pair FROM heartbeat.source_sync")
_READS_SQL = text("SELECT id, source_schemas FROM heartbeat.metric_registry WHERE retired_at IS NULL")
_ALERTS_SQL = text("""
    SELECT key, state, since, fired_at, last_notified_at, suppressed_by, acked_by, acked_until, bad_count
    FROM heartbeat.alert_state WHERE key = ANY(:keys)
""")
_SILENCES_SQL = text("""
    SELECT metric_id, tag, ends_at FROM heartbeat.alert_silence WHERE created_at <= :now AND ends_at > :now
""")
# Per metric on the (metric_id, day) key: the planner would otherwise walk the day index for every metric.
_SERIES_SQL = text("""
    SELECT t.id AS metric_id, h.day, h.value
    FROM unnest(CAST(:ids AS text[])) AS t(id)
    CROSS JOIN LATERAL (SELECT day, value FROM heartbeat.metric_history
                        WHERE metric_id = t.id AND day >= :since ORDER BY day) AS h
""")
# What else the triage depends on besides the read-model version (registry, history, job ledger): alert
# states and their acknowledgements, silences, the sync ledger. One cheap read decides whether to rebuild.
_FINGERPRINT_SQL = text("""
    SELECT (SELECT version FROM heartbeat.read_model_version WHERE id = 1),
           (SELECT count(*) || '/' || coalesce(max(updated_at)::text, '') || '/'
                   || coalesce(sum(hashtext(coalesce(acked_by, '') || coalesce(acked_until::text, ''))), 0)
            FROM heartbeat.alert_state),
           (SELECT count(*) || '/' || coalesce(sum(hashtext(id || ends_at::text)), 0) FROM heartbeat.alert_silence),
           (SELECT coalesce(max(id), 0) FROM heartbeat.source_sync)
""")
TIME_BUCKET_SECONDS = 30  # ages, freshness and silence ends move with the clock: rebuilt at least this often
FINGERPRINT_CHECK_SECONDS = 0.5  # a burst of calls asks the database what changed at most this often


class AlertFacts(BaseModel):
    """Where the alert of this item stands (``state``: pending, firing, resolved or ok)."""

    state: str
    notified_at: datetime | None = Field(None, description="when its last notification was queued for the channels")
    acknowledged_by: str | None = Field(None, description="who acknowledged it (while the acknowledgement lasts)")
    silenced_until: datetime | None = Field(None, description="the end of a silence covering the metric or its tag")
    held_back_by: str | None = Field(None, description="the stale-source alert that speaks for it instead")


class CutLink(BaseModel):
    id: str
    title: str
    link: str


class TriageItem(BaseModel):
    """One thing to look at, with what a person needs to act on it."""

    rank: int
    kind: Kind = Field(description="red, error, amber or stale (stale data is never reported as a bad value)")
    subject: str = Field(description="the metric id, or 'source.schema' for a stale source")
    why: str = Field(description="one sentence a CEO understands")
    severity: float = Field(description="how far past the line (units of the line, or σ past the band), "
                                        "plus money at stake; 0 for error and stale")
    since: date | None = Field(None, description="first day of the current streak in the history "
                                                 "(a stale source: the day of its last good data)")
    since_history_start: bool = Field(False, description="true when the streak reaches the first day of history")
    owner: str | None = None
    verified: bool = Field(False, description="the metric's definition was verified by a person")
    last_7_days: list[float | None] = Field(default_factory=list, description="daily values, oldest first, "
                                                                               "ending today (null: no value)")
    freshness: str = Field("fresh", description="fresh, late, stale or unknown")
    data_as_of: datetime | None = Field(None, description="how current the data is (given unless fresh)")
    alert: AlertFacts | None = None
    link: str | None = Field(None, description="the metric's page in the app")
    cut: CutLink | None = Field(None, description="the audit chart that explains it first")
    metrics: list[str] = Field(default_factory=list, description="a stale source: the metrics it holds back")


class TriageCounts(BaseModel):
    """How many items of each kind (beyond the limit too), and how many metrics are green or have no data."""

    red: int = 0
    error: int = 0
    amber: int = 0
    stale: int = 0
    green: int = 0
    no_data: int = 0


class Triage(BaseModel):
    """The morning answer: what is wrong, worst first, and how many of each."""

    generated_at: datetime
    counts: TriageCounts
    items: list[TriageItem]
    more: int = Field(0, description="items beyond the limit")


def _pairs(raw: Any) -> list[str]:
    return [s for s in (raw or []) if isinstance(s, str) and "." in s]


def _severity(card: MetricCard) -> float:
    crossing = card.crossing
    if crossing is None:
        return 0.0
    score = crossing.relative
    if card.unit == "money" and crossing.by > MONEY_FLOOR:
        score += math.log10(crossing.by / MONEY_FLOOR)
    return round(score, 2)


def _last_days(series: list[tuple[date, float | None]], today: date) -> list[float | None]:
    by_day = dict(series)
    values = [by_day.get(today - timedelta(days=LAST_DAYS - 1 - i)) for i in range(LAST_DAYS)]
    return [None if v is None else float(f"{v:.4g}") for v in values]


def _alert(row: dict[str, Any] | None, silenced_until: datetime | None, now: datetime) -> AlertFacts | None:
    if row is None and silenced_until is None:
        return None
    row = row or {"state": "ok"}
    acked = row.get("acked_until") is not None and row["acked_until"] > now
    return AlertFacts(
        state=row["state"],
        notified_at=row["last_notified_at"].replace(microsecond=0) if row.get("last_notified_at") else None,
        acknowledged_by=row.get("acked_by") if acked else None, silenced_until=silenced_until,
        held_back_by=row.get("suppressed_by"),
    )


def _silenced_until(silences: list[Any], card: MetricCard) -> datetime | None:
    ends = [s.ends_at for s in silences if s.metric_id == card.id or (s.tag and s.tag in card.tags)]
    return max(ends) if ends else None


def triage(engine: Engine, *, link_base: str, limit: int = 10, now: datetime | None = None) -> Triage:
    """What is wrong now, ranked (see the module docstring); ``limit`` items (1…50), the rest counted."""
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    limit = max(1, min(limit, MAX_LIMIT))
    today = now.date()
    cards = metric_cards(engine, now, history_days=LAST_DAYS)
    with engine.connect() as conn:
        reads = {row.id: _pairs(row.source_schemas) for row in conn.execute(_READS_SQL)}
        as_of = {row.pair: row.as_of for row in conn.execute(_SOURCES_SQL)}
        attempted = {row.pair for row in conn.execute(_ATTEMPTED_SQL)}
        silences = list(conn.execute(_SILENCES_SQL, {"now": now}))

    # Stale sources: the same rule as the stale alert (the most demanding reader's limit).
    readers: dict[str, list[MetricCard]] = defaultdict(list)
    for card in cards:
        for pair in reads.get(card.id, []):
            readers[pair].append(card)
    stale_sources: dict[str, tuple[datetime | None, timedelta, list[MetricCard]]] = {}
    for pair, its_cards in readers.items():
        if pair not in attempted:
            continue  # never attempted: nothing to judge
        limit_after = min(contract.FRESHNESS_LIMITS[c.period].stale_after for c in its_cards)
        last = as_of.get(pair)
        if last is None or now - last > limit_after:
            stale_sources[pair] = (last, limit_after, its_cards)
    held_back = {c.id for _, _, its in stale_sources.values() for c in its}

    judged = [c for c in cards if c.status.value in ("red", "amber", "error")
              and c.freshness is not contract.Freshness.STALE and c.id not in held_back]
    stale_only = [c for c in cards if c.freshness is contract.Freshness.STALE and c.id not in held_back]

    ids = [c.id for c in judged]
    series: dict[str, list[tuple[date, float | None]]] = defaultdict(list)
    alert_keys = [f"{'error' if c.status.value == 'error' else 'value'}:{c.id}" for c in judged + stale_only]
    alert_keys += [f"stale:{pair}" for pair in stale_sources]
    with engine.connect() as conn:
        if ids:
            for metric_id, day, value in conn.execute(
                    _SERIES_SQL, {"ids": ids, "since": today - timedelta(days=TREND_DAYS)}):
                series[metric_id].append((day, value))
        alerts = {row["key"]: dict(row) for row in conn.execute(_ALERTS_SQL, {"keys": alert_keys}).mappings()}
    cuts = first_cuts(engine) if (judged or stale_only) else {}
    # Red, amber and error streaks by the one rule the alerts use too (engine.read.streaks): a message, the
    # alerts page and the triage never disagree on how long a metric has been bad.
    streaks = current_streaks(engine, judged, statuses=("red", "amber", "error"))

    def metric_item(card: MetricCard, kind: Kind, sentence: str) -> TriageItem:
        streak = streaks.get(card.id)
        cut = cuts.get(card.id)
        alert_key = f"{'error' if kind == 'error' else 'value'}:{card.id}"
        return TriageItem(
            rank=0, kind=kind, subject=card.id, why=sentence,
            severity=_severity(card) if kind in ("red", "amber") else 0.0,
            since=streak.first_day if streak else None, since_history_start=bool(streak and streak.from_start),
            owner=card.owner, verified=card.verification_state == "verified",
            last_7_days=_last_days(list(card.history), today), freshness=card.freshness.value,
            # Fresh data needs no time; late and stale data say how old they are.
            data_as_of=card.source_as_of.replace(microsecond=0)
            if card.source_as_of and card.freshness is not contract.Freshness.FRESH else None,
            alert=_alert(alerts.get(alert_key), _silenced_until(silences, card), now),
            link=f"{link_base}/metrics/{card.id}",
            cut=CutLink(id=cut["id"], title=cut["title"], link=f"{link_base}/audit/{cut['page']}#{cut['id']}")
            if cut else None,
        )

    ranked: list[tuple[tuple[Any, ...], TriageItem]] = []
    for card in judged:
        kind: Kind = card.status.value  # type: ignore[assignment]
        if kind == "error":
            failures = (alerts.get(f"error:{card.id}") or {}).get("bad_count")
            item = metric_item(card, kind, why.error_sentence(card, failures))
        else:
            sentence = why.value_sentence(card, series.get(card.id, []))
            if not card.owner:
                sentence += " Nobody owns it."
            item = metric_item(card, kind, sentence)
        # Verified and owned reds before unverified ones, before ownerless ones; then the most severe.
        trust = (0 if card.owner else 2) + (0 if card.verification_state == "verified" else 1) if kind == "red" else 0
        ranked.append(((KIND_ORDER[kind], min(trust, 2), -item.severity, card.name.lower()), item))
    for pair, (last, limit_after, its_cards) in stale_sources.items():
        names = sorted(c.name for c in its_cards)
        owners = sorted({c.owner for c in its_cards if c.owner})
        item = TriageItem(
            rank=0, kind="stale", subject=pair,
            why=why.stale_sentence(pair, last, limit_after.total_seconds() / 3600, names, now),
            severity=0.0, since=last.date() if last else None, owner=", ".join(owners) or None,
            freshness=contract.Freshness.STALE.value if last else contract.Freshness.UNKNOWN.value,
            data_as_of=last.replace(microsecond=0) if last else None, alert=_alert(alerts.get(f"stale:{pair}"), None, now),
            metrics=sorted(c.id for c in its_cards),
        )
        age = (now - last).total_seconds() if last else math.inf
        ranked.append(((KIND_ORDER["stale"], 0, -age, pair), item))
    for card in stale_only:
        item = metric_item(card, "stale", why.stale_metric_sentence(card, now))
        item.since = card.source_as_of.date() if card.source_as_of else None
        item.since_history_start = False
        ranked.append(((KIND_ORDER["stale"], 1, 0.0, card.name.lower()), item))

    ranked.sort(key=lambda pair: pair[0])
    items = [item for _, item in ranked]
    for number, item in enumerate(items, start=1):
        item.rank = number
    counts = TriageCounts(
        **{kind: sum(1 for item in items if item.kind == kind) for kind in KIND_ORDER},
        green=sum(1 for c in cards if c.status is contract.Status.GREEN and c.id not in held_back),
        no_data=sum(1 for c in cards if c.status is contract.Status.NO_DATA),
    )
    return Triage(generated_at=now, counts=counts, items=items[:limit], more=max(0, len(items) - limit))


class _Built:
    """The last full triage (MAX_LIMIT items) and what it was built from."""

    def __init__(self) -> None:
        self.key: tuple[Any, ...] | None = None
        self.answer: Triage | None = None
        self.lock = threading.Lock()
        self.checked: dict[int, tuple[float, tuple[Any, ...]]] = {}  # engine id -> (when, fingerprint)

    def fingerprint(self, engine: Engine) -> tuple[Any, ...]:
        now = time.monotonic()
        checked = self.checked.get(id(engine))
        if checked is not None and now - checked[0] < FINGERPRINT_CHECK_SECONDS:
            return checked[1]
        with engine.connect() as conn:
            found = tuple(conn.execute(_FINGERPRINT_SQL).one())
        self.checked[id(engine)] = (now, found)
        return found


_BUILT = _Built()


def current(engine: Engine, *, link_base: str, limit: int = 10) -> Triage:
    """``triage`` as a server answers it: built once per change of what it reads (and every 30 s for ages),
    then sliced to ``limit``. A burst of agents asking costs one build and one look at what changed per 0.5 s."""
    key = (id(engine), link_base, _BUILT.fingerprint(engine), int(time.time() // TIME_BUCKET_SECONDS))
    answer = _BUILT.answer
    if _BUILT.key != key or answer is None:
        with _BUILT.lock:
            if _BUILT.key != key or _BUILT.answer is None:
                _BUILT.answer = triage(engine, link_base=link_base, limit=MAX_LIMIT)
                _BUILT.key = key
            answer = _BUILT.answer
    limit = max(1, min(limit, MAX_LIMIT))
    return answer.model_copy(update={"items": answer.items[:limit],
                                     "more": answer.more + max(0, len(answer.items) - limit)})
