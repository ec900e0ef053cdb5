-- latency_daily from latency_hourly, latency_monthly from latency_daily.
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, bin,
       sum(requests)::bigint AS requests
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, bin
