package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onex/client/cli"
	"onex/server/servertest"
)

// TestRoomCommands: `room` serves; `pair-code` asks it for a code over the
// control socket, with no passphrase; `terminal --pair` pairs a computer
// with the typed code; a second pairing of that directory, and of the
// used-up code, are refused; interrupting `room` ends it cleanly.
func TestRoomCommands(t *testing.T) {
	c := servertest.New(t)
	dir := t.TempDir()
	must(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t))
	must(t, "download", "--data", dir)
	ctx, cancel := context.WithCancel(context.Background())
	var roomErr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- cli.Main(ctx, []string{"room", "--data", dir, "--listen", "127.0.0.1:0", "--announce=false"},
			cli.Env{Stdout: &bytes.Buffer{}, Stderr: &roomErr, Getenv: func(k string) string { return map[string]string{cli.PassphraseEnv: pass}[k] }})
	}()
	var out string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var code int
		out, _, code = runEnv(t, nil, "pair-code", "--data", dir, "--room", "A101")
		if code == cli.ExitOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pair-code never answered; room said: %s", roomErr.String())
		}
	}
	typed, full, _ := strings.Cut(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(full, "onex-room://127.0.0.1:") || !strings.Contains(full, "?pin=") || !strings.HasPrefix(typed, "127.0.0.1:") {
		t.Fatalf("pair-code printed %q", out)
	}
	term := filepath.Join(t.TempDir(), "terminal")
	if got := mustEnv(t, nil, "terminal", "--data", term, "--pair", typed, "--seat", "12"); !strings.Contains(got, "paired: terminal ") || !strings.Contains(got, "room A101") {
		t.Fatalf("terminal printed %q", got)
	}
	for _, tc := range []struct {
		dir, code, want string
	}{
		{term, full, "already paired"},
		{filepath.Join(t.TempDir(), "other"), full, "no live pairing code matches"},
		{filepath.Join(t.TempDir(), "other"), "127.0.0.1:1 " + strings.Fields(typed)[1][:5], "--pair"},
	} {
		if _, errOut, code := runEnv(t, nil, "terminal", "--data", tc.dir, "--pair", tc.code); code == cli.ExitOK || !strings.Contains(errOut, tc.want) {
			t.Errorf("terminal --data %s --pair %q: exit %d, %s; want %q", tc.dir, tc.code, code, errOut, tc.want)
		}
	}
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Fatalf("room: exit %d\n%s", code, roomErr.String())
	}
	if _, errOut, code := runEnv(t, nil, "pair-code", "--data", dir, "--room", "A101"); code == cli.ExitOK || !strings.Contains(errOut, "no room server") {
		t.Fatalf("pair-code with no room server: exit %d, %s", code, errOut)
	}
}

// TestDrillThroughFortyTerminals: `drill --terminals 40` sits the session on
// forty terminals over the room's network; after sync, central's results
// match the station's answers.
func TestDrillThroughFortyTerminals(t *testing.T) {
	c := servertest.New(t)
	dir := t.TempDir()
	must(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t))
	must(t, "download", "--data", dir)
	must(t, "unlock", "--data", dir, "--session", c.Session.ID, "--code", c.UnlockCode(t))
	if out := must(t, "drill", "--data", dir, "--session", c.Session.ID, "--terminals", "40", "--seed", "5"); !strings.Contains(out, `"terminals": 40`) {
		t.Fatalf("drill printed %s", out)
	}
	c.Release()
	must(t, "sync", "--data", dir)
	checkCentral(t, c, dir, 40)
}
