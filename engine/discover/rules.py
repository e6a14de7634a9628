"""Candidate rules: the metrics a data person would write first, from a table's profile.

Each rule is a small function ``(profile) -> list[Candidate]``; a candidate is
a complete metric (header + value SQL + ``history_sql``), so the backtest runs
exactly what a promotion would put on the wall. Days are UTC days; every
history reaches ``HISTORY_DAYS`` back, so the backtest sees incidents that
began months ago.

How each family of rule is judged (a band or lines from history) is one named constant below: a rule
never spells its benchmark inline, so moving a family to another benchmark
kind is a change of one line here.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.discover.profile import TableProfile, quote

HISTORY_DAYS = 180
BUSY_ROWS_PER_DAY = 100  # a table this busy is judged per 24 h; quieter ones per 7 d
FEED_ROWS_PER_DAY = 24  # a table that gets rows around the clock is a feed whose lag matters
RARE_SHARE = 0.02
QUEUE_WARMUP_DAYS = 14  # a flag set (or an amount non-zero) on fewer rows than this marks an exception

MAD_SCALE = 1.4826  # MAD × 1.4826 estimates σ for normal noise
AMBER_SIGMAS, RED_SIGMAS = 3.0, 5.0


def robust_lines(direction: str, values: list[float]) -> tuple[float | None, float | None]:
    """Amber and red lines on the bad side of the history's median, 3 and 5 robust σ (MAD × 1.4826) away.

    The median and the MAD ignore a short incident inside the history, and a line judges one side
    only: a day that is unusually *good* is not an alarm.
    """
    clean = sorted(v for v in values if v is not None)
    if len(clean) < 14:
        return None, None
    if clean[0] == clean[-1]:
        return None, None  # a constant: nothing to judge (two timestamps always equal, say)
    median = statistics.median(clean)
    spread = MAD_SCALE * statistics.median(abs(v - median) for v in clean)
    spread = max(spread, 0.01 * abs(median), 1e-9)  # a flat history still leaves room for noise
    sign = 1.0 if direction == "lower_is_better" else -1.0
    return (round(median + sign * AMBER_SIGMAS * spread, 4), round(median + sign * RED_SIGMAS * spread, 4))


@dataclass(frozen=True)
class Judge:
    """How a family of candidates is judged: a benchmark band (a header's `benchmark:`) or lines the
    proposal draws from the history (`norm:`/`alert:`, written into the file)."""

    benchmark: dict[str, Any] | None = None
    lines: Callable[[str, list[float]], tuple[float | None, float | None]] | None = None


# The judge of each family, one line each: a volume is two-sided by nature (a drop and a flood both
# matter), so it gets a band; a share, a backlog, a duration or a ratio is bad on one side only.
VOLUME_JUDGE = Judge(benchmark={"kind": "rolling_stat", "window_days": 28})
SHARE_JUDGE = Judge(lines=robust_lines)
BACKLOG_JUDGE = Judge(lines=robust_lines)
DURATION_JUDGE = Judge(lines=robust_lines)
MONEY_JUDGE = Judge(benchmark={"kind": "rolling_stat", "window_days": 28})
RATIO_JUDGE = Judge(lines=robust_lines)

BAD_STATE = re.compile(r"declin|reject|fail|error|cancel|refus|block|fraud|chargeback|revers|expire|lost|stolen|suspend")
OPEN_STATE = re.compile(r"^(open|pending|processing|in_review|submitted|new|waiting|queued|created)$")

# The first day of history and the day boundaries, as SQL on the marts (UTC days).
TODAY = "(now() AT TIME ZONE 'UTC')::date"
START = f"(({TODAY} - {HISTORY_DAYS}) AT TIME ZONE 'UTC')"
DAYS = (f"SELECT d::date AS day FROM generate_series({TODAY} - {HISTORY_DAYS}, {TODAY} - 1, interval '1 day') AS d")


@dataclass
class Candidate:
    """One proposed metric: the header fields, the value SQL and the history SQL."""

    id: str
    rule: str
    name: str
    how_to_read: str
    methodology: str
    source: str
    table: str  # schema.table it reads
    period: str
    unit: str
    direction: str
    value_sql: str
    history_sql: str
    benchmark: dict[str, Any] | None = None
    norm: float | None = None
    alert: float | None = None
    currency: str | None = None
    tags: list[str] = field(default_factory=list)
    # Lines drawn from the history (freshness, robust lines): called with the direction and the past values.
    lines_from_history: Callable[[str, list[float]], tuple[float | None, float | None]] | None = None

    def judged_by(self, judge: Judge) -> "Candidate":
        self.benchmark = dict(judge.benchmark) if judge.benchmark else None
        self.lines_from_history = judge.lines
        if judge.lines is robust_lines:
            self.methodology += (f" Lines proposed from the history: amber {AMBER_SIGMAS:g} and red {RED_SIGMAS:g} "
                                 "robust σ (MAD × 1.4826) from its median, on the bad side only.")
        elif self.benchmark:
            self.methodology += (f" Band: {self.benchmark['kind']} over {self.benchmark.get('window_days', 28)} "
                                 "days.")
        return self

    @property
    def source_table(self) -> str:
        """``source.schema.table``, as incident catalogues name tables."""
        return f"{self.source}.{self.table.split('.', 1)[1]}"

    def header(self) -> dict[str, Any]:
        """The metric file header, in the order docs/metrics.md lists the keys."""
        header: dict[str, Any] = {
            "name": self.name, "how_to_read": self.how_to_read, "methodology": self.methodology,
            "sources": [self.source], "period": self.period, "unit": self.unit,
        }
        if self.currency:
            header["currency"] = self.currency
        header["direction"] = self.direction
        if self.norm is not None:
            header["norm"] = self.norm
        if self.alert is not None:
            header["alert"] = self.alert
        header["benchmark"] = self.benchmark or "none"
        header["tags"] = ["discovered", self.rule, *self.tags]
        header["history_sql"] = self.history_sql
        header["state"] = "proposed"
        return header


def _id(*parts: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", "_".join(parts).lower()).strip("_")[:62]


def _day(column: str, profile: TableProfile) -> str:
    """The UTC day of a time column (a date column is its own day)."""
    col = f"t.{quote(column)}"
    return col if profile.columns[column].data_type == "date" else f"({col} AT TIME ZONE 'UTC')::date"


def _window(profile: TableProfile) -> tuple[str, str, int]:
    """(period, interval, days) a table is judged over: 24 h when busy, else 7 d."""
    if profile.rows_per_day >= BUSY_ROWS_PER_DAY:
        return "24h", "24 hours", 1
    return "7d", "7 days", 7


def _daily(profile: TableProfile, day_column: str, aggregates: str, where: str = "") -> str:
    """History SQL skeleton: per-day aggregates of the table, zero-filled over HISTORY_DAYS."""
    return (
        f"WITH days AS ({DAYS}),\n"
        f"per_day AS (\n"
        f"    SELECT {_day(day_column, profile)} AS day, {aggregates}\n"
        f"    FROM {profile.qualified} AS t\n"
        f"    WHERE t.{quote(day_column)} >= {START}{where}\n"
        f"    GROUP BY 1\n"
        f")"
    )


def _warm(days: int, column: str = "days.day") -> str:
    """Leave out the first days of a rolled history: their window reaches before the history's start."""
    return f"{column} >= {TODAY} - {HISTORY_DAYS - days + 1}"


def _rolled(expr_by_window: str, days: int) -> str:
    return expr_by_window if days == 1 else f"sum({expr_by_window}) OVER (ORDER BY days.day ROWS {days - 1} PRECEDING)"


def volume(profile: TableProfile) -> list[Candidate]:
    """Rows created per 24 h (busy tables) or 7 d (quiet ones): an event table's pulse.

    A drop means the system upstream stopped doing its job (or stopped telling us); a spike,
    a flood worth a look. Judged against its own band.
    """
    if not profile.created or profile.lookup or profile.rows_per_day < 1:
        return []
    period, interval, days = _window(profile)
    created = profile.created
    rolled = "coalesce(per_day.n, 0)" if days == 1 else \
        f"sum(coalesce(per_day.n, 0)) OVER (ORDER BY days.day ROWS {days - 1} PRECEDING)"
    history = (
        _daily(profile, created, "count(*) AS n") + ",\n"
        f"first AS (SELECT min(day) AS day FROM per_day)\n"
        f"SELECT days.day, {rolled} AS value\n"
        f"FROM days LEFT JOIN per_day ON per_day.day = days.day CROSS JOIN first\n"
        f"WHERE days.day >= first.day + {days - 1}\nORDER BY days.day"
    )
    return [Candidate(
        id=_id(profile.table, "rows", period), rule="volume",
        name=f"{profile.table.replace('_', ' ').capitalize()} rows ({period})"[:80],
        how_to_read=(f"New rows in {profile.qualified} over the last {interval}. Far below its usual band: the "
                     f"system behind it stopped recording (or stopped sending) {profile.table} rows; far above: a "
                     "flood or a duplicate load. Check the source system first."),
        methodology=(f"count(*) of rows whose {created} lies in the last {interval}. History: the same count per "
                     f"UTC day{'' if days == 1 else ' summed over 7 days'}. Proposed by the volume rule."),
        source=profile.source, table=profile.qualified, period=period, unit="count", direction="higher_is_better",
        value_sql=(f"SELECT count(*)\nFROM {profile.qualified} AS t\n"
                   f"WHERE t.{quote(created)} >= now() - interval '{interval}'"),
        history_sql=history,
    ).judged_by(VOLUME_JUDGE)]


def _state_expr(profile: TableProfile, column: str) -> tuple[str, str, Callable[[str], str]]:
    """(join, label expression, literal) for a state column, through its lookup table when it has one."""
    col = profile.states[column]
    if col.labels:
        join = f"\nJOIN {profile.schema}.{quote(col.references or '')} AS l ON l.id = t.{quote(column)}"
        return join, f"l.{quote(col.label_column)}", lambda v: "'" + v.replace("'", "''") + "'"
    if col.data_type == "boolean":
        return "", f"t.{quote(column)}", lambda v: "true" if v in ("True", "true") else "false"
    return "", f"t.{quote(column)}", lambda v: "'" + v.replace("'", "''") + "'"


def state_share(profile: TableProfile) -> list[Candidate]:
    """Share of recent rows in a bad-sounding state (declined, rejected, failed…), one per such state.

    The approval-rate family: a payment rail declining good payments, a vendor rejecting good
    clients. Only states whose name says they are bad are proposed, so the direction is known.
    """
    if not profile.created or profile.lookup or profile.rows_per_day < 5:
        return []
    period, interval, days = _window(profile)
    candidates = []
    for column, col in profile.states.items():
        if col.data_type == "boolean":
            continue
        for value in col.values:
            label = col.labels.get(value, value) if col.labels else value
            if not BAD_STATE.search(label):
                continue
            join, expr, lit = _state_expr(profile, column)
            match = f"{expr} = {lit(label)}"
            share = "100.0 * count(*) FILTER (WHERE {m}) / nullif(count(*), 0)"
            history = (
                f"WITH days AS ({DAYS}),\n"
                f"per_day AS (\n"
                f"    SELECT {_day(profile.created, profile)} AS day, count(*) AS n,\n"
                f"           count(*) FILTER (WHERE {match}) AS hit\n"
                f"    FROM {profile.qualified} AS t{join}\n"
                f"    WHERE t.{quote(profile.created)} >= {START}\n"
                f"    GROUP BY 1\n"
                f"), rolled AS (\n"
                f"    SELECT days.day, {_rolled('coalesce(per_day.hit, 0)', days)} AS hit,\n"
                f"           {_rolled('coalesce(per_day.n, 0)', days)} AS n\n"
                f"    FROM days LEFT JOIN per_day ON per_day.day = days.day\n"
                f")\n"
                f"SELECT day, 100.0 * hit / nullif(n, 0) AS value FROM rolled WHERE {_warm(days, 'day')} ORDER BY day"
            )
            candidates.append(Candidate(
                id=_id(profile.table, column.removesuffix("_id"), label, "share", period), rule="state_share",
                name=f"{profile.table.replace('_', ' ').capitalize()} {label} share ({period})"[:80],
                how_to_read=(f"Share of {profile.table} rows created in the last {interval} whose {column} is "
                             f"'{label}'. Far above its usual level: more {label} than normal — a rule, a vendor or "
                             "a rail is turning good cases away. Look at the recent ones first."),
                methodology=(f"{label} rows / all rows created in the last {interval}, in percent"
                             f"{' (' + column + ' read through ' + (col.references or '') + ')' if col.labels else ''}."
                             f" History: the same share per UTC day{'' if days == 1 else ' over 7 days'}. "
                             "Proposed by the state-share rule."),
                source=profile.source, table=profile.qualified, period=period, unit="percent",
                direction="lower_is_better",
                value_sql=(f"SELECT {share.format(m=match)}\nFROM {profile.qualified} AS t{join}\n"
                           f"WHERE t.{quote(profile.created)} >= now() - interval '{interval}'"),
                history_sql=history, tags=[column],
            ).judged_by(SHARE_JUDGE))
    return candidates


def _hours_to_close(p95_hours: float) -> int:
    """N of an ageing backlog: the p95 time to close, rounded up to whole days (at least one)."""
    return max(24, 24 * -(-int(p95_hours) // 24))


def ageing_backlog(profile: TableProfile) -> list[Candidate]:
    """Rows still open (no closing timestamp) older than N hours, N the usual time to close.

    A queue that is not being worked: each day adds rows that should have been closed. Two N: the
    median time to close (the queue stalls: seen within a day or two) and the p95 (rows truly stuck).
    History rebuilds the aged backlog at each day's end from the creation and closing timestamps.
    """
    if not profile.created or profile.lookup:
        return []
    created = profile.created
    candidates = []
    ages = sorted({(_hours_to_close(p), terminal) for terminal, quantiles in profile.close_hours.items()
                   for p in quantiles})
    for hours, terminal in ages:
        aged = f"(t.{quote(created)} + interval '{hours} hours')"
        history = (
            f"WITH moves AS (\n"
            f"    SELECT ({aged} AT TIME ZONE 'UTC')::date AS day, 1 AS delta\n"
            f"    FROM {profile.qualified} AS t\n"
            f"    WHERE t.{quote(terminal)} IS NULL OR t.{quote(terminal)} > {aged}\n"
            f"    UNION ALL\n"
            f"    SELECT (t.{quote(terminal)} AT TIME ZONE 'UTC')::date, -1\n"
            f"    FROM {profile.qualified} AS t\n"
            f"    WHERE t.{quote(terminal)} > {aged}\n"
            f"), daily AS (SELECT day, sum(delta) AS delta FROM moves GROUP BY day),\n"
            f"days AS ({DAYS}),\n"
            f"before AS (SELECT coalesce(sum(delta), 0) AS aged FROM daily WHERE day < {TODAY} - {HISTORY_DAYS})\n"
            f"SELECT days.day, before.aged + sum(coalesce(daily.delta, 0)) OVER (ORDER BY days.day) AS value\n"
            f"FROM days LEFT JOIN daily ON daily.day = days.day CROSS JOIN before\n"
            f"ORDER BY days.day"
        )
        open_name = terminal.rsplit("_", 1)[0]
        candidates.append(Candidate(
            id=_id(profile.table, "not", open_name, "over", f"{hours}h"), rule="ageing_backlog",
            name=f"{profile.table.replace('_', ' ').capitalize()} not {open_name} after {hours} h"[:80],
            how_to_read=(f"{profile.table} rows created more than {hours} hours ago and still without {terminal}. "
                         f"{hours} h is about the time most of them take; above its usual level, the queue is not being "
                         "worked and every day adds to it. Ask the team that closes them for their throughput."),
            methodology=(f"count(*) of rows with {terminal} IS NULL and {created} older than {hours} h (the p50 or "
                         f"p95 of {created} → {terminal} over the last 28 days, rounded up to days). History: the aged "
                         "backlog at each UTC day's end, from running sums of rows ageing in and closing. "
                         "Proposed by the ageing-backlog rule."),
            source=profile.source, table=profile.qualified, period="snapshot", unit="count",
            direction="lower_is_better",
            value_sql=(f"SELECT count(*)\nFROM {profile.qualified} AS t\n"
                       f"WHERE t.{quote(terminal)} IS NULL AND t.{quote(created)} < now() - interval '{hours} hours'"),
            history_sql=history, tags=[terminal],
        ).judged_by(BACKLOG_JUDGE))
    return candidates


def time_between(profile: TableProfile) -> list[Candidate]:
    """p50 and p95 of the time from a row's creation to its closing timestamp, over the last 24 h of closings.

    Slower decisions show here before they show as a backlog. Busy tables only: a percentile over
    rolling 7-day windows of a quiet table costs a scan per day and says little a backlog does not.
    """
    if not profile.created or profile.lookup or profile.rows_per_day < BUSY_ROWS_PER_DAY:
        return []
    created = profile.created
    candidates = []
    for terminal in profile.terminal:
        if profile.columns[terminal].data_type == "date" or profile.columns[created].data_type == "date":
            continue
        period, interval, days = _window(profile)
        seconds = f"extract(epoch FROM t.{quote(terminal)} - t.{quote(created)})"
        for pct, q in (("p50", 0.5), ("p95", 0.95)):
            if days == 1:
                history = (
                    f"SELECT ({f't.{quote(terminal)}'} AT TIME ZONE 'UTC')::date AS day,\n"
                    f"       percentile_cont({q}) WITHIN GROUP (ORDER BY {seconds}) AS value\n"
                    f"FROM {profile.qualified} AS t\n"
                    f"WHERE t.{quote(terminal)} >= {START} AND t.{quote(terminal)} < {TODAY}::timestamp AT TIME ZONE 'UTC'\n"
                    f"GROUP BY 1 ORDER BY 1"
                )
            else:
                history = (
                    f"WITH days AS ({DAYS})\n"
                    f"SELECT days.day, percentile_cont({q}) WITHIN GROUP (ORDER BY {seconds}) AS value\n"
                    f"FROM days JOIN {profile.qualified} AS t\n"
                    f"  ON t.{quote(terminal)} >= (days.day - 6)::timestamp AT TIME ZONE 'UTC'\n"
                    f" AND t.{quote(terminal)} < (days.day + 1)::timestamp AT TIME ZONE 'UTC'\n"
                    f"GROUP BY days.day ORDER BY days.day"
                )
            candidates.append(Candidate(
                id=_id(profile.table, created, "to", terminal, pct, period), rule="time_between",
                name=f"{profile.table.replace('_', ' ').capitalize()} time to {terminal.rsplit('_', 1)[0]} {pct} ({period})"[:80],
                how_to_read=(f"How long {profile.table} rows closed in the last {interval} took from {created} to "
                             f"{terminal} ({'median' if pct == 'p50' else 'slow tail, 95th percentile'}). Above its usual "
                             "level: decisions are slowing down; a backlog follows."),
                methodology=(f"percentile_cont({q}) of {terminal} − {created}, in seconds, over rows whose "
                             f"{terminal} lies in the last {interval}. History: the same per UTC day of {terminal}"
                             f"{'' if days == 1 else ' over 7 days'}. Proposed by the time-between rule."),
                source=profile.source, table=profile.qualified, period=period, unit="seconds",
                direction="lower_is_better",
                value_sql=(f"SELECT percentile_cont({q}) WITHIN GROUP (ORDER BY {seconds})\n"
                           f"FROM {profile.qualified} AS t\n"
                           f"WHERE t.{quote(terminal)} >= now() - interval '{interval}'"),
                history_sql=history, tags=[terminal],
            ).judged_by(DURATION_JUDGE))
    return candidates


def _lag_lines(direction: str, values: list[float]) -> tuple[float | None, float | None]:
    """Amber at 3× the usual day-end lag (at least 1 h), red at 6× (at least 6 h): a median, so a past
    outage does not move the lines."""
    clean = sorted(v for v in values if v is not None)
    if not clean:
        return None, None
    median = clean[len(clean) // 2]
    norm = max(3 * median, 3600.0)
    return round(norm), round(max(6 * median, 21600.0, 2 * norm))


def freshness(profile: TableProfile) -> list[Candidate]:
    """Age of the newest row: a feed that stops still syncs fine, only its data can tell.

    Proposed for tables that get rows around the clock (or a daily date column). Lines, not a band:
    the lag of a healthy feed is nearly constant, so a band would be a hair's width; the proposal draws
    them at 3× and 6× the usual lag seen in the history (its median, which an outage does not move).
    """
    column = profile.created
    if not column or profile.lookup or profile.rows_per_day < (1 if profile.columns[column].data_type == "date"
                                                                else FEED_ROWS_PER_DAY):
        return []
    is_date = profile.columns[column].data_type == "date"
    newest = f"max(t.{quote(column)})" + ("::timestamp AT TIME ZONE 'UTC'" if is_date else "")
    history = (
        f"WITH days AS ({DAYS}),\n"
        f"per_day AS (\n"
        f"    SELECT {_day(column, profile)} AS day, {newest} AS newest\n"
        f"    FROM {profile.qualified} AS t\n"
        f"    WHERE t.{quote(column)} >= {START} - interval '30 days'\n"
        f"    GROUP BY 1\n"
        f"), running AS (\n"
        f"    SELECT days.day, max(per_day.newest) OVER (ORDER BY days.day) AS newest\n"
        f"    FROM days LEFT JOIN per_day ON per_day.day = days.day\n"
        f")\n"
        f"SELECT day, extract(epoch FROM ((day + 1)::timestamp AT TIME ZONE 'UTC') - newest) AS value\n"
        f"FROM running WHERE newest IS NOT NULL ORDER BY day"
    )
    return [Candidate(
        id=_id(profile.table, "feed_lag"), rule="freshness",
        name=f"{profile.table.replace('_', ' ').capitalize()} feed lag"[:80],
        how_to_read=(f"Time since the newest {profile.table} row ({column}). A healthy feed keeps this near its "
                     "usual lag; past the red line the feed has stopped and every number built on it is missing "
                     "the latest rows. Stale, not bad: call the system's owner and check its ingest."),
        methodology=(f"now() − max({column}), in seconds. History: the lag at each UTC day's end. Lines proposed "
                     "from the history: amber at 3× its median day-end lag (at least 1 h), red at 6× (at least "
                     "6 h). Proposed by the freshness rule."),
        source=profile.source, table=profile.qualified, period="snapshot", unit="seconds",
        direction="lower_is_better",
        value_sql=f"SELECT extract(epoch FROM now() - {newest})\nFROM {profile.qualified} AS t",
        history_sql=history, benchmark=None, lines_from_history=_lag_lines, tags=[column],
    )]


def _open_exceptions(profile: TableProfile, aggregate: str, condition: str, when: str) -> tuple[str, str, str]:
    """(closing column, value SQL, history SQL) of an exception counted on rows still open: a snapshot that
    stays up while the exception is unresolved, instead of a window that forgets it after 30 days."""
    terminal = profile.terminal[0]
    value = (f"SELECT coalesce({aggregate}, 0)\nFROM {profile.qualified} AS t\n"
             f"WHERE {condition} AND t.{quote(terminal)} IS NULL")
    history = (
        f"WITH days AS ({DAYS}),\n"
        f"per_day AS (\n"
        f"    SELECT days.day, {aggregate} AS total\n"
        f"    FROM days JOIN {profile.qualified} AS t\n"
        f"      ON t.{quote(when)} < (days.day + 1)::timestamp AT TIME ZONE 'UTC'\n"
        f"     AND (t.{quote(terminal)} IS NULL OR t.{quote(terminal)} >= (days.day + 1)::timestamp AT TIME ZONE 'UTC')\n"
        f"    WHERE {condition}\n"
        f"    GROUP BY days.day\n"
        f")\n"
        f"SELECT days.day, coalesce(per_day.total, 0) AS value\n"
        f"FROM days LEFT JOIN per_day ON per_day.day = days.day ORDER BY days.day"
    )
    return terminal, value, history


def money_sum(profile: TableProfile) -> list[Candidate]:
    """Sum of each money column per 7 d (busy tables) or 30 d, in the table's main currency.

    A column that is zero on nearly every row is an exception amount (money written off, covered,
    refunded): it gets a red line at 1 instead of a band, because a band cannot learn from zeros.
    """
    if not profile.created or profile.lookup:
        return []
    candidates = []
    for column, currency in profile.money.items():
        if not currency:
            continue
        rare = profile.columns[column].values.get("0", 0.0) >= 1 - RARE_SHARE
        when = profile.updated if rare and profile.updated else profile.created
        in_currency = f" AND t.{quote(profile.currency_column)} = '{currency}'" if profile.currency_column else ""
        if rare and profile.terminal:
            terminal, value_sql, history = _open_exceptions(
                profile, f"sum(t.{quote(column)})", f"t.{quote(column)} <> 0{in_currency}", when)
            candidates.append(Candidate(
                id=_id(profile.table, column, "open"), rule="money_sum",
                name=f"{profile.table.replace('_', ' ').capitalize()} {column.replace('_', ' ')} on open rows"[:80],
                how_to_read=(f"Sum of {column} over {profile.table} rows still without {terminal}, in {currency}. "
                             f"{column} is zero on almost every row, so any amount is an exception someone must "
                             "explain, and it stays red until the rows are closed: red from the first euro."),
                methodology=(f"sum({column}) of rows with {terminal} IS NULL (non-zero amounts"
                             f"{', currency ' + currency if in_currency else ''}). History: the rows open at each "
                             f"UTC day's end whose {when} (when the amount was set) lies before it. Proposed by the "
                             "money-sum rule as an exception amount: a red line at 1, because a band cannot learn "
                             "from zeros."),
                source=profile.source, table=profile.qualified, period="snapshot", unit="money",
                currency=currency, direction="lower_is_better", value_sql=value_sql, history_sql=history,
                alert=1.0, tags=[column],
            ).judged_by(Judge()))
            continue
        period, interval, days = ("30d", "30 days", 30) if rare or profile.rows_per_day < BUSY_ROWS_PER_DAY \
            else ("7d", "7 days", 7)
        history = (
            _daily(profile, when, f"sum(t.{quote(column)}) AS total", in_currency) + "\n"
            f"SELECT days.day, {_rolled('coalesce(per_day.total, 0)', days)} AS value\n"
            f"FROM days LEFT JOIN per_day ON per_day.day = days.day WHERE {_warm(days)} ORDER BY days.day"
        )
        what = "exception amount" if rare else "money"
        candidates.append(Candidate(
            id=_id(profile.table, column, period), rule="money_sum",
            name=f"{profile.table.replace('_', ' ').capitalize()} {column.replace('_', ' ')} ({period})"[:80],
            how_to_read=(
                f"Sum of {column} over {profile.table} rows {'changed' if when == profile.updated else 'created'} "
                f"in the last {interval}, in {currency}. "
                + ("It is zero on almost every row, so any amount is an exception someone must explain: red from "
                   "the first euro." if rare else
                   "Far from its usual band: the money flowing through this table changed; check volumes first.")),
            methodology=(f"sum({column}) of rows whose {when} lies in the last {interval}"
                         f"{', currency ' + currency if in_currency else ''}. History: the same sum per UTC day, "
                         f"rolled over {days} days. Proposed by the money-sum rule as an {what}."),
            source=profile.source, table=profile.qualified, period=period, unit="money", currency=currency,
            direction="lower_is_better" if rare else "higher_is_better",
            value_sql=(f"SELECT coalesce(sum(t.{quote(column)}), 0)\nFROM {profile.qualified} AS t\n"
                       f"WHERE t.{quote(when)} >= now() - interval '{interval}'{in_currency}"),
            history_sql=history, alert=1.0 if rare else None, tags=[column],
        ).judged_by(Judge() if rare else MONEY_JUDGE))
    return candidates


def rare_flag(profile: TableProfile) -> list[Candidate]:
    """Rows on which a rarely set flag was set in the last 30 days: an exception, red from the first one."""
    if not profile.created or profile.lookup:
        return []
    when = profile.updated or profile.created
    candidates = []
    for column, col in profile.states.items():
        if col.data_type != "boolean" or not 0 < col.values.get("True", 0.0) < RARE_SHARE:
            continue
        if profile.terminal:
            terminal, value_sql, history = _open_exceptions(profile, "count(*)", f"t.{quote(column)}", when)
            candidates.append(Candidate(
                id=_id(profile.table, column, "open"), rule="rare_flag",
                name=f"{profile.table.replace('_', ' ').capitalize()} {column.replace('_', ' ')}, open"[:80],
                how_to_read=(f"{profile.table} rows with {column} set and still without {terminal}. The flag is set "
                             f"on under {RARE_SHARE:.0%} of rows, so each one is an exception someone should "
                             "explain, and it stays red until they are closed: red from the first."),
                methodology=(f"count(*) of rows with {column} true and {terminal} IS NULL. History: the rows open at "
                             f"each UTC day's end whose {when} lies before it. Proposed by the rare-flag rule."),
                source=profile.source, table=profile.qualified, period="snapshot", unit="count",
                direction="lower_is_better", value_sql=value_sql, history_sql=history, alert=1.0, tags=[column],
            ).judged_by(Judge()))
            continue
        history = (
            _daily(profile, when, "count(*) AS n", f" AND t.{quote(column)}") + "\n"
            f"SELECT days.day, {_rolled('coalesce(per_day.n, 0)', 30)} AS value\n"
            f"FROM days LEFT JOIN per_day ON per_day.day = days.day WHERE {_warm(30)} ORDER BY days.day"
        )
        candidates.append(Candidate(
            id=_id(profile.table, column, "30d"), rule="rare_flag",
            name=f"{profile.table.replace('_', ' ').capitalize()} {column.replace('_', ' ')} (30d)"[:80],
            how_to_read=(f"{profile.table} rows whose {column} was set in the last 30 days. It is set on under "
                         f"{RARE_SHARE:.0%} of rows, so each one is an exception someone should explain: red from "
                         "the first."),
            methodology=(f"count(*) of rows with {column} true and {when} in the last 30 days. History: the same "
                         "count per UTC day, rolled over 30 days. Proposed by the rare-flag rule."),
            source=profile.source, table=profile.qualified, period="30d", unit="count", direction="lower_is_better",
            value_sql=(f"SELECT count(*)\nFROM {profile.qualified} AS t\n"
                       f"WHERE t.{quote(column)} AND t.{quote(when)} >= now() - interval '30 days'"),
            history_sql=history, alert=1.0, tags=[column],
        ))
    return candidates


def closing_ratio(profile: TableProfile) -> list[Candidate]:
    """Rows closed per row opened over 7 days (closed_at vs created): below 100 % the queue grows.

    Both counts start a week before the history, so its first days compare full weeks too; the first
    two weeks of a table's data are left out (its queue is still filling: few rows are old enough to close).
    """
    if not profile.created or profile.lookup or profile.rows_per_day < 5:
        return []
    created = profile.created
    candidates = []
    for terminal in profile.terminal:
        history = (
            f"WITH days AS ({DAYS}),\n"
            f"opened AS (SELECT {_day(created, profile)} AS day, count(*) AS n FROM {profile.qualified} AS t\n"
            f"          WHERE t.{quote(created)} >= {START} - interval '7 days' GROUP BY 1),\n"
            f"closed AS (SELECT {_day(terminal, profile)} AS day, count(*) AS n FROM {profile.qualified} AS t\n"
            f"          WHERE t.{quote(terminal)} >= {START} - interval '7 days' GROUP BY 1),\n"
            f"rolled AS (\n"
            f"    SELECT days.day, {_rolled('coalesce(closed.n, 0)', 7)} AS closed,\n"
            f"           {_rolled('coalesce(opened.n, 0)', 7)} AS opened\n"
            f"    FROM days LEFT JOIN opened ON opened.day = days.day LEFT JOIN closed ON closed.day = days.day\n"
            f")\n"
            f"SELECT rolled.day, 100.0 * closed / nullif(opened, 0) AS value\n"
            f"FROM rolled CROSS JOIN (SELECT min(day) AS day FROM opened) AS first\n"
            f"WHERE {_warm(7, 'rolled.day')} AND rolled.day >= first.day + {QUEUE_WARMUP_DAYS}\nORDER BY rolled.day"
        )
        verb = terminal.rsplit("_", 1)[0]
        candidates.append(Candidate(
            id=_id(profile.table, verb, "per_opened_7d"), rule="ratio",
            name=f"{profile.table.replace('_', ' ').capitalize()} {verb} per opened (7d)"[:80],
            how_to_read=(f"{profile.table} rows {verb} in the last 7 days per row created, in percent. Around 100 % "
                         "the queue is steady; well below its usual level, fewer are finished than come in and a backlog "
                         "builds."),
            methodology=(f"count of rows with {terminal} in the last 7 days / count with {created} in the last 7 "
                         "days. History: the same ratio per UTC day over 7 days. Proposed by the ratio rule."),
            source=profile.source, table=profile.qualified, period="7d", unit="percent",
            direction="higher_is_better",
            value_sql=(f"SELECT 100.0 * count(*) FILTER (WHERE t.{quote(terminal)} >= now() - interval '7 days')\n"
                       f"       / nullif(count(*) FILTER (WHERE t.{quote(created)} >= now() - interval '7 days'), 0)\n"
                       f"FROM {profile.qualified} AS t\n"
                       f"WHERE t.{quote(terminal)} >= now() - interval '7 days'"
                       f" OR t.{quote(created)} >= now() - interval '7 days'"),
            history_sql=history, tags=[terminal],
        ).judged_by(RATIO_JUDGE))
    return candidates


RULES = (volume, state_share, ageing_backlog, time_between, freshness, money_sum, rare_flag, closing_ratio)


def candidates_for(profile: TableProfile) -> list[Candidate]:
    """Every rule's candidates for one table."""
    return [c for rule in RULES for c in rule(profile)]
