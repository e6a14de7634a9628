"""The ingest engine on a small hand-built Postgres source: real dlt runs into real marts."""

from __future__ import annotations

import dataclasses
import time

import psycopg
import pytest
from sqlalchemy import text

from engine import ingest
from engine.core.db import Database
from engine.ingest import IngestContext, run_one
from engine.ingest.ledger import source_as_of
from engine.sources import SOURCES, SourceSpec, get_source

WEBBANK = get_source("webbank")
PAYMENTS = 20_000


def _src(ctx: IngestContext, name: str = "webbank") -> str:
    return ctx.db.dsn(ctx.source_database_prefix + name)


@pytest.fixture(scope="module")
def source(ingest_ctx: IngestContext, server: Database):
    name = ingest_ctx.source_database_prefix + "webbank"
    server.drop_database(name)
    server.ensure_database(name)
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA core")
        conn.execute(
            "CREATE TABLE core.payment (id bigint PRIMARY KEY, amount numeric(14,2) NOT NULL, currency text, "
            "state text, update_time timestamptz NOT NULL)"
        )
        conn.execute(
            f"INSERT INTO core.payment SELECT g, round((g * 1.37)::numeric, 2), 'EUR', 'approved', "
            f"now() - interval '10 days' + g * interval '1 second' FROM generate_series(1, {PAYMENTS}) g"
        )
        conn.execute(
            "CREATE TABLE core.client_profile (id bigint PRIMARY KEY, full_name text, email text, phone text, "
            "segment text, update_time timestamptz NOT NULL)"
        )
        conn.execute(
            "INSERT INTO core.client_profile SELECT g, 'Person ' || g, g || '@example.com', '+100' || g, "
            "'retail', now() - interval '20 days' FROM generate_series(1, 500) g"
        )
        conn.execute("CREATE TABLE core.payment_type (code text, label text)")
        conn.execute("INSERT INTO core.payment_type VALUES ('in', 'Incoming'), ('out', 'Outgoing')")
    first = run_one(WEBBANK, "core", ingest_ctx)
    yield first
    server.drop_database(name)


def _marts(ctx: IngestContext, sql: str):
    with ctx.db.engine(ctx.marts_database).connect() as conn:
        return conn.execute(text(sql)).all()


def test_first_run_lands_every_table_with_matching_counts_and_sums(source, ingest_ctx):
    assert source.ok, source.error
    assert source.tables["payment"] == {"rows": PAYMENTS, "disposition": "merge"}
    count, distinct, total = _marts(
        ingest_ctx, "SELECT count(*), count(DISTINCT id), sum(amount) FROM webbank_core.payment"
    )[0]
    with psycopg.connect(_src(ingest_ctx)) as conn:
        expected = conn.execute("SELECT count(*), sum(amount) FROM core.payment").fetchone()
    assert (count, distinct, total) == (expected[0], expected[0], expected[1])
    assert _marts(ingest_ctx, "SELECT count(*) FROM webbank_core.client_profile")[0][0] == 500
    assert _marts(ingest_ctx, "SELECT count(*) FROM webbank_core.payment_type")[0][0] == 2


def test_pii_columns_never_reach_the_marts(source, ingest_ctx):
    columns = {
        row[0]
        for row in _marts(
            ingest_ctx,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'webbank_core' AND table_name = 'client_profile'",
        )
    }
    assert {"id", "segment", "update_time"} <= columns
    assert not {"full_name", "email", "phone"} & columns


def test_key_indexes_exist_after_ingest(source, ingest_ctx):
    indexes = {row[0] for row in _marts(ingest_ctx, "SELECT indexname FROM pg_indexes WHERE schemaname = 'webbank_core'")}
    assert {"payment__key", "client_profile__key"} <= indexes


def test_rerun_moves_only_new_and_updated_rows_without_duplicates(source, ingest_ctx):
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("UPDATE core.payment SET state = 'refunded', update_time = now() WHERE id IN (5, 6, 7)")
        conn.execute(
            f"INSERT INTO core.payment SELECT g, 10, 'USD', 'pending', now() "
            f"FROM generate_series({PAYMENTS + 1}, {PAYMENTS + 200}) g"
        )
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok, outcome.error
    # New and updated rows, plus the small lag window re-read; never the whole table.
    assert 203 <= outcome.tables["payment"]["rows"] < PAYMENTS / 10
    count, distinct = _marts(ingest_ctx, "SELECT count(*), count(DISTINCT id) FROM webbank_core.payment")[0]
    assert count == distinct == PAYMENTS + 200
    states = dict(_marts(ingest_ctx, "SELECT id, state FROM webbank_core.payment WHERE id IN (5, 6, 7, 8)"))
    assert states == {5: "refunded", 6: "refunded", 7: "refunded", 8: "approved"}


