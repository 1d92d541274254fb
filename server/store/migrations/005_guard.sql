-- Failed attempts of sign-in and enrolment, for throttling. The key is the
-- SHA-256 of what is throttled (a user name as typed, an address), never the
-- text itself: a name typed may be a password typed in the wrong box.
CREATE TABLE strikes (
  key_hash TEXT PRIMARY KEY,
  failures BIGINT NOT NULL,
  last_at  BIGINT NOT NULL
);
CREATE INDEX strikes_last ON strikes (last_at);

-- A session's CSRF token is derived from its cookie's token (seal.CSRFToken),
-- so it is no longer stored.
ALTER TABLE web_sessions DROP COLUMN csrf;

-- Unlock codes are kept sealed under central's secrets key (seal's
-- SecretsKey). unlock_code held them in the clear: central seals any left
-- there when it opens (server.Open) and empties the column, which new
-- sessions leave empty.
ALTER TABLE sessions ADD COLUMN unlock_sealed {{blob}};
