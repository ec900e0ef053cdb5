-- Raw storage: one row per request, one row per request and layer, and the ledger of
-- loaded files. Written by the analyzer only; see timescaledb/README.md for each column.

CREATE TABLE IF NOT EXISTS analytics.ingested_files (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site          text NOT NULL,
    source        text NOT NULL,
    fingerprint   text NOT NULL,
    path          text NOT NULL,
    lines         bigint NOT NULL DEFAULT 0,
    rejects       bigint NOT NULL DEFAULT 0,
    rows          bigint NOT NULL DEFAULT 0,
    first_ts      timestamptz,
    last_ts       timestamptz,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    seconds       double precision NOT NULL DEFAULT 0,
    aggregated_at timestamptz,
    CONSTRAINT ingested_files_site_fingerprint_key UNIQUE (site, fingerprint)
);
-- refresh_after_commit looks for files whose aggregates are not settled yet.
CREATE INDEX IF NOT EXISTS ingested_files_pending_idx
    ON analytics.ingested_files (id) WHERE aggregated_at IS NULL;

CREATE TABLE IF NOT EXISTS analytics.requests (
    ts             timestamptz NOT NULL,
    site           text NOT NULL,
    file_id        bigint NOT NULL,
    line_no        integer NOT NULL,
    client_ip      text,
    user_name      text,
    org            text,
    roles          text[] NOT NULL DEFAULT '{}',
    method         text NOT NULL,
    path           text NOT NULL,
    query          text,
    status         smallint NOT NULL,
    bytes          bigint,
    duration_ms    double precision,
    referer        text,
    user_agent     text,
    app            text NOT NULL,
    agent_class    text NOT NULL,
    agent_name     text,
    ogc_service    text,
    ogc_request    text,
    ogc_layers     text[],
    ogc_crs        text,
    ogc_format     text,
    ogc_bbox       double precision[],
    ogc_width      integer,
    ogc_height     integer,
    ogc_tiled      boolean,
    ogc_download   boolean,
    catalog_action text,
    catalog_uuid   text,
    layer_count    smallint NOT NULL DEFAULT 0
);
-- Only the (site, ts) index: every extra index slows the nightly COPY, and chunk exclusion
-- already serves time-only scans.
SELECT create_hypertable('analytics.requests', by_range('ts', INTERVAL '1 week'),
                         create_default_indexes => false, if_not_exists => true);
CREATE INDEX IF NOT EXISTS requests_site_ts_idx ON analytics.requests (site, ts);

CREATE TABLE IF NOT EXISTS analytics.request_layers (
    ts           timestamptz NOT NULL,
    site         text NOT NULL,
    file_id      bigint NOT NULL,
    line_no      integer NOT NULL,
    layer        text NOT NULL,
    workspace    text GENERATED ALWAYS AS (
                     CASE WHEN strpos(layer, ':') > 0 THEN split_part(layer, ':', 1) END
                 ) STORED,
    app          text NOT NULL,
    ogc_service  text NOT NULL,
    ogc_request  text,
    ogc_tiled    boolean NOT NULL,
    ogc_download boolean NOT NULL,
    ogc_format   text,
    ogc_crs      text,
    org          text,
    user_name    text,
    agent_class  text NOT NULL,
    status       smallint NOT NULL,
    duration_ms  double precision
);
SELECT create_hypertable('analytics.request_layers', by_range('ts', INTERVAL '1 week'),
                         create_default_indexes => false, if_not_exists => true);
CREATE INDEX IF NOT EXISTS request_layers_site_ts_idx ON analytics.request_layers (site, ts);
