-- Where users look: per day, layer and organisation, the requests whose map, features or
-- tile show a place (request_layers.ogc_view_*: the Web Mercator tile holding its center,
-- at the zoom of its width), counted in tiles of zoom 12 at most (about 10 km at the
-- equator, 6.5 km at 48 degrees north): a closer view counts in the tile above it, so that
-- the rows of a day stay a few per layer and place, whatever the zoom people use.
SELECT {{ bucket("ts") }} AS bucket,
       site, layer, org,
       least(ogc_view_zoom, 12)::smallint AS zoom,
       ogc_view_x >> greatest(ogc_view_zoom - 12, 0) AS x,
       ogc_view_y >> greatest(ogc_view_zoom - 12, 0) AS y,
       count(*) AS requests
FROM {{ source }}
WHERE ogc_view_zoom IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, layer, org, least(ogc_view_zoom, 12),
         ogc_view_x >> greatest(ogc_view_zoom - 12, 0),
         ogc_view_y >> greatest(ogc_view_zoom - 12, 0)
