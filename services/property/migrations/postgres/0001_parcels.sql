-- Parcels, their owners and request numbers. Append-only where the domain says so: every
-- change to a parcel is a new row in parcel_versions (the previous one gets its valid_to),
-- owners are recorded per version, and nothing is deleted.

-- One row per version of a parcel; the current version has valid_to NULL.
CREATE TABLE parcel_versions (
    renovation_code TEXT COLLATE "C" NOT NULL,  -- canonical; byte order = the proto's text order, e.g. 3-12-405-7-0-0
    version BIGINT NOT NULL,                  -- 1, 2, …
    seq BIGINT NOT NULL,                      -- global change order (counters.parcel_change)
    zone INTEGER NOT NULL,
    district INTEGER NOT NULL,
    plate_main TEXT NOT NULL,
    plate_sub TEXT NOT NULL,
    plate_section TEXT NOT NULL,
    address TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    land_use INTEGER NOT NULL,
    land_area_dm2 BIGINT NOT NULL,
    built_area_dm2 BIGINT NOT NULL,
    floors INTEGER NOT NULL,
    land_value_rials_per_m2 BIGINT NOT NULL,
    building_value_rials_per_m2 BIGINT NOT NULL,
    geometry_geojson TEXT NOT NULL,
    min_lon DOUBLE PRECISION NOT NULL,
    min_lat DOUBLE PRECISION NOT NULL,
    max_lon DOUBLE PRECISION NOT NULL,
    max_lat DOUBLE PRECISION NOT NULL,
    label_lon DOUBLE PRECISION NOT NULL,
    label_lat DOUBLE PRECISION NOT NULL,
    ownership_type INTEGER NOT NULL,          -- 0 = not recorded
    deed_number TEXT NOT NULL,
    change_kind INTEGER NOT NULL,             -- ParcelChangeKind
    reason TEXT NOT NULL,
    actor_account_id TEXT NOT NULL,           -- '' for the system (seed, import)
    actor_display_name TEXT NOT NULL,
    client_request_id TEXT,                   -- idempotency key, NULL when none
    valid_from BIGINT NOT NULL,               -- µs since the epoch
    valid_to BIGINT,                          -- NULL while current
    PRIMARY KEY (renovation_code, version)
);
CREATE UNIQUE INDEX parcel_versions_current ON parcel_versions (renovation_code) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX parcel_versions_seq ON parcel_versions (seq);
CREATE INDEX parcel_versions_plate ON parcel_versions (plate_main, plate_sub, plate_section, renovation_code) WHERE valid_to IS NULL;
CREATE UNIQUE INDEX parcel_versions_idempotency ON parcel_versions (actor_account_id, client_request_id) WHERE client_request_id IS NOT NULL;

-- The owners of each version.
CREATE TABLE parcel_owners (
    renovation_code TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    ordinal INTEGER NOT NULL,
    kind INTEGER NOT NULL,                    -- OwnerKind
    national_code TEXT NOT NULL,
    full_name TEXT NOT NULL,
    share_numerator BIGINT NOT NULL,          -- share in dang, lowest terms
    share_denominator BIGINT NOT NULL,
    deed_number TEXT NOT NULL,
    PRIMARY KEY (renovation_code, version, ordinal)
);
CREATE INDEX parcel_owners_national_code ON parcel_owners (national_code, renovation_code, version);

-- Request numbers issued by clerks.
CREATE TABLE request_numbers (
    number TEXT PRIMARY KEY,                  -- 10 digits, Damm check digit
    seq BIGINT NOT NULL UNIQUE,
    renovation_code TEXT COLLATE "C" NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    actor_account_id TEXT NOT NULL,
    actor_display_name TEXT NOT NULL,
    note TEXT NOT NULL,
    client_request_id TEXT,
    used_by_inquiry_id TEXT,                  -- NULL while unused
    used_at BIGINT
);
CREATE INDEX request_numbers_parcel ON request_numbers (renovation_code, seq);
CREATE UNIQUE INDEX request_numbers_idempotency ON request_numbers (actor_account_id, client_request_id) WHERE client_request_id IS NOT NULL;

-- Sequences that work the same on both backends (a row lock serialises writers).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('parcel_change', 0), ('request_number', 0);

-- Who did what, beyond the parcel versions themselves (request numbers, imports, seeding).
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,                      -- UUIDv7
    at BIGINT NOT NULL,
    actor_account_id TEXT NOT NULL,
    actor_display_name TEXT NOT NULL,
    action TEXT NOT NULL,                     -- e.g. request_number.issued
    subject TEXT NOT NULL,                    -- renovation code or request number
    detail TEXT NOT NULL                      -- JSON
);
CREATE INDEX audit_log_subject ON audit_log (subject, at);
