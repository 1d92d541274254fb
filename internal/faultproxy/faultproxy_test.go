package faultproxy_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onex/internal/faultproxy"
)

// TestEachFault checks what a client and the server see under each fault.
func TestEachFault(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		b, _ := io.ReadAll(r.Body)
		w.Write([]byte("echo:" + string(b) + strings.Repeat(".", 100)))
	}))
	defer srv.Close()
	tests := []struct {
		fault      faultproxy.Fault
		wantServed int64
		wantCode   int  // 0: the client gets an error
		wantBody   bool // the client gets the whole body
	}{
		{faultproxy.Pass, 1, 200, true},
		{faultproxy.ResetBeforeRequest, 0, 0, false},
		{faultproxy.ResetAfterRequest, 1, 0, false},
		{faultproxy.TruncateResponse, 1, 200, false},
		{faultproxy.Stall, 1, 200, true},
		{faultproxy.BadGateway, 0, 502, false},
		{faultproxy.Unavailable, 0, 503, false},
		{faultproxy.TooManyRequests, 0, 429, false},
		{faultproxy.Duplicate, 2, 200, true},
	}
	for _, tc := range tests {
		t.Run(tc.fault.String(), func(t *testing.T) {
			p, err := faultproxy.Start(strings.TrimPrefix(srv.URL, "http://"), func(int64) faultproxy.Fault { return tc.fault })
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.StallFor = 50 * time.Millisecond
			served.Store(0)
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := client.Post(p.URL(), "text/plain", strings.NewReader("hello"))
			code, whole := 0, false
			if err == nil {
				b, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
				whole = rerr == nil && strings.HasPrefix(string(b), "echo:hello") && len(b) == 110
				if tc.fault == faultproxy.TruncateResponse && !errors.Is(rerr, io.ErrUnexpectedEOF) {
					t.Errorf("truncated body read: %v", rerr)
				}
			}
			if code != tc.wantCode || whole != tc.wantBody || served.Load() != tc.wantServed {
				t.Errorf("client got %d (whole body %v, err %v), server served %d; want %d, %v, %d",
					code, whole, err, served.Load(), tc.wantCode, tc.wantBody, tc.wantServed)
			}
			if p.Counts()[tc.fault] != 1 {
				t.Errorf("counts = %v", p.Counts())
			}
		})
	}
}

func TestOutage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p, err := faultproxy.Start(strings.TrimPrefix(srv.URL, "http://"), func(int64) faultproxy.Fault { return faultproxy.Pass })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	p.SetDown(true)
	if _, err := client.Get(p.URL()); err == nil {
		t.Error("a request went through an outage")
	}
	p.SetDown(false)
	resp, err := client.Get(p.URL())
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the outage: %v", err)
	}
	resp.Body.Close()
}
