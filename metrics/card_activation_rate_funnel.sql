-- ---
-- name: Physical card activation within 14 days
-- how_to_read: >-
--   Of the physical cards issued 14 to 44 days ago, the share the client activated within 14
--   days of issue. Normally above 90 %. Amber below 80 %, red below 70 %: cards get lost in the
--   post or the activation flow fails, and we pay for plastic nobody uses. Check the card
--   printer's dispatch reports and the activation screen's error log.
-- methodology: >-
--   Cohort: cards of type 'physical' with issued_at between 44 and 14 days ago. Activated: the
--   card's first 'active' event in the card state log is within 14 days of issued_at. History is
--   the same share for the cohort of each UTC day's end.
-- sources: [card_management.cards]
-- period: funnel
-- unit: percent
-- direction: higher_is_better
-- norm: 80
-- alert: 70
-- target: 95
-- target_due_date: 2027-09-30
-- owner: cards@satchel.example
-- tags: [cards, customers]
-- history_sql: |
--   WITH activations AS (
--       SELECT l.card_id, min(l."timestamp") AS activated_at
--       FROM card_management_cards.card_state_log AS l
--       WHERE l.status = 'active'
--       GROUP BY l.card_id
--   ), cards AS (
--       SELECT c.issued_at, (a.activated_at <= c.issued_at + interval '14 days') AS activated_in_time
--       FROM card_management_cards.card AS c
--       LEFT JOIN activations AS a ON a.card_id = c.id
--       WHERE c.card_type = 'physical'
--         AND c.issued_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '134 days') AT TIME ZONE 'UTC'
--   ), days AS (
--       SELECT d::date AS day, (d + interval '1 day') AT TIME ZONE 'UTC' AS day_end
--       FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '90 days',
--                            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day',
--                            interval '1 day') AS d
--   )
--   SELECT days.day, 100.0 * count(*) FILTER (WHERE cards.activated_in_time) / nullif(count(*), 0) AS value
--   FROM days
--   JOIN cards ON cards.issued_at >= days.day_end - interval '44 days' AND cards.issued_at < days.day_end - interval '14 days'
--   GROUP BY days.day
--   ORDER BY days.day
-- ---
WITH cohort AS (  -- physical cards old enough to have had their 14 days
    SELECT c.id, c.issued_at
    FROM card_management_cards.card AS c
    WHERE c.card_type = 'physical'
      AND c.issued_at >= now() - interval '44 days'
      AND c.issued_at < now() - interval '14 days'
), activations AS (
    SELECT l.card_id, min(l."timestamp") AS activated_at
    FROM card_management_cards.card_state_log AS l
    JOIN cohort ON cohort.id = l.card_id
    WHERE l.status = 'active'
    GROUP BY l.card_id
)
SELECT 100.0 * count(*) FILTER (WHERE a.activated_at <= cohort.issued_at + interval '14 days') / nullif(count(*), 0)
FROM cohort
LEFT JOIN activations AS a ON a.card_id = cohort.id;
