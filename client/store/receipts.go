package store

import (
	"fmt"

	"onex/exam/seal"
)

// ReceiptHashes returns the envelope hash of every record cleared by a
// verified receipt, by record id: what the site holds central accountable for.
func (tx *Tx) ReceiptHashes() (map[string]seal.Hash, error) {
	rows, err := tx.query("SELECT record_id, hash FROM receipts")
	if err != nil {
		return nil, fmt.Errorf("site store: receipts: %w", err)
	}
	defer rows.Close()
	out := map[string]seal.Hash{}
	for rows.Next() {
		var id string
		var hash []byte
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, fmt.Errorf("site store: receipts: %w", err)
		}
		var h seal.Hash
		copy(h[:], hash)
		out[id] = h
	}
	return out, rows.Err()
}
