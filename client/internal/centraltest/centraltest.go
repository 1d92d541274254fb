// Package centraltest runs a real central (package server on a fresh SQLite
// database in a temporary directory, the sample catalogue, paper and roster
// imported, one session scheduled) for the site's tests, behind a TCP relay
// that a test cuts and restores to play a network outage. Only tests import it.
package centraltest

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onex/assets"
	"onex/server"
	"onex/server/store"
)

// Start is the planned start of the sample session, in China Standard Time.
var Start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Clock is central's settable clock.
type Clock struct{ ns atomic.Int64 }

// Now is the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Set sets the clock.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Central is a running central.
type Central struct {
	*server.Central
	Dir     string
	URL     string // through the relay
	Clock   *Clock
	Session store.Session
	Relay   *Relay
}

// New starts a central whose clock reads five minutes before the sample
// session's release time (ten minutes before its start).
func New(t testing.TB) *Central {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := server.Init(ctx, dir, "", "admin password for tests"); err != nil {
		t.Fatal(err)
	}
	c, err := server.Open(ctx, dir, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	clk := &Clock{}
	clk.Set(Start.Add(-15 * time.Minute))
	c.Now = clk.Now
	for _, f := range []struct {
		name string
		load func(context.Context, io.Reader, string) error
	}{
		{"catalogue.json", func(ctx context.Context, r io.Reader, a string) error {
			_, err := c.ImportCatalogue(ctx, r, a)
			return err
		}},
		{"paper-web-elementary.json", func(ctx context.Context, r io.Reader, a string) error { _, err := c.ImportPaper(ctx, r, a); return err }},
	} {
		if err := f.load(ctx, Sample(t, f.name), "test"); err != nil {
			t.Fatal(f.name, err)
		}
	}
	s, err := c.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: "A101", PaperID: "WEB-E-2026-A", Start: Start}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportRoster(ctx, s.ID, Sample(t, "roster-web-elementary.csv"), "auto", "test"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(c.Handler())
	t.Cleanup(ts.Close)
	relay, err := NewRelay(ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	return &Central{Central: c, Dir: dir, URL: "http://" + relay.Addr(), Clock: clk, Session: s, Relay: relay}
}

// Sample returns a sample file of package assets.
func Sample(t testing.TB, name string) io.Reader {
	t.Helper()
	b, err := fs.ReadFile(assets.Samples, "samples/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// EnrolCode makes a one-time enrolment code for the sample site.
func (c *Central) EnrolCode(t testing.TB) string {
	t.Helper()
	code, err := c.NewEnrolCode(context.Background(), "SITE-001", "test")
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// UnlockCode is the sample session's unlock code.
func (c *Central) UnlockCode(t testing.TB) string {
	t.Helper()
	code, err := c.Central.UnlockCode(context.Background(), c.Session.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// Release moves central's clock past the sample session's release time.
func (c *Central) Release() { c.Clock.Set(c.Session.ReleaseAt.Add(time.Minute)) }

// Results scores the sample session at central.
func (c *Central) Results(t testing.TB) []server.Result {
	t.Helper()
	res, err := c.SessionResults(context.Background(), c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Relay forwards TCP connections to a target; Cut drops the listener and
// every connection, Restore listens again on the same address.
type Relay struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// NewRelay listens on a free loopback port and forwards to target.
func NewRelay(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{target: target, addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	r.serve(ln)
	return r, nil
}

// Addr is the relay's address.
func (r *Relay) Addr() string { return r.addr }

func (r *Relay) serve(ln net.Listener) {
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.forward(c)
		}
	}()
}

func (r *Relay) forward(c net.Conn) {
	up, err := net.Dial("tcp", r.target)
	if err != nil {
		c.Close()
		return
	}
	r.mu.Lock()
	r.conns[c], r.conns[up] = true, true
	r.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	r.mu.Lock()
	delete(r.conns, c)
	delete(r.conns, up)
	r.mu.Unlock()
}

// Cut closes the listener and every open connection: central is unreachable.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for c := range r.conns {
		c.Close()
	}
}

// Restore listens again on the relay's address.
func (r *Relay) Restore() error {
	r.mu.Lock()
	up := r.ln != nil
	r.mu.Unlock()
	if up {
		return nil
	}
	var err error
	for range 50 { // the port may linger briefly after Cut
		var ln net.Listener
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			r.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// Close stops the relay.
func (r *Relay) Close() { r.Cut() }
