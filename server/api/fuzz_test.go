package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"onex/server/servertest"
	osync "onex/sync"
)

// FuzzBatchEndpoint feeds POST /api/v1/records, signed by an enrolled device
// (so that the body is read): whatever arrives, central answers 200 with one
// result per envelope, or a 4xx; never a 500.
func FuzzBatchEndpoint(f *testing.F) {
	c := servertest.New(f)
	d := c.Enrol(f, "SITE-001")
	good, _ := json.Marshal(osync.Batch{Envelopes: [][]byte{
		d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes,
		d.Seal(osync.KindIncident, osync.Incident{SessionID: c.Session.ID, Note: "x"}).Bytes,
	}})
	f.Add(good)
	f.Add([]byte(`{"envelopes":["AAAA"]}`))
	f.Add([]byte(`{"envelopes":null}`))
	f.Add([]byte(`[]`))
	handler := c.Handler
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", osync.PathRecords, bytes.NewReader(body))
		if _, err := d.Signer().Sign(req, osync.BodyHash(body)); err != nil {
			t.Fatal(err)
		}
		handler.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
			var b osync.Batch
			var resp osync.BatchResponse
			json.Unmarshal(body, &b)
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Results) != len(b.Envelopes) {
				t.Fatalf("200 with %d results for %d envelopes: %v", len(resp.Results), len(b.Envelopes), err)
			}
		case rec.Code < 400 || rec.Code >= 500:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
