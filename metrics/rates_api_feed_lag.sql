-- ---
-- name: FX rates API lag
-- how_to_read: >-
--   Age of the newest day of currency rates published by the rates API, counted from the start
--   of that day (UTC). Rates are published at 00:05 every day, so this stays under 25 hours.
--   Amber after 27 hours, red after 36: money converted today (card spend, balances in EUR) uses
--   stale rates. Check the rates vendor's status and the currency_rate ingest.
-- methodology: >-
--   now() minus the start (00:00 UTC) of the newest date in the API's rates, in seconds.
-- sources: [currency_rate.rates]
-- period: snapshot
-- unit: seconds
-- direction: lower_is_better
-- norm: 97200
-- alert: 129600
-- owner: data@satchel.example
-- tags: [pipeline, fx, data-quality]
-- ---
SELECT extract(epoch FROM now() - (max(r.date)::date::timestamp AT TIME ZONE 'UTC'))
FROM currency_rate_rates.rates AS r;
