-- Record integrity (issue 11).

-- What central makes of a record's time: the device's clock skew measured on
-- the batch that brought it (device minus central, NULL when not measured,
-- as for a file carried by hand), and 'early' or 'late' when the time the
-- device gives is implausible for the record's session ('' when plausible).
ALTER TABLE records ADD COLUMN skew_ms BIGINT;
ALTER TABLE records ADD COLUMN time_flag TEXT NOT NULL DEFAULT '';

-- A record about what central holds one of already (a candidate's
-- submission, check-in, or marks of a practical item) that does not simply
-- follow it: kept, stored without a receipt, for the office to decide.
-- held_record is what results follow: when it opened, and once decided.
CREATE TABLE disputes (
  id           {{serial}},
  session_id   TEXT NOT NULL,
  kind         TEXT NOT NULL, -- the records' kind: submission, check-in or practical-score
  ticket       TEXT NOT NULL,
  item_id      TEXT NOT NULL, -- the practical item of marks; '' otherwise
  held_record  TEXT NOT NULL,
  other_record TEXT NOT NULL UNIQUE,
  reason       TEXT NOT NULL,
  opened_at    BIGINT NOT NULL,
  decision     TEXT NOT NULL DEFAULT '', -- '' while open, then 'held' or 'other'
  decided_by   TEXT NOT NULL DEFAULT '',
  decided_at   BIGINT,
  why          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX disputes_session ON disputes (session_id, decision);

-- The one release time of every session of a paper version, fixed by its
-- first session: a paper's questions are out once any session of it is
-- released. Sessions scheduled before this migration fix it at their
-- earliest release.
CREATE TABLE paper_releases (
  paper_id      TEXT NOT NULL,
  paper_version INTEGER NOT NULL,
  release_at    BIGINT NOT NULL,
  session_id    TEXT NOT NULL, -- the session that fixed it
  PRIMARY KEY (paper_id, paper_version)
);
INSERT INTO paper_releases (paper_id, paper_version, release_at, session_id)
  SELECT s.paper_id, s.paper_version, s.release_at, MIN(s.id) FROM sessions s
  WHERE s.release_at = (SELECT MIN(t.release_at) FROM sessions t WHERE t.paper_id = s.paper_id AND t.paper_version = s.paper_version)
  GROUP BY s.paper_id, s.paper_version, s.release_at;
