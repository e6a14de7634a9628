-- ---
-- name: AML checks opened (24h)
-- how_to_read: >-
--   Retrospective AML checks raised by the monitoring rules in the last 24 hours: the intake of
--   the AML team. It follows client activity, so weekends are about half a weekday and show as
--   amber, which is expected. Red (beyond 2 σ of the last four weeks) on a weekday means the
--   monitoring rules stopped firing or fire far too often: ask the AML engineer whether a rule
--   or the transaction feed into monitoring changed.
-- methodology: >-
--   Count of aml_retrospective rows with create_at in the last 24 h, any check type. History is
--   the count per UTC day; the band is μ ± σ of the last 28 days, weekdays and weekends alike.
-- sources: [aml.aml]
-- period: 24h
-- unit: count
-- direction: higher_is_better
-- benchmark: {kind: rolling_stat, window_days: 28}
-- owner: mlro@satchel.example
-- tags: [aml, compliance]
-- history_sql: |
--   SELECT (r.create_at AT TIME ZONE 'UTC')::date AS day, count(*) AS value
--   FROM aml_aml.aml_retrospective AS r
--   WHERE r.create_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days') AT TIME ZONE 'UTC'
--   GROUP BY 1
--   ORDER BY 1
-- ---
SELECT count(*)
FROM aml_aml.aml_retrospective AS r
WHERE r.create_at >= now() - interval '24 hours';
