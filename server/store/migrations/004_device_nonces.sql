-- Nonces of device requests (onex-auth/2). A request whose nonce is here is
-- a replay and refused. Rows are kept for twice the time window a request
-- is accepted in (by its signed time), then pruned, so any central process
-- sharing this database refuses a copy of a request another one answered.
CREATE TABLE device_nonces (
  device_id TEXT NOT NULL REFERENCES devices (id),
  nonce     TEXT NOT NULL,
  signed_at BIGINT NOT NULL, -- the request's signed time
  PRIMARY KEY (device_id, nonce)
);
CREATE INDEX device_nonces_signed_at ON device_nonces (signed_at);
