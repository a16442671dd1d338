-- A month's chart of one monitor, from raw results against hourly rollups (docs/performance.md,
-- "A month's chart: rollups against raw results"). Temporary tables only: nothing is kept.
\timing off
CREATE TEMP TABLE raw (monitor int, checked_at timestamptz, ok bool, latency double precision);
INSERT INTO raw SELECT m, t, (random() > 0.01), 20 + random() * 80
  FROM generate_series(1, 20) m,
       generate_series(now() - interval '30 days', now(), interval '30 seconds') t;
CREATE INDEX ON raw (monitor, checked_at);
CREATE TEMP TABLE rollup (monitor int, resolution char(1), start timestamptz, count int, failed int, total double precision, min double precision, max double precision);
INSERT INTO rollup SELECT monitor, 'h', date_trunc('hour', checked_at), count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok), sum(latency) FILTER (WHERE ok), min(latency), max(latency) FROM raw GROUP BY 1, 2, 3;
CREATE INDEX ON rollup (monitor, resolution, start);
ANALYZE raw; ANALYZE rollup;
SELECT count(*) AS raw_rows_one_monitor FROM raw WHERE monitor = 7;
\timing on
-- the month chart of one monitor, five times each way
SELECT count(*) FROM (SELECT date_trunc('hour', checked_at), avg(latency) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok) FROM raw WHERE monitor = 7 AND checked_at >= now() - interval '30 days' GROUP BY 1) s;
SELECT count(*) FROM (SELECT date_trunc('hour', checked_at), avg(latency) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok) FROM raw WHERE monitor = 7 AND checked_at >= now() - interval '30 days' GROUP BY 1) s;
SELECT count(*) FROM (SELECT date_trunc('hour', checked_at), avg(latency) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok) FROM raw WHERE monitor = 7 AND checked_at >= now() - interval '30 days' GROUP BY 1) s;
SELECT count(*) FROM (SELECT start, total / NULLIF(count, 0), failed FROM rollup WHERE monitor = 7 AND resolution = 'h' AND start >= now() - interval '30 days') s;
SELECT count(*) FROM (SELECT start, total / NULLIF(count, 0), failed FROM rollup WHERE monitor = 7 AND resolution = 'h' AND start >= now() - interval '30 days') s;
SELECT count(*) FROM (SELECT start, total / NULLIF(count, 0), failed FROM rollup WHERE monitor = 7 AND resolution = 'h' AND start >= now() - interval '30 days') s;
