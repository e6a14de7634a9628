"""The demo sources and marts benchmarks/ingest.py measures on: the machine line, settling the server
between measurements, the landed columns and row counts, the marts' size, the payment copies of the
memory test and the "+1 %" growth of the sources."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "hbbench_"
POSTGRES_SOURCES = (("webbank", "core"), ("aml", "aml"), ("card_management", "cards"))
# Memory flatness: payment alone, as its own source, at 1x and 3x rows.
PAYMENT_COPIES = {"payment1x": 1, "payment3x": 3}
GROWTH = 0.01  # the "+1 %" re-run
STEP_HOURS = 6  # live mode advances in steps of this many hours until GROWTH is reached
LATE_CORRECTIONS = 1000  # 1 row in 1000 of the big changing tables gets a late update


def machine(server: Any) -> dict[str, str]:
    import connectorx
    import dlt
    import psycopg
    import pyarrow

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    ram_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    with server.admin() as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in ("shared_buffers", "max_wal_size")}
    try:
        from importlib.metadata import version

        adbc = version("adbc-driver-postgresql")
    except Exception:  # pragma: no cover - only for the banner
        adbc = "?"
    load1, load5, _ = os.getloadavg()
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip() or "?"
    except OSError:
        commit = "?"
    return {
        "heartbeat": f"commit {commit}",
        "cpu": f"{os.cpu_count()} cores ({cpu})",
        "ram": f"{ram_gb:.1f} GB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": f"{pg} (embedded pgserver, unix socket; shared_buffers {settings.get('shared_buffers')}, "
                      f"max_wal_size {settings.get('max_wal_size')})",
        "dlt": dlt.__version__,
        "libraries": f"connectorx {getattr(connectorx, '__version__', '?')}, pyarrow {pyarrow.__version__}, "
                     f"adbc-driver-postgresql {adbc}, psycopg {psycopg.__version__}",
        "load average": f"{load1:.2f} (1 min), {load5:.2f} (5 min) at start",
    }


def settle(server: Any, timeout_s: float = 120) -> None:
    """Let the previous measurement's after-effects finish before the next one starts.

    Autovacuum works through freshly loaded tables for a while, and dirty
    pages wait for a checkpoint: either would be billed to whatever runs next.
    """
    deadline = time.monotonic() + timeout_s
    with server.admin() as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
                "AND datname LIKE %s", (PREFIX.replace("_", "\\_") + "%",),
            ).fetchone()[0]
            if not busy:
                break
            time.sleep(1)
        conn.execute("CHECKPOINT")


def landed_columns(server: Any, source: str, schema: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Tables of a source schema with the columns ingest lands (registry skips and PII drops applied)."""
    import psycopg

    from engine import sources as registry

    skipped = registry.SKIP_TABLES.get(f"{source}.{schema}", frozenset())
    with psycopg.connect(server.dsn(PREFIX + source)) as conn:
        rows = conn.execute(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
            ORDER BY c.relname, a.attnum
            """,
            (schema,),
        ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in rows:
        if table in skipped:
            continue
        if column in registry.COLUMN_DROP.get(registry.table_key(source, schema, table), frozenset()):
            continue
        tables.setdefault(table, []).append((column, type_))
    return sorted(tables.items())


def marts_sizes(server: Any, marts: str) -> dict[str, int]:
    """Bytes of the marts database, of its landed schemas and of dlt's *_staging schemas; rows still staged."""
    import psycopg

    with psycopg.connect(server.dsn(marts)) as conn:
        by_schema = conn.execute(
            "SELECT n.nspname, sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg\\_%' "
            "AND n.nspname <> 'information_schema' GROUP BY 1").fetchall()
        staged = 0
        for schema, table in conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema LIKE '%\\_staging' "
                "AND table_name NOT LIKE '\\_dlt%'").fetchall():
            staged += conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    staging = sum(size for schema, size in by_schema if schema.endswith("_staging"))
    landed = sum(size for schema, size in by_schema if not schema.endswith("_staging"))
    return {"database": database, "landed": landed, "staging": staging, "staged_rows": staged}


