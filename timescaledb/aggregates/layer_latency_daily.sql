-- Timed requests per layer and latency bin (see latency_hourly.sql), by day: the slowest
-- layers of any range. Daily from raw rows: hours of layers would be many rows for little.
SELECT {{ bucket("ts") }} AS bucket,
       site, app, layer, analytics.latency_bin(duration_ms) AS bin,
       count(*) AS requests
FROM {{ source }}
WHERE duration_ms IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, app, layer, analytics.latency_bin(duration_ms)
