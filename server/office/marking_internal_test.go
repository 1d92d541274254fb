package office

import (
	"testing"

	"onex/server"
)

// TestMarkHelpers: marks as typed, the extension a download keeps, and the
// waiting count as the page says it.
func TestMarkHelpers(t *testing.T) {
	for _, tc := range []struct {
		typed string
		want  error
	}{
		{"0", nil}, {"4", nil}, {"2.5", nil}, {".5", nil}, {"3.", nil}, {"4.0", nil},
		{"4.5", errOutOfRange}, {"10", errOutOfRange}, {"0.25", errOffStep}, {"1.3", errOffStep},
		{"", errNotANumber}, {"-0", errNotANumber}, {"-1", errNotANumber}, {"+1", errNotANumber}, {"1e0", errNotANumber},
		{"0x1p1", errNotANumber}, {"NaN", errNotANumber}, {"Inf", errNotANumber}, {"１", errNotANumber}, {"1 ", errNotANumber}, {"1,5", errNotANumber},
	} {
		if got := checkMark(tc.typed, 4, 0.5); got != tc.want {
			t.Errorf("checkMark(%q): %v, want %v", tc.typed, got, tc.want)
		}
	}
	for name, want := range map[string]string{
		"page.HTML": ".html", "a/b/photo.png": ".png", "archive.tar.gz": ".gz", "noext": "", "毛娜.照片": "", "x.a b": "",
		"x.verylongextension": "", "x.": "", ".bashrc": ".bashrc", "x.p%2e": "",
	} {
		if got := extension(name); got != want {
			t.Errorf("extension(%q): %q, want %q", name, got, want)
		}
	}
	for _, tc := range []struct {
		p    server.MarkerProgress
		want string
	}{{server.MarkerProgress{}, "0"}, {server.MarkerProgress{Waiting: 7}, "7"}, {server.MarkerProgress{Waiting: 1000, More: true}, "1000+"}} {
		if got := (progressView{tc.p}).Waiting(); got != tc.want {
			t.Errorf("waiting %+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}
