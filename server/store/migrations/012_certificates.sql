-- Issue 16: certificates, their numbering and status, and the issuer keys
-- that sign them.

-- (The catalogue's certificates are the table certificates.) One certificate per result of a session (session_id, ticket), ever. The
-- holder's resident ID number is never kept here: id_hash is the salted hash
-- the credential carries (exam/credential HashID). status is 'valid',
-- 'suspended' or 'revoked'; reason, status_at and status_by are of its last
-- change (empty and 0 until one). qr is the signed credential text (OX1:),
-- vc the W3C verifiable credential (vc+jwt).
CREATE TABLE issued_certificates (
  number       TEXT PRIMARY KEY,
  session_id   TEXT NOT NULL REFERENCES sessions(id),
  ticket       TEXT NOT NULL,
  holder_name  TEXT NOT NULL,
  id_salt      {{blob}} NOT NULL,
  id_hash      {{blob}} NOT NULL,
  cert_code    TEXT NOT NULL,
  cert_name    TEXT NOT NULL,
  org_name     TEXT NOT NULL,
  site_name    TEXT NOT NULL,
  level        TEXT NOT NULL,
  issued_at    BIGINT NOT NULL,
  status_index BIGINT NOT NULL UNIQUE,
  kid          {{blob}} NOT NULL,
  status       TEXT NOT NULL DEFAULT 'valid',
  reason       TEXT NOT NULL DEFAULT '',
  status_at    BIGINT NOT NULL DEFAULT 0,
  status_by    TEXT NOT NULL DEFAULT '',
  qr           TEXT NOT NULL,
  vc           TEXT NOT NULL,
  issued_by    TEXT NOT NULL,
  UNIQUE (session_id, ticket)
);
CREATE INDEX issued_certificates_status ON issued_certificates (status);

-- The last serial of each certificate code, level and year: numbers are
-- never reused, so a row only grows.
CREATE TABLE certificate_serials (
  cert_code TEXT NOT NULL,
  level     TEXT NOT NULL,
  year      INTEGER NOT NULL,
  last      BIGINT NOT NULL,
  PRIMARY KEY (cert_code, level, year)
);

-- The status-list index: counters' 'certificate_status' is the number of
-- indexes given out; the next certificate gets it.
INSERT INTO counters (name, value) VALUES ('certificate_status', 0);

-- Issuer keys: an Ed25519 key signs certificates and status lists from
-- not_before (inclusive) to not_after (exclusive). private_sealed is the
-- key's seed sealed under central's secrets key (the service seals it; the
-- store keeps bytes).
CREATE TABLE issuer_keys (
  kid            {{blob}} PRIMARY KEY,
  public_key     {{blob}} NOT NULL,
  private_sealed {{blob}} NOT NULL,
  not_before     BIGINT NOT NULL,
  not_after      BIGINT NOT NULL,
  created_by     TEXT NOT NULL,
  created_at     BIGINT NOT NULL
);