def count_rows(server: Any, database: str, schema: str, tables: list[str]) -> dict[str, int]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.dsn(database)) as conn:
        return {
            t: int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, t))).fetchone()[0])
            for t in tables
        }


def ensure_payment_copies(server: Any, console: Any) -> dict[str, int]:
    """Databases hbbench_payment1x / _payment3x: core.payment alone, 1x and 3x the webbank rows.

    Made from one snapshot of hbbench_webbank, reused while it is the same demo build.
    """
    import psycopg
    from psycopg import sql

    from engine.demo import read_meta

    build_id = read_meta(server, PREFIX + "webbank")["build_id"]
    columns = dict(landed_columns(server, "webbank", "core"))["payment"]
    wanted = {name: f"heartbeat ingest benchmark: webbank core.payment x{k} of demo build {build_id}"
              for name, k in PAYMENT_COPIES.items()}
    with server.admin() as admin:
        found = dict(admin.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ANY(%s)",
            ([PREFIX + name for name in PAYMENT_COPIES],),
        ).fetchall())
    counts: dict[str, int] = {}
    for name, factor in PAYMENT_COPIES.items():
        database = PREFIX + name
        if found.get(database) == wanted[name]:
            counts[name] = count_rows(server, database, "core", ["payment"])["payment"]
            continue
        began = time.perf_counter()
        server.drop_database(database)
        server.ensure_database(database)
        names = sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns)
        with psycopg.connect(server.dsn(PREFIX + "webbank")) as src, psycopg.connect(server.dsn(database)) as dst:
            dst.execute("CREATE SCHEMA core")
            dst.execute(sql.SQL("CREATE TABLE core.payment ({})").format(
                sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns)))
            top = int(src.execute("SELECT max(id) FROM core.payment").fetchone()[0])
            for k in range(factor):
                query = sql.SQL("COPY (SELECT {} FROM core.payment) TO STDOUT (FORMAT BINARY)").format(
                    sql.SQL(", ").join(
                        sql.SQL("id + {}::bigint").format(sql.Literal(k * top)) if c == "id" else sql.Identifier(c)
                        for c, _ in columns
                    )
                )
                with src.cursor().copy(query) as out, dst.cursor().copy(
                    sql.SQL("COPY core.payment ({}) FROM STDIN (FORMAT BINARY)").format(names)
                ) as into:
                    for chunk in out:
                        into.write(chunk)
            dst.execute("ALTER TABLE core.payment ADD PRIMARY KEY (id)")
            dst.execute("CREATE INDEX ON core.payment (update_time)")
            dst.execute("ANALYZE core.payment")
            dst.commit()
        with server.admin() as admin:
            admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(database), sql.Literal(wanted[name])))
        counts[name] = count_rows(server, database, "core", ["payment"])["payment"]
        console.print(f"  made {database}: {counts[name]:,} payments in {time.perf_counter() - began:.1f} s")
    return counts


def grown(server: Any) -> bool:
    """Whether an earlier run's +1 % grew the sources past their build (live mode moved ``live_until`` on).

    Each +1 % run adds about 6 % to the sources it reuses; a benchmark on grown sources has longer full loads
    and so smaller re-run ratios than one on the build itself, and two runs stop being comparable.
    """
    from engine.demo import read_meta

    metas = [read_meta(server, PREFIX + source) for source, _ in POSTGRES_SOURCES]
    return any(meta is not None and meta["live_until"] > meta["now"] for meta in metas)


