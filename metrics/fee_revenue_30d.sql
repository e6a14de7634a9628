-- ---
-- name: Fee revenue (30d)
-- how_to_read: >-
--   What we earned in fees over the last 30 days, in EUR: the top line of the business. It
--   should climb month after month with the client base. A flat or falling line while clients
--   and payments grow means pricing or fee collection broke; ask finance to check the fee run.
--   The target is the 2027 revenue plan for this window.
-- methodology: >-
--   Sum of approved fee payments created in the last 30 days, converted to EUR at the latest
--   rate of the rates API (fees are charged in EUR today, so the rate is 1). Declined fee
--   charges are not revenue. History is the same 30-day sum at the end of each UTC day.
-- sources: [webbank.core, currency_rate.rates]
-- period: 30d
-- unit: money
-- currency: EUR
-- direction: higher_is_better
-- target: 15000
-- target_due_date: 2027-06-30
-- owner: finance@satchel.example
-- tags: [revenue, money, growth]
-- history_sql: |
--   WITH fx AS (
--       SELECT 'EUR' AS currency, 1.0::float8 AS rate
--       UNION ALL
--       (SELECT DISTINCT ON (r.quote) r.quote, r.rate
--        FROM currency_rate_rates.rates AS r
--        WHERE r.base = 'EUR'
--        ORDER BY r.quote, r.date DESC, r.updated_at DESC)
--   ), days AS (
--       SELECT d::date AS day
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '119 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   ), daily AS (
--       SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day, sum(p.amount / fx.rate) AS amount
--       FROM webbank_core.payment AS p
--       JOIN webbank_core.payment_type AS t ON t.id = p.type_id
--       JOIN webbank_core.payment_state AS s ON s.id = p.state_id
--       JOIN fx ON fx.currency = p.currency
--       WHERE t.code = 'fee' AND s.code = 'approved'
--         AND p.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '119 days') AT TIME ZONE 'UTC'
--       GROUP BY 1
--   ), rolling AS (
--       SELECT days.day,
--              sum(coalesce(daily.amount, 0)) OVER (ORDER BY days.day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) AS value
--       FROM days LEFT JOIN daily ON daily.day = days.day
--   )
--   SELECT day, value FROM rolling
--   WHERE day >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days')::date
--   ORDER BY day
-- ---
WITH fx AS (  -- latest EUR rate per currency from the rates API; EUR itself converts at 1
    SELECT 'EUR' AS currency, 1.0::float8 AS rate
    UNION ALL
    (SELECT DISTINCT ON (r.quote) r.quote, r.rate
     FROM currency_rate_rates.rates AS r
     WHERE r.base = 'EUR'
     ORDER BY r.quote, r.date DESC, r.updated_at DESC)
)
SELECT coalesce(sum(p.amount / fx.rate), 0)
FROM webbank_core.payment AS p
JOIN fx ON fx.currency = p.currency
-- lookups by name as one-off scalar subqueries (not joins): the plan then reads the payments of
-- the window by create_time and hash-joins the ten FX rows
WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t WHERE t.code = 'fee')
  AND p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
  AND p.create_time >= now() - interval '30 days';
