-- Issue 15: a result's approval and publication, and appeals (复核).

-- The approval that stands for a candidate's result: the digest of the
-- scores approved (exam.ResultDigest). It counts only while the result has
-- exactly those scores and nothing blocks it; an appeal deletes it.
-- published_at is set when it is published.
CREATE TABLE result_approvals (
  session_id   TEXT NOT NULL REFERENCES sessions(id),
  ticket       TEXT NOT NULL,
  digest       TEXT NOT NULL,
  approved_by  TEXT NOT NULL,
  approved_at  BIGINT NOT NULL,
  published_by TEXT NOT NULL DEFAULT '',
  published_at BIGINT,
  PRIMARY KEY (session_id, ticket)
);

-- Every publication, never changed: what certificates (issue 16) are
-- issued from, in id order. A result published again after an appeal has a
-- row for each publication; the newest is the one that stands.
CREATE TABLE publications (
  id           {{serial}},
  session_id   TEXT NOT NULL REFERENCES sessions(id),
  ticket       TEXT NOT NULL,
  digest       TEXT NOT NULL,
  total        DOUBLE PRECISION NOT NULL,
  max_points   DOUBLE PRECISION NOT NULL,
  passed       INTEGER NOT NULL,
  absent       INTEGER NOT NULL,
  published_by TEXT NOT NULL,
  published_at BIGINT NOT NULL
);
CREATE INDEX publications_session ON publications (session_id, ticket);

-- A candidate's appeal of one item (a request naming several items is a
-- row per item). before_marks are the item's marks when it was recorded
-- (JSON, per rubric criterion); the re-mark comes from a marker who did not
-- mark the item (task_id: marking's appeal task, when the item is marked at
-- central); outcome is '' while open, then 'unchanged' or 'changed' with
-- after_marks, which then replace the item's final marks in results.
CREATE TABLE appeals (
  id           {{serial}},
  session_id   TEXT NOT NULL REFERENCES sessions(id),
  ticket       TEXT NOT NULL,
  item_id      TEXT NOT NULL,
  reason       TEXT NOT NULL,
  received_on  TEXT NOT NULL,
  recorded_by  TEXT NOT NULL,
  recorded_at  BIGINT NOT NULL,
  before_marks TEXT NOT NULL,
  task_id      BIGINT,
  remark       TEXT NOT NULL DEFAULT '',
  remarked_by  TEXT NOT NULL DEFAULT '',
  remarked_at  BIGINT,
  outcome      TEXT NOT NULL DEFAULT '',
  after_marks  TEXT NOT NULL DEFAULT '',
  closed_by    TEXT NOT NULL DEFAULT '',
  closed_at    BIGINT,
  note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX appeals_session ON appeals (session_id, ticket);
-- One open appeal per item of a candidate.
CREATE UNIQUE INDEX appeals_open ON appeals (session_id, ticket, item_id) WHERE outcome = '';
