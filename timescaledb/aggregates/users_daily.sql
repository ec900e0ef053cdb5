-- One row per day, site, user, app, organisation and roles, for authenticated requests.
-- Distinct users over any period: COUNT(DISTINCT user_name) over these rows (exact).
SELECT {{ bucket("ts") }} AS bucket,
       site, user_name, app, org, roles,
       count(*) AS requests,
       sum(bytes) AS bytes
FROM {{ source }}
WHERE user_name IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, user_name, app, org, roles
