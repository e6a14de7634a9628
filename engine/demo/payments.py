"""Payments, their state log and the double-entry ledger (webbank ``core``), with the approval dip.

A payment's life is a pure function of (seed, id, type, create_time): when it
starts processing, when it is final, whether it is declined. The build writes
the state as of ``now``; live mode writes the events since the last tick.
"""

from __future__ import annotations

import random
from datetime import datetime

import psycopg

from engine.demo import clients, volume
from engine.demo.plan import Plan
from engine.demo.random_sql import literal

PAYMENT_TYPES = ((1, "incoming"), (2, "outgoing"), (3, "card_topup"), (4, "fee"))
PAYMENT_STATES = ((1, "pending"), (2, "processing"), (3, "approved"), (4, "declined"))
ENTRY_STATES = ((1, "pending"), (2, "posted"))
PENDING, PROCESSING, APPROVED, DECLINED = 1, 2, 3, 4
OUTGOING = 2

# Payment types come in blocks of 10 consecutive ids holding exactly this mix,
# each block in one of a few seeded orders. So every type has a running
# index, and a golden-ratio sequence over that index declines exactly the
# planted share in any window, even the ~30 outgoing payments of a test day.
_TYPE_COUNTS = ((1, 3), (2, 4), (3, 2), (4, 1))
_BLOCK = sum(count for _, count in _TYPE_COUNTS)
_ORDERS = 16
# Per type id (1..4): declined share, median seconds to processing, then to final.
_DECLINED = (0.01, 0.03, 0.04, 0.005)
DIP_DECLINED_OUTGOING = 0.15
_TO_PROCESSING = (2.0, 15.0, 3.0, 1.0)
_TO_FINAL = (3.0, 90.0, 8.0, 1.0)
# Per type id: median amount and its spread (log-normal sigma).
_AMOUNT_MEDIAN = (350.0, 180.0, 120.0, 4.5)
_AMOUNT_SIGMA = (1.3, 1.4, 1.0, 0.5)
_CURRENCIES = (("EUR", 72), ("USD", 10), ("GBP", 8), ("CHF", 4), ("PLN", 3), ("SEK", 3))
# Older clients pay more often: power > 1 skews the roster pick towards early ranks.
_SENDER_SKEW = 1.5


def _by_type(values: tuple[float, ...], type_id: str) -> str:
    return f"(ARRAY[{', '.join(repr(v) for v in values)}])[{type_id}]"


def _block_orders(seed: int) -> tuple[list[int], list[int]]:
    """Type and running rank within its type for each slot of each block order."""
    rng = random.Random(f"payment.types:{seed}")
    base = [type_id for type_id, count in _TYPE_COUNTS for _ in range(count)]
    types, ranks = [], []
    for _ in range(_ORDERS):
        order = base[:]
        rng.shuffle(order)
        for slot, type_id in enumerate(order):
            types.append(type_id)
            ranks.append(order[:slot].count(type_id))
    return types, ranks


def _typing(plan: Plan, id_sql: str) -> tuple[str, str]:
    """SQL for a payment's type and its running index among payments of that type."""
    types, ranks = _block_orders(plan.seed)
    block = f"(({id_sql}) / {_BLOCK})"
    slot = f"(floor({plan.rand.u(block, 'payment.order')} * {_ORDERS})::int * {_BLOCK} + ({id_sql}) % {_BLOCK} + 1)"
    type_id = f"(ARRAY[{', '.join(map(str, types))}])[{slot}]"
    counts = f"(ARRAY[{', '.join(str(count) for _, count in _TYPE_COUNTS)}])[{type_id}]"
    index = f"({counts} * {block} + (ARRAY[{', '.join(map(str, ranks))}])[{slot}])"
    return type_id, index


