-- ---
-- name: EUR/USD reference rate
-- how_to_read: >-
--   Today's EUR/USD rate from the rates API (dollars per euro), the rate we convert USD balances
--   and card spend at. A stronger euro (higher) makes our dollar costs (cloud, card-scheme fees)
--   cheaper. No lines: FX is watched, not managed here; a move of more than 2 % in a week is
--   worth a word with treasury about the open USD position.
-- methodology: >-
--   The rate of the newest date published by the rates API for base EUR, quote USD (a revised
--   rate replaces the first one). History is the rate of each day.
-- sources: [currency_rate.rates]
-- period: snapshot
-- unit: ratio
-- direction: higher_is_better
-- owner: treasury@satchel.example
-- tags: [fx, treasury]
-- history_sql: |
--   SELECT DISTINCT ON (r.date) r.date::date AS day, r.rate AS value
--   FROM currency_rate_rates.rates AS r
--   WHERE r.base = 'EUR' AND r.quote = 'USD'
--     AND r.date::date >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days')::date
--   ORDER BY r.date, r.updated_at DESC
-- ---
-- A scalar subquery (not correlated): NULL, not an empty result, when the API has no rate yet.
SELECT (
    SELECT r.rate
    FROM currency_rate_rates.rates AS r
    WHERE r.base = 'EUR' AND r.quote = 'USD'
    ORDER BY r.date DESC, r.updated_at DESC
    LIMIT 1
);
