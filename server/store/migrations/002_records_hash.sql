-- Central finds a submission by its receipt code, the first 10 bytes of its
-- envelope hash (the public receipt page).
CREATE INDEX records_hash ON records (hash);
