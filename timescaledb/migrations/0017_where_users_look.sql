-- Where on the territory users look: for each request and layer whose map, features or
-- tile show a place (GetMap, GetFeature, GetTile, GetCoverage with a BBOX or tile
-- indices), the Web Mercator tile (zoom, x, y: rows from the top) holding the center of
-- what it shows, at the zoom of its width (the analyzer's `territory`, up to 14); NULL for
-- other requests and for rows loaded before. territory_daily and territory_monthly count
-- them per layer and organisation in tiles of zoom 11 at most, for the Territory map.
{% import "macros/aggregates.sql" as aggregates with context -%}

ALTER TABLE analytics.request_layers
    ADD COLUMN IF NOT EXISTS ogc_view_zoom smallint,
    ADD COLUMN IF NOT EXISTS ogc_view_x integer,
    ADD COLUMN IF NOT EXISTS ogc_view_y integer;

-- The longitude and latitude of a Web Mercator tile's center, for the map charts.
CREATE OR REPLACE FUNCTION analytics.tile_longitude(zoom smallint, x integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (x + 0.5) / power(2, zoom) * 360 - 180;

CREATE OR REPLACE FUNCTION analytics.tile_latitude(zoom smallint, y integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN degrees(atan(sinh(pi() * (1 - 2 * (y + 0.5) / power(2, zoom)))));

{{ aggregates.create(aggregates_of("0017")) }}
{{ aggregates.grant(aggregates_of("0017")) }}
{{ aggregates.fill(aggregates_of("0017")) }}
{{ aggregates.retention(aggregates_until("0017")) }}