def events(plan: Plan, source: str) -> str:
    """Subquery: rows of ``source`` (id, created, type_id, ...) with proc_at, final_at, declined."""
    r = plan.rand
    _, type_index = _typing(plan, "s.id")
    declined_share = (
        f"CASE WHEN s.type_id = {OUTGOING} AND s.created >= {literal(plan.approval_dip_start)}"
        f" THEN {DIP_DECLINED_OUTGOING} ELSE {_by_type(_DECLINED, 's.type_id')} END"
    )
    return f"""(
        SELECT p.*, p.proc_at + {r.seconds('p.id', 'payment.final', _by_type(_TO_FINAL, 'p.type_id'), 1.1)} AS final_at
        FROM (
            SELECT s.*,
                s.created + {r.seconds('s.id', 'payment.proc', _by_type(_TO_PROCESSING, 's.type_id'), 0.9)} AS proc_at,
                ({r.lds(type_index, 'payment.declined')} < {declined_share}) AS declined
            FROM {source} AS s OFFSET 0
        ) AS p OFFSET 0
    )"""


def _state_as_of(at: datetime) -> str:
    t = literal(at)
    return (
        f"CASE WHEN e.final_at <= {t} THEN CASE WHEN e.declined THEN {DECLINED} ELSE {APPROVED} END"
        f" WHEN e.proc_at <= {t} THEN {PROCESSING} ELSE {PENDING} END"
    )


def _last_event_as_of(at: datetime) -> str:
    t = literal(at)
    return f"CASE WHEN e.final_at <= {t} THEN e.final_at WHEN e.proc_at <= {t} THEN e.proc_at ELSE e.created END"


def _stored(where: str) -> str:
    return (
        "(SELECT id, create_time AS created, type_id, amount, currency, sender_profile_id"
        f" FROM core.payment WHERE {where})"
    )


def _insert_new(conn: psycopg.Connection, plan: Plan, *, after: datetime, until: datetime, first_id: int) -> int:
    """Payments created in (after, until) by approved clients; returns how many."""
    rate = volume.rate_per_hour(conn, plan, volume.PAYMENTS, "payments", plan.n_payments)
    count = volume.create_buckets(
        conn, "payment_buckets", plan=plan, shape=volume.PAYMENTS, stream="payments",
        rate=rate, start=after, end=until, first_id=first_id,
    )
    if not count:
        return 0
    clients.create_roster(conn)
    volume.add_population(conn, "payment_buckets", "roster", "approved_at")
    r = plan.rand
    typed = (
        f"(SELECT g.*, {_typing(plan, 'g.id')[0]} AS type_id"
        f" FROM {volume.expand('payment_buckets', r, 'payment.t', ('m',))} AS g)"
    )
    amount = r.lognormal("e.id", "payment.amount", _by_type(_AMOUNT_MEDIAN, "e.type_id"), _by_type(_AMOUNT_SIGMA, "e.type_id"))
    conn.execute(
        f"""
        INSERT INTO core.payment (id, type_id, state_id, amount, currency, sender_profile_id, create_time, update_time)
        SELECT e.id, e.type_id, {_state_as_of(until)},
            round(least(greatest({amount}, 0.5), 250000)::numeric, 2),
            CASE WHEN e.type_id = 4 THEN 'EUR' ELSE {r.pick('e.id', 'payment.currency', _CURRENCIES)} END,
            ro.id, e.created, {_last_event_as_of(until)}
        FROM {events(plan, typed)} AS e
        JOIN roster AS ro ON ro.rank = 1 + floor(e.m * power({r.u('e.id', 'payment.sender')}, {_SENDER_SKEW}))::bigint
        """
    )
    return count


def _insert_state_log(conn: psycopg.Connection, plan: Plan, source: str, *, after: datetime | None, until: datetime) -> None:
    id_column, id_value = ("id, ", "e.id * 3 + v.k, ") if after is None else ("", "")
    lower = "" if after is None else f" AND v.ts > {literal(after)}"
    conn.execute(
        f"""
        INSERT INTO core.payment_state_log ({id_column}payment_id, state_id, "timestamp")
        SELECT {id_value}e.id, v.state_id, v.ts
        FROM {events(plan, source)} AS e
        CROSS JOIN LATERAL (VALUES
            (0, {PENDING}, e.created), (1, {PROCESSING}, e.proc_at),
            (2, CASE WHEN e.declined THEN {DECLINED} ELSE {APPROVED} END, e.final_at)
        ) AS v(k, state_id, ts)
        WHERE v.ts <= {literal(until)}{lower}
        {"" if after is None else "ORDER BY v.ts"}
        """
    )


