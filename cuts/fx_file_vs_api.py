"""EUR/USD from the CSV file drop vs the rates API, per day."""

from engine.audit import shapes
from engine.audit.windows import days

META = {
    "page": "overview",
    "title": "EUR/USD: file drop vs rates API",
    "order": 40,
    "kind": "timeseries",
    "metrics": ["fx_file_vs_api_gap_30d", "rates_file_feed_lag", "rates_api_feed_lag", "eur_usd_rate"],
    "sources": ["currency_rate.rates", "currency_rate_files.daily"],
    "windows": ["30d", "90d"],
    "window_default": "30d",
    "owner": "treasury@satchel.example",
    "prose_before": "The EUR/USD rate of each day as the CSV file drop and the rates API delivered it.",
    "prose_after": (
        "The lines should lie on top of each other. A line that ends early is a feed that stopped (the "
        "file-lag tile); lines that part are a feed delivering wrong rates (the gap tile)."
    ),
}


def compute(conn, *, window: str) -> dict:
    rows = conn.rows(f"""
        WITH d AS (SELECT generate_series((now() AT TIME ZONE 'UTC')::date - {days(window)},
                                          (now() AT TIME ZONE 'UTC')::date, interval '1 day')::date AS day),
        api AS (SELECT DISTINCT ON (r.date) r.date::date AS day, r.rate FROM currency_rate_rates.rates AS r
                WHERE r.base = 'EUR' AND r.quote = 'USD' ORDER BY r.date, r.updated_at DESC),
        file AS (SELECT f.date AS day, f.rate FROM currency_rate_files_daily.rates_daily AS f
                 WHERE f.base = 'EUR' AND f.quote = 'USD')
        SELECT d.day, file.rate, api.rate FROM d LEFT JOIN file USING (day) LEFT JOIN api USING (day)
        ORDER BY d.day
    """)
    x, series = shapes.columns(rows, "file drop", "rates API")
    return {"kind": "timeseries", "x": x, "series": series, "unit": "USD per EUR"}