def test_a_merge_leaves_no_copy_in_the_staging_schema(source, ingest_ctx):
    # dlt merges through webbank_core_staging; after the load those rows are dead weight (2 M payments at
    # scale 1), so the pipeline truncates them (load.truncate_staging_dataset).
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("UPDATE core.payment SET state = 'settled', update_time = now() WHERE id BETWEEN 20 AND 29")
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok, outcome.error
    assert outcome.tables["payment"]["rows"] >= 10
    staged = _marts(ingest_ctx, "SELECT count(*) FROM webbank_core_staging.payment")[0][0]
    assert staged == 0
    # The merge analyzed its staging table first (engine/ingest/destination.py), so its DELETE … WHERE EXISTS
    # is planned knowing how few keys were staged.
    analyzed = _marts(ingest_ctx, "SELECT last_analyze FROM pg_stat_user_tables "
                                  "WHERE schemaname = 'webbank_core_staging' AND relname = 'payment'")[0][0]
    assert analyzed is not None
    states = {row[0] for row in _marts(ingest_ctx, "SELECT state FROM webbank_core.payment WHERE id BETWEEN 20 AND 29")}
    assert states == {"settled"}


def test_a_late_commit_stamped_before_the_last_loaded_row_still_lands(source, ingest_ctx):
    # A transaction that stamps update_time, then commits after our last read, carries a cursor value
    # older than the newest row already landed. The merge tables re-read a 60 s window behind the
    # cursor (TablePolicy.lag_seconds, docs/sources.md), so such a row lands on the next run.
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        newest = conn.execute("SELECT max(update_time) FROM core.payment").fetchone()[0]
    run_one(WEBBANK, "core", ingest_ctx)  # the cursor now stands at ``newest``
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("UPDATE core.payment SET state = 'chargeback', update_time = %s - interval '30 seconds' "
                     "WHERE id = 9", (newest,))
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok, outcome.error
    assert _marts(ingest_ctx, "SELECT state FROM webbank_core.payment WHERE id = 9")[0][0] == "chargeback"


def test_a_quiet_source_lands_nothing_again_but_a_changed_row_in_the_lag_window_lands(source, ingest_ctx):
    # Every run re-reads the last 60 s behind the cursor; rows landed unchanged are not merged again
    # (engine/sources/rereads.py), so a quiet source's run moves nothing.
    run_one(WEBBANK, "core", ingest_ctx)
    quiet = run_one(WEBBANK, "core", ingest_ctx)
    assert quiet.ok, quiet.error
    assert quiet.tables["payment"]["rows"] == 0
    assert quiet.tables["client_profile"]["rows"] == 0
    # A row of the window changed in another column but kept its update_time (an application that
    # forgot to stamp it): not the row landed, so it lands.
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        newest = conn.execute("SELECT id FROM core.payment ORDER BY update_time DESC, id DESC LIMIT 1").fetchone()[0]
        conn.execute("UPDATE core.payment SET state = 'disputed' WHERE id = %s", (newest,))
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok, outcome.error
    assert outcome.tables["payment"]["rows"] == 1
    assert _marts(ingest_ctx, f"SELECT state FROM webbank_core.payment WHERE id = {newest}")[0][0] == "disputed"
    count, distinct = _marts(ingest_ctx, "SELECT count(*), count(DISTINCT id) FROM webbank_core.payment")[0]
    assert count == distinct


def test_replace_table_is_reloaded_not_duplicated(source, ingest_ctx):
    run_one(WEBBANK, "core", ingest_ctx)
    assert _marts(ingest_ctx, "SELECT count(*) FROM webbank_core.payment_type")[0][0] == 2


def test_no_change_run_still_advances_source_as_of(source, ingest_ctx):
    before = source_as_of(ingest_ctx.db.engine(), [("webbank", "core")])
    time.sleep(0.05)
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok
    after = source_as_of(ingest_ctx.db.engine(), [("webbank", "core")])
    assert after > before
    with ingest_ctx.db.engine().connect() as conn:
        status = conn.execute(
            text("SELECT status, rows_total FROM heartbeat.source_sync WHERE id = :id"), {"id": outcome.ledger_id}
        ).one()
    assert status.status == "succeeded"


def test_schema_drift_new_column_and_table_do_not_break_the_run(source, ingest_ctx):
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("ALTER TABLE core.payment ADD COLUMN channel text")
        conn.execute("UPDATE core.payment SET channel = 'app', update_time = now() WHERE id = 1")
        conn.execute("CREATE TABLE core.branch (id int PRIMARY KEY, city text, update_time timestamptz)")
        conn.execute("INSERT INTO core.branch VALUES (1, 'Riga', now())")
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok, outcome.error
    assert _marts(ingest_ctx, "SELECT channel FROM webbank_core.payment WHERE id = 1")[0][0] == "app"
    assert _marts(ingest_ctx, "SELECT city FROM webbank_core.branch")[0][0] == "Riga"


