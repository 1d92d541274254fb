package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/station"
	"onex/client/terminal"
	"onex/server/servertest"
	wire "onex/sync"
)

// pairedTerminal pairs a terminal directory with a real station (a site
// enrolled with a real central, in this process, its room server on
// loopback), sets its proctor PIN and returns the directory; the station
// serves until the test ends, for the terminal's app to connect to.
func pairedTerminal(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	c := servertest.New(tb)
	fast := wire.RetryPolicy{Retries: 2, WaitMin: 5 * time.Millisecond, WaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second}
	s, err := site.Enrol(ctx, site.Config{Dir: tb.TempDir(), Passphrase: "site passphrase for tests", HTTP: wire.NewClient(fast, nil)},
		site.EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(tb), DeviceName: "A101 主机"})
	if err == nil {
		tb.Cleanup(func() { s.Close() })
		_, err = s.Download(ctx, nil)
	}
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := station.New(ctx, s, ln, station.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx) }()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
	time.Sleep(1100 * time.Millisecond) // a request in the station's first second is refused as replayed
	code, err := srv.PairingCode("A101", 1, 0)
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(tb.TempDir(), "terminal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	tm, err := terminal.Pair(ctx, terminal.Config{Dir: dir}, code, "PC-07", "07")
	if err != nil {
		tb.Fatal(err)
	}
	if err := tm.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := terminal.SetProctorPIN(dir, "2468"); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// TestTerminalUnderXvfb starts the real app on a paired terminal's
// directory, as a kiosk: it opens at the terminal's seat screen, kept in
// tmp/screenshots/onex-site-terminal-seat.png.
func TestTerminalUnderXvfb(t *testing.T) {
	home := t.TempDir()
	dir := pairedTerminal(t)
	screenshotAt(t, "terminal-seat", []string{"HOME=" + home, "LANG=C", "LC_ALL=", "LANGUAGE=", childEnv + "=site", "ONEX_LOG=info",
		"ONEX_DATA=" + dir, "ONEX_KIOSK=1"}, 0.05)
}
