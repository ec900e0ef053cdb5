-- Where clients are: the country (ISO 3166-1 alpha-2) and region the analyzer looks up in
-- the admin's GeoIP database (`geoip_database`) before it anonymizes the address; NULL
-- without one, and on every row loaded before. Added columns without a default change no
-- stored row, in the row store and in the columnstore alike. countries_daily and
-- countries_monthly count requests by them, for the "clients by country" charts.
{% import "macros/aggregates.sql" as aggregates with context -%}

ALTER TABLE analytics.requests
    ADD COLUMN IF NOT EXISTS country text,
    ADD COLUMN IF NOT EXISTS region text;

{{ aggregates.create(aggregates_of("0015")) }}
{{ aggregates.grant(aggregates_of("0015")) }}
{{ aggregates.fill(aggregates_of("0015")) }}
{{ aggregates.retention(aggregates_until("0015")) }}
