-- ---
-- name: Unbalanced ledger postings (7d)
-- how_to_read: >-
--   Payments of the last 7 days whose ledger legs do not balance: every approved payment books
--   one debit and one credit of the same amount, so this must be zero. Amber at 1, red from 5:
--   the double-entry ledger is broken somewhere and balances cannot be trusted. Stop and ask
--   the core-banking team for the affected payments today; finance must know before closing.
-- methodology: >-
--   Ledger entries booked in the last 7 days, grouped by payment: a payment is unbalanced when
--   it does not have exactly one debit and one credit leg or their amounts differ by half a cent
--   or more. History covers the last 31 days only (the sparkline): grouping every leg of four
--   months by payment takes too long for a number that is zero when healthy. Legs of one
--   payment are booked in the same transaction, so a payment is never half-landed.
-- sources: [webbank.core]
-- period: 7d
-- unit: count
-- direction: lower_is_better
-- norm: 1
-- alert: 5
-- owner: finance@satchel.example
-- tags: [ledger, finance, data-quality]
-- history_sql: |
--   WITH legs AS (
--       -- both legs of a payment are booked at the same moment, so the day is part of the key
--       SELECT (e.create_time AT TIME ZONE 'UTC')::date AS day, e.payment_id,
--              count(*) AS legs,
--              sum(CASE WHEN e.direction = 'debit' THEN 1 ELSE 0 END) AS debits,
--              sum(CASE WHEN e.direction = 'debit' THEN e.amount ELSE -e.amount END::float8) AS imbalance
--       FROM webbank_core.entry AS e
--       WHERE e.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '37 days') AT TIME ZONE 'UTC'
--       GROUP BY 1, 2
--   ), daily AS (
--       SELECT day, count(*) FILTER (WHERE legs <> 2 OR debits <> 1 OR abs(imbalance) >= 0.005) AS unbalanced
--       FROM legs GROUP BY day
--   ), days AS (
--       SELECT d::date AS day
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '37 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   ), rolling AS (
--       SELECT days.day,
--              sum(coalesce(daily.unbalanced, 0)) OVER (ORDER BY days.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS value
--       FROM days LEFT JOIN daily ON daily.day = days.day
--   )
--   SELECT day, value FROM rolling
--   WHERE day >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '31 days')::date
--   ORDER BY day
-- ---
WITH legs AS (  -- one row per payment booked in the window
    SELECT e.payment_id,
           count(*) AS legs,
           sum(CASE WHEN e.direction = 'debit' THEN 1 ELSE 0 END) AS debits,
           -- float, not numeric: a third of the memory per payment, so the grouping stays in
           -- memory; two legs of the same amount still cancel exactly
           sum(CASE WHEN e.direction = 'debit' THEN e.amount ELSE -e.amount END::float8) AS imbalance
    FROM webbank_core.entry AS e
    WHERE e.create_time >= now() - interval '7 days'
    GROUP BY e.payment_id
)
SELECT count(*) FILTER (WHERE legs <> 2 OR debits <> 1 OR abs(imbalance) >= 0.005)
FROM legs;
