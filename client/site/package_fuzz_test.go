package site_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"

	"onex/client/store"
	wire "onex/sync"
)

// FuzzPackageResponse: central's answer to a download is outside input.
// Whatever it holds, Download never panics; when it fails nothing is stored
// (same sessions, same cursor); when it succeeds every stored session's
// package still verifies.
func FuzzPackageResponse(f *testing.F) {
	var body atomic.Pointer[[]byte]
	var genuine []byte
	r := enrolRig(f, func(target string) string {
		u, _ := url.Parse(target)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.ModifyResponse = func(resp *http.Response) error {
			if resp.Request.URL.Path == wire.PathPackage && genuine == nil {
				genuine, _ = io.ReadAll(resp.Body)
				resp.Body = io.NopCloser(bytes.NewReader(genuine))
			}
			return nil
		}
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if b := body.Load(); b != nil && req.URL.Path == wire.PathPackage {
				w.Header().Set("Content-Type", "application/json")
				w.Write(*b)
				return
			}
			rp.ServeHTTP(w, req)
		}))
		f.Cleanup(ts.Close)
		return ts.URL
	})
	ctx := context.Background()
	if _, err := r.s.Download(ctx, nil); err != nil || genuine == nil {
		f.Fatalf("the first download: %v", err)
	}
	f.Add(genuine)
	var pr wire.PackageResponse
	if err := json.Unmarshal(genuine, &pr); err != nil || len(pr.Sessions) != 1 {
		f.Fatalf("central's package answer: %v", err)
	}
	for _, spoil := range []func(*wire.PackageResponse){
		func(p *wire.PackageResponse) { p.Cursor = -1 },
		func(p *wire.PackageResponse) { p.Sessions = nil },
		func(p *wire.PackageResponse) { delete(p.Sessions[0].Parts, wire.PartSession) },
		func(p *wire.PackageResponse) { p.Sessions = append(p.Sessions, p.Sessions[0]) },
		func(p *wire.PackageResponse) { p.Sessions[0].SessionID = "SITE-001-A102-202612010900" },
		func(p *wire.PackageResponse) { p.List = nil },
		func(p *wire.PackageResponse) { p.Cursor++ },
		func(p *wire.PackageResponse) { p.List[len(p.List)-1] ^= 1 },
	} {
		var c wire.PackageResponse
		json.Unmarshal(genuine, &c)
		spoil(&c)
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	f.Add([]byte(`{"cursor":1,"sessions":[{"session_id":"x","manifest":"T1hNAQ==","parts":{}}]}`))
	f.Add([]byte(`{}`))
	state := func(t *testing.T) (int64, []string) {
		var cursor int64
		var ids []string
		err := r.s.Store().View(ctx, func(tx *store.Tx) error {
			var err error
			if cursor, err = tx.Cursor(); err != nil {
				return err
			}
			ids, err = tx.SessionIDs()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return cursor, ids
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cursor, ids := state(t)
		body.Store(&b)
		_, err := r.s.Download(ctx, nil)
		body.Store(nil)
		after, afterIDs := state(t)
		if err != nil {
			if after != cursor || !slices.Equal(ids, afterIDs) {
				t.Fatalf("a refused download changed the store: cursor %d → %d, sessions %v → %v (%v)", cursor, after, ids, afterIDs, err)
			}
			return
		}
		sessions, err := r.s.Sessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, si := range sessions {
			if si.Error != "" {
				t.Fatalf("an accepted download stored a bad session: %s", si.Error)
			}
		}
	})
}
