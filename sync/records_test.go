package sync_test

import (
	"bytes"
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

func FuzzReadExport(f *testing.F) {
	f.Add([]byte(`{"format":"onex-export/1","device_id":"D","created":"2026-11-25T10:00:00Z","envelopes":["AQID"]}`))
	f.Add([]byte(`{"format":"onex-export/2"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := osync.ReadExport(bytes.NewReader(data))
		if err == nil && e.Format != osync.ExportFormat {
			t.Fatalf("accepted format %q", e.Format)
		}
	})
}

func TestReadExport(t *testing.T) {
	for in, want := range map[string]string{
		`{"format":"onex-export/1","envelopes":["AQID"]}`: "",
		`{"format":"onex-export/2"}`:                      `format "onex-export/2"`,
		`{"format":"onex-export/1","envelopes":[""]}`:     "envelope 1 is empty",
		`{"format":"onex-export/1","extra":1}`:            `unknown field "extra"`,
		`{"format":"onex-export/1","envelopes":["AQ`:      "unexpected EOF",
	} {
		_, err := osync.ReadExport(strings.NewReader(in))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
}
