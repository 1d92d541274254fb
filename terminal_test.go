package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"onex/client/terminal"
	"onex/internal/roomtest"
)

// pairedTerminal pairs a terminal directory with a real station
// (internal/roomtest, in this process), sets its proctor PIN and returns the directory; the station
// serves until the test ends, for the terminal's app to connect to.
func pairedTerminal(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	srv := roomtest.New(tb).Server
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
