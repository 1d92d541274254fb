-- Issue 15: the pieces of files candidates handed in for handin items
-- (sync.HandInChunk). The bytes stay in the record's payload (records);
-- this is the index that finds them: one row per piece, the first record
-- that brought it. Read only to show a candidate's files, never for a
-- results page.
CREATE TABLE handin_chunks (
	session_id TEXT NOT NULL,
	ticket     TEXT NOT NULL,
	item_id    TEXT NOT NULL,
	file_hash  TEXT NOT NULL,
	idx        INTEGER NOT NULL,
	size       BIGINT NOT NULL,
	record_id  TEXT NOT NULL,
	PRIMARY KEY (session_id, ticket, file_hash, idx)
);
