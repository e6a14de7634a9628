-- ---
-- name: Payments (24h)
-- how_to_read: >-
--   How many payments customers made in the last 24 hours, all types. The business-banking
--   base is quiet at weekends (about half a weekday), so amber on a Saturday or Sunday is the
--   usual weekend, not a problem. Red means far outside the last four weeks (beyond 2 σ):
--   on a weekday a drop that size points at an outage in the app, the API or a payment rail;
--   check the incident channel and the payments feed lag first.
-- methodology: >-
--   Count of payments created in the last 24 h, any type (incoming, outgoing, card top-up,
--   fee) and any state. History is the count per UTC day; the band is μ ± σ of the last 28
--   days, which holds weekdays and weekends alike, so the band is wide and a normal weekend
--   stays within 2 σ.
-- sources: [webbank.core]
-- period: 24h
-- unit: count
-- direction: higher_is_better
-- benchmark: {kind: rolling_stat, window_days: 28}
-- owner: payments@satchel.example
-- tags: [payments, growth]
-- history_sql: |
--   SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day, count(*) AS value
--   FROM webbank_core.payment AS p
--   WHERE p.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days') AT TIME ZONE 'UTC'
--   GROUP BY 1
--   ORDER BY 1
-- ---
SELECT count(*)
FROM webbank_core.payment AS p
WHERE p.create_time >= now() - interval '24 hours';
