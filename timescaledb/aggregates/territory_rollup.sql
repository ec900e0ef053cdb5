-- territory_monthly from territory_daily.
SELECT {{ bucket("bucket") }} AS bucket,
       site, layer, org, zoom, x, y,
       sum(requests)::bigint AS requests
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, layer, org, zoom, x, y
