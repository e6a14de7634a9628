-- ---
-- name: Payments in flight for over an hour
-- how_to_read: >-
--   Payments submitted more than an hour ago that are still pending or processing. Almost every
--   payment is decided within minutes, so this is normally 0 to a handful. Amber from 10, red
--   from 50: payments are stuck at a rail or in our queue and customers are waiting for their
--   money. Find the common rail or currency, and escalate to the processor.
-- methodology: >-
--   Count of payments in state 'pending' or 'processing' whose create_time is more than one
--   hour ago, whatever their age. A live count (snapshot); no history, because the landed
--   tables keep only the current state of a payment and past in-flight counts would be guesses.
-- sources: [webbank.core]
-- period: snapshot
-- unit: count
-- direction: lower_is_better
-- norm: 10
-- alert: 50
-- owner: payments@satchel.example
-- tags: [payments, operations]
-- ---
-- One equality per state, so each half reads the state_id index: a join or an IN list of
-- looked-up ids is planned as a scan of every payment ever made.
SELECT count(*)
FROM (
    SELECT p.id
    FROM webbank_core.payment AS p
    WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'pending')
      AND p.create_time < now() - interval '1 hour'
    UNION ALL
    SELECT p.id
    FROM webbank_core.payment AS p
    WHERE p.state_id = (SELECT s.id FROM webbank_core.payment_state AS s WHERE s.code = 'processing')
      AND p.create_time < now() - interval '1 hour'
) AS in_flight;
