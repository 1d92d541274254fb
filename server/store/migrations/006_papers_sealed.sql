-- Papers are kept sealed under central's secrets key (seal's SecretsKey), so
-- a copy of the database reads no question. body held the paper's JSON in
-- the clear: central seals the rows still at 0 when it opens (server.Open);
-- new papers are stored sealed.
ALTER TABLE papers ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
