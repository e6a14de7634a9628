"""Build the demo source databases and files once, and recognise a build that can be reused.

Each source database carries a one-row ``public.demo_meta`` table (outside
the schemas an ingest reads) with the build's parameters, row counts and the
time live mode has reached. A build is reused when every database and the
files folder carry the same build id, the generator version, scale and seed
match, and ``now`` is the recorded one (or not given and the build is younger
than ``REUSE_MAX_AGE``: older data would have drifted away from the clock).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from engine.core.db import Database
from engine.demo import aml, cards, rates, webbank
from engine.demo.pg import connect, count_rows
from engine.demo.plan import GENERATOR_VERSION, DemoError, Plan, normalise_now, utc_now

log = logging.getLogger(__name__)

SOURCE_DATABASES = (webbank.DATABASE, aml.DATABASE, cards.DATABASE)
DEFAULT_SCALE = 0.05
REUSE_MAX_AGE = timedelta(hours=12)
FILES_MARKER = "demo_meta.json"
DEMO_COMMENT = "Heartbeat demo source (engine.demo); rebuilt at will"
SOURCE_TABLES = {webbank.DATABASE: webbank.TABLES, aml.DATABASE: aml.TABLES, cards.DATABASE: cards.TABLES}

_META_DDL = """
CREATE TABLE public.demo_meta (
    build_id text PRIMARY KEY,
    generator_version int NOT NULL,
    scale float8 NOT NULL,
    seed bigint NOT NULL,
    now timestamptz NOT NULL,
    built_at timestamptz NOT NULL,
    row_counts jsonb NOT NULL,
    live_until timestamptz NOT NULL
)
"""


@dataclass(frozen=True)
class DemoReport:
    """What a build made (or found): row counts per (database, "schema.table") and how long it took."""

    build_id: str
    scale: float
    seed: int
    now: datetime
    databases: dict[str, str]  # source name -> database name on the server
    row_counts: dict[tuple[str, str], int]
    files_dir: Path
    files: dict[str, int]  # rows served by the rates API, rows and files in the CSV folder
    elapsed_s: float
    reused: bool

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


def database_names(prefix: str = "") -> dict[str, str]:
    return {name: prefix + name for name in SOURCE_DATABASES}


def read_meta(db: Database, database: str) -> dict[str, Any] | None:
    """The demo_meta row of ``database``, or None when it does not exist or holds no complete build."""
    db = db.sources
    with db.admin() as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            return None
    with psycopg.connect(db.dsn(database), connect_timeout=10) as conn:
        if not conn.execute("SELECT to_regclass('public.demo_meta')").fetchone()[0]:
            return None
        cur = conn.execute(
            "SELECT build_id, generator_version, scale, seed, now, built_at, row_counts, live_until FROM public.demo_meta"
        )
        row = cur.fetchone()
        return dict(zip([c.name for c in cur.description], row)) if row else None


def _reusable(db: Database, names: dict[str, str], files_dir: Path, plan: Plan, now_given: bool) -> list[dict] | None:
    metas = [read_meta(db, database) for database in names.values()]
    if any(meta is None for meta in metas):
        return None
    first = metas[0]
    if len({meta["build_id"] for meta in metas}) != 1:
        return None
    if (first["generator_version"], first["scale"], first["seed"]) != (GENERATOR_VERSION, plan.scale, plan.seed):
        return None
    if now_given and first["now"] != plan.now:
        return None
    if not now_given and utc_now() - first["now"] > REUSE_MAX_AGE:
        return None
    marker = Path(files_dir) / FILES_MARKER
    try:
        files_meta = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    if files_meta.get("build_id") != first["build_id"] or not rates.api_file(files_dir).is_file():
        return None
    return metas + [files_meta]


def _claim(db: Database, databases: list[str]) -> None:
    """Drop and recreate ``databases``, refusing (before touching any) one that no demo build created."""
    with db.admin() as admin:
        foreign = [
            name for name, comment in admin.execute(
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ANY(%s)",
                (databases,),
            )
            if comment != DEMO_COMMENT
        ]
    if foreign:
        raise DemoError(
            f"database {foreign[0]!r} exists and was not created by the demo; "
            "pass a prefix for the demo databases or drop it yourself"
        )
    for database in databases:
        db.drop_database(database)
        db.ensure_database(database)
        with db.admin() as admin:
            admin.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(database), sql.Literal(DEMO_COMMENT))
            )


def _build_databases(db: Database, names: dict[str, str], plan: Plan) -> None:
    """Generate all three databases; webbank's clients feed the others, cards feed collateral."""
    with connect(db, names[webbank.DATABASE]) as bank:
        roster = webbank.build_clients(bank, plan)
        # PostgreSQL does the work, one backend per connection: the three
        # databases build side by side while this thread drives webbank.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-build") as pool:
            cards_job = pool.submit(_build_one, db, names[cards.DATABASE], cards.build, plan, roster)
            aml_job = pool.submit(_build_one, db, names[aml.DATABASE], aml.build, plan, roster)
            webbank.build_payments(bank, plan)
            card_holders = cards_job.result()
            webbank.build_collateral(bank, plan, card_holders)
            aml_job.result()
        bank.commit()


