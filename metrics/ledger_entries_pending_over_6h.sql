-- ---
-- name: Ledger entries pending over 6 hours
-- how_to_read: >-
--   Ledger legs of approved payments that have not posted six hours after they were booked.
--   Legs post at the next settlement run, about half an hour later, so this is normally a
--   handful at most. Amber from 25, red from 100: the settlement run is failing, balances shown
--   to clients and finance's books disagree. Ask the core-banking on-call to rerun settlement.
-- methodology: >-
--   Count of entry rows in entry state 'pending' whose create_time is more than 6 hours ago.
--   A live count; no history (the landed ledger keeps only each leg's current state).
-- sources: [webbank.core]
-- period: snapshot
-- unit: count
-- direction: lower_is_better
-- norm: 25
-- alert: 100
-- owner: finance@satchel.example
-- tags: [ledger, finance, operations]
-- ---
SELECT count(*)
FROM webbank_core.entry AS e
-- the lookup as a scalar subquery: the entry_state_id index then finds the few pending legs
-- (a join on the code would be planned as a scan of the whole ledger)
WHERE e.entry_state_id = (SELECT es.id FROM webbank_core.entry_state AS es WHERE es.code = 'pending')
  AND e.create_time < now() - interval '6 hours';
