-- Honest places (issue 11, point 7).
-- Where a practitioner's position comes from: their commune's coordinates, or the centre of the
-- département's communes when the commune list has none ('departement': the search card says
-- the position is approximate).
ALTER TABLE practitioners ADD COLUMN position_source TEXT NOT NULL DEFAULT 'commune'
    CHECK (position_source IN ('commune', 'departement'));

-- « À lire avant de prendre un rendez-vous » per reason (motif); the practitioner's general
-- notice (practitioners.booking_notice) is shown when the chosen reason has none.
ALTER TABLE reasons ADD COLUMN notice TEXT NOT NULL DEFAULT '';
