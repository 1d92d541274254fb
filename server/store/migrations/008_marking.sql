-- Marking at central (issue 15, docs/marking.md): scripts, the tasks of
-- marking them, every mark given, and markers' standing.

-- A script: one response to one item marked at central, under a
-- pseudonymous id (random, never derived from the ticket or name). A
-- candidate's script names its session, ticket and submission record; a
-- control script (quality control: a response with known marks) has none
-- of them and carries its known marks. The response is the exam.Answer's
-- JSON. state: 'marking' until final, 'final' with final (JSON, per rubric
-- criterion) and how it was reached (exam.Final*), 'superseded' when the
-- office took another submission for the candidate (its tasks cancelled,
-- its marks kept), 'control' for a control script.
CREATE TABLE scripts (
  id            TEXT PRIMARY KEY,
  session_id    TEXT NOT NULL,
  ticket        TEXT NOT NULL,
  record_id     TEXT NOT NULL,
  item_id       TEXT NOT NULL,
  paper_id      TEXT NOT NULL,
  paper_version INTEGER NOT NULL,
  response      TEXT NOT NULL,
  known         TEXT,
  state         TEXT NOT NULL,
  final         TEXT,
  how           TEXT NOT NULL DEFAULT '',
  final_at      BIGINT,
  created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX scripts_response ON scripts (session_id, ticket, item_id) WHERE state IN ('marking', 'final');
CREATE INDEX scripts_session ON scripts (session_id, state);

-- A task: one mark to give on a script. purpose: first, second, third,
-- arbitrate, problem (central's marking); control, remark, moderate
-- (quality); appeal (results). lead_only: only a lead takes it. only_marker:
-- '' for anyone, else only that marker. fresh: never a marker who gave the
-- script a mark already (task_exclusions names others to keep away).
-- priority: lower first, then older first. A task is open while done_at
-- is NULL; claimed_by holds it until claim_until (0: unclaimed), after
-- which it returns to the queue. outcome: 'marked', 'flagged' or
-- 'cancelled' once done. ref: what the adding engineer links it to (an
-- appeal's id, a control set); problem and note: the flag that made a
-- problem task, and why a task was added.
CREATE TABLE marking_tasks (
  id          {{serial}},
  script_id   TEXT NOT NULL REFERENCES scripts (id),
  purpose     TEXT NOT NULL,
  lead_only   INTEGER NOT NULL DEFAULT 0,
  only_marker TEXT NOT NULL DEFAULT '',
  fresh       INTEGER NOT NULL DEFAULT 1,
  priority    INTEGER NOT NULL DEFAULT 0,
  claimed_by  TEXT NOT NULL DEFAULT '',
  claimed_at  BIGINT NOT NULL DEFAULT 0,
  claim_until BIGINT NOT NULL DEFAULT 0,
  created_at  BIGINT NOT NULL,
  created_by  TEXT NOT NULL,
  done_at     BIGINT,
  outcome     TEXT NOT NULL DEFAULT '',
  ref         TEXT NOT NULL DEFAULT '',
  problem     TEXT NOT NULL DEFAULT '',
  note        TEXT NOT NULL DEFAULT ''
);
-- The queue: open tasks in hand-out order (see store.Claim).
CREATE INDEX marking_tasks_queue ON marking_tasks (lead_only, priority, id) WHERE done_at IS NULL;
CREATE INDEX marking_tasks_claims ON marking_tasks (claimed_by) WHERE done_at IS NULL;
CREATE INDEX marking_tasks_script ON marking_tasks (script_id);

CREATE TABLE task_exclusions (
  task_id BIGINT NOT NULL REFERENCES marking_tasks (id),
  marker  TEXT NOT NULL,
  PRIMARY KEY (task_id, marker)
);

-- Every mark given, and every flag (marks NULL, flag the problem): who,
-- when, the time spent, for what purpose. Never changed but for voided_at
-- and voided_by, set when quality sends a marker's marks back.
CREATE TABLE marking_marks (
  id        {{serial}},
  script_id TEXT NOT NULL REFERENCES scripts (id),
  task_id   BIGINT NOT NULL REFERENCES marking_tasks (id),
  marker    TEXT NOT NULL,
  purpose   TEXT NOT NULL,
  marks     TEXT,
  total     DOUBLE PRECISION,
  flag      TEXT NOT NULL DEFAULT '',
  note      TEXT NOT NULL DEFAULT '',
  seconds   INTEGER NOT NULL,
  at        BIGINT NOT NULL,
  voided_at BIGINT,
  voided_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX marking_marks_script ON marking_marks (script_id, marker);
CREATE INDEX marking_marks_marker ON marking_marks (marker, at);
CREATE UNIQUE INDEX marking_marks_task ON marking_marks (task_id);

-- A marker's standing: paused markers are handed nothing (quality sets it).
CREATE TABLE markers (
  name      TEXT PRIMARY KEY,
  paused    INTEGER NOT NULL DEFAULT 0,
  paused_by TEXT NOT NULL DEFAULT '',
  paused_at BIGINT,
  reason    TEXT NOT NULL DEFAULT ''
);

-- Submissions whose scripts exist: set in the transaction that stores the
-- submission; those stored before this migration are scripted when central
-- opens (server: scriptOldSubmissions).
ALTER TABLE submissions ADD COLUMN scripted INTEGER NOT NULL DEFAULT 0;
