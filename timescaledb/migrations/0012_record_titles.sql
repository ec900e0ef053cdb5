-- The titles of catalogue records, fetched once per record from the site's GeoNetwork
-- (`catalog` in the analyzer's configuration) after the nightly loads, so that the
-- dashboards show a record by its title beside its UUID. A record the catalogue does not
-- know (deleted, private) gets a NULL title, asked again a week later.

CREATE TABLE IF NOT EXISTS analytics.record_titles (
    site       text NOT NULL,
    uuid       text NOT NULL,
    title      text,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site, uuid)
);
GRANT SELECT, INSERT, UPDATE ON analytics.record_titles TO analytics_writer;
GRANT SELECT ON analytics.record_titles TO analytics_reader;
