-- ---
-- name: AML checks closed per check opened (7d)
-- how_to_read: >-
--   Checks the analysts closed in the last 7 days, as a share of the checks that came in. Close
--   to 100 % means the team keeps up. Amber below 90 %, red below 75 %: the backlog grows every
--   day at this pace. Find out whether the team is short-staffed or a check type got slower,
--   and plan extra review capacity with the MLRO.
-- methodology: >-
--   closed / opened × 100 over the last 7 days: checks with closed_at in the window divided by
--   checks with create_at in the window. Slightly below 100 % is normal while volume grows
--   (closings lag intake by a few days). History is the same 7-day ratio at each UTC day's end;
--   the band is robust (median ± MAD × 1.4826 of 28 days).
-- sources: [aml.aml]
-- period: 7d
-- unit: percent
-- direction: higher_is_better
-- norm: 90
-- alert: 75
-- target: 100
-- target_due_date: 2027-03-31
-- benchmark: {kind: robust, window_days: 28}
-- owner: mlro@satchel.example
-- tags: [aml, compliance, operations, incident-watch]
-- history_sql: |
--   WITH bounds AS (
--       SELECT (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '96 days') AT TIME ZONE 'UTC' AS start_at
--   ), moves AS (
--       SELECT (r.create_at AT TIME ZONE 'UTC')::date AS day, 1 AS opened, 0 AS closed
--       FROM aml_aml.aml_retrospective AS r CROSS JOIN bounds AS b
--       WHERE r.create_at >= b.start_at
--       UNION ALL
--       SELECT (r.closed_at AT TIME ZONE 'UTC')::date, 0, 1
--       FROM aml_aml.aml_retrospective AS r CROSS JOIN bounds AS b
--       WHERE r.closed_at >= b.start_at
--   ), daily AS (
--       SELECT day, sum(opened) AS opened, sum(closed) AS closed FROM moves GROUP BY day
--   ), rolling AS (
--       SELECT day, 100.0 * sum(closed) OVER w / nullif(sum(opened) OVER w, 0) AS value
--       FROM daily
--       WINDOW w AS (ORDER BY day RANGE BETWEEN interval '6 days' PRECEDING AND CURRENT ROW)
--   )
--   SELECT day, value FROM rolling
--   WHERE day >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days')::date
--   ORDER BY day
-- ---
WITH opened AS (
    SELECT count(*) AS n FROM aml_aml.aml_retrospective WHERE create_at >= now() - interval '7 days'
), closed AS (
    SELECT count(*) AS n FROM aml_aml.aml_retrospective WHERE closed_at >= now() - interval '7 days'
)
SELECT 100.0 * closed.n / nullif(opened.n, 0)
FROM opened CROSS JOIN closed;
