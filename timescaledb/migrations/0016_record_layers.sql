-- The OGC layers each catalogue record publishes: the names of its online resources whose
-- protocol is OGC:WMS, OGC:WFS or OGC:WMTS, as the site's GeoNetwork gives them (a bare
-- name is qualified with the workspace of its URL, `/geoserver/<ws>/wms`, as the analyzer
-- qualifies the layers it logs). Fetched with the record's title after the nightly loads;
-- `analyzer export popularity` counts the requests on them. A record is asked again once
-- its answer is 30 days old: the records asked before this migration are marked old, so
-- that the next runs fetch their layers (2000 records per site and night at most).

CREATE TABLE IF NOT EXISTS analytics.record_layers (
    site  text NOT NULL,
    uuid  text NOT NULL,
    layer text NOT NULL,
    PRIMARY KEY (site, uuid, layer)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON analytics.record_layers TO analytics_writer;
GRANT SELECT ON analytics.record_layers TO analytics_reader;

UPDATE analytics.record_titles SET fetched_at = '-infinity'
WHERE NOT EXISTS (SELECT FROM analytics.record_layers);
