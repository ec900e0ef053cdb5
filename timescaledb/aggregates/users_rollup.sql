-- users_monthly from users_daily: the same rows per month, so that distinct users over
-- whole months are counted from a twelfth of a year's rows (still exact: never summed).
SELECT {{ bucket("bucket") }} AS bucket,
       site, user_name, app, org, roles,
       sum(requests)::bigint AS requests,
       sum(bytes) AS bytes
FROM {{ source }}
GROUP BY {{ bucket("bucket") }}, site, user_name, app, org, roles
