-- The city's label layer: street names along their lines, block numbers and landmarks at
-- their points, drawn by the portal's map over the parcels (no tile server needed). Imported
-- as a whole beside the parcels (`estelam import labels`), or generated with the demo city;
-- a new import replaces the layer. Geometry is GeoJSON text in WGS84; the bounding box
-- answers "labels in this box".
CREATE TABLE IF NOT EXISTS map_labels (
    label_id       TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    geometry       TEXT NOT NULL,
    min_lon        DOUBLE PRECISION NOT NULL,
    min_lat        DOUBLE PRECISION NOT NULL,
    max_lon        DOUBLE PRECISION NOT NULL,
    max_lat        DOUBLE PRECISION NOT NULL,
    imported_at_us BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS map_labels_box ON map_labels (min_lon, max_lon, min_lat, max_lat);
