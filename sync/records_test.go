package sync_test

import (
	"strings"
	"testing"

	osync "onex/sync"
)

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		kind, json, wantErr string
	}{
		{osync.KindCheckIn, `{"session_id":"S","ticket":"T","status":"present"}`, ""},
		{osync.KindCheckIn, `{"session_id":"S","ticket":"T","status":"gone"}`, `status "gone"`},
		{osync.KindSubmission, `{"session_id":"S","ticket":"T","paper_id":"P","answers":{"q1":{"choices":["b"]}}}`, ""},
		{osync.KindSubmission, `{"session_id":"S","ticket":"T"}`, "paper_id is empty"},
		{osync.KindPractical, `{"session_id":"S","ticket":"T","item":"q11","marks":[1,2]}`, ""},
		{osync.KindEvent, `{"session_id":"S","event":"explode"}`, `event "explode" is unknown`},
		{osync.KindStart, `{}`, "session_id is empty"},
		{"gossip", `{}`, `kind "gossip" is unknown`},
		{osync.KindAnswer, `{"session_id":`, "answer record"},
	}
	for _, tc := range tests {
		t.Run(tc.kind+" "+tc.json, func(t *testing.T) {
			p, err := osync.DecodePayload(tc.kind, []byte(tc.json))
			if tc.wantErr == "" {
				if err != nil || p.Session() != "S" {
					t.Fatalf("%v, %v", p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzDecodePayload(f *testing.F) {
	f.Add(osync.KindSubmission, []byte(`{"session_id":"S","ticket":"T","paper_id":"P","answers":{}}`))
	f.Add(osync.KindEvent, []byte(`{"session_id":"S","event":"pause"}`))
	f.Fuzz(func(t *testing.T, kind string, data []byte) {
		p, err := osync.DecodePayload(kind, data)
		if err == nil && p.Session() == "" {
			t.Fatal("accepted a record without a session")
		}
	})
}
