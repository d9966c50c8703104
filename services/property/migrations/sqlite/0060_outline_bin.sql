-- Each version's outline also as compact bytes (estelam_parcel_geo::outline_bytes, format 1),
-- written with the GeoJSON text on every parcel write. The map index loads these at start
-- instead of parsing a million JSON documents. NULL only for a row an older build wrote
-- during a rolling upgrade; the index then reads that row's text.
ALTER TABLE parcel_versions ADD COLUMN outline_bin BLOB;

-- The bytes of every row written before this column existed, computed here from the text
-- exactly as the Rust encoder does: version 1, kind (1 Polygon, 2 MultiPolygon), polygon
-- count, then per polygon its ring count, per ring its position count and positions as
-- little-endian IEEE 754 doubles. A Polygon is handled as a MultiPolygon of one polygon
-- with kind 1. SQLite has no function that gives a double's bits, so they are computed:
-- the exponent is that of the largest power of two not above |x| (a table of all 2098
-- powers, each exact), the mantissa (|x| / 2^e - 1) * 2^52, exact in double arithmetic.
CREATE TEMP TABLE estelam_powers (k INTEGER PRIMARY KEY, p REAL NOT NULL);
WITH RECURSIVE
    up(k, p) AS (SELECT 0, 1.0 UNION ALL SELECT k + 1, p * 2.0 FROM up WHERE k < 1023),
    down(k, p) AS (SELECT -1, 0.5 UNION ALL SELECT k - 1, p * 0.5 FROM down WHERE k > -1074)
INSERT INTO estelam_powers (k, p) SELECT k, p FROM up UNION ALL SELECT k, p FROM down;
CREATE INDEX estelam_powers_p ON estelam_powers (p);

UPDATE parcel_versions SET outline_bin = (
    SELECT unhex(
        '01'
        || CASE g.kind WHEN 'Polygon' THEN '01' ELSE '02' END
        || (SELECT substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2)
            FROM (SELECT printf('%08X', json_array_length(g.polys)) AS h))
        || coalesce((
            SELECT group_concat(
                (SELECT substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2)
                 FROM (SELECT printf('%08X', json_array_length(poly.value)) AS h))
                || coalesce((
                    SELECT group_concat(
                        (SELECT substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2)
                         FROM (SELECT printf('%08X', json_array_length(ring.value)) AS h))
                        || coalesce((
                            SELECT group_concat(
                                substr(lon, 15, 2) || substr(lon, 13, 2) || substr(lon, 11, 2) || substr(lon, 9, 2) || substr(lon, 7, 2) || substr(lon, 5, 2) || substr(lon, 3, 2) || substr(lon, 1, 2)
                                || substr(lat, 15, 2) || substr(lat, 13, 2) || substr(lat, 11, 2) || substr(lat, 9, 2) || substr(lat, 7, 2) || substr(lat, 5, 2) || substr(lat, 3, 2) || substr(lat, 1, 2),
                                '' ORDER BY k)
                            FROM (
                                SELECT pos.key AS k,
                                    printf('%016X', (CASE WHEN x = 0 THEN 0 ELSE
                                        (CASE WHEN x < 0 THEN -9223372036854775807 - 1 ELSE 0 END)
                                        + (SELECT CASE WHEN pw.k >= -1022
                                                THEN (pw.k + 1023) * 4503599627370496
                                                     + CAST((abs(x) / pw.p - 1.0) * 4503599627370496.0 AS INTEGER)
                                                ELSE CAST(abs(x) / (SELECT p FROM estelam_powers WHERE k = -1074) AS INTEGER) END
                                           FROM estelam_powers AS pw WHERE pw.p <= abs(x) ORDER BY pw.p DESC LIMIT 1)
                                    END)) AS lon,
                                    printf('%016X', (CASE WHEN y = 0 THEN 0 ELSE
                                        (CASE WHEN y < 0 THEN -9223372036854775807 - 1 ELSE 0 END)
                                        + (SELECT CASE WHEN pw.k >= -1022
                                                THEN (pw.k + 1023) * 4503599627370496
                                                     + CAST((abs(y) / pw.p - 1.0) * 4503599627370496.0 AS INTEGER)
                                                ELSE CAST(abs(y) / (SELECT p FROM estelam_powers WHERE k = -1074) AS INTEGER) END
                                           FROM estelam_powers AS pw WHERE pw.p <= abs(y) ORDER BY pw.p DESC LIMIT 1)
                                    END)) AS lat
                                FROM (
                                    SELECT pos.key AS key,
                                        json_extract(pos.value, '$[0]') AS x,
                                        json_extract(pos.value, '$[1]') AS y
                                    FROM json_each(ring.value) AS pos
                                ) AS pos
                            )
                        ), ''),
                        '' ORDER BY ring.key)
                    FROM json_each(poly.value) AS ring
                ), ''),
                '' ORDER BY poly.key)
            FROM json_each(g.polys) AS poly
        ), '')
    )
    FROM (
        SELECT json_extract(parcel_versions.geometry_geojson, '$.type') AS kind,
            CASE json_extract(parcel_versions.geometry_geojson, '$.type')
                WHEN 'Polygon' THEN json_array(json(json_extract(parcel_versions.geometry_geojson, '$.coordinates')))
                ELSE json_extract(parcel_versions.geometry_geojson, '$.coordinates')
            END AS polys
    ) AS g
)
WHERE outline_bin IS NULL;

DROP TABLE estelam_powers;
