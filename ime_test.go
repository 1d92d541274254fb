package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onex/server/servertest"
)

// TestChineseInputMethod types Chinese into the real app with a real input
// method, as a candidate does: under Xvfb, fcitx5 with its pinyin engine
// over XIM, the app on its first-run screen (the focus in central's
// address), "meiti" and a space typed with xdotool, which choose the first
// candidate, 媒体; then Ctrl+A, Ctrl+C and the clipboard read with xclip
// must give 媒体. Before the app set LC_CTYPE itself (client/locale), the
// chosen characters never arrived when the environment gave no UTF-8
// locale: no LANG at all, or a zh_CN.UTF-8 the machine has not generated
// (LANG=C and LC_ALL=C got through only because client/ui, choosing the
// language, rewrites a C locale in the environment to C.UTF-8 before GLFW
// reads it).
// The app must also start without Fyne's errors on stderr (it printed
// "Fyne error: Error parsing user locale C" under C.UTF-8). Each locale
// runs in a fresh app; the display and fcitx5 are shared.
func TestChineseInputMethod(t *testing.T) {
	for _, tool := range []string{"Xvfb", "fcitx5", "xdotool", "xclip", "xprop"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run make deps (scripts/deps.sh installs xvfb, fcitx5, fcitx5-chinese-addons, xdotool, xclip, x11-utils)", tool)
		}
	}
	if _, err := os.Stat("/usr/share/fcitx5/inputmethod/pinyin.conf"); err != nil {
		t.Fatalf("fcitx5's pinyin is missing: run make deps (scripts/deps.sh installs fcitx5-chinese-addons): %v", err)
	}
	display := startXvfb(t)
	home := t.TempDir()
	im := startFcitx(t, display, home)
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"LANG=C", []string{"LANG=C"}},
		{"no locale in the environment", nil},
		{"LC_ALL=C over zh_CN.UTF-8", []string{"LC_ALL=C", "LANG=zh_CN.UTF-8"}},
		{"LANG=zh_CN.UTF-8, generated or not", []string{"LANG=zh_CN.UTF-8"}},
		{"LANG=C.UTF-8, Debian's default", []string{"LANG=C.UTF-8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{"DISPLAY=" + display, "HOME=" + home, "XMODIFIERS=@im=fcitx", "ONEX_LOG=info",
				"ONEX_DATA=" + filepath.Join(t.TempDir(), "site"), "ONEX_SERVER=", childEnv + "=site",
				"LC_ALL=", "LC_CTYPE=", "LC_MESSAGES=", "LANG=", "LANGUAGE="}
			text, logs := typePinyin(t, display, append(env, tc.env...), "meiti", "媒体")
			if text != "媒体" {
				t.Errorf("the entry holds %q after typing meiti and a space in fcitx5's pinyin; want 媒体\napp's log:\n%s\nfcitx5's log:\n%s", text, logs, im)
			}
			if !strings.Contains(logs, "LC_CTYPE") {
				t.Errorf("the app logged nothing of LC_CTYPE:\n%s", logs)
			}
			if strings.Contains(logs, "Fyne error") {
				t.Errorf("the app's start printed Fyne's errors:\n%s", logs)
			}
		})
	}
}

// startXvfb starts an X server on a free display, for the test's time.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb (Debian's xvfb, which make deps installs): %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb ended without a display")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb gave no display within 30 s")
	}
	return ""
}

// startFcitx starts fcitx5 on display with pinyin on by default, its
// settings in home, away from any session bus, and returns once its XIM
// server is up, with what it logs.
func startFcitx(t *testing.T, display, home string) *servertest.LogBuffer {
	t.Helper()
	conf := filepath.Join(home, ".config", "fcitx5")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"profile": "[Groups/0]\nName=Default\nDefault Layout=us\nDefaultIM=pinyin\n\n" +
			"[Groups/0/Items/0]\nName=keyboard-us\nLayout=\n\n[Groups/0/Items/1]\nName=pinyin\nLayout=\n\n[GroupOrder]\n0=Default\n",
		"config": "[Behavior]\nActiveByDefault=True\nShareInputState=All\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("fcitx5", "--disable=wayland,waylandim", "--verbose=key_trace=5")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(home, "no-bus"), "WAYLAND_DISPLAY=")
	logs := &servertest.LogBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("fcitx5: %v", err)
	}
	t.Cleanup(func() { stopGroup(t, cmd) })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, _ := xcmd(context.Background(), display, "xprop", "-root", "XIM_SERVERS").Output()
		if strings.Contains(string(out), "@server=fcitx") {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("fcitx5's XIM server not up within 30 s:\n%s", logs)
		}
	}
}

// typePinyin starts the app with env, types pinyin and a space into the
// entry that has the focus on the first-run screen, and returns the entry's
// text (read through the clipboard, waiting a while for want) and what the
// app logged.
func typePinyin(t *testing.T, display string, env []string, pinyin, want string) (string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env...)
	logs := &servertest.LogBuffer{}
	cmd.Stderr = logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stopGroup(t, cmd)
	if err := await(logs, "screen=first-run", time.Minute); err != nil {
		t.Fatalf("the app: %v\n%s", err, logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	xdo := func(args ...string) {
		t.Helper()
		out, err := xcmd(ctx, display, "xdotool", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	win, err := xcmd(ctx, display, "xdotool", "search", "--sync", "--onlyvisible", "--pid", fmt.Sprint(cmd.Process.Pid)).Output()
	if err != nil {
		t.Fatalf("the app's window: %v", err)
	}
	xdo("windowfocus", "--sync", strings.Fields(string(win))[0])
	xdo("type", "--delay", "60", pinyin)
	xdo("key", "space")
	// The entry's text, through the clipboard: copied again until it is
	// want, for the commit may land after a copy sent at once; "" when
	// nothing came.
	var text string
	for deadline := time.Now().Add(8 * time.Second); text != want && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		xdo("key", "ctrl+a", "ctrl+c")
		out, err := xcmd(ctx, display, "xclip", "-o", "-selection", "clipboard").Output()
		if text = string(out); err != nil {
			text = ""
		}
	}
	return text, logs.String()
}

// xcmd is an X client's command on display.
func xcmd(ctx context.Context, display, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	return cmd
}

// await waits until logs hold s.
func await(logs *servertest.LogBuffer, s string, timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); !strings.Contains(logs.String(), s); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("no " + s + " within " + timeout.String())
		}
	}
	return nil
}
