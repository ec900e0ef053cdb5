-- Timed requests per latency bin (analytics.latency_bin: bins 2 percent wide, 0.01 ms to an hour),
-- by application. Bins add up across buckets, sites and applications, so the percentiles
-- of any range and grouping come from summed bins (analytics.latency_quantile).
SELECT {{ bucket("ts") }} AS bucket,
       site, app, analytics.latency_bin(duration_ms) AS bin,
       count(*) AS requests
FROM {{ source }}
WHERE duration_ms IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, app, analytics.latency_bin(duration_ms)
