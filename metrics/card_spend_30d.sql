-- ---
-- name: Card spend (30d)
-- how_to_read: >-
--   What clients spent with our cards over the last 30 days, in EUR: card adoption and the
--   interchange we earn on it. It should grow with active cards. A sudden fall is either real
--   (a scheme or processor outage, a big client leaving) or missing data: check "Card
--   transaction feed lag" first; if the feed is late, the last days are simply not here yet.
--   No lines: watch the trend.
-- methodology: >-
--   Sum of card transactions created in the last 30 days that were not declined (authorized or
--   settled), converted to EUR at the latest rate of the rates API (a currency without a rate
--   is left out). History is the same 30-day sum at each UTC day's end, at today's rates.
-- sources: [card_management.cards, currency_rate.rates]
-- period: 30d
-- unit: money
-- currency: EUR
-- direction: higher_is_better
-- owner: cards@satchel.example
-- tags: [cards, money, growth]
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
--       SELECT (t.created_at AT TIME ZONE 'UTC')::date AS day, sum(t.amount / fx.rate) AS amount
--       FROM card_management_cards.card_transaction AS t
--       JOIN fx ON fx.currency = t.currency
--       WHERE t.state IN ('authorized', 'settled')
--         AND t.created_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '119 days') AT TIME ZONE 'UTC'
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
SELECT coalesce(sum(t.amount / fx.rate), 0)
FROM card_management_cards.card_transaction AS t
JOIN fx ON fx.currency = t.currency
WHERE t.state IN ('authorized', 'settled')
  AND t.created_at >= now() - interval '30 days';
