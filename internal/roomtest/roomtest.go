// Package roomtest is a real exam-room station for tests **[added: issue
// 14]**: a site enrolled with a real central (server/servertest), its
// sample session downloaded, and its room server (client/station) on
// loopback, which a test can stop and start again at the same address.
// Only tests import it.
package roomtest

import (
	"context"
	"net"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/station"
	"onex/server/servertest"
	wire "onex/sync"
)

// Passphrase is the station's site passphrase.
const Passphrase = "site passphrase for tests"

// Station is the running station.
type Station struct {
	Central *servertest.Central
	Site    *site.Site
	Session string // the sample session's id
	Server  *station.Server
	Addr    string // where the room server listens, kept across Stop and Start
	Dir     string // the site's data directory

	stop func()
}

// New enrols a site with a new central, downloads its sessions and serves
// the room on loopback until the test ends.
// Options go to servertest.New.
func New(tb testing.TB, opts ...servertest.Option) *Station {
	tb.Helper()
	ctx := context.Background()
	c := servertest.New(tb, opts...)
	fast := wire.RetryPolicy{Retries: 2, WaitMin: 5 * time.Millisecond, WaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second}
	dir := tb.TempDir()
	enrol := site.EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(tb), DeviceName: "A101 主机"}
	if c.TLS != nil { // servertest.WithTLS: pinned by central's key, as staff enrol
		enrol.Fingerprint = c.PublicKey().Fingerprint()
	}
	s, err := site.Enrol(ctx, site.Config{Dir: dir, Passphrase: Passphrase, HTTP: wire.NewClient(fast, nil)}, enrol)
	if err == nil {
		tb.Cleanup(func() { s.Close() })
		_, err = s.Download(ctx, nil)
	}
	if err != nil {
		tb.Fatal(err)
	}
	st := &Station{Central: c, Site: s, Session: c.Session.ID, Addr: "127.0.0.1:0", Dir: dir}
	st.Start(tb)
	return st
}

// Start serves the room at st.Addr (the same address after a Stop).
func (st *Station) Start(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", st.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	st.Addr = ln.Addr().String()
	srv, err := station.New(context.Background(), st.Site, ln, station.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	st.Server = srv
	st.stop = func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("the station's Serve: %v", err)
		}
		st.stop = func() {}
	}
	tb.Cleanup(st.Stop)
	// A request signed in the second the station started is refused as
	// replayed (PROTOCOL.md); the terminal signs again, but a test need not
	// wait on its retries.
	time.Sleep(1100 * time.Millisecond)
}

// Stop stops serving the room.
func (st *Station) Stop() { st.stop() }
