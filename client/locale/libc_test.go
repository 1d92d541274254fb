//go:build linux && cgo

package locale

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv makes the test binary set its locale and report instead of
// running the tests: setlocale changes the whole process, so each case
// runs in a process of its own.
const childEnv = "ONEX_LOCALE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
		r := Setup(log)
		json.NewEncoder(os.Stdout).Encode(map[string]any{"result": r, "utf8": libc{}.utf8()})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSetupInTheCLibrary sets the real C library's LC_CTYPE in the
// environments a site machine may give, LC_ALL=C among them (which no
// change to the environment overrides), and checks that the locale in
// effect afterwards is UTF-8 and what the log says. (A machine without any
// UTF-8 locale is TestUTF8Ctype's: glibc finds C.UTF-8 whatever LOCPATH
// says.)
func TestSetupInTheCLibrary(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		set  string // LC_CTYPE afterwards
		log  string // the log line's message starts so
	}{
		{"nothing set", nil, "C.UTF-8", "LC_CTYPE set to a UTF-8 locale"},
		{"LANG=C", []string{"LANG=C"}, "C.UTF-8", "LC_CTYPE set to a UTF-8 locale"},
		{"LC_ALL=C over a UTF-8 LANG", []string{"LC_ALL=C", "LANG=C.UTF-8"}, "C.UTF-8", "LC_CTYPE set to a UTF-8 locale"},
		{"LC_CTYPE=POSIX", []string{"LC_CTYPE=POSIX", "LANG=C.UTF-8"}, "C.UTF-8", "LC_CTYPE set to a UTF-8 locale"},
		{"a locale the machine lacks", []string{"LANG=xx_XX.UTF-8"}, "C.UTF-8", "LC_CTYPE set to a UTF-8 locale"},
		{"the environment's UTF-8 locale", []string{"LANG=C.UTF-8"}, "C.UTF-8", "LC_CTYPE from the environment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=1", "LC_ALL=", "LC_CTYPE=", "LANG=")
			cmd.Env = append(cmd.Env, tc.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 2 {
				t.Fatalf("child printed %q, want a log line and the result", lines)
			}
			var logged struct{ Level, Msg string }
			var got struct {
				Result Result
				UTF8   bool
			}
			if err := json.Unmarshal([]byte(lines[0]), &logged); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(got.Result.Set, tc.set) && !(tc.set == "C.UTF-8" && got.Result.Set == "C.utf8") {
				t.Errorf("LC_CTYPE = %q, want %q (%+v)", got.Result.Set, tc.set, got.Result)
			}
			if !got.UTF8 {
				t.Errorf("the codeset in effect is not UTF-8 (%+v)", got.Result)
			}
			if logged.Level != "INFO" || !strings.HasPrefix(logged.Msg, tc.log) {
				t.Errorf("logged %s %q, want INFO %q", logged.Level, logged.Msg, tc.log)
			}
			if t.Failed() {
				fmt.Fprintf(os.Stderr, "%s\n", out)
			}
		})
	}
}
