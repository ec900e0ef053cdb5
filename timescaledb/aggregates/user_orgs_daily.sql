-- One row per day, site, user and organisation (authenticated requests): each row is one
-- active user of that day, so COUNT(*) per day is the number of active users, without
-- counting distinct names (the daily series of active users read it).
SELECT {{ bucket("ts") }} AS bucket,
       site, user_name, org,
       count(*) AS requests
FROM {{ source }}
WHERE user_name IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, user_name, org
