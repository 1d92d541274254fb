package main

import (
	"context"
	"errors"
	"fmt"
	"image/png"

	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onex/client/station"
	"onex/client/terminal"
)

// TestSeatMapUnderXvfb starts the real app on the demo's store under
// xvfb-run at 1366×768 with its room server on loopback, pairs six exam
// computers with it through the data directory's control socket (the code
// `onex-site pair-code` gets), five of them running, and presses Ctrl+5 for
// the room tab: the X screen then shows the seat map, kept as
// Screenshots/onex-site-room-xvfb.png. (TestSeatMapScreenshot in client/ui
// renders a room under way, candidates signed in, for the README.)
func TestSeatMapUnderXvfb(t *testing.T) {
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatalf("xdotool (Debian's xdotool package): %v", err)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "LANG=C", "LC_ALL=", "LANGUAGE=", childEnv + "=site", "ONEX_LOG=info"}
	data := filepath.Join(t.TempDir(), "demo")
	stop, _ := demo(t, data, env)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	room := ln.Addr().String()
	ln.Close()
	display := freeDisplay(t)
	fb := t.TempDir()
	siteDir := filepath.Join(data, "site")
	cmd := exec.Command("xvfb-run", "-n", display, "-s", "-ac -screen 0 1366x768x24 -nolisten tcp -fbdir "+fb, os.Args[0])
	cmd.Env = append(os.Environ(), append(env, "ONEX_DATA="+siteDir, "ONEX_PASSPHRASE=onex-demo-site", "ONEX_ROOM="+room)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("xvfb-run: %v", err)
	}
	defer stopGroup(t, cmd)
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		buf := make([]byte, 0, 4096)
		var rest []byte
		for {
			n, err := logs.Read(buf[:cap(buf)])
			rest = append(rest, buf[:n]...)
			for {
				i := strings.IndexByte(string(rest), '\n')
				if i < 0 {
					break
				}
				lines <- string(rest[:i])
				rest = rest[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	until := func(s string) {
		t.Helper()
		deadline := time.After(time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the app ended before %q", s)
				}
				if strings.Contains(l, s) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q within a minute", s)
			}
		}
	}
	until("screen=")

	// Six exam computers pair; five run, the sixth is never heard (silent).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code, err := station.RequestPairingCode(ctx, siteDir, "A101", 6, time.Minute)
	for deadline := time.Now().Add(20 * time.Second); errors.Is(err, station.ErrNoStation) && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		code, err = station.RequestPairingCode(ctx, siteDir, "A101", 6, time.Minute)
	}
	if err != nil {
		t.Fatal(err)
	}
	var ran []chan error
	defer func() {
		cancel()
		for _, r := range ran {
			<-r
		}
	}()
	for i := range 6 {
		tm, err := terminal.Pair(ctx, terminal.Config{Dir: filepath.Join(t.TempDir(), "t")}, code, fmt.Sprintf("PC-%02d", i+1), fmt.Sprint(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if i < 5 {
			r := make(chan error, 1)
			go func() { r <- tm.Run(ctx) }()
			ran = append(ran, r)
		}
	}

	// Ctrl+5: the room tab (no window manager: the key goes to the window
	// under the pointer; -ac lets xdotool use this private display).
	// The unattended start asks who is on duty first.
	key := exec.Command("xdotool", "mousemove", "683", "400", "type", "--delay", "30", "Wang Jing")
	key.Env = append(os.Environ(), "DISPLAY=:"+display)
	if out, err := key.CombinedOutput(); err != nil {
		t.Fatalf("xdotool: %v\n%s", err, out)
	}
	key = exec.Command("xdotool", "key", "Return", "sleep", "1", "key", "ctrl+5")
	key.Env = append(os.Environ(), "DISPLAY=:"+display)
	if out, err := key.CombinedOutput(); err != nil {
		t.Fatalf("xdotool: %v\n%s", err, out)
	}
	until("screen=room")
	go func() {
		for range lines {
		}
	}()
	time.Sleep(2 * time.Second) // a refresh after the terminals' first polls
	img, err := readXWD(filepath.Join(fb, "Xvfb_screen0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := notBlank(img, 0.3); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(Screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(Screenshots, "onex-site-room-xvfb.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// freeDisplay is an X display number no server holds.
func freeDisplay(t *testing.T) string {
	for n := 200 + os.Getpid()%500; n < 1000; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); errors.Is(err, os.ErrNotExist) {
				return fmt.Sprint(n)
			}
		}
	}
	t.Fatal("no free X display")
	return ""
}
