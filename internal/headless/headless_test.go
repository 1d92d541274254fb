package headless

import (
	"os"
	"testing"
)

func TestHideAndRestore(t *testing.T) {
	Restore() // init hid the locale
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("LANGUAGE", "")
	os.Unsetenv("LC_ALL")
	os.Unsetenv("LC_MESSAGES")

	hide()
	for _, v := range localeVars {
		if val, ok := os.LookupEnv(v); ok {
			t.Errorf("%s = %q while Fyne starts", v, val)
		}
	}
	Restore()
	if v, ok := os.LookupEnv("LANG"); !ok || v != "C.UTF-8" {
		t.Errorf("restored LANG = %q, %v", v, ok)
	}
	if v, ok := os.LookupEnv("LANGUAGE"); !ok || v != "" {
		t.Errorf("restored LANGUAGE = %q, %v: set and empty, as it was", v, ok)
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES"} {
		if _, ok := os.LookupEnv(v); ok {
			t.Errorf("restored %s, which was not set", v)
		}
	}
	Restore() // again: nothing to do
	if v := os.Getenv("LANG"); v != "C.UTF-8" {
		t.Errorf("second Restore: LANG = %q", v)
	}
}
