package terminal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"onex/client/terminal"
)

// TestProctorPIN: the PIN set is the only one checked; the file holds a
// salted hash, never the PIN; a PIN too short, too long or of two lines is
// refused; a damaged file is an error, not a pass.
func TestProctorPIN(t *testing.T) {
	dir := t.TempDir()
	if err := terminal.CheckProctorPIN(dir, "2468"); !errors.Is(err, terminal.ErrNoPIN) {
		t.Fatalf("no PIN set: %v", err)
	}
	for _, bad := range []string{"", "123", "    ", "12\n34", string(bytes.Repeat([]byte("9"), 65))} {
		if err := terminal.SetProctorPIN(dir, bad); !errors.Is(err, terminal.ErrPINLength) {
			t.Errorf("PIN %q: %v", bad, err)
		}
	}
	if terminal.HasProctorPIN(dir) {
		t.Fatal("a refused PIN was kept")
	}
	const pin = "监考2468"
	if err := terminal.SetProctorPIN(dir, pin); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		try  string
		want error
	}{
		{pin, nil},
		{"监考2469", terminal.ErrWrongPIN},
		{"", terminal.ErrWrongPIN},
		{pin + " ", terminal.ErrWrongPIN},
	} {
		if err := terminal.CheckProctorPIN(dir, tc.try); !errors.Is(err, tc.want) {
			t.Errorf("check %q: %v, want %v", tc.try, err, tc.want)
		}
	}
	path := filepath.Join(dir, "proctor-pin.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(pin)) || bytes.Contains(b, []byte("2468")) {
		t.Errorf("the file holds the PIN: %s", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode: %v, %v", fi.Mode(), err)
	}
	// Two terminals with the same PIN keep different hashes (the salt).
	other := t.TempDir()
	if err := terminal.SetProctorPIN(other, pin); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(filepath.Join(other, "proctor-pin.json")); bytes.Equal(b, b2) {
		t.Error("the same PIN hashed alike twice")
	}
	for _, damaged := range []string{"", "{", `{"format":"onex-terminal-pin/1","salt":"AA==","hash":"AA=="}`, `{"format":"other"}`} {
		if err := os.WriteFile(path, []byte(damaged), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := terminal.CheckProctorPIN(dir, pin); err == nil || errors.Is(err, terminal.ErrWrongPIN) {
			t.Errorf("file %q: %v, want an error about the file", damaged, err)
		}
	}
}
