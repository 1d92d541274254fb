package sync

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"onex/exam/seal"
)

// TestSettle: what central's answer to each record of a batch does to it.
func TestSettle(t *testing.T) {
	ck, _ := seal.GenerateCentralKeys()
	forger, _ := seal.GenerateCentralKeys()
	dk, _ := seal.GenerateDeviceKey()
	var recs []Outgoing
	var prev seal.Hash
	for i := range 3 {
		pt, _ := json.Marshal(Start{SessionID: fmt.Sprintf("S%d", i)})
		env, err := seal.SealRecord(dk, ck.Public(), seal.Header{DeviceID: "dev-1", Epoch: 1, Seq: uint64(i + 1), Prev: prev, Kind: KindStart, Created: time.Now()}, pt)
		if err != nil {
			t.Fatal(err)
		}
		prev = env.Hash
		recs = append(recs, Outgoing{RecordID: env.Header.RecordID.String(), Envelope: env.Bytes})
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	receipt := func(by *seal.CentralKeys, rec Outgoing, seq uint64) []byte {
		h, _ := seal.ParseHeader(rec.Envelope)
		b, err := seal.SignReceipt(by, &seal.Receipt{RecordID: h.RecordID, EnvelopeHash: seal.EnvelopeHash(rec.Envelope), ServerSeq: seq, ServerTime: at})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := recs[0], recs[1], recs[2]
	for _, tc := range []struct {
		name                 string
		results              []RecordResult
		delivered            []Outcome // outcomes of the deliveries, in order
		refused              []Outcome
		stats                PushStats
		notes                int
		deliveredIDs, refIDs []string
	}{
		{
			name:         "accepted and duplicate with good receipts",
			results:      []RecordResult{{RecordID: a.RecordID, Outcome: Accepted, Receipt: receipt(ck, a, 7)}, {Outcome: Duplicate, Receipt: receipt(ck, b, 3)}, {RecordID: c.RecordID, Outcome: Accepted, Receipt: receipt(ck, c, 8)}},
			delivered:    []Outcome{Accepted, Duplicate, Accepted},
			deliveredIDs: []string{a.RecordID, b.RecordID, c.RecordID},
			stats:        PushStats{Accepted: 2, Duplicate: 1},
		},
		{
			name:      "conflict and rejected keep central's reason",
			results:   []RecordResult{{RecordID: a.RecordID, Outcome: Conflict, Reason: "other content"}, {RecordID: b.RecordID, Outcome: Rejected, Reason: "bad ticket"}, {RecordID: c.RecordID, Outcome: Accepted, Receipt: receipt(ck, c, 1)}},
			delivered: []Outcome{Accepted}, deliveredIDs: []string{c.RecordID},
			refused: []Outcome{Conflict, Rejected}, refIDs: []string{a.RecordID, b.RecordID},
			stats: PushStats{Accepted: 1, Conflict: 1, Rejected: 1},
			notes: 2,
		},
		{
			name: "receipts that do not verify keep the records",
			results: []RecordResult{
				{RecordID: a.RecordID, Outcome: Accepted, Receipt: receipt(forger, a, 1)}, // not central's key
				{RecordID: b.RecordID, Outcome: Accepted, Receipt: receipt(ck, c, 2)},     // another envelope's
				{RecordID: c.RecordID, Outcome: Duplicate},                                // none
			},
			stats: PushStats{BadReceipts: 3},
			notes: 3,
		},
		{
			name:    "an answer for another record, or an unknown outcome, keeps the record",
			results: []RecordResult{{RecordID: b.RecordID, Outcome: Accepted, Receipt: receipt(ck, b, 1)}, {RecordID: b.RecordID, Outcome: "maybe"}, {RecordID: c.RecordID, Outcome: Rejected, Reason: "r"}},
			refused: []Outcome{Rejected}, refIDs: []string{c.RecordID},
			stats: PushStats{BadReceipts: 2, Rejected: 1},
			notes: 3,
		},
	} {
		st := settle(ck.Public(), recs, tc.results)
		if st.stats != tc.stats || len(st.notes) != tc.notes {
			t.Errorf("%s: stats %+v with %d notes, want %+v with %d", tc.name, st.stats, len(st.notes), tc.stats, tc.notes)
		}
		if len(st.delivered) != len(tc.delivered) || len(st.refused) != len(tc.refused) {
			t.Errorf("%s: %d delivered, %d refused; want %d, %d", tc.name, len(st.delivered), len(st.refused), len(tc.delivered), len(tc.refused))
			continue
		}
		for i, d := range st.delivered {
			rec := recs[indexOf(recs, d.RecordID)]
			if d.Outcome != tc.delivered[i] || d.RecordID != tc.deliveredIDs[i] || d.EnvelopeHash != seal.EnvelopeHash(rec.Envelope) || !d.ServerTime.Equal(at) || d.Receipt == nil {
				t.Errorf("%s: delivery %d = %+v", tc.name, i, d)
			}
		}
		for i, r := range st.refused {
			if r.Outcome != tc.refused[i] || r.RecordID != tc.refIDs[i] || r.Reason == "" {
				t.Errorf("%s: refusal %d = %+v", tc.name, i, r)
			}
		}
	}
}

func indexOf(recs []Outgoing, id string) int {
	for i, r := range recs {
		if r.RecordID == id {
			return i
		}
	}
	return -1
}
