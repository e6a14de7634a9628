-- ---
-- name: Fee revenue per active client (30d)
-- how_to_read: >-
--   Fees earned over the last 30 days divided by the clients active in that time, in EUR: what
--   an average using client is worth to us per month. It moves slowly. A falling line means we
--   grow with clients who pay less (free tiers, waived fees) or fee collection misses some
--   clients; a jump means a pricing change took effect. Finance and pricing own it.
-- methodology: >-
--   Fee revenue (approved fee payments of the last 30 days, EUR at the latest API rate) divided
--   by active clients (distinct senders of approved payments of the last 30 days). History:
--   both parts at the end of each UTC day (active clients by the running-stretch method of
--   "Active clients (30d)"), then divided.
-- sources: [webbank.core, currency_rate.rates]
-- period: 30d
-- unit: money
-- currency: EUR
-- direction: higher_is_better
-- owner: finance@satchel.example
-- tags: [revenue, clients]
-- history_sql: |
--   WITH fx AS (
--       SELECT 'EUR' AS currency, 1.0::float8 AS rate
--       UNION ALL
--       (SELECT DISTINCT ON (r.quote) r.quote, r.rate
--        FROM currency_rate_rates.rates AS r
--        WHERE r.base = 'EUR'
--        ORDER BY r.quote, r.date DESC, r.updated_at DESC)
--   ), fees AS (
--       SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day, sum(p.amount / fx.rate) AS fee
--       FROM webbank_core.payment AS p
--       JOIN webbank_core.payment_type AS t ON t.id = p.type_id
--       JOIN webbank_core.payment_state AS s ON s.id = p.state_id
--       JOIN fx ON fx.currency = p.currency
--       WHERE t.code = 'fee' AND s.code = 'approved'
--         AND p.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '120 days') AT TIME ZONE 'UTC'
--       GROUP BY 1
--   ), client_days AS (
--       SELECT DISTINCT p.sender_profile_id AS client_id, (p.create_time AT TIME ZONE 'UTC')::date AS day
--       FROM webbank_core.payment AS p
--       JOIN webbank_core.payment_state AS s ON s.id = p.state_id
--       WHERE s.code = 'approved'
--         AND p.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '120 days') AT TIME ZONE 'UTC'
--   ), stretches AS (
--       SELECT client_id, day,
--              lag(day) OVER (PARTITION BY client_id ORDER BY day) AS previous_day,
--              lead(day) OVER (PARTITION BY client_id ORDER BY day) AS next_day
--       FROM client_days
--   ), changes AS (
--       SELECT day, 1 AS delta FROM stretches WHERE previous_day IS NULL OR previous_day < day - 29
--       UNION ALL
--       SELECT day + 30, -1 FROM stretches WHERE next_day IS NULL OR next_day > day + 29
--   ), daily_changes AS (
--       SELECT day, sum(delta) AS delta FROM changes GROUP BY day
--   ), days AS (
--       SELECT d::date AS day
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '120 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   ), running AS (
--       SELECT days.day,
--              sum(coalesce(daily_changes.delta, 0)) OVER (ORDER BY days.day) AS active_clients,
--              sum(coalesce(fees.fee, 0)) OVER (ORDER BY days.day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) AS fees
--       FROM days
--       LEFT JOIN daily_changes ON daily_changes.day = days.day
--       LEFT JOIN fees ON fees.day = days.day
--   )
--   SELECT day, fees / nullif(active_clients, 0) AS value FROM running
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
SELECT sum(p.amount / fx.rate) FILTER (WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t
                                                             WHERE t.code = 'fee'))
       / nullif(count(DISTINCT p.sender_profile_id), 0)
FROM webbank_core.payment AS p
LEFT JOIN fx ON fx.currency = p.currency  -- a payment without a rate still makes its sender active
WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved')
  AND p.create_time >= now() - interval '30 days';