def grow_sources(server: Any, console: Any) -> dict[str, dict[str, int]]:
    """The "+1 %": new rows and updates in every source; returns new and updated rows per source.

    Live mode (the demo's own appender) advances the clock until ~1 % new
    payments arrived (AML checks grow alike; rows move on, e.g. payments get
    final). The card transaction feed is planted dead, so 1 % card
    transactions are added directly. One old row in ``LATE_CORRECTIONS`` of
    the big changing tables gets a late correction (a fresh update_time).
    """
    import psycopg

    from engine.demo import append_live, read_meta

    metas = {source: read_meta(server, PREFIX + source) for source, _ in POSTGRES_SOURCES}
    before_until = max(meta["live_until"] for meta in metas.values())
    before: dict[str, dict[str, tuple[int, int]]] = {}
    for source, schema in POSTGRES_SOURCES:
        with psycopg.connect(server.dsn(PREFIX + source)) as conn:
            tables = [t for t, _ in landed_columns(server, source, schema)]
            before[source] = {
                t: tuple(conn.execute(f'SELECT count(*), coalesce(max(id), 0) FROM {schema}."{t}"').fetchone())
                for t in tables
            }
    payments = before["webbank"]["payment"][0]
    until, added = before_until, 0
    while added < GROWTH * payments:
        until += timedelta(hours=STEP_HOURS)
        report = append_live(server, now=until, prefix=PREFIX)
        added += report.new_rows.get((PREFIX + "webbank", "core.payment"), 0)
    # A live tick stamps all its changes with its time, and ingest re-reads the
    # last 60 s of each cursor (lag): two minute-long ticks after the big one
    # leave the sources as a running live mode would, so the next benchmark's
    # no-change run re-reads a minute of changes, not the last six hours.
    for minutes in (2, 4):
        append_live(server, now=until + timedelta(minutes=minutes), prefix=PREFIX)
    with psycopg.connect(server.dsn(PREFIX + "card_management")) as conn:
        n = round(GROWTH * before["card_management"]["card_transaction"][0])
        conn.execute(
            """
            INSERT INTO cards.card_transaction (card_id, amount, currency, mcc, state, created_at, update_time)
            SELECT card_id, amount, currency, mcc, state, t, t
            FROM (SELECT *, %(until)s - (id %% %(spread)s) * interval '1 second' AS t
                  FROM cards.card_transaction ORDER BY id DESC LIMIT %(n)s) AS newest
            """,
            {"until": until, "n": n, "spread": STEP_HOURS * 3600},
        )
        conn.commit()
    corrections = {"webbank": ("core", ("payment", "entry")), "aml": ("aml", ("aml_retrospective",)),
                   "card_management": ("cards", ("card_transaction",))}
    for source, (schema, tables) in corrections.items():
        with psycopg.connect(server.dsn(PREFIX + source)) as conn:
            for table in tables:
                top = before[source][table][1]
                conn.execute(
                    f"UPDATE {schema}.{table} SET update_time = %s - (id %% %s) * interval '1 second'"
                    " WHERE id <= %s AND id %% %s = 7",
                    (until, STEP_HOURS * 3600, top, LATE_CORRECTIONS),
                )
            conn.commit()
    changes: dict[str, dict[str, int]] = {}
    for source, schema in POSTGRES_SOURCES:
        new = updated = 0
        with psycopg.connect(server.dsn(PREFIX + source)) as conn:
            for table, (count, top) in before[source].items():
                now_count = int(conn.execute(f'SELECT count(*) FROM {schema}."{table}"').fetchone()[0])
                new += now_count - count
                has_cursor = conn.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                    "AND column_name = 'update_time'", (schema, table)).fetchone()
                if has_cursor:
                    updated += int(conn.execute(
                        f'SELECT count(*) FROM {schema}."{table}" WHERE id <= %s AND update_time > %s',
                        (top, before_until)).fetchone()[0])
        total = sum(count for count, _ in before[source].values())
        changes[source] = {"new": new, "updated": updated, "rows_before": total}
    console.print(f"  live mode advanced the sources {until - before_until} "
                  f"({added:,} new payments, {added / payments:.2%})")
    return changes
