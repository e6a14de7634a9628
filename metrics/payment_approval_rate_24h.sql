-- ---
-- name: Payment approval rate (24h)
-- how_to_read: >-
--   Share of customers' outgoing payments approved in the last 24 hours, counting decided
--   payments only. Normally about 97 %. Amber below 95 %: customers start to see failed
--   transfers. Red below 90 % (or far outside its usual band): a payment rail or a risk rule
--   is declining good payments. Check the processor status page and the decline reasons of the
--   last hours, and warn support before the calls come in.
-- methodology: >-
--   approved / (approved + declined) over outgoing payments created in the last 24 h; pending
--   and processing payments are left out until they are decided. Incoming, card top-up and fee
--   payments are not counted: they fail for other reasons. History is the same ratio per UTC
--   day of creation; the band is robust (median ± MAD × 1.4826 of 28 days).
-- sources: [webbank.core]
-- period: 24h
-- unit: percent
-- direction: higher_is_better
-- norm: 95
-- alert: 90
-- target: 98
-- target_due_date: 2027-06-30
-- benchmark: {kind: robust, window_days: 28}
-- owner: payments@satchel.example
-- tags: [payments, customers, incident-watch]
-- history_sql: |
--   SELECT (p.create_time AT TIME ZONE 'UTC')::date AS day,
--          100.0 * count(*) FILTER (WHERE s.code = 'approved') / nullif(count(*), 0) AS value
--   FROM webbank_core.payment AS p
--   JOIN webbank_core.payment_type AS t ON t.id = p.type_id
--   JOIN webbank_core.payment_state AS s ON s.id = p.state_id
--   WHERE t.code = 'outgoing'
--     AND s.code IN ('approved', 'declined')
--     AND p.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days') AT TIME ZONE 'UTC'
--   GROUP BY 1
--   ORDER BY 1
-- ---
SELECT 100.0 * count(*) FILTER (WHERE s.code = 'approved') / nullif(count(*), 0)
FROM webbank_core.payment AS p
JOIN webbank_core.payment_type AS t ON t.id = p.type_id
JOIN webbank_core.payment_state AS s ON s.id = p.state_id
WHERE t.code = 'outgoing'
  AND s.code IN ('approved', 'declined')  -- pending and processing payments are not decided yet
  AND p.create_time >= now() - interval '24 hours';
