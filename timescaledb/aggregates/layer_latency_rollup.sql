-- layer_latency_monthly from layer_latency_daily.
SELECT {{ bucket("bucket") }} AS bucket,
       site, app, layer, bin,
       sum(requests)::bigint AS requests
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, app, layer, bin
