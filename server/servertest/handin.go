package servertest

import (
	"onex/exam"
	"onex/server"
	osync "onex/sync"
)

// HandInPieces cuts a handed-in file into the handin-chunk records a site
// syncs for it (exam.HandInChunk bytes each), for a ticket's hand-in item.
func HandInPieces(s server.Session, ticket, itemID string, content []byte) []osync.HandInChunk {
	var out []osync.HandInChunk
	for i := 0; i*exam.HandInChunk < len(content); i++ {
		end := min(len(content), (i+1)*exam.HandInChunk)
		out = append(out, osync.HandInChunk{SessionID: s.ID, Ticket: ticket, ItemID: itemID,
			File: exam.FileHash(content), Index: i, Data: content[i*exam.HandInChunk : end]})
	}
	return out
}

// HandIn is what a candidate hands in for a hand-in item: the answer
// listing the files (name, size, SHA-256) in the order named, and the
// records of their pieces sealed by the device, to push before the
// submission that carries the answer.
func (d *Device) HandIn(s server.Session, ticket, itemID string, names []string, files map[string][]byte) (exam.Answer, [][]byte) {
	var a exam.Answer
	var envs [][]byte
	for _, name := range names {
		content := files[name]
		a.Files = append(a.Files, exam.HandedFile{Name: name, Size: int64(len(content)), SHA256: exam.FileHash(content)})
		for _, p := range HandInPieces(s, ticket, itemID, content) {
			envs = append(envs, d.Seal(osync.KindHandIn, p).Bytes)
		}
	}
	return a, envs
}
