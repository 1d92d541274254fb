-- Issue 17: random inspections (双随机一公开). Every document of a draw is
-- kept as the exact bytes exam/inspect wrote (canonical JSON) and is never
-- re-serialised: the bytes published are the bytes hashed.

-- A snapshot of the registers (sites that may be inspected, inspectors and
-- their ties), as parsed from the two CSV files: canonical is the registers'
-- canonical JSON, sha256 its hash; the files themselves are kept so that
-- anyone re-running a draw can be given exactly what was imported.
CREATE TABLE inspection_registers (
  id             {{serial}},
  canonical      {{blob}} NOT NULL,
  sha256         TEXT NOT NULL,
  sites          INTEGER NOT NULL,
  inspectors     INTEGER NOT NULL,
  sites_csv      {{blob}} NOT NULL,
  inspectors_csv {{blob}} NOT NULL,
  imported_at    BIGINT NOT NULL,
  imported_by    TEXT NOT NULL
);

-- A published commitment: canonical is its canonical JSON (registers' hash,
-- plan, sources, time), sha256 its hash; description is the public values
-- as the office described them. The plan's figures are copies for listing.
CREATE TABLE inspection_commitments (
  id                  {{serial}},
  registers_id        BIGINT NOT NULL REFERENCES inspection_registers(id),
  canonical           {{blob}} NOT NULL,
  sha256              TEXT NOT NULL UNIQUE,
  share_percent       INTEGER NOT NULL,
  min_sites           INTEGER NOT NULL,
  inspectors_per_site INTEGER NOT NULL,
  description         TEXT NOT NULL,
  published_at        BIGINT NOT NULL,
  committed_by        TEXT NOT NULL
);

-- The draw of a commitment, once: the values as typed (a JSON list of
-- strings), who typed them and when, and the transcript's canonical bytes.
CREATE TABLE inspection_draws (
  commitment_id BIGINT PRIMARY KEY REFERENCES inspection_commitments(id),
  typed         TEXT NOT NULL,
  typed_by      TEXT NOT NULL,
  typed_at      BIGINT NOT NULL,
  transcript    {{blob}} NOT NULL,
  sha256        TEXT NOT NULL
);

-- One inspection per drawn site: position is the draw order (from 0),
-- inspectors the ids drawn, a JSON list in the order drawn. status is
-- 'drawn', 'passed' (findings, no issue), 'rectifying' (an issue found,
-- rectify_by the deadline) or 'rectified' (closed). findings_at/_by are of
-- the findings, closed_at/_by/close_note of the rectification's closing.
CREATE TABLE inspection_sites (
  commitment_id BIGINT NOT NULL REFERENCES inspection_draws(commitment_id),
  site_code     TEXT NOT NULL,
  site_name     TEXT NOT NULL,
  position      INTEGER NOT NULL,
  inspectors    TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'drawn',
  findings_at   BIGINT NOT NULL DEFAULT 0,
  findings_by   TEXT NOT NULL DEFAULT '',
  rectify_by    BIGINT NOT NULL DEFAULT 0,
  closed_at     BIGINT NOT NULL DEFAULT 0,
  closed_by     TEXT NOT NULL DEFAULT '',
  close_note    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (commitment_id, site_code),
  UNIQUE (commitment_id, position)
);

-- Findings: one row per checklist item of an inspected site (exam/inspect
-- Checklist): issue 0 (passed) or 1 (issue found), with a note.
CREATE TABLE inspection_findings (
  commitment_id BIGINT NOT NULL,
  site_code     TEXT NOT NULL,
  item          TEXT NOT NULL,
  issue         INTEGER NOT NULL,
  note          TEXT NOT NULL,
  PRIMARY KEY (commitment_id, site_code, item),
  FOREIGN KEY (commitment_id, site_code) REFERENCES inspection_sites(commitment_id, site_code)
);
