-- Where users look: per day, layer and organisation, the requests whose map, features or
-- tile show a place (request_layers.ogc_view_*: the Web Mercator tile holding its center,
-- at the zoom of its width), counted in tiles of zoom {{ territory_zoom }} at most
-- (db.aggregates.TERRITORY_ZOOM): a closer view counts in the tile above it, so that a
-- day stays a few rows per layer and place, whatever the zoom people use.
{%- set zoom = territory_zoom %}
SELECT {{ bucket("ts") }} AS bucket,
       site, layer, org,
       least(ogc_view_zoom, {{ zoom }})::smallint AS zoom,
       ogc_view_x >> greatest(ogc_view_zoom - {{ zoom }}, 0) AS x,
       ogc_view_y >> greatest(ogc_view_zoom - {{ zoom }}, 0) AS y,
       count(*) AS requests
FROM {{ source }}
WHERE ogc_view_zoom IS NOT NULL
GROUP BY {{ bucket("ts") }}, site, layer, org, least(ogc_view_zoom, {{ zoom }}),
         ogc_view_x >> greatest(ogc_view_zoom - {{ zoom }}, 0),
         ogc_view_y >> greatest(ogc_view_zoom - {{ zoom }}, 0)
