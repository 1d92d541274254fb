package sync_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"onex/exam"
	osync "onex/sync"
)

// TestHandInChunkVector holds PROTOCOL.md's vector of a handin-chunk
// record, and DecodePayload's checks of one.
func TestHandInChunkVector(t *testing.T) {
	hash := exam.FileHash([]byte("hello"))
	p := osync.HandInChunk{SessionID: "S", Ticket: "T", ItemID: "h1", File: hash, Data: []byte("hello"),
		Clock: osync.Clock{DeviceTime: time.Date(2026, 12, 1, 1, 10, 0, 0, time.UTC), ElapsedMS: 600000}}
	b, err := json.Marshal(p)
	want := `{"session_id":"S","ticket":"T","item":"h1","file":"` + hash + `","index":0,"data":"aGVsbG8=","device_time":"2026-12-01T01:10:00Z","elapsed_ms":600000,"server_offset_ms":0}`
	if err != nil || string(b) != want {
		t.Fatalf("\n got %s\nwant %s", b, want)
	}
	if got, err := osync.DecodePayload(osync.KindHandIn, b); err != nil || string(got.(*osync.HandInChunk).Data) != "hello" {
		t.Fatalf("decode: %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		edit func(*osync.HandInChunk)
		want string
	}{
		{"no ticket", func(h *osync.HandInChunk) { h.Ticket = "" }, "ticket or item is empty"},
		{"a bad hash", func(h *osync.HandInChunk) { h.File = strings.ToUpper(hash) }, "is not a SHA-256"},
		{"a negative index", func(h *osync.HandInChunk) { h.Index = -1 }, "index -1 is outside"},
		{"an index beyond 64 MiB", func(h *osync.HandInChunk) { h.Index = exam.MaxHandInBytes / exam.HandInChunk }, "index 256 is outside 0..255"},
		{"no data", func(h *osync.HandInChunk) { h.Data = nil }, "0 bytes, 1 to 262144"},
		{"too much data", func(h *osync.HandInChunk) { h.Data = make([]byte, exam.HandInChunk+1) }, "262145 bytes"},
	} {
		q := p
		tc.edit(&q)
		b, _ := json.Marshal(q)
		if _, err := osync.DecodePayload(osync.KindHandIn, b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzDecodeHandInChunk: decoding a handin-chunk record never panics, and
// what it accepts passes Check and stays within a piece.
func FuzzDecodeHandInChunk(f *testing.F) {
	f.Add([]byte(`{"session_id":"S","ticket":"T","item":"h1","file":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","index":0,"data":"aGVsbG8="}`))
	f.Add([]byte(`{"session_id":"S","ticket":"T","item":"h1","file":"","index":-5,"data":""}`))
	f.Add([]byte(`{"session_id":"S"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := osync.DecodePayload(osync.KindHandIn, b)
		if err != nil {
			return
		}
		h := p.(*osync.HandInChunk)
		if h.Check() != nil || len(h.Data) == 0 || len(h.Data) > exam.HandInChunk || !exam.ValidHash(h.File) || h.Index < 0 {
			t.Fatalf("accepted %+v", h)
		}
	})
}