def _posted_at(entry_payment_id: str, entry_created: str, plan: Plan) -> str:
    # Ledger legs post at the next settlement run, roughly half an hour after approval.
    return f"({entry_created} + {plan.rand.seconds(entry_payment_id, 'entry.posted', 1800, 0.8)})"


def _insert_entries(conn: psycopg.Connection, plan: Plan, source: str, *, after: datetime | None, until: datetime) -> None:
    """Two ledger legs per payment approved in (after, until]."""
    id_column, id_value = ("id, ", "e.id * 2 + v.k, ") if after is None else ("", "")
    lower = "" if after is None else f" AND e.final_at > {literal(after)}"
    posted = _posted_at("e.id", "e.final_at", plan)
    t = literal(until)
    conn.execute(
        f"""
        INSERT INTO core.entry ({id_column}payment_id, client_profile_id, account_code, direction, amount,
            currency, entry_state_id, create_time, update_time)
        SELECT {id_value}e.id, e.sender_profile_id, v.account, v.direction, e.amount, e.currency,
            CASE WHEN {posted} <= {t} THEN 2 ELSE 1 END, e.final_at,
            CASE WHEN {posted} <= {t} THEN {posted} ELSE e.final_at END
        FROM {events(plan, source)} AS e
        CROSS JOIN LATERAL (VALUES
            (0, 'debit', CASE e.type_id WHEN 1 THEN 'settlement' ELSE 'client_current' END),
            (1, 'credit', CASE e.type_id WHEN 1 THEN 'client_current' WHEN 2 THEN 'settlement'
                                         WHEN 3 THEN 'card_funding' ELSE 'fee_revenue' END)
        ) AS v(k, direction, account)
        WHERE NOT e.declined AND e.final_at <= {t}{lower}
        {"" if after is None else "ORDER BY e.final_at, e.id, v.k"}
        """
    )


def build(conn: psycopg.Connection, plan: Plan) -> None:
    """All payments of the window with their state log and ledger, as of ``plan.now``."""
    _insert_new(conn, plan, after=plan.start, until=plan.now, first_id=1)
    every = _stored("true")
    _insert_state_log(conn, plan, every, after=None, until=plan.now)
    _insert_entries(conn, plan, every, after=None, until=plan.now)


def live(conn: psycopg.Connection, plan: Plan, *, after: datetime, until: datetime, first_id: int) -> None:
    """Payments created in (after, until], and the state changes of unfinished ones."""
    moving = _stored(f"id < {first_id} AND state_id IN ({PENDING}, {PROCESSING})")
    _insert_state_log(conn, plan, moving, after=after, until=until)
    _insert_entries(conn, plan, moving, after=after, until=until)
    conn.execute(
        f"""
        UPDATE core.payment AS p SET state_id = s.state_id, update_time = {literal(until)}
        FROM (SELECT e.id, {_state_as_of(until)} AS state_id FROM {events(plan, moving)} AS e) AS s
        WHERE s.id = p.id AND s.state_id <> p.state_id
        """
    )
    posted = _posted_at("payment_id", "create_time", plan)
    conn.execute(
        f"UPDATE core.entry SET entry_state_id = 2, update_time = {literal(until)}"
        f" WHERE entry_state_id = 1 AND {posted} <= {literal(until)}"
    )
    if _insert_new(conn, plan, after=after, until=until, first_id=first_id):
        fresh = _stored(f"id >= {first_id}")
        _insert_state_log(conn, plan, fresh, after=after, until=until)
        _insert_entries(conn, plan, fresh, after=after, until=until)
