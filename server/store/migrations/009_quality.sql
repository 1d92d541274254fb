-- Quality (issue 15): moderation of site practical scores, near-identical
-- essay pairs flagged by the lead, and quality-control settings.
-- Similarities are DOUBLE PRECISION (REAL in SQLite).

-- One moderation per session (a session is at one site): the seed of the
-- draw (so anyone can re-run exam.DrawSample and get the same sample), the
-- policy it was drawn with, and the lead's decision.
CREATE TABLE moderations (
  session_id  TEXT PRIMARY KEY REFERENCES sessions (id),
  seed        TEXT NOT NULL,  -- hex
  policy      TEXT NOT NULL,  -- JSON: exam.SamplePolicy and the flag share
  drawn_by    TEXT NOT NULL,
  drawn_at    BIGINT NOT NULL,
  decision    TEXT NOT NULL DEFAULT '', -- '' undecided, or exam.KeepSiteScores/AdoptSample/AdjustAll
  decided_by  TEXT NOT NULL DEFAULT '',
  decided_at  BIGINT NOT NULL DEFAULT 0,
  note        TEXT NOT NULL DEFAULT ''
);

-- The sampled candidates' items to re-score, each under a pseudonymous id
-- (random, never derived from the ticket) that is all a moderator sees.
CREATE TABLE rescores (
  id          TEXT PRIMARY KEY,
  session_id  TEXT NOT NULL REFERENCES moderations (session_id),
  ticket      TEXT NOT NULL,
  item_id     TEXT NOT NULL,
  reason      TEXT NOT NULL,  -- exam.SampledRandom, SampledFail, SampledTop
  site_marks  TEXT NOT NULL,  -- JSON, as the site scored when drawn
  marks       TEXT,           -- JSON, the moderator's; NULL until re-scored
  moderator   TEXT NOT NULL DEFAULT '',
  claimed_at  BIGINT NOT NULL DEFAULT 0,
  rescored_at BIGINT NOT NULL DEFAULT 0,
  seconds     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (session_id, ticket, item_id)
);
CREATE INDEX rescores_open ON rescores (rescored_at, claimed_at);

-- The marks that replace the site's after the lead's decision.
CREATE TABLE moderated_marks (
  session_id TEXT NOT NULL REFERENCES moderations (session_id),
  ticket     TEXT NOT NULL,
  item_id    TEXT NOT NULL,
  marks      TEXT NOT NULL, -- JSON, one figure per criterion
  PRIMARY KEY (session_id, ticket, item_id)
);

-- Near-identical essay pairs the lead flagged as suspected misconduct, by
-- script ids (script_a < script_b).
CREATE TABLE similar_flags (
  session_id TEXT NOT NULL,
  item_id    TEXT NOT NULL,
  script_a   TEXT NOT NULL,
  script_b   TEXT NOT NULL,
  similarity DOUBLE PRECISION NOT NULL,
  flagged_by TEXT NOT NULL,
  flagged_at BIGINT NOT NULL,
  note       TEXT NOT NULL,
  PRIMARY KEY (script_a, script_b)
);

-- Quality control of marking per session and item ('' = every item of the
-- session): one control response in every control_every hand-outs (0:
-- none), and the share of each marker's finished scripts handed back to
-- them for a re-mark (回评).
CREATE TABLE quality_settings (
  session_id    TEXT NOT NULL REFERENCES sessions (id),
  item_id       TEXT NOT NULL,
  control_every INTEGER NOT NULL,
  remark_share  DOUBLE PRECISION NOT NULL,
  seed          TEXT NOT NULL, -- hex: exam.ControlDue's seed
  set_by        TEXT NOT NULL,
  set_at        BIGINT NOT NULL,
  PRIMARY KEY (session_id, item_id)
);

-- Quality control looks up a marker's own open control and re-mark tasks
-- before each hand-out: kept fast with a full queue.
CREATE INDEX marking_tasks_only ON marking_tasks (only_marker, purpose) WHERE done_at IS NULL;
