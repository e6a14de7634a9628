"""Client profiles and their onboarding (webbank ``core``), with the planted KYC rejection spike.

A client's whole life is a pure function of (seed, id, create_time): when it
submits KYC, when it is decided, whether it is rejected or later blocked. The
build writes the state as of ``now``; live mode writes what happened since.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from engine.demo import volume
from engine.demo.plan import ARREARS_COMPANY, HISTORY_BEFORE_WINDOW, Plan
from engine.demo.random_sql import literal

NORMAL_REJECTION_SHARE = 0.08
SPIKE_REJECTION_SHARE = 0.30
ABANDON_SHARE = 0.04
BLOCK_SHARE = 0.015
BUSINESS_SHARE = 0.12

_FIRST = ("Anna", "Mart", "Liis", "Jaan", "Kadri", "Tiit", "Eva", "Marko", "Laura", "Peeter", "Sofia",
          "Andres", "Maria", "Janis", "Ilze", "Tomas", "Ruta", "Mikko", "Aino", "Lukas", "Emma", "Jonas",
          "Olivia", "Daniel", "Hanna", "Erik", "Nora", "Oskar", "Elena", "Victor")
_LAST = ("Tamm", "Saar", "Sepp", "Kask", "Ozols", "Berzins", "Kazlauskas", "Virtanen", "Korhonen",
         "Muller", "Schmidt", "de Vries", "Jansen", "Smith", "Brown", "Rebane", "Kuusk", "Lepp",
         "Kalnins", "Petrauskas", "Nieminen", "Weber", "Bakker", "Taylor", "Wilson", "Ilves",
         "Karu", "Liepa", "Jankauskas", "Laine")
_COMPANY_WORDS = ("Baltic", "Amber", "Harbor", "Granite", "Linden", "Aurora", "Pine", "Cobalt", "Meridian",
                  "Juniper", "Silver", "Falcon", "Nordic", "Vista", "Copper", "Willow")
_COMPANY_TRADES = ("Trading", "Logistics", "Software", "Design", "Foods", "Consulting", "Retail",
                   "Motors", "Studio", "Labs", "Travel", "Build")
_COMPANY_FORMS = ("OU", "SIA", "UAB", "Oy", "GmbH", "BV", "Ltd")
_COUNTRIES = (("EE", 30), ("LV", 15), ("LT", 15), ("FI", 10), ("DE", 10), ("NL", 10), ("GB", 10))

def _uniform(values: tuple[str, ...]) -> list[tuple[object, float]]:
    return [(value, 1.0) for value in values]


def events(plan: Plan, source: str) -> str:
    """Subquery: the rows of ``source`` (id, created, ...) with their onboarding event times.

    ``OFFSET 0`` fences keep PostgreSQL from inlining, so each draw is computed once per row.
    """
    r, arrears = plan.rand, plan.arrears_client_id
    spike = literal(plan.kyc_spike_start)
    return f"""(
        SELECT d.*,
            (NOT d.abandoned AND d.id <> {arrears} AND {r.lds('d.id', 'client.reject')}
                < CASE WHEN d.decision_at >= {spike} THEN {SPIKE_REJECTION_SHARE} ELSE {NORMAL_REJECTION_SHARE} END
            ) AS rejected,
            CASE WHEN d.id <> {arrears} AND {r.u('d.id', 'client.block')} < {BLOCK_SHARE}
                THEN d.decision_at + {r.seconds('d.id', 'client.blocked', 60 * 86400, 0.8)} END AS blocked_at
        FROM (
            SELECT k.*, k.kyc_at + {r.seconds('k.id', 'client.decision', 5 * 3600, 1.0)} AS decision_at
            FROM (
                SELECT src.*,
                    (src.id <> {arrears} AND {r.u('src.id', 'client.abandon')} < {ABANDON_SHARE}) AS abandoned,
                    src.created + {r.seconds('src.id', 'client.kyc', 1200, 1.0)} AS kyc_at
                FROM {source} AS src OFFSET 0
            ) AS k OFFSET 0
        ) AS d OFFSET 0
    )"""


def _state_as_of(at: datetime) -> str:
    t = literal(at)
    return (
        f"CASE WHEN e.abandoned OR e.kyc_at > {t} THEN 'created'"
        f" WHEN e.decision_at > {t} THEN 'kyc_pending'"
        f" WHEN e.rejected THEN 'rejected'"
        f" WHEN e.blocked_at <= {t} THEN 'blocked'"
        f" ELSE 'approved' END"
    )


def _last_event_as_of(at: datetime) -> str:
    t = literal(at)
    return (
        f"CASE WHEN e.abandoned OR e.kyc_at > {t} THEN e.created"
        f" WHEN e.decision_at > {t} THEN e.kyc_at"
        f" WHEN NOT e.rejected AND e.blocked_at <= {t} THEN e.blocked_at"
        f" ELSE e.decision_at END"
    )


def insert_profiles(conn: psycopg.Connection, plan: Plan, source: str, *, at: datetime) -> None:
    """Client rows for ``source`` (id, created) in their state as of ``at``."""
    r, arrears = plan.rand, plan.arrears_client_id
    first = r.pick("e.id", "client.first", _uniform(_FIRST))
    last = r.pick("e.id", "client.last", _uniform(_LAST))
    business = f"(e.id = {arrears} OR {r.u('e.id', 'client.business')} < {BUSINESS_SHARE})"
    company = (
        f"CASE WHEN e.id = {arrears} THEN {literal(ARREARS_COMPANY)}"
        f" WHEN {business} THEN {r.pick('e.id', 'company.a', _uniform(_COMPANY_WORDS))}"
        f" || ' ' || {r.pick('e.id', 'company.b', _uniform(_COMPANY_TRADES))}"
        f" || ' ' || {r.pick('e.id', 'company.c', _uniform(_COMPANY_FORMS))} END"
    )
    conn.execute(
        f"""
        INSERT INTO core.client_profile (id, profile_type, full_name, email, phone, birth_date,
            company_name, country, profile_state, create_time, update_time)
        SELECT e.id,
            CASE WHEN {business} THEN 'business' ELSE 'individual' END,
            {first} || ' ' || {last},
            lower(replace({first} || '.' || {last}, ' ', '')) || e.id || '@example.com',
            '+372 5' || lpad(floor({r.u('e.id', 'client.phone')} * 10000000)::bigint::text, 7, '0'),
            date '1950-01-01' + floor({r.u('e.id', 'client.birth')} * 19000)::int,
            {company},
            {r.pick('e.id', 'client.country', _COUNTRIES)},
            {_state_as_of(at)},
            e.created,
            {_last_event_as_of(at)}
        FROM {events(plan, source)} AS e
        """
    )


def insert_state_log(
    conn: psycopg.Connection, plan: Plan, source: str, *, after: datetime | None, until: datetime
) -> None:
    """State-log rows for onboarding events in (after, until]; bulk rows get ids derived from the client id."""
    id_column, id_value = ("id, ", "e.id * 4 + v.k, ") if after is None else ("", "")
    lower = "" if after is None else f" AND v.ts > {literal(after)}"
    conn.execute(
        f"""
        INSERT INTO core.client_profile_state_log ({id_column}client_profile_id, profile_state, "timestamp")
        SELECT {id_value}e.id, v.state, v.ts
        FROM {events(plan, source)} AS e
        CROSS JOIN LATERAL (VALUES
            (0, 'created', e.created),
            (1, 'kyc_pending', CASE WHEN NOT e.abandoned THEN e.kyc_at END),
            (2, CASE WHEN e.rejected THEN 'rejected' ELSE 'approved' END,
                CASE WHEN NOT e.abandoned THEN e.decision_at END),
            (3, 'blocked', CASE WHEN NOT e.abandoned AND NOT e.rejected THEN e.blocked_at END)
        ) AS v(k, state, ts)
        WHERE v.ts <= {literal(until)}{lower}
        {"" if after is None else "ORDER BY v.ts"}
        """
    )


def build(conn: psycopg.Connection, plan: Plan) -> None:
    """Every client: the established base before the window, then onboarding inside it."""
    n_old = plan.n_clients_before_window
    old_start = plan.start - HISTORY_BEFORE_WINDOW
    step = HISTORY_BEFORE_WINDOW.total_seconds() / n_old
    old = (
        f"(SELECT i AS id, {literal(old_start)} + (i - 1 + {plan.rand.u('i', 'client.old')})"
        f" * interval '{step!r} seconds' AS created FROM generate_series(1, {n_old}) AS i)"
    )
    rate = volume.rate_per_hour(conn, plan, volume.ONBOARDING, "clients", plan.n_clients - n_old)
    volume.create_buckets(
        conn, "client_buckets", plan=plan, shape=volume.ONBOARDING, stream="clients",
        rate=rate, start=plan.start, end=plan.now, first_id=n_old + 1,
    )
    new = volume.expand("client_buckets", plan.rand, "client.t")
    for source in (old, new):
        insert_profiles(conn, plan, source, at=plan.now)
    insert_state_log(conn, plan, "(SELECT id, create_time AS created FROM core.client_profile)", after=None, until=plan.now)


def create_roster(conn: psycopg.Connection) -> None:
    """Temp table ``roster`` (rank, id, approved_at, business) of approved clients in approval order."""
    conn.execute("DROP TABLE IF EXISTS pg_temp.roster")
    conn.execute(
        """
        CREATE TEMP TABLE roster AS
        SELECT row_number() OVER (ORDER BY l."timestamp", l.client_profile_id) AS rank,
               l.client_profile_id AS id, l."timestamp" AS approved_at,
               (c.profile_type = 'business') AS business
        FROM core.client_profile_state_log AS l
        JOIN core.client_profile AS c ON c.id = l.client_profile_id
        WHERE l.profile_state = 'approved'
        """
    )
    _index_roster(conn)


def live(conn: psycopg.Connection, plan: Plan, *, after: datetime, until: datetime, first_id: int) -> None:
    """Onboard the clients created in (after, until] and move existing ones along their lifecycle."""
    rate = volume.rate_per_hour(conn, plan, volume.ONBOARDING, "clients", plan.n_clients - plan.n_clients_before_window)
    created = volume.create_buckets(
        conn, "client_buckets", plan=plan, shape=volume.ONBOARDING, stream="clients",
        rate=rate, start=after, end=until, first_id=first_id,
    )
    # Approved clients only change when drawn to be blocked: test that draw first, it is cheap.
    moving = (
        f"(SELECT id, create_time AS created FROM core.client_profile"
        f" WHERE id < {first_id} AND (profile_state IN ('created', 'kyc_pending') OR (profile_state = 'approved'"
        f" AND {plan.rand.u('id', 'client.block')} < {BLOCK_SHARE})))"
    )
    insert_state_log(conn, plan, moving, after=after, until=until)
    conn.execute(
        f"""
        UPDATE core.client_profile AS c SET profile_state = s.state, update_time = {literal(until)}
        FROM (SELECT e.id, {_state_as_of(until)} AS state FROM {events(plan, moving)} AS e) AS s
        WHERE s.id = c.id AND s.state <> c.profile_state
        """
    )
    if created:
        insert_profiles(conn, plan, volume.expand("client_buckets", plan.rand, "client.t"), at=until)
        fresh = f"(SELECT id, create_time AS created FROM core.client_profile WHERE id >= {first_id})"
        insert_state_log(conn, plan, fresh, after=after, until=until)


def load_roster(conn: psycopg.Connection, rows: list[tuple[int, datetime, bool]]) -> None:
    """Temp table ``roster`` in another source database, from the approved clients of webbank."""
    conn.execute("DROP TABLE IF EXISTS pg_temp.roster")
    conn.execute("CREATE TEMP TABLE roster (rank bigint, id bigint, approved_at timestamptz, business boolean)")
    with conn.cursor().copy("COPY roster (rank, id, approved_at, business) FROM STDIN") as copy:
        for rank, (client_id, approved_at, business) in enumerate(rows, start=1):
            copy.write_row((rank, client_id, approved_at, business))
    _index_roster(conn)


def _index_roster(conn: psycopg.Connection) -> None:
    # Generators pick a client by rank and count the roster by approval time.
    conn.execute("CREATE UNIQUE INDEX ON roster (rank)")
    conn.execute("CREATE INDEX ON roster (approved_at)")
    conn.execute("ANALYZE roster")
