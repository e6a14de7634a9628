"""The catalogues of metrics, cuts and sources, generated at request time from the registries.

Each catalogue is an intro plus one entry per item; an entry carries its Markdown and the facets
(tags, owner, status) a page filters on. Registry and ledger reads only (``engine.read``,
``engine.audit.read``): a catalogue never touches the marts, and it lists exactly what is registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine

from engine.audit import read as audit_read
from engine.core import formatting
from engine.docs.markdown import code, table, words
from engine.read import catalog as read_catalog
from engine.read.cards import MetricCard, MetricProfile, metric_cards
from engine.sources import COLUMN_DROP, INCREMENTAL_PRIORITY, POST_INGEST_INDEXES, SKIP_TABLES, SOURCES

CUT_ROUTES = {"overview": "/audit", "clients": "/audit/clients", "journeys": "/audit/journeys"}
LINES = (("norm_value", "Amber line (norm)"), ("alert_value", "Red line (alert)"), ("target_value", "Target"),
         ("target_due_date", "Target due"))


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    markdown: str
    tags: tuple[str, ...] = ()
    owner: str = ""
    status: str = ""


@dataclass(frozen=True)
class Catalog:
    route: str
    title: str
    intro: str
    entries: list[Entry] = field(default_factory=list)
    facet: str = "Tag"  # what an entry's tags are: tags of a metric, the page of a cut, the kind of a source

    def markdown(self, entries: list[Entry] | None = None) -> str:
        shown = self.entries if entries is None else entries
        return "\n\n".join([f"# {self.title}", self.intro, *(e.markdown for e in shown)])


def cut_link(cut: dict[str, Any]) -> str:
    return f"{CUT_ROUTES.get(cut['page'], '/audit')}#{cut['id']}"


def _when(moment: datetime | None) -> str:
    return formatting.when(moment, empty="never")


def _line(card: MetricCard, profile: MetricProfile | None, column: str) -> str:
    value = getattr(card, column)
    if value is None:
        return "—"
    shown = value.isoformat() if column == "target_due_date" else formatting.value(value, card.unit, card.currency)
    set_by = (profile.threshold_set_by if profile else {}).get(column)
    return f"{shown} (set by {set_by})" if set_by else shown


def _verification(card: MetricCard, profile: MetricProfile | None) -> str:
    if profile is None:
        return card.verification_state
    if card.verification_state == "verified":
        current = "the current definition" if profile.verified_hash == profile.definition_hash else \
            f"definition {code(profile.verified_hash)} (the current one is {code(profile.definition_hash)})"
        return f"verified by {profile.verified_by or '?'} on {_when(profile.verified_at)}, against {current}"
    if profile.verified_hash and profile.verified_hash != profile.definition_hash:
        return (f"unverified: verified against definition {code(profile.verified_hash)}, which has changed "
                f"since (now {code(profile.definition_hash)})")
    return f"unverified (definition {code(profile.definition_hash)})"


def _metric_entry(card: MetricCard, profile: MetricProfile | None, cuts: list[dict[str, Any]]) -> Entry:
    benchmark = "none"
    if profile and profile.benchmark_kind != "none":
        benchmark = f"{profile.benchmark_kind}, {profile.benchmark_window_days} days"
        if card.benchmark_mean is not None:
            benchmark += (f" (μ {formatting.value(card.benchmark_mean, card.unit, card.currency)}, "
                          f"σ {formatting.value(card.benchmark_stddev, card.unit, card.currency)})")
        else:
            benchmark += " (still learning)"
    current = formatting.value(card.value, card.unit, card.currency)
    status = f"**{words(card.status)}**, {current}, data {card.freshness} (as of {_when(card.source_as_of)})"
    if card.error:
        status += f"; last computation failed: {card.error}"
    cut_links = ", ".join(f"[{c['title']}]({cut_link(c)})" for c in cuts) or "none"
    rows = [
        ("Id", code(card.id)),
        ("Now", status),
        ("Period", card.period),
        ("Unit", card.unit + (f" ({card.currency})" if card.currency else "")),
        ("Direction", words(card.direction)),
        *((label, _line(card, profile, column)) for column, label in LINES),
        ("Benchmark", benchmark),
        ("Owner", card.owner or "nobody yet"),
        ("Verification", _verification(card, profile)),
        ("Source schemas", ", ".join(code(s) for s in (profile.source_schemas if profile else ())) or "—"),
        ("Tags", ", ".join(card.tags) or "—"),
        ("Tile and detail", f"[/metrics/{card.id}](/metrics/{card.id})"),
        ("Cuts", cut_links),
    ]
    parts = [f"## {card.name}", "**How to read it.** " + " ".join(card.how_to_read.split())]
    if profile and profile.methodology.strip():
        parts.append("**Methodology.** " + " ".join(profile.methodology.split()))
    parts.append(table(("", ""), rows))
    return Entry(card.id, card.name, "\n\n".join(parts), card.tags, card.owner or "", str(card.status))


def metrics_catalog(engine: Engine, now: datetime | None = None) -> Catalog:
    """Every active metric of the registry, by name."""
    now = now or datetime.now(timezone.utc)
    cards = sorted(metric_cards(engine, now, history_days=0), key=lambda c: c.name.lower())
    profiles = read_catalog.metric_profiles(engine)
    cuts = audit_read.registry(engine)
    entries = [
        _metric_entry(card, profiles.get(card.id), [c for c in cuts if card.id in (c["metrics"] or [])])
        for card in cards
    ]
    intro = (f"{len(entries)} active metrics, read from the registry when this page opened (the registry is "
             "synced from `metrics/*.sql`; see [metrics](/docs/metrics) and the runbook "
             "[add a metric](/docs/runbooks/add-a-metric)). Each says how to read it, its lines and who set "
             "them, who owns it, whether it is verified, where its data comes from and how it stands now.")
    return Catalog("/docs/metrics/catalog", "Metric catalogue", intro, entries)


def _cut_entry(cut: dict[str, Any], names: dict[str, str]) -> Entry:
    snapshots = cut.get("snapshots", {})
    default = snapshots.get(cut["window_default"]) or {}
    if default.get("error"):
        status, now = "error", f"**error** on its last refresh: {default['error']}"
    elif default.get("computed_at"):
        status, now = "computed", f"computed {_when(default['computed_at'])} (window {cut['window_default']})"
    else:
        status, now = "never", "not computed yet — run `heartbeat cuts refresh " + cut["id"] + "`"
    metrics = ", ".join(f"[{names.get(m, m)}](/metrics/{m})" for m in cut["metrics"] or []) or "—"
    rows = [
        ("Id", code(cut["id"])),
        ("Page", f"[{cut['page']}]({cut_link(cut)})"),
        ("Chart", cut["kind"]),
        ("Windows", ", ".join(cut["windows"] or []) + f" (default {cut['window_default']})"),
        ("Explains", metrics),
        ("Source schemas", ", ".join(code(s) for s in cut["source_schemas"] or []) or "—"),
        ("Owner", cut["owner"] or "nobody yet"),
        ("Verification", cut["verification_state"] + (f" by {cut['verified_by']} on {_when(cut['verified_at'])}"
                                                      if cut["verification_state"] == "verified" else "")),
        ("Snapshot", now),
        ("Module", code(cut["module"] or f"cuts/{cut['id']}.py")),
    ]
    parts = [f"## {cut['title']}"]
    if (cut["prose_before"] or "").strip():
        parts.append(" ".join(cut["prose_before"].split()))
    parts.append(table(("", ""), rows))
    return Entry(cut["id"], cut["title"], "\n\n".join(parts), (cut["page"],), cut["owner"] or "", status)


def cuts_catalog(engine: Engine) -> Catalog:
    """Every active cut of the registry, by page and position."""
    cuts = [cut for page in CUT_ROUTES for cut in audit_read.page(engine, page)]
    names = {c.id: c.name for c in metric_cards(engine, history_days=0)}
    entries = [_cut_entry(cut, names) for cut in cuts]
    intro = (f"{len(entries)} active audit cuts, read from the cut registry when this page opened (synced from "
             "`cuts/*.py`; see [audit](/docs/audit) and the runbook [add an audit cut](/docs/runbooks/add-an-audit-cut)). "
             "Each is a chart on an audit page that says why a tile is the colour it is.")
    return Catalog("/docs/audit/catalog", "Audit cut catalogue", intro, entries, facet="Page")


def _tables(source: str, schema: str, landed: dict[str, Any]) -> str:
    prefix = f"{source}.{schema}."
    declared = {key.removeprefix(prefix) for key in [*INCREMENTAL_PRIORITY, *COLUMN_DROP] if key.startswith(prefix)}
    names = sorted(declared | set(landed))
    rows = []
    for name in names:
        key = prefix + name
        policy = INCREMENTAL_PRIORITY.get(key)
        how = "policy from its shape (primary key + update cursor → merge)" if policy is None else (
            policy.disposition + (f" by {', '.join(policy.primary_key)}" if policy.primary_key else "")
            + (f", incremental on {code(policy.cursor)}" if policy.cursor else ", full read every run")
            + (f", re-reads {policy.lag_seconds} s back" if policy.lag_seconds else ""))
        dropped = ", ".join(code(c) for c in sorted(COLUMN_DROP.get(key, ()))) or "—"
        rows_landed = landed.get(name, {}).get("rows")
        rows.append((code(name), how, dropped, "—" if rows_landed is None else f"{rows_landed:,}"))
    return table(("Table", "How it lands", "PII columns dropped", "Rows last sync"), rows) if rows else \
        "No table declared yet; every table lands with a policy from its shape."


def _source_entry(spec: Any, syncs: dict[tuple[str, str], dict]) -> Entry:
    parts = [f"## {spec.name}", spec.description, f"Kind: **{spec.kind}**."]
    worst = "never"
    for schema in spec.schemas:
        sync = syncs.get((spec.name, schema)) or {}
        status = sync.get("status") or "never synced"
        worst = status if worst in ("never", "succeeded") else worst
        last = (f"last run **{status}** {_when(sync.get('finished_at'))}; last success "
                f"{_when(sync.get('last_success_at'))}") if sync else "never synced — run `heartbeat ingest " \
            f"{spec.name}`"
        if sync.get("error") and status != "succeeded":
            last += f"; error: {sync['error']}"
        skipped = ", ".join(code(t) for t in sorted(SKIP_TABLES.get(f"{spec.name}.{schema}", ()))) or "none"
        indexes = ", ".join(code(f"{i.table}.{i.column}") + (" (partial)" if i.where else "")
                            for i in POST_INGEST_INDEXES.get(spec.dataset(schema), ())) or "none"
        parts += [
            f"### {spec.name}.{schema} → marts schema {code(spec.dataset(schema))}",
            f"Sync: {last}. Skipped tables: {skipped}. Indexes after each run: {indexes}.",
            _tables(spec.name, schema, sync.get("success_tables") or {}),
        ]
    return Entry(spec.name, spec.name, "\n\n".join(parts), (spec.kind,), "", worst)


def sources_catalog(engine: Engine | None) -> Catalog:
    """Every source of the SOURCES catalogue with its tables, policies and last sync (none without a database)."""
    syncs = read_catalog.source_syncs(engine) if engine is not None else {}
    entries = [_source_entry(spec, syncs) for spec in SOURCES]
    intro = (f"{len(entries)} sources, from the SOURCES catalogue (`engine/sources/catalog.py`) and the sync "
             "ledger when this page opened. See [sources](/docs/sources) and the runbooks "
             "[onboard a new source](/docs/runbooks/onboard-a-new-source) and "
             "[investigate a stalled sync](/docs/runbooks/investigate-a-stalled-sync).")
    return Catalog("/docs/sources/catalog", "Source catalogue", intro, entries, facet="Kind")
