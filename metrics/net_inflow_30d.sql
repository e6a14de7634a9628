-- ---
-- name: Net inflow (30d)
-- how_to_read: >-
--   Money that came in minus money that went out over the last 30 days, in EUR: whether
--   customers are growing or draining the balances we hold. Positive is healthy. Amber at zero
--   or below: more money leaves than arrives. Look at the largest outgoing clients of the month
--   before assuming a trend; a single large client moving out shows up here first.
-- methodology: >-
--   Approved incoming payments minus approved outgoing payments created in the last 30 days,
--   converted to EUR at the latest rate of the rates API (a currency without a rate is left
--   out). Card top-ups and fees stay inside the bank and are not counted. History is the same
--   30-day figure at the end of each UTC day, at today's rates.
-- sources: [webbank.core, currency_rate.rates]
-- period: 30d
-- unit: money
-- currency: EUR
-- direction: higher_is_better
-- norm: 0
-- owner: finance@satchel.example
-- tags: [money, treasury]
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
--       SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day,
--              sum(CASE WHEN t.code = 'incoming' THEN p.amount ELSE -p.amount END / fx.rate) AS amount
--       FROM webbank_core.payment AS p
--       JOIN webbank_core.payment_type AS t ON t.id = p.type_id
--       JOIN webbank_core.payment_state AS s ON s.id = p.state_id
--       JOIN fx ON fx.currency = p.currency
--       WHERE t.code IN ('incoming', 'outgoing') AND s.code = 'approved'
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
), kinds AS (  -- incoming counts in, outgoing out
    SELECT t.id AS type_id, CASE t.code WHEN 'incoming' THEN 1 ELSE -1 END AS sign
    FROM webbank_core.payment_type AS t
    WHERE t.code IN ('incoming', 'outgoing')
)
SELECT coalesce(sum(k.sign * p.amount / fx.rate), 0)
FROM webbank_core.payment AS p
JOIN kinds AS k ON k.type_id = p.type_id
JOIN fx ON fx.currency = p.currency
WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
  AND p.create_time >= now() - interval '30 days';
