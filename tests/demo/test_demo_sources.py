"""The demo source systems: real databases on the test server, real HTTP, real files.

One tiny build serves the read-only tests; live mode gets a build of its own
(same parameters, which also shows that a build is deterministic).
"""

from __future__ import annotations

import csv
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import httpx
import psycopg
import pytest

from engine.core.db import Database
from engine.demo import INCIDENTS, SOURCE_DATABASES, DemoError, DemoReport, append_live, build_demo, serve_rates
from engine.demo.incidents import Incident, prove
from engine.demo.rates import csv_folder, newest_csv
from tests.support.databases import scratch_database

# A Wednesday afternoon: the last day is busy enough to measure at a tiny scale.
NOW = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)
SCALE = 0.002
SEED = 7
PII_COLUMNS = {"full_name", "email", "phone", "birth_date"}


@dataclass(frozen=True)
class Built:
    server: Database
    report: DemoReport
    prefix: str
    files_dir: Path

    def connect(self, source: str) -> psycopg.Connection:
        return psycopg.connect(self.server.dsn(self.report.databases[source]))


@dataclass(frozen=True)
class LiveDemo:
    """A second build of the same seed, for live appends; its checksums taken right after the build."""

    built: Built
    checksums_at_build: dict[str, tuple]


def _build(server: Database, files_dir: Path) -> Built:
    prefix = f"hb_demo_{uuid.uuid4().hex[:8]}_"
    report = build_demo(server, files_dir=files_dir, scale=SCALE, seed=SEED, now=NOW, prefix=prefix)
    return Built(server=server, report=report, prefix=prefix, files_dir=files_dir)


def _drop(server: Database, built: Built) -> None:
    for database in built.report.databases.values():
        server.drop_database(database)


