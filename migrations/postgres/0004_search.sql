-- National search (README, « Recherche nationale »): the communes of the place field, the default radius of each
-- département, and what the eligibility rule says of each slot, computed when the agenda changes
-- so that a search is a few index range scans.

CREATE TABLE departements (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE communes (
    insee_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- Lower-case ASCII words (domain::place::normalise), for prefix search.
    search_name TEXT COLLATE "C" NOT NULL,
    departement TEXT NOT NULL,
    -- Space-separated.
    postcodes TEXT NOT NULL,
    population BIGINT NOT NULL,
    -- NULL when unknown: the search then covers the whole département.
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION
);
CREATE INDEX communes_search_name ON communes (search_name);

CREATE TABLE commune_postcodes (
    postcode TEXT NOT NULL,
    insee_code TEXT NOT NULL REFERENCES communes (insee_code) ON DELETE CASCADE,
    PRIMARY KEY (postcode, insee_code)
);

-- Version of the reference data loaded from migrations/communes.
CREATE TABLE reference_data (
    name TEXT PRIMARY KEY,
    version TEXT NOT NULL
);

-- Default search radius of a département, editable by the SAS; 20 km when absent.
CREATE TABLE search_radius (
    departement TEXT PRIMARY KEY,
    radius_km BIGINT NOT NULL CHECK (radius_km BETWEEN 1 AND 200)
);
INSERT INTO search_radius (departement, radius_km) VALUES
    ('75', 3), ('92', 5), ('93', 5), ('94', 5),
    ('13', 10), ('31', 10), ('33', 10), ('59', 10), ('69', 10), ('06', 10), ('67', 10), ('44', 10),
    ('04', 30), ('05', 30), ('09', 30), ('15', 30), ('23', 30), ('46', 30), ('48', 30),
    ('52', 30), ('55', 30), ('58', 30), ('973', 50);

-- The eligibility rule's verdict on the slot's range and practitioner (0 hidden, 1 « Soins non
-- programmés », 2 « Nouveaux patients », 3 both), and whether an active appointment holds it.
ALTER TABLE slots ADD COLUMN sas_flags BIGINT NOT NULL DEFAULT 0;
ALTER TABLE slots ADD COLUMN taken BOOLEAN NOT NULL DEFAULT FALSE;
-- The same slots, visible and free, packed one row per practitioner (domain::search::pack_slots):
-- a search reads the practitioners of its area and nothing else.
ALTER TABLE practitioners ADD COLUMN sas_slots BYTEA;
-- Some of them are video slots: video is searched département-wide, whatever the radius.
ALTER TABLE practitioners ADD COLUMN sas_video BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE slots SET taken = TRUE
    WHERE id IN (SELECT slot_id FROM appointments WHERE status <> 'cancelled');

-- The slots a regulator may see, by practitioner and time: result cards and packing read them.
CREATE INDEX slots_search ON slots (practitioner_id, starts_at, mode) WHERE sas_flags > 0 AND NOT taken;
-- Practitioners by bounding box (latitude range, longitude checked in the index) or by
-- département; both cover the search's columns, so it never reads the table.
CREATE INDEX practitioners_geo ON practitioners (specialty, latitude, longitude, id, sas_slots)
    WHERE sas_registered;
CREATE INDEX practitioners_departement_search ON practitioners (departement, specialty, id, latitude, longitude, sas_slots)
    WHERE sas_registered;
CREATE INDEX practitioners_video ON practitioners (departement, specialty, id, latitude, longitude, sas_slots)
    WHERE sas_registered AND sas_video;
