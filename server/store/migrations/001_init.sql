-- Central's schema. {{serial}}, {{blob}} are replaced per engine (store.go).
-- Times are BIGINT microseconds since the Unix epoch, UTC.

CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('package', 0), ('audit', 0);

CREATE TABLE organisations (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL
);

CREATE TABLE certificates (
  code   TEXT PRIMARY KEY,
  org    TEXT NOT NULL REFERENCES organisations (code),
  name   TEXT NOT NULL,
  levels TEXT NOT NULL -- JSON: level -> {pass_mark, credits}
);

CREATE TABLE sites (
  code     TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  school   TEXT NOT NULL,
  province TEXT NOT NULL,
  rooms    TEXT NOT NULL -- JSON array
);

CREATE TABLE papers (
  id          TEXT NOT NULL,
  version     INTEGER NOT NULL,
  certificate TEXT NOT NULL,
  level       TEXT NOT NULL,
  title       TEXT NOT NULL,
  body        {{blob}} NOT NULL, -- the paper's JSON as imported
  imported_at BIGINT NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE sessions (
  id                 TEXT PRIMARY KEY,
  site               TEXT NOT NULL REFERENCES sites (code),
  room               TEXT NOT NULL,
  paper_id           TEXT NOT NULL,
  paper_version      INTEGER NOT NULL,
  start_at           BIGINT NOT NULL,
  release_at         BIGINT NOT NULL,
  late_limit_minutes INTEGER NOT NULL,
  unlock_code        TEXT NOT NULL,
  pkg_version        BIGINT NOT NULL,
  manifest           {{blob}} NOT NULL,
  created_at         BIGINT NOT NULL,
  FOREIGN KEY (paper_id, paper_version) REFERENCES papers (id, version)
);
CREATE INDEX sessions_site_pkg ON sessions (site, pkg_version);

CREATE TABLE session_parts (
  session_id TEXT NOT NULL REFERENCES sessions (id),
  name       TEXT NOT NULL,
  data       {{blob}} NOT NULL,
  PRIMARY KEY (session_id, name)
);

CREATE TABLE candidates (
  session_id TEXT NOT NULL REFERENCES sessions (id),
  ticket     TEXT NOT NULL,
  line       INTEGER NOT NULL,
  name       TEXT NOT NULL,
  id_type    TEXT NOT NULL,
  id_number  TEXT NOT NULL,
  gender     TEXT NOT NULL,
  category   TEXT NOT NULL,
  school     TEXT NOT NULL,
  fee_exempt INTEGER NOT NULL,
  room       TEXT NOT NULL,
  seat       TEXT NOT NULL,
  PRIMARY KEY (session_id, ticket)
);

CREATE TABLE enrol_codes (
  code_hash  TEXT PRIMARY KEY, -- SHA-256 of the code; the code itself is never stored
  site       TEXT NOT NULL REFERENCES sites (code),
  expires_at BIGINT NOT NULL,
  used_at    BIGINT,
  device_id  TEXT
);

CREATE TABLE devices (
  id            TEXT PRIMARY KEY,
  site          TEXT NOT NULL REFERENCES sites (code),
  name          TEXT NOT NULL,
  public_key    {{blob}} NOT NULL,
  enrolled_at   BIGINT NOT NULL,
  last_seen     BIGINT NOT NULL,
  clock_skew_ms BIGINT NOT NULL DEFAULT 0 -- device clock minus central's, last measured
);

CREATE TABLE records (
  seq         {{serial}},
  record_id   TEXT NOT NULL UNIQUE,
  device_id   TEXT NOT NULL REFERENCES devices (id),
  epoch       BIGINT NOT NULL,
  dseq        BIGINT NOT NULL,
  prev_hash   {{blob}} NOT NULL,
  hash        {{blob}} NOT NULL,
  kind        TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  envelope    {{blob}} NOT NULL,
  payload     {{blob}} NOT NULL,
  receipt     {{blob}},
  UNIQUE (device_id, epoch, dseq)
);
CREATE INDEX records_session ON records (session_id);

CREATE TABLE conflicts (
  id          {{serial}},
  record_id   TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  hash        {{blob}} NOT NULL,
  envelope    {{blob}} NOT NULL,
  reason      TEXT NOT NULL,
  received_at BIGINT NOT NULL
);

CREATE TABLE attendance (
  session_id TEXT NOT NULL,
  ticket     TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  record_id  TEXT NOT NULL,
  PRIMARY KEY (session_id, ticket)
);

CREATE TABLE submissions (
  session_id TEXT NOT NULL,
  ticket     TEXT NOT NULL,
  answers    TEXT NOT NULL, -- JSON: item id -> exam.Answer
  forced     INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  record_id  TEXT NOT NULL,
  PRIMARY KEY (session_id, ticket)
);

CREATE TABLE marks (
  session_id TEXT NOT NULL,
  ticket     TEXT NOT NULL,
  item_id    TEXT NOT NULL,
  marks      TEXT NOT NULL, -- JSON array, one figure per rubric criterion
  examiner   TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  record_id  TEXT NOT NULL,
  PRIMARY KEY (session_id, ticket, item_id)
);

CREATE TABLE users (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL,
  created_at    BIGINT NOT NULL
);

CREATE TABLE web_sessions (
  token_hash TEXT PRIMARY KEY,
  user_name  TEXT NOT NULL REFERENCES users (name),
  csrf       TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

CREATE TABLE audit (
  seq       BIGINT PRIMARY KEY,
  at        BIGINT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
