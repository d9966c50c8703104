-- Each version's outline also as compact bytes (estelam_parcel_geo::outline_bytes, format 1),
-- written with the GeoJSON text on every parcel write. The map index loads these at start
-- instead of parsing a million JSON documents. NULL only for a row an older build wrote
-- during a rolling upgrade; the index then reads that row's text.
ALTER TABLE parcel_versions ADD COLUMN IF NOT EXISTS outline_bin BYTEA;

-- The bytes of every row written before this column existed, computed here from the text
-- exactly as the Rust encoder does: version 1, kind (1 Polygon, 2 MultiPolygon), polygon
-- count, then per polygon its ring count, per ring its position count and positions as
-- little-endian IEEE 754 doubles (negative zero as zero). A Polygon is handled as a
-- MultiPolygon of one polygon with kind 1. The helper goes when done.
CREATE FUNCTION estelam_outline_bytes(geojson TEXT) RETURNS BYTEA
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    j JSONB := geojson::jsonb;
    polys JSONB;
    poly JSONB;
    ring JSONB;
    pos JSONB;
    vals BIGINT[] := '{}';   -- counts, and coordinates' bits, in order
    wide BOOLEAN[] := '{}';  -- a count is 4 bytes, a coordinate 8
    k BIGINT;
    b BYTEA;
    i INTEGER;
    out BYTEA;
BEGIN
    IF j->>'type' = 'Polygon' THEN
        polys := jsonb_build_array(j->'coordinates');
        out := '\x0101'::bytea;
    ELSE
        polys := j->'coordinates';
        out := '\x0102'::bytea;
    END IF;
    vals := vals || jsonb_array_length(polys)::bigint; wide := wide || false;
    FOR poly IN SELECT value FROM jsonb_array_elements(polys) LOOP
        vals := vals || jsonb_array_length(poly)::bigint; wide := wide || false;
        FOR ring IN SELECT value FROM jsonb_array_elements(poly) LOOP
            vals := vals || jsonb_array_length(ring)::bigint; wide := wide || false;
            FOR pos IN SELECT value FROM jsonb_array_elements(ring) LOOP
                FOR i IN 0..1 LOOP
                    -- The double's bits as a bigint (`+ 0` turns -0 into 0).
                    k := ('x' || encode(float8send((pos->>i)::float8 + 0::float8), 'hex'))::bit(64)::bigint;
                    vals := vals || k; wide := wide || true;
                END LOOP;
            END LOOP;
        END LOOP;
    END LOOP;
    FOR i IN 1..array_length(vals, 1) LOOP
        k := vals[i];
        -- int8send writes big-endian: swap the bytes first.
        b := int8send(((k & 255) << 56) | (((k >> 8) & 255) << 48) | (((k >> 16) & 255) << 40)
            | (((k >> 24) & 255) << 32) | (((k >> 32) & 255) << 24) | (((k >> 40) & 255) << 16)
            | (((k >> 48) & 255) << 8) | ((k >> 56) & 255));
        IF wide[i] THEN
            out := out || b;
        ELSE
            out := out || substring(b FROM 1 FOR 4);
        END IF;
    END LOOP;
    RETURN out;
END;
$$;

UPDATE parcel_versions SET outline_bin = estelam_outline_bytes(geometry_geojson)
WHERE outline_bin IS NULL;

DROP FUNCTION estelam_outline_bytes(TEXT);
