-- ---
-- name: FX rate mismatch, file drop vs API (30d)
-- how_to_read: >-
--   The largest difference between the rates delivered as CSV files and the rates from the
--   rates API for the same day and currency, over the last 30 days, in percent. Small revisions
--   (about 0.1 %) are normal. Amber from 0.5 %, red from 2 %: one of the two feeds carries wrong
--   rates, and whatever converts with it (statements, card spend, reports) is off. Ask treasury
--   which feed is right before month-end reporting.
-- methodology: >-
--   For every (date, quote) of base EUR present in both feeds in the last 30 days: |file rate /
--   API rate - 1| × 100, taking the API's latest revision; the maximum. Days only one feed has
--   are not compared (a late feed shows in its own lag metric). History: the same 30-day
--   maximum at each UTC day's end.
-- sources: [currency_rate.rates, currency_rate_files.daily]
-- period: 30d
-- unit: percent
-- direction: lower_is_better
-- norm: 0.5
-- alert: 2
-- owner: treasury@satchel.example
-- tags: [fx, data-quality, pipeline]
-- history_sql: |
--   WITH api AS (
--       SELECT DISTINCT ON (r.date, r.quote) r.date::date AS day, r.quote, r.rate
--       FROM currency_rate_rates.rates AS r
--       WHERE r.base = 'EUR'
--       ORDER BY r.date, r.quote, r.updated_at DESC
--   ), daily AS (
--       SELECT f.date AS day, max(abs(f.rate / api.rate - 1)) * 100 AS gap
--       FROM currency_rate_files_daily.rates_daily AS f
--       JOIN api ON api.day = f.date AND api.quote = f.quote
--       WHERE f.base = 'EUR'
--       GROUP BY f.date
--   ), days AS (
--       SELECT d::date AS day
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '119 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   ), rolling AS (
--       SELECT days.day, max(daily.gap) OVER (ORDER BY days.day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) AS value
--       FROM days LEFT JOIN daily ON daily.day = days.day
--   )
--   SELECT day, value FROM rolling
--   WHERE day >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days')::date
--   ORDER BY day
-- ---
WITH api AS (  -- the API's latest revision of each (date, quote)
    SELECT DISTINCT ON (r.date, r.quote) r.date::date AS day, r.quote, r.rate
    FROM currency_rate_rates.rates AS r
    WHERE r.base = 'EUR'
      AND r.date::date >= (now() AT TIME ZONE 'UTC')::date - 30
    ORDER BY r.date, r.quote, r.updated_at DESC
)
SELECT max(abs(f.rate / api.rate - 1)) * 100
FROM currency_rate_files_daily.rates_daily AS f
JOIN api ON api.day = f.date AND api.quote = f.quote
WHERE f.base = 'EUR'
  AND f.date >= (now() AT TIME ZONE 'UTC')::date - 30;
