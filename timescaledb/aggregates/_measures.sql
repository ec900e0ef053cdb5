{#- Measure groups shared by the aggregates: all mergeable (counts, sums, maxima).
    *_from_raw: the hourly level, from raw rows. *_rollup: daily and monthly, from the level
    below. Sums of counts are cast back to bigint so that every level has the same types. -#}

{% macro counts_from_raw(with_bytes=true) -%}
count(*) AS requests,
{%- if with_bytes %}
       sum(bytes) AS bytes,
{%- endif %}
       count(*) FILTER (WHERE status >= 400) AS errors
{%- endmacro %}

{% macro counts_rollup(with_bytes=true) -%}
sum(requests)::bigint AS requests,
{%- if with_bytes %}
       sum(bytes) AS bytes,
{%- endif %}
       sum(errors)::bigint AS errors
{%- endmacro %}

{% macro latency_from_raw() -%}
count(duration_ms) AS timed,
       sum(duration_ms) AS duration_ms_sum,
       max(duration_ms) AS duration_ms_max
{%- for bin in latency_bins %},
       count(*) FILTER (WHERE {{ bin.condition("duration_ms") }}) AS {{ bin.column }}
{%- endfor %}
{%- endmacro %}

{% macro latency_rollup() -%}
sum(timed)::bigint AS timed,
       sum(duration_ms_sum) AS duration_ms_sum,
       max(duration_ms_max) AS duration_ms_max
{%- for bin in latency_bins %},
       sum({{ bin.column }})::bigint AS {{ bin.column }}
{%- endfor %}
{%- endmacro %}
