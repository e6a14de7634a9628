"""Daily currency rates (``currency_rate``), delivered two ways: a JSON API and a CSV drop folder.

The JSON file under ``files_dir/rates_api`` is what the REST server serves:
every published rate up to ``now``, a few of them revised the next morning
(so ``updated_since`` has something to find). The CSV drop folder gets one
file per day, but its feed stopped two days ago (the planted stale feed):
the newest file is two days old, by name and by modification time.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from engine.demo.plan import Plan

BASE = "EUR"
# Quote currency: (rate at the window start, daily volatility).
_QUOTES = {
    "USD": (1.08, 0.004), "GBP": (0.855, 0.003), "CHF": (0.955, 0.003), "PLN": (4.31, 0.004),
    "SEK": (11.45, 0.005), "NOK": (11.62, 0.005), "DKK": (7.4605, 0.0002), "CZK": (25.2, 0.003),
    "HUF": (395.0, 0.005),
}
PUBLISHED_AT = time(0, 5)  # rates for a day are published five past midnight UTC
REVISED_SHARE = 0.02
REVISED_AT = timedelta(days=1, hours=9)
CSV_DIR = "currency_rates"
API_DIR = "rates_api"
API_FILE = "rates.json"
CSV_HEADER = ("date", "base", "quote", "rate")


@dataclass(frozen=True)
class Rate:
    id: int
    date: str
    base: str
    quote: str
    rate: float
    updated_at: str


def published(day: date) -> datetime:
    return datetime.combine(day, PUBLISHED_AT, tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def daily_rates(plan: Plan) -> list[tuple[date, str, float]]:
    """(day, quote, rate) for every day published by ``plan.now``: a seeded random walk per quote."""
    rng = random.Random(f"currency_rate:{plan.seed}")
    days = []
    day = plan.start.date()
    while published(day) <= plan.now:
        days.append(day)
        day += timedelta(days=1)
    rows = []
    for quote, (level, volatility) in _QUOTES.items():
        log_rate = math.log(level)
        for day in days:
            log_rate += rng.gauss(0.0, volatility)
            rows.append((day, quote, round(math.exp(log_rate), 6)))
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def api_rows(plan: Plan) -> list[Rate]:
    """What the REST API serves: every published rate, some revised the next morning."""
    rng = random.Random(f"currency_rate.revisions:{plan.seed}")
    items = []
    for number, (day, quote, rate) in enumerate(daily_rates(plan), start=1):
        updated = published(day)
        if rng.random() < REVISED_SHARE and published(day) + REVISED_AT <= plan.now:
            rate = round(rate * (1 + rng.choice((-1, 1)) * 0.001), 6)
            updated = published(day) + REVISED_AT
        items.append(Rate(number, day.isoformat(), BASE, quote, rate, _iso(updated)))
    return items


def csv_folder(files_dir: Path) -> Path:
    return Path(files_dir) / CSV_DIR


def api_file(files_dir: Path) -> Path:
    return Path(files_dir) / API_DIR / API_FILE


def write_files(plan: Plan, files_dir: Path) -> dict[str, int]:
    """Write the API data and the CSV drop folder; returns row counts for the report."""
    items = api_rows(plan)
    target = api_file(files_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(".tmp")
    scratch.write_text(json.dumps([asdict(item) for item in items], separators=(",", ":")))
    scratch.replace(target)  # atomic: a running server never reads half a file

    folder = csv_folder(files_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("rates_*.csv"):
        old.unlink()
    last_delivery = plan.feed_stop
    by_day: dict[date, list[tuple[date, str, float]]] = {}
    for row in daily_rates(plan):
        if published(row[0]) <= last_delivery:
            by_day.setdefault(row[0], []).append(row)
    csv_rows = 0
    for day, rows in by_day.items():
        path = folder / f"rates_{day.isoformat()}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_HEADER)
            writer.writerows((d.isoformat(), BASE, quote, f"{rate:.6f}") for d, quote, rate in rows)
        stamp = published(day).timestamp()
        os.utime(path, (stamp, stamp))
        csv_rows += len(rows)
    return {"rates_api": len(items), "currency_rates_csv": csv_rows, "currency_rates_csv_files": len(by_day)}


def newest_csv(files_dir: Path) -> Path | None:
    """The newest file of the CSV drop folder (by the date in its name), if any."""
    files = sorted(csv_folder(files_dir).glob("rates_*.csv"))
    return files[-1] if files else None
