-- ---
-- name: Payment processing time, median (24h)
-- how_to_read: >-
--   How long a typical outgoing payment takes from submission to its final state (approved or
--   declined), over payments created in the last 24 hours. Normally about two minutes. Amber
--   above 5 minutes, red above 15: the payment rail or our processing queue is slow. Check the
--   processor status and the queue of payments in flight; a slow median usually precedes
--   complaints about "money not arrived".
-- methodology: >-
--   Per outgoing payment created in the last 24 h and already decided: its final 'approved' or
--   'declined' event in the payment state log minus its creation (the 'pending' event); the
--   median of those durations. Payments still in flight are left out (they show in "Payments
--   in flight for over an hour"). History is the median per UTC day of creation. No band: the
--   median of one day's payments is too noisy for one, the lines decide.
-- sources: [webbank.core]
-- period: 24h
-- unit: seconds
-- direction: lower_is_better
-- norm: 300
-- alert: 900
-- target: 90
-- target_due_date: 2027-09-30
-- owner: payments@satchel.example
-- tags: [payments, operations]
-- history_sql: |
--   SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day,
--          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l."timestamp" - p.create_time)) AS value
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
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l."timestamp" - p.create_time))
FROM webbank_core.payment AS p
JOIN webbank_core.payment_state_log AS l ON l.payment_id = p.id
WHERE p.type_id = (SELECT t.id FROM webbank_core.payment_type AS t WHERE t.code = 'outgoing')
  AND l.state_id IN ((SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'approved'),
                     (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'declined'))
  AND p.create_time >= now() - interval '24 hours'
  AND l."timestamp" >= now() - interval '24 hours';
