-- ---
-- name: Money out (7d)
-- how_to_read: >-
--   Value of outgoing payments customers sent in the last 7 days, in EUR: how much business
--   runs through our accounts (suppliers, salaries, taxes). It should grow with the client base;
--   a drop that is not a holiday week means customers pay from another bank, or cannot pay
--   (compare with the payment approval rate). No lines: watch its sparkline.
-- methodology: >-
--   Sum of approved outgoing payments created in the last 7 days. Amounts in other currencies
--   are converted to EUR at the latest rate of the rates API (1 EUR = rate units of the
--   currency); a currency without a rate is left out. History is the same 7-day sum at the end
--   of each UTC day, converted at today's rate so that FX moves do not show up as volume.
-- sources: [webbank.core, currency_rate.rates]
-- period: 7d
-- unit: money
-- currency: EUR
-- direction: higher_is_better
-- owner: finance@satchel.example
-- tags: [money, growth]
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
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '96 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   ), daily AS (
--       SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day, sum(p.amount / fx.rate) AS amount
--       FROM webbank_core.payment AS p
--       JOIN webbank_core.payment_type AS t ON t.id = p.type_id
--       JOIN webbank_core.payment_state AS s ON s.id = p.state_id
--       JOIN fx ON fx.currency = p.currency
--       WHERE t.code = 'outgoing' AND s.code = 'approved'
--         AND p.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '96 days') AT TIME ZONE 'UTC'
--       GROUP BY 1
--   ), rolling AS (
--       SELECT days.day,
--              sum(coalesce(daily.amount, 0)) OVER (ORDER BY days.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS value
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
WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t WHERE t.code = 'outgoing')
  AND p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
  AND p.create_time >= now() - interval '7 days';
