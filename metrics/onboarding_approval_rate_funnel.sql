-- ---
-- name: Onboarding conversion, sign-up to approved
-- how_to_read: >-
--   Of the people who signed up 7 to 37 days ago, the share who made it to an approved account.
--   Normally close to 90 %. Amber below 80 %, red below 70 %: the funnel leaks, through
--   abandoned sign-ups (the flow or the document upload is broken) or rejections. Look at where
--   applicants stop: still 'created' means the flow, 'rejected' means KYC rules.
-- methodology: >-
--   Cohort: clients whose profile was created between 37 and 7 days ago (old enough for KYC to
--   have decided). Converted: the client has an 'approved' event in the state log, even if it
--   was blocked later. History: the same share for the cohort of each UTC day's end, counting
--   approvals made by that day.
-- sources: [webbank.core]
-- period: funnel
-- unit: percent
-- direction: higher_is_better
-- norm: 80
-- alert: 70
-- target: 92
-- target_due_date: 2027-09-30
-- owner: growth@satchel.example
-- tags: [onboarding, clients, growth]
-- history_sql: |
--   WITH signups AS (
--       SELECT c.id, c.create_time
--       FROM webbank_core.client_profile AS c
--       WHERE c.create_time >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '127 days') AT TIME ZONE 'UTC'
--   ), approvals AS (
--       SELECT l.client_profile_id, min(l."timestamp") AS approved_at
--       FROM webbank_core.client_profile_state_log AS l
--       WHERE l.profile_state = 'approved'
--         AND l."timestamp" >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '127 days') AT TIME ZONE 'UTC'
--       GROUP BY l.client_profile_id
--   ), days AS (
--       SELECT d::date AS day, (d + interval '1 day') AT TIME ZONE 'UTC' AS day_end
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   )
--   SELECT days.day,
--          100.0 * count(*) FILTER (WHERE a.approved_at < days.day_end) / nullif(count(*), 0) AS value
--   FROM days
--   JOIN signups AS s
--     ON s.create_time >= days.day_end - interval '37 days' AND s.create_time < days.day_end - interval '7 days'
--   LEFT JOIN approvals AS a ON a.client_profile_id = s.id
--   GROUP BY days.day
--   ORDER BY days.day
-- ---
WITH approvals AS (  -- applicants approved since the cohort began (an approval follows the sign-up)
    SELECT DISTINCT l.client_profile_id
    FROM webbank_core.client_profile_state_log AS l
    WHERE l.profile_state = 'approved'
      AND l."timestamp" >= now() - interval '37 days'
)
SELECT 100.0 * count(a.client_profile_id) / nullif(count(*), 0)
FROM webbank_core.client_profile AS c
LEFT JOIN approvals AS a ON a.client_profile_id = c.id
WHERE c.create_time >= now() - interval '37 days'
  AND c.create_time < now() - interval '7 days';