def test_dead_source_fails_alone_and_the_ledger_says_why(source, ingest_ctx):
    dead = dataclasses.replace(WEBBANK, name="nonexistent_bank")
    alive = list(ingest.run_many([(dead, "core"), (WEBBANK, "core")], ingest_ctx))
    assert [o.status for o in alive] == ["failed", "succeeded"]
    error = alive[0].error
    assert "nonexistent_bank.core" in error
    assert "does not exist" in error
    with ingest_ctx.db.engine().connect() as conn:
        row = conn.execute(
            text("SELECT status, error FROM heartbeat.source_sync WHERE id = :id"), {"id": alive[0].ledger_id}
        ).one()
    assert row.status == "failed" and row.error == error


def test_credentials_never_appear_in_errors(source, ingest_ctx, monkeypatch):
    secret = "Sup3rS3cretPw"
    monkeypatch.setenv("SOURCES__GUARDED_BANK__CREDENTIALS", f"postgresql://reader:{secret}@127.0.0.1:1/bank")
    guarded = dataclasses.replace(WEBBANK, name="guarded_bank")
    outcome = run_one(guarded, "core", ingest_ctx)
    assert outcome.status == "failed"
    assert secret not in outcome.error
    assert "guarded_bank.core" in outcome.error


def test_plan_resolves_sources_and_schemas():
    assert [(s.name, sc) for s, sc in ingest.plan(["webbank"])] == [("webbank", "core")]
    assert [(s.name, sc) for s, sc in ingest.plan(["aml.aml", "aml"])] == [("aml", "aml")]
    assert len(ingest.plan(None)) == sum(len(s.schemas) for s in SOURCES)


@pytest.mark.parametrize("name,message", [("nope", "registered sources"), ("webbank.nope", "its schemas: core")])
def test_plan_names_the_valid_choices_for_a_typo(name, message):
    from engine.core.errors import HeartbeatError

    with pytest.raises(HeartbeatError, match=message):
        ingest.plan([name])


def test_custom_spec_lands_into_its_own_dataset(ingest_ctx, server):
    spec = SourceSpec("probe", "postgres", ("core",), "probe")
    name = ingest_ctx.source_database_prefix + "probe"
    server.ensure_database(name)
    with psycopg.connect(_src(ingest_ctx, "probe"), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS core")
        conn.execute("CREATE TABLE IF NOT EXISTS core.thing (id int PRIMARY KEY, update_time timestamptz)")
        conn.execute("INSERT INTO core.thing VALUES (1, now()) ON CONFLICT DO NOTHING")
    try:
        outcome = run_one(spec, "core", ingest_ctx)
        assert outcome.ok, outcome.error
        assert _marts(ingest_ctx, "SELECT count(*) FROM probe_core.thing")[0][0] == 1
    finally:
        server.drop_database(name)


def test_deferred_index_builds_are_done_when_run_many_ends(source, ingest_ctx):
    # run_many lets a source's index builds overlap the next source's load (engine/ingest/deferred.py); the
    # caller still finds every post-ingest index in place once the iteration ends.
    with ingest_ctx.db.engine(ingest_ctx.marts_database).connect() as conn:
        conn.execute(text('DROP INDEX webbank_core."payment__key"'))
        conn.commit()
    outcomes = list(ingest.run_many([(WEBBANK, "core")], ingest_ctx))
    assert [o.status for o in outcomes] == ["succeeded"]
    indexes = {row[0] for row in _marts(ingest_ctx, "SELECT indexname FROM pg_indexes WHERE schemaname = 'webbank_core'")}
    assert "payment__key" in indexes


def test_a_replace_table_emptied_at_the_source_lands_empty_and_the_sync_succeeds(source, ingest_ctx):
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("DELETE FROM core.payment_type")
    try:
        result = run_one(WEBBANK, "core", ingest_ctx)
        assert result.status == "succeeded", result.error
        assert _marts(ingest_ctx, "SELECT count(*) FROM webbank_core.payment_type")[0][0] == 0
    finally:
        with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
            conn.execute("INSERT INTO core.payment_type VALUES ('in', 'Incoming'), ('out', 'Outgoing')")
        run_one(WEBBANK, "core", ingest_ctx)


def test_an_empty_keyed_table_lands_then_fills(source, ingest_ctx):
    # A first load of a table keyed by one integer column is read in key ranges (engine/sources/kinds.py):
    # an empty table has no range at all, and must still land, then take its rows on the next run.
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("CREATE TABLE core.branch_office (id bigint PRIMARY KEY, city text, update_time timestamptz NOT NULL)")
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok, outcome.error
    with psycopg.connect(_src(ingest_ctx), autocommit=True) as conn:
        conn.execute("INSERT INTO core.branch_office SELECT g, 'City ' || g, now() FROM generate_series(1, 300) g")
    outcome = run_one(WEBBANK, "core", ingest_ctx)
    assert outcome.ok, outcome.error
    assert _marts(ingest_ctx, "SELECT count(*), count(DISTINCT id), max(id) FROM webbank_core.branch_office")[0] == (300, 300, 300)
