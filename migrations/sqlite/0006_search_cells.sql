-- The search grid (README, « National search »): per specialty and cell of a fixed latitude /
-- longitude grid (about 5 km, server::store::cells), the SAS practitioners of the cell with their
-- position, département and packed slots, rewritten in the transactions that repack them. A radius
-- search reads a few hundred cells instead of one row per practitioner. The store fills them from
-- the practitioners at its first start after this migration (reference_data 'search_cells').
CREATE TABLE search_cells (
    specialty TEXT NOT NULL,
    cell_lat BIGINT NOT NULL,
    cell_lon BIGINT NOT NULL,
    practitioners BLOB NOT NULL,
    PRIMARY KEY (specialty, cell_lat, cell_lon)
);
-- The cells where a département has practitioners of a specialty (never removed: a cell left
-- only costs a read), so that a département search reads its cells too.
CREATE TABLE departement_cells (
    departement TEXT NOT NULL,
    specialty TEXT NOT NULL,
    cell_lat BIGINT NOT NULL,
    cell_lon BIGINT NOT NULL,
    PRIMARY KEY (departement, specialty, cell_lat, cell_lon)
);
-- The search no longer reads practitioners by area: their covering indexes only cost writes.
DROP INDEX practitioners_geo;
DROP INDEX practitioners_departement_search;
DROP INDEX practitioners_video;
