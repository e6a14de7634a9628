-- ---
-- name: KYC decision time, median (7d)
-- how_to_read: >-
--   How long a typical applicant waited for the KYC decision, over decisions of the last 7 days,
--   from the moment the documents were submitted. Normally about 5 hours. Amber above 12 hours,
--   red above a day: applicants wait overnight and many give up. Check the KYC vendor queue and
--   the analysts' manual-review backlog.
-- methodology: >-
--   For every approved or rejected decision in the client state log during the last 7 days:
--   decision time minus the applicant's 'kyc_pending' event (documents submitted); the median.
--   State-log rows of the last 37 days are read, so a submission up to 30 days before its
--   decision is found. History is the median over the 7 days up to each UTC day's end.
-- sources: [webbank.core]
-- period: 7d
-- unit: seconds
-- direction: lower_is_better
-- norm: 43200
-- alert: 86400
-- target: 10800
-- target_due_date: 2027-06-30
-- owner: compliance@satchel.example
-- tags: [onboarding, compliance, operations]
-- history_sql: |
--   WITH decisions AS (
--       SELECT l.client_profile_id,
--              max(l."timestamp") FILTER (WHERE l.profile_state = 'kyc_pending') AS submitted_at,
--              max(l."timestamp") FILTER (WHERE l.profile_state IN ('approved', 'rejected')) AS decided_at
--       FROM webbank_core.client_profile_state_log AS l
--       WHERE l.profile_state IN ('kyc_pending', 'approved', 'rejected')
--         AND l."timestamp" >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '127 days') AT TIME ZONE 'UTC'
--       GROUP BY l.client_profile_id
--   ), days AS (
--       SELECT d::date AS day, (d + interval '1 day') AT TIME ZONE 'UTC' AS day_end
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   )
--   SELECT days.day,
--          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.decided_at - x.submitted_at)) AS value
--   FROM days
--   JOIN decisions AS x
--     ON x.decided_at >= days.day_end - interval '7 days' AND x.decided_at < days.day_end
--   WHERE x.submitted_at IS NOT NULL
--   GROUP BY days.day
--   ORDER BY days.day
-- ---
WITH decisions AS (  -- one row per applicant: documents submitted, decision made
    SELECT l.client_profile_id,
           max(l."timestamp") FILTER (WHERE l.profile_state = 'kyc_pending') AS submitted_at,
           max(l."timestamp") FILTER (WHERE l.profile_state IN ('approved', 'rejected')) AS decided_at
    FROM webbank_core.client_profile_state_log AS l
    WHERE l.profile_state IN ('kyc_pending', 'approved', 'rejected')
      AND l."timestamp" >= now() - interval '37 days'
    GROUP BY l.client_profile_id
)
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - submitted_at))
FROM decisions
WHERE decided_at >= now() - interval '7 days'
  AND submitted_at IS NOT NULL;
