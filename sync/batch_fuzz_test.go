package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"onex/exam"
	"onex/exam/seal"
	osync "onex/sync"
)

// FuzzBatchResponse: central's answer to a batch is outside input to the
// site. Whatever the status, headers and body, pushing never panics, and a
// record leaves the outbox as delivered only with a receipt that verifies
// under central's key and names its envelope.
func FuzzBatchResponse(f *testing.F) {
	ck, err := seal.GenerateCentralKeys()
	if err != nil {
		f.Fatal(err)
	}
	dk, err := seal.GenerateDeviceKey()
	if err != nil {
		f.Fatal(err)
	}
	var recs []osync.Outgoing
	var prev seal.Hash
	for i := range 3 {
		pt, _ := json.Marshal(osync.CheckIn{SessionID: "S1", Ticket: fmt.Sprintf("T%03d", i), Status: exam.Present})
		env, err := seal.SealRecord(dk, ck.Public(), seal.Header{DeviceID: "dev-1", Epoch: 1, Seq: uint64(i + 1), Prev: prev, Kind: osync.KindCheckIn, Created: time.Now()}, pt)
		if err != nil {
			f.Fatal(err)
		}
		prev = env.Hash
		recs = append(recs, osync.Outgoing{RecordID: env.Header.RecordID.String(), Envelope: env.Bytes})
	}
	answer := func(outcomes ...osync.Outcome) []byte {
		resp := osync.BatchResponse{ServerTime: time.Now()}
		for i, out := range outcomes {
			h, _ := seal.ParseHeader(recs[i].Envelope)
			res := osync.RecordResult{RecordID: recs[i].RecordID, Outcome: out}
			if out == osync.Accepted || out == osync.Duplicate {
				res.Receipt, _ = seal.SignReceipt(ck, &seal.Receipt{RecordID: h.RecordID, EnvelopeHash: seal.EnvelopeHash(recs[i].Envelope), ServerSeq: uint64(i + 1), ServerTime: time.Now()})
			} else {
				res.Reason = "refused"
			}
			resp.Results = append(resp.Results, res)
		}
		b, _ := json.Marshal(resp)
		return b
	}
	f.Add(uint16(0), "500", answer(osync.Accepted, osync.Duplicate, osync.Accepted))
	f.Add(uint16(0), "2", answer(osync.Accepted, osync.Conflict, osync.Rejected))
	f.Add(uint16(0), "", answer(osync.Accepted, osync.Accepted))
	f.Add(uint16(0), "-1", []byte(`{"results":[{"record_id":"x","outcome":"accepted","receipt":"AAAA"}]}`))
	f.Add(uint16(7), "1", []byte(`{"error":"too large"}`))
	f.Add(uint16(12), "0", []byte(``))

	type reply struct {
		status int
		limit  string
		body   []byte
	}
	var cur atomic.Pointer[reply]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp := cur.Load()
		w.Header().Set(osync.HeaderMaxRecords, rp.limit)
		w.WriteHeader(rp.status)
		w.Write(rp.body)
	}))
	defer srv.Close()
	client := osync.NewClient(osync.RetryPolicy{Retries: 0, Timeout: 5 * time.Second}, nil)
	f.Fuzz(func(t *testing.T, status uint16, limit string, body []byte) {
		// Final statuses only: an informational one would leave the client
		// waiting for the real answer until its timeout.
		statuses := []int{200, 201, 204, 400, 401, 404, 408, 409, 413, 429, 500, 502, 503, 504}
		cur.Store(&reply{statuses[int(status)%len(statuses)], limit, body})
		ob := &memOutbox{recs: recs, delivered: map[string]osync.Delivery{}, refused: map[string]osync.Refusal{}}
		p, err := osync.NewPusher(osync.PusherConfig{ServerURL: srv.URL, Signer: &osync.Signer{DeviceID: "dev-1", Key: dk}, Central: ck.Public(), Outbox: ob, Client: client})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.Push(ctx)
		for _, r := range recs {
			d, ok := ob.delivered[r.RecordID]
			if !ok {
				continue
			}
			if _, refused := ob.refused[r.RecordID]; refused {
				t.Fatalf("record %s both delivered and refused", r.RecordID)
			}
			rc, err := seal.VerifyReceipt(ck.Public(), d.Receipt, r.Envelope)
			if err != nil || rc.EnvelopeHash != d.EnvelopeHash {
				t.Fatalf("record %s delivered on a receipt that does not verify: %v", r.RecordID, err)
			}
		}
	})
}
