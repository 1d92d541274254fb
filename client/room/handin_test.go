package room_test

import (
	"encoding/json"
	"testing"

	"onex/client/room"
	"onex/exam"
)

// TestPieceChangeVector holds PROTOCOL.md's hand-in vector: a piece of
// the file "hello" and the answer that lists it, as a terminal seals them.
func TestPieceChangeVector(t *testing.T) {
	hello := []byte("hello")
	hash := exam.FileHash(hello)
	if hash != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("SHA-256 of hello: %s", hash)
	}
	for _, tc := range []struct {
		ch   room.Change
		want string
	}{
		{room.Change{SessionID: "S", Ticket: "T", Op: room.OpPiece, ItemID: "h1", File: hash, Index: 0, Data: hello},
			`{"session_id":"S","ticket":"T","op":"piece","item_id":"h1","file":"` + hash + `","data":"aGVsbG8=","used_ns":0}`},
		{room.Change{SessionID: "S", Ticket: "T", Op: room.OpPiece, ItemID: "h1", File: hash, Index: 3, Data: hello},
			`{"session_id":"S","ticket":"T","op":"piece","item_id":"h1","file":"` + hash + `","index":3,"data":"aGVsbG8=","used_ns":0}`},
		{room.Change{SessionID: "S", Ticket: "T", Op: room.OpSave, ItemID: "h1", Answer: exam.Answer{Files: []exam.HandedFile{{Name: "hello.txt", Size: 5, SHA256: hash}}}},
			`{"session_id":"S","ticket":"T","op":"save","item_id":"h1","answer":{"files":[{"name":"hello.txt","size":5,"sha256":"` + hash + `"}]},"used_ns":0}`},
	} {
		b, err := json.Marshal(tc.ch)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s (%v)", tc.ch.Op, b, tc.want, err)
		}
	}
	// A full piece's change fits what a terminal journals (512 KiB of plaintext).
	full, _ := json.Marshal(room.Change{SessionID: "SITE-001-A101-202612010900", Ticket: "2026WEB010001", Op: room.OpPiece, ItemID: "h1", File: hash, Index: 255, Data: make([]byte, exam.HandInChunk)})
	if len(full) > 512<<10 {
		t.Errorf("a full piece's change is %d bytes", len(full))
	}
}
