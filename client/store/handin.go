package store

import (
	"bytes"
	"fmt"
	"strconv"

	"onex/exam"
)

// PutHandInPiece stores one piece of a file a candidate handed in, sealed,
// unless the store holds it already (the file's hash and the index name
// its content: a copy changes nothing). It reports whether it stored it.
func (tx *Tx) PutHandInPiece(sessionID, ticket, file string, index int, data []byte) (bool, error) {
	sealed, err := tx.seal("handin", "data", pieceRow(sessionID, ticket, file, index), data)
	if err != nil {
		return false, err
	}
	res, err := tx.exec(`INSERT INTO handin (session_id, ticket, file_hash, idx, size, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		sessionID, ticket, file, index, len(data), sealed)
	if err != nil {
		return false, fmt.Errorf("site store: hand-in piece: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// pieceRow is a piece's row id for its sealed field: the file's hash cut
// to 128 bits keeps the id within the 128 bytes a sealed field's row id
// may take, with the session id and ticket before it.
func pieceRow(sessionID, ticket, file string, index int) string {
	return rowKey(sessionID, ticket, file[:min(len(file), 32)], strconv.Itoa(index))
}

// HandInPieces is how many pieces of a file the store holds: those from
// index 0 on without a gap.
func (tx *Tx) HandInPieces(sessionID, ticket, file string) (int, error) {
	rows, err := tx.query("SELECT idx FROM handin WHERE session_id = ? AND ticket = ? AND file_hash = ? ORDER BY idx", sessionID, ticket, file)
	if err != nil {
		return 0, fmt.Errorf("site store: hand-in pieces: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return 0, err
		}
		if i != n {
			break
		}
		n++
	}
	return n, rows.Err()
}

// HandInFile puts a handed-in file together from its pieces and checks it
// against the answer's size and SHA-256; a piece missing, or pieces that do
// not make the file, is ErrNotFound.
func (tx *Tx) HandInFile(sessionID, ticket string, f exam.HandedFile) ([]byte, error) {
	rows, err := tx.query("SELECT idx, data FROM handin WHERE session_id = ? AND ticket = ? AND file_hash = ? ORDER BY idx", sessionID, ticket, f.SHA256)
	if err != nil {
		return nil, fmt.Errorf("site store: hand-in file: %w", err)
	}
	defer rows.Close()
	var buf bytes.Buffer
	buf.Grow(int(f.Size))
	n := 0
	for rows.Next() && n < f.Chunks() {
		var i int
		var sealed []byte
		if err := rows.Scan(&i, &sealed); err != nil {
			return nil, err
		}
		if i != n {
			break
		}
		b, err := tx.open("handin", "data", pieceRow(sessionID, ticket, f.SHA256, i), sealed)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n != f.Chunks() || int64(buf.Len()) != f.Size || exam.FileHash(buf.Bytes()) != f.SHA256 {
		return nil, fmt.Errorf("hand-in file %q: %d of %d pieces: %w", f.Name, n, f.Chunks(), ErrNotFound)
	}
	return append([]byte{}, buf.Bytes()...), nil
}
