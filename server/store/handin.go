package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"onex/exam"
)

// HandInPiece is the place of one piece of a handed-in file
// (sync.HandInChunk): Incoming.Piece of a handin-chunk record. Ingest
// notes the first record that brings each piece; copies are stored as
// records and change nothing.
type HandInPiece struct {
	Ticket, ItemID, File string
	Index, Size          int
}

// notePiece indexes the piece rec brings, unless a record brought it before.
func notePiece(ctx context.Context, tx *sql.Tx, rec *Incoming) error {
	p := rec.Piece
	_, err := tx.ExecContext(ctx, `INSERT INTO handin_chunks (session_id, ticket, item_id, file_hash, idx, size, record_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, rec.SessionID, p.Ticket, p.ItemID, p.File, p.Index, p.Size, rec.RecordID)
	return err
}

// StoredPiece is a piece of a handed-in file as stored: its index and the
// payload of the record that brought it (a sync.HandInChunk in JSON).
type StoredPiece struct {
	Index   int
	Payload []byte
}

// HandInPieces returns the pieces central holds of one file a candidate
// handed in (by the file's SHA-256), in index order.
func (db *DB) HandInPieces(ctx context.Context, sessionID, ticket, fileHash string) ([]StoredPiece, error) {
	var out []StoredPiece
	err := queryEach(ctx, db.sql, `SELECT h.idx, r.payload FROM handin_chunks h JOIN records r ON r.record_id = h.record_id
		WHERE h.session_id = $1 AND h.ticket = $2 AND h.file_hash = $3 ORDER BY h.idx`, []any{sessionID, ticket, fileHash},
		func(scan func(...any) error) error {
			var p StoredPiece
			err := scan(&p.Index, &p.Payload)
			out = append(out, p)
			return err
		})
	return out, err
}

// SubmittedAnswers returns a candidate's answers as their submission holds
// them, or ErrNotFound when central holds no submission of theirs.
func (db *DB) SubmittedAnswers(ctx context.Context, sessionID, ticket string) (map[string]exam.Answer, error) {
	var answers string
	err := db.sql.QueryRowContext(ctx, "SELECT answers FROM submissions WHERE session_id = $1 AND ticket = $2", sessionID, ticket).Scan(&answers)
	if err != nil {
		return nil, notFound(err, "submission")
	}
	var out map[string]exam.Answer
	return out, json.Unmarshal([]byte(answers), &out)
}