@pytest.fixture(scope="module")
def demo(server: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    built = _build(server, tmp_path_factory.mktemp("demo_files"))
    yield built
    _drop(server, built)


def _checksums(built: Built) -> dict[str, tuple]:
    queries = {
        "webbank": "SELECT count(*), sum(amount), sum(sender_profile_id), max(create_time) FROM core.payment",
        "aml": "SELECT count(*), sum(client_profile_id), count(closed_at), max(update_time) FROM aml.aml_retrospective",
        "card_management": "SELECT count(*), sum(amount), sum(card_id), max(created_at) FROM cards.card_transaction",
    }
    result = {}
    for source, query in queries.items():
        with built.connect(source) as conn:
            result[source] = tuple(conn.execute(query).fetchone())
    return result


@pytest.fixture(scope="module")
def live_demo(server: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    built = _build(server, tmp_path_factory.mktemp("live_files"))
    yield LiveDemo(built, _checksums(built))
    _drop(server, built)


@pytest.mark.parametrize("incident", INCIDENTS, ids=[incident.id for incident in INCIDENTS])
def test_planted_incident_has_its_known_answer(demo: Built, incident: Incident) -> None:
    rows = prove(demo.server, incident, now=demo.report.now, prefix=demo.prefix)
    assert incident.mismatches(rows) == []


def test_every_source_table_has_a_primary_key(demo: Built) -> None:
    for source in SOURCE_DATABASES:
        with demo.connect(source) as conn:
            missing = conn.execute(
                """
                SELECT t.table_schema || '.' || t.table_name FROM information_schema.tables AS t
                WHERE t.table_schema NOT IN ('pg_catalog', 'information_schema', 'public')
                  AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints AS c
                                  WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
                                    AND c.constraint_type = 'PRIMARY KEY')
                """
            ).fetchall()
        assert missing == [], f"{source}: tables without a primary key: {missing}"


def test_tables_that_change_carry_an_update_time(demo: Built) -> None:
    for (database, table), _ in demo.report.row_counts.items():
        if table.endswith(("_log", "_type", "_state", "collateral_payment")):
            continue  # append-only logs and lookups never change
        schema, name = table.split(".")
        with psycopg.connect(demo.server.dsn(database)) as conn:
            columns = {row[0] for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                (schema, name))}
        assert "update_time" in columns, table


def test_payments_cover_180_days_with_quieter_weekends_and_growth(demo: Built) -> None:
    with demo.connect("webbank") as conn:
        first, last = conn.execute("SELECT min(create_time), max(create_time) FROM core.payment").fetchone()
        weekday, weekend = conn.execute(
            """
            SELECT avg(n) FILTER (WHERE extract(isodow FROM day) < 6), avg(n) FILTER (WHERE extract(isodow FROM day) >= 6)
            FROM (SELECT date_trunc('day', create_time AT TIME ZONE 'UTC') AS day, count(*) AS n FROM core.payment
                  WHERE create_time >= %(now)s::timestamptz - interval '179 days'
                    AND create_time < date_trunc('day', %(now)s::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                  GROUP BY 1) AS daily
            """, {"now": NOW}).fetchone()
        early, late = conn.execute(
            "SELECT count(*) FILTER (WHERE create_time < %(now)s::timestamptz - interval '150 days'),"
            " count(*) FILTER (WHERE create_time >= %(now)s::timestamptz - interval '30 days') FROM core.payment",
            {"now": NOW}).fetchone()
        mean, median = conn.execute(
            "SELECT avg(amount), percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM core.payment").fetchone()
    assert NOW - timedelta(days=180) <= first < NOW - timedelta(days=179)
    assert NOW - timedelta(hours=2) < last < NOW
    assert float(weekday) > 1.5 * float(weekend)
    assert late > 1.3 * early
    assert float(mean) > 2 * float(median)  # log-normal amounts: a long right tail


def test_everything_but_the_stopped_feeds_is_current(demo: Built) -> None:
    fresh = {
        "webbank": "SELECT max(create_time) FROM core.payment",
        "aml": "SELECT max(create_at) FROM aml.aml_retrospective",
        "card_management": "SELECT max(update_time) FROM cards.card",
    }
    for source, query in fresh.items():
        with demo.connect(source) as conn:
            newest = conn.execute(query).fetchone()[0]
        assert NOW - newest < timedelta(hours=36), source


def test_pii_columns_exist_at_the_source(demo: Built) -> None:
    with demo.connect("webbank") as conn:
        columns = {row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'core' AND table_name = 'client_profile'")}
        emails = conn.execute("SELECT count(DISTINCT email) = count(*) FROM core.client_profile").fetchone()[0]
    assert PII_COLUMNS <= columns
    assert emails


def test_arrears_company_keeps_spending_on_its_cards(demo: Built) -> None:
    with demo.connect("webbank") as conn:
        client_id = conn.execute(
            "SELECT id FROM core.client_profile WHERE company_name = 'Northwind Logistics Ltd'").fetchone()[0]
    with demo.connect("card_management") as conn:
        spent = conn.execute(
            "SELECT count(*) FROM cards.card_transaction AS t JOIN cards.card AS c ON c.id = t.card_id"
            " WHERE c.client_profile_id = %s AND t.created_at >= %s", (client_id, NOW - timedelta(days=120))
        ).fetchone()[0]
    assert spent > 10


def test_second_build_with_same_parameters_is_a_fast_no_op(server: Database, demo: Built) -> None:
    started = time.perf_counter()
    again = build_demo(server, files_dir=demo.files_dir, scale=SCALE, seed=SEED, now=NOW, prefix=demo.prefix)
    assert time.perf_counter() - started < 1.0
    assert again.reused and not demo.report.reused
    assert again.build_id == demo.report.build_id
    assert again.row_counts == demo.report.row_counts


def test_build_is_deterministic(demo: Built, live_demo: LiveDemo) -> None:
    assert live_demo.built.report.build_id != demo.report.build_id
    assert live_demo.checksums_at_build == _checksums(demo)


def test_append_live_adds_rows_and_advances_update_time_but_no_card_transactions(
    live_demo: LiveDemo,
) -> None:
    built = live_demo.built
    before = _checksums(built)
    first = append_live(built.server, now=NOW + timedelta(hours=1), prefix=built.prefix)
    second = append_live(built.server, now=NOW + timedelta(hours=1, minutes=1), prefix=built.prefix)
    repeat = append_live(built.server, now=NOW + timedelta(hours=1, minutes=1), prefix=built.prefix)
    after = _checksums(built)
    names = built.report.databases

    assert first.new_rows[(names["webbank"], "core.payment")] > 0
    assert first.new_rows[(names["webbank"], "core.payment_state_log")] > 0
    assert first.new_rows[(names["aml"], "aml.aml_retrospective")] > 0
    assert second.until == NOW + timedelta(hours=1, minutes=1)
    assert repeat.total_new_rows == 0
    assert after["webbank"][0] > before["webbank"][0]
    assert after["card_management"] == before["card_management"]  # the card feed stays down
    # Rows that existed at build time moved on, and their update_time says when.
    changed = {
        "webbank": "SELECT count(*), max(update_time) FROM core.entry WHERE create_time <= %(now)s AND update_time > %(now)s",
        "aml": "SELECT count(*), max(update_time) FROM aml.aml_retrospective"
               " WHERE create_at <= %(now)s AND update_time > %(now)s",
    }
    for source, query in changed.items():
        with built.connect(source) as conn:
            count, newest = conn.execute(query, {"now": NOW}).fetchone()
        assert count > 0, source
        assert newest in (NOW + timedelta(hours=1), NOW + timedelta(hours=1, minutes=1)), source


def _get_all(client: httpx.Client, url: str, **params) -> list[dict]:
    items, page = [], 1
    while page is not None:
        body = client.get(f"{url}/rates", params={**params, "page": page}).raise_for_status().json()
        items.extend(body["items"])
        page = body["next_page"]
    return items


def test_rates_api_pages_over_http_and_honours_updated_since(demo: Built) -> None:
    with serve_rates(demo.files_dir) as api, httpx.Client(timeout=5) as client:
        total = client.get(f"{api.url}/rates", params={"page_size": 1}).json()["total"]
        items = _get_all(client, api.url, page_size=97)
        assert len(items) == total == demo.report.files["rates_api"]
        assert len({item["id"] for item in items}) == total
        stamps = [item["updated_at"] for item in items]
        assert stamps == sorted(stamps)
        assert max(item["date"] for item in items) == NOW.date().isoformat()

        since = (NOW - timedelta(days=3)).isoformat()
        recent = _get_all(client, api.url, page_size=10, updated_since=since)
        assert recent and all(item["updated_at"] >= since.replace("+00:00", "Z") for item in recent)
        assert len(recent) < total / 10

        assert client.get(f"{api.url}/rates", params={"page_size": 5000}).status_code == 400
        assert client.get(f"{api.url}/rates", params={"updated_since": "yesterday"}).status_code == 400
        assert client.get(f"{api.url}/nothing").status_code == 404
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{api.url}/rates", timeout=1)


def test_csv_drop_folder_stopped_two_days_ago(demo: Built) -> None:
    newest = newest_csv(demo.files_dir)
    assert newest is not None
    age = NOW - datetime.fromtimestamp(newest.stat().st_mtime, timezone.utc)
    assert timedelta(days=2) <= age < timedelta(days=3)
    assert newest.name == f"rates_{(NOW - timedelta(days=2)).date().isoformat()}.csv"
    with newest.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"date", "base", "quote", "rate"}
    assert len(list(csv_folder(demo.files_dir).glob("rates_*.csv"))) >= 177


def test_build_refuses_to_replace_a_database_it_did_not_create(server: Database, tmp_path: Path) -> None:
    prefix = f"hb_demo_{uuid.uuid4().hex[:8]}_"
    # Someone else's database where the demo would put its AML source.
    with scratch_database(server, prefix, migrate=False, name=prefix + "aml"):
        with pytest.raises(DemoError, match="not created by the demo"):
            build_demo(server, files_dir=tmp_path, scale=SCALE, seed=SEED, now=NOW, prefix=prefix)
        with server.admin() as admin:
            left = [row[0] for row in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))]
        assert left == [prefix + "aml"]  # nothing dropped, nothing created
