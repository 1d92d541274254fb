-- Issue 17: the credit bank (学分银行). A learner account is keyed by its
-- id, HMAC-SHA-256 under central's learner key of the normalised resident
-- ID number (the service computes it; the number is never kept here), so a
-- copy of the database alone cannot test guesses. name is the learner's
-- name as last seen (a certificate or a school's CSV).
CREATE TABLE credit_accounts (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Every issued certificate is deposited in its holder's account: account
-- is the account id ('' until the service's backfill of certificates
-- issued before this migration), score the result's percentage in
-- hundredths (-1 until backfilled).
ALTER TABLE issued_certificates ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE issued_certificates ADD COLUMN score BIGINT NOT NULL DEFAULT -1;
CREATE INDEX issued_certificates_account ON issued_certificates (account);

-- Courses passed at a school, imported from the school's CSV: one row per
-- account, school and course (a later import replaces it). credits and
-- score in hundredths, passed a day as yyyymmdd.
CREATE TABLE credit_courses (
  account     TEXT NOT NULL REFERENCES credit_accounts(id),
  school      TEXT NOT NULL,
  course      TEXT NOT NULL,
  course_name TEXT NOT NULL,
  credits     BIGINT NOT NULL,
  score       BIGINT NOT NULL,
  passed      BIGINT NOT NULL,
  import_id   BIGINT NOT NULL,
  PRIMARY KEY (account, school, course)
);
CREATE INDEX credit_courses_school ON credit_courses (school);

-- Each import of a school's course CSV.
CREATE TABLE credit_course_imports (
  id          {{serial}},
  school      TEXT NOT NULL,
  file        TEXT NOT NULL,
  rows_count  BIGINT NOT NULL,
  imported_by TEXT NOT NULL,
  imported_at BIGINT NOT NULL
);

-- Conversion rule sets, every version kept; body is the set as JSON
-- (exam/credit RuleSet). A new version must be above every one before.
CREATE TABLE credit_rule_sets (
  version     BIGINT PRIMARY KEY,
  name        TEXT NOT NULL,
  body        TEXT NOT NULL,
  imported_by TEXT NOT NULL,
  imported_at BIGINT NOT NULL
);

-- Applications for a conversion and their decisions: conversion and
-- events as JSON (exam/credit Conversion, []Event), state the
-- application's state. school is the conversion's, for the office's lists.
CREATE TABLE credit_applications (
  id         TEXT PRIMARY KEY,
  account    TEXT NOT NULL REFERENCES credit_accounts(id),
  school     TEXT NOT NULL,
  state      TEXT NOT NULL,
  conversion TEXT NOT NULL,
  events     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX credit_applications_account ON credit_applications (account);
CREATE INDEX credit_applications_state ON credit_applications (state, school);

INSERT INTO counters (name, value) VALUES ('credit_application', 0);