def _build_one(db: Database, database: str, build: Callable[..., Any], plan: Plan, roster: list) -> Any:
    with connect(db, database) as conn:
        result = build(conn, plan, roster)
        conn.commit()
        return result


def _write_meta(db: Database, database: str, plan: Plan, build_id: str, counts: dict[str, int]) -> None:
    with connect(db, database) as conn:
        conn.execute(_META_DDL)
        conn.execute(
            "INSERT INTO public.demo_meta VALUES (%s, %s, %s, %s, %s, now(), %s, %s)",
            (build_id, GENERATOR_VERSION, plan.scale, plan.seed, plan.now, Jsonb(counts), plan.now),
        )
        conn.commit()


def _count(db: Database, database: str, tables: tuple[str, ...]) -> dict[str, int]:
    with connect(db, database) as conn:
        return {table: count_rows(conn, table) for table in tables}


def build_demo(
    db: Database,
    *,
    files_dir: Path,
    scale: float = DEFAULT_SCALE,
    seed: int = 42,
    now: datetime | None = None,
    prefix: str = "",
    force: bool = False,
) -> DemoReport:
    """Create the demo source databases (``prefix`` + name) and the rates files, unless an equal build exists.

    The databases go to ``db.sources``: Heartbeat's own server, or the one HEARTBEAT_DEMO_SOURCES_DATABASE_URL names.
    """
    started = time.perf_counter()
    db = db.sources
    files_dir = Path(files_dir)
    plan = Plan(seed=seed, scale=float(scale), now=normalise_now(now))
    names = database_names(prefix)
    found = None if force else _reusable(db, names, files_dir, plan, now_given=now is not None)
    if found is not None:
        *metas, files_meta = found
        counts = {
            (database, table): int(n)
            for database, meta in zip(names.values(), metas)
            for table, n in meta["row_counts"].items()
        }
        return DemoReport(
            build_id=metas[0]["build_id"], scale=plan.scale, seed=plan.seed, now=metas[0]["now"], databases=names,
            row_counts=counts, files_dir=files_dir, files=files_meta["files"],
            elapsed_s=time.perf_counter() - started, reused=True,
        )

    build_id = uuid.uuid4().hex
    log.info("building demo sources at scale %s (seed %s)", plan.scale, plan.seed)
    _claim(db, list(names.values()))
    try:
        _build_databases(db, names, plan)
        files = rates.write_files(plan, files_dir)
        counts: dict[tuple[str, str], int] = {}
        for source, database in names.items():
            per_table = _count(db, database, SOURCE_TABLES[source])
            _write_meta(db, database, plan, build_id, per_table)
            counts.update({(database, table): n for table, n in per_table.items()})
    except Exception as exc:
        for database in names.values():
            db.drop_database(database)
        if isinstance(exc, DemoError):
            raise
        raise DemoError(f"building the demo sources failed: {type(exc).__name__}: {exc}") from exc
    marker = {"build_id": build_id, "scale": plan.scale, "seed": plan.seed, "now": plan.now.isoformat(), "files": files}
    (files_dir / FILES_MARKER).write_text(json.dumps(marker, indent=2))
    elapsed = time.perf_counter() - started
    log.info("built demo sources: %s rows in %.1f s", f"{sum(counts.values()):,}", elapsed)
    return DemoReport(
        build_id=build_id, scale=plan.scale, seed=plan.seed, now=plan.now, databases=names, row_counts=counts,
        files_dir=files_dir, files=files, elapsed_s=elapsed, reused=False,
    )
