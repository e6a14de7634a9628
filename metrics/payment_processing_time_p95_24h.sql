-- ---
-- name: Payment processing time, 95th percentile (24h)
-- how_to_read: >-
--   The slow tail: 95 % of outgoing payments created in the last 24 hours were decided within
--   this time. Normally about 10 minutes. Amber above 20 minutes, red above an hour: one
--   customer in twenty waits long enough to call support. Check the processor status, payments
--   stuck in 'processing' and whether one rail or one currency is slow.
-- methodology: >-
--   Per outgoing payment created in the last 24 h and already decided: its final 'approved' or
--   'declined' event in the payment state log minus its creation (the 'pending' event); the
--   95th percentile of those durations. Payments still in flight are left out (they show in
--   "Payments in flight for over an hour"). History is the 95th percentile per UTC day of
--   creation. No band: the slow tail is too noisy from day to day, the lines decide.
-- sources: [webbank.core]
-- period: 24h
-- unit: seconds
-- direction: lower_is_better
-- norm: 1200
-- alert: 3600
-- owner: payments@satchel.example
-- tags: [payments, operations]
-- history_sql: |
--   SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day,
--          percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM l."timestamp" - p.create_time)) AS value
--   FROM webbank_core.payment AS p
--   JOIN webbank_core.payment_state_log AS l ON l.payment_id = p.id
--   WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t WHERE t.code = 'outgoing')
--     AND l.state_id IN ((SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved'),
--                        (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'declined'))
--     AND p.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days') AT TIME ZONE 'UTC'
--     AND l."timestamp" >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days') AT TIME ZONE 'UTC'
--   GROUP BY 1
--   ORDER BY 1
-- ---
-- Submission is the payment's create_time (its 'pending' event); the decision is its final event
-- in the state log. Each final event is at or after creation, so the log is read by time.
SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM l."timestamp" - p.create_time))
FROM webbank_core.payment AS p
JOIN webbank_core.payment_state_log AS l ON l.payment_id = p.id
WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t WHERE t.code = 'outgoing')
  AND l.state_id IN ((SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved'),
                     (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'declined'))
  AND p.create_time >= now() - interval '24 hours'
  AND l."timestamp" >= now() - interval '24 hours';
