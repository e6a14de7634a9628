"""The demo sources landed by the real ingest: every table, every kind, every planted incident."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from engine import ingest
from engine.demo import INCIDENTS, build_demo, serve_rates
from engine.demo.build import DemoReport
from engine.demo.incidents import SOURCE_SCHEMAS
from engine.ingest import IngestContext
from engine.sources import COLUMN_DROP, INCREMENTAL_PRIORITY, SOURCES
from tests.support.databases import scratch_database

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
POSTGRES = [(spec, schema) for spec in SOURCES if spec.kind == "postgres" for schema in spec.schemas]


@pytest.fixture(scope="module")
def demo(server, session_prefix, tmp_path_factory):
    prefix = session_prefix + "demo_"
    files = Path(tmp_path_factory.mktemp("demo-files"))
    report = build_demo(server, files_dir=files, scale=0.002, seed=7, now=NOW, prefix=prefix)
    yield Demo(prefix, report)
    for name in report.databases.values():
        server.drop_database(name)


@dataclass(frozen=True)
class Demo:
    """The demo's source databases, named ``<prefix><source>``, and the report of their build."""

    prefix: str
    report: DemoReport


@dataclass(frozen=True)
class Landed:
    """The demo after one ingest of every source: ``ctx`` reaches the marts, ``outcomes`` by ``source.schema``."""

    ctx: IngestContext
    outcomes: dict[str, Any]
    report: DemoReport


@pytest.fixture(scope="module")
def landed(demo, db, server, session_prefix, tmp_path_factory):
    prefix, report = demo.prefix, demo.report
    marts = session_prefix + "demo_marts"
    with scratch_database(server, marts, migrate=False, name=marts), serve_rates(report.files_dir) as api:
        ctx = IngestContext(
            db=db, marts_database=marts, pipelines_dir=Path(tmp_path_factory.mktemp("dlt")),
            source_database_prefix=prefix,
            locations={"currency_rate": api.url, "currency_rate_files": str(report.files_dir / "currency_rates")},
        )
        outcomes = {f"{o.source}.{o.schema}": o for o in ingest.run_many(ingest.plan(None), ctx)}
        yield Landed(ctx, outcomes, report)


def _marts(ctx, sql, params=None):
    with ctx.db.engine(ctx.marts_database).connect() as conn:
        return conn.execute(text(sql), params or {}).all()


def test_every_source_kind_lands(landed):
    outcomes = landed.outcomes
    assert {k: o.status for k, o in outcomes.items()} == {
        "webbank.core": "succeeded", "aml.aml": "succeeded", "card_management.cards": "succeeded",
        "currency_rate.rates": "succeeded", "currency_rate_files.daily": "succeeded",
    }, {k: o.error for k, o in outcomes.items()}


@pytest.mark.parametrize("source,schema", [(s.name, sc) for s, sc in POSTGRES])
def test_every_table_lands_with_matching_count_and_checksum(landed, demo, server, source, schema):
    ctx = landed.ctx
    prefix = demo.prefix
    with psycopg.connect(server.dsn(prefix + source)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))]
        expected = {t: conn.execute(f'SELECT count(*), coalesce(sum(id), 0) FROM {schema}."{t}"').fetchone()
                    for t in tables}
    assert tables, f"no tables in {source}.{schema}"
    dataset = f"{source}_{schema}"
    for table, (count, id_sum) in expected.items():
        got = _marts(ctx, f'SELECT count(*), coalesce(sum(id), 0) FROM "{dataset}"."{table}"')[0]
        assert tuple(got) == (count, id_sum), f"{dataset}.{table}"


def test_every_demo_table_has_an_explicit_landing_policy(landed, demo, server):
    prefix = demo.prefix
    for spec, schema in POSTGRES:
        with psycopg.connect(server.dsn(prefix + spec.name)) as conn:
            for (table,) in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)):
                assert f"{spec.name}.{schema}.{table}" in INCREMENTAL_PRIORITY, table


def test_pii_columns_are_absent_from_the_marts(landed):
    ctx = landed.ctx
    for key, dropped in COLUMN_DROP.items():
        source, schema, table = key.split(".")
        columns = {r[0] for r in _marts(ctx, "SELECT column_name FROM information_schema.columns "
                                             "WHERE table_schema = :s AND table_name = :t",
                                        {"s": f"{source}_{schema}", "t": table})}
        assert columns, key
        assert not dropped & columns, key


def test_rest_source_lands_every_rate_once(landed):
    ctx, report = landed.ctx, landed.report
    items = json.loads((report.files_dir / "rates_api" / "rates.json").read_text())
    items = items["items"] if isinstance(items, dict) else items
    count, distinct = _marts(ctx, "SELECT count(*), count(DISTINCT id) FROM currency_rate_rates.rates")[0]
    assert count == distinct == len(items)


def test_file_source_lands_every_csv_row(landed):
    ctx, report = landed.ctx, landed.report
    folder = report.files_dir / "currency_rates"
    rows = sum(1 for path in folder.glob("*.csv") for _ in csv.DictReader(path.open()))
    assert _marts(ctx, "SELECT count(*) FROM currency_rate_files_daily.rates_daily")[0][0] == rows


def test_post_ingest_key_indexes_exist(landed):
    ctx = landed.ctx
    indexes = {r[0] for r in _marts(ctx, "SELECT indexname FROM pg_indexes WHERE schemaname = 'webbank_core'")}
    assert {"payment__key", "entry__key", "client_profile__key"} <= indexes


def test_replace_tables_are_only_the_lookups(landed):
    outcomes = landed.outcomes
    replace = sorted(t for o in outcomes.values() for t, info in o.tables.items() if info["disposition"] == "replace")
    assert replace == ["entry_state", "payment_state", "payment_type"]


@pytest.mark.parametrize("incident", INCIDENTS, ids=[i.id for i in INCIDENTS])
def test_planted_incident_is_visible_in_the_marts(landed, incident):
    ctx, report = landed.ctx, landed.report
    dataset = {"webbank": "webbank_core", "aml": "aml_aml", "card_management": "card_management_cards"}[incident.database]
    assert SOURCE_SCHEMAS[incident.database] in dataset
    with psycopg.connect(ctx.db.dsn(ctx.marts_database)) as conn:
        rows = conn.execute(incident.query(schema=dataset), {"now": report.now}).fetchall()
    assert incident.mismatches(rows) == []


def test_a_feed_that_stopped_delivering_is_stale_although_its_sync_succeeds(landed):
    from datetime import timedelta

    from engine.ingest.ledger import source_as_of

    ctx, outcomes, report = landed.ctx, landed.outcomes, landed.report
    assert outcomes["card_management.cards"].ok
    cards_as_of = source_as_of(ctx.db.engine(), [("card_management", "cards")])
    webbank_as_of = source_as_of(ctx.db.engine(), [("webbank", "core")])
    # The card feed's newest transaction is ~48 h older than the build; webbank (not a feed) is as of its sync.
    assert timedelta(hours=47) < report.now - cards_as_of < timedelta(hours=61)
    assert webbank_as_of > report.now
    files_as_of = source_as_of(ctx.db.engine(), [("currency_rate_files", "daily")])
    assert timedelta(days=1) < report.now - files_as_of < timedelta(days=3)
