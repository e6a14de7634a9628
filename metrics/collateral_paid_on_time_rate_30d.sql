-- ---
-- name: Card collateral paid on time (30d)
-- how_to_read: >-
--   Of the card collateral invoices that fell due in the last month, the share paid by the due
--   date. Normally about 95 %: a few clients pay some days late. Amber below 90 %, red below
--   80 %: many business clients are short of cash at once (a sector in trouble) or the invoice
--   run or payment reminders failed. Ask finance to check that reminders went out.
-- methodology: >-
--   Invoices with due_date in the last 31 days up to yesterday (31, so that every window holds
--   a due date: they fall on the 15th); on time when paid_at is on or before the due date (UTC).
--   An unpaid invoice past due counts as late. History: the same share at each UTC day's end.
-- sources: [webbank.core]
-- period: 30d
-- unit: percent
-- direction: higher_is_better
-- norm: 90
-- alert: 80
-- target: 98
-- target_due_date: 2027-12-31
-- owner: finance@satchel.example
-- tags: [collateral, credit-risk]
-- history_sql: |
--   WITH days AS (
--       SELECT d::date AS day
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   )
--   SELECT days.day,
--          100.0 * count(*) FILTER (WHERE (i.paid_at AT TIME ZONE 'UTC')::date <= i.due_date) / nullif(count(*), 0) AS value
--   FROM days
--   JOIN webbank_core.card_collateral_invoice AS i ON i.due_date > days.day - 31 AND i.due_date <= days.day
--   GROUP BY days.day
--   ORDER BY days.day
-- ---
SELECT 100.0 * count(*) FILTER (WHERE (i.paid_at AT TIME ZONE 'UTC')::date <= i.due_date) / nullif(count(*), 0)
FROM webbank_core.card_collateral_invoice AS i
WHERE i.due_date >= (now() AT TIME ZONE 'UTC')::date - 31
  AND i.due_date < (now() AT TIME ZONE 'UTC')::date;
