-- A device the office revoked (a stolen or retired machine): from
-- revoked_at on, central refuses its requests and the records it signed.
-- NULL while the device is in use.
ALTER TABLE devices ADD COLUMN revoked_at BIGINT;
ALTER TABLE devices ADD COLUMN revoked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
