package locale

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// fakeCtype is a C library with the locales named in have, each mapped to
// the name setlocale returns and whether it is UTF-8.
type fakeCtype struct {
	env  string // what setlocale(LC_CTYPE, "") finds; "" when the machine lacks it
	have map[string]fakeLocale
	now  string
	sets []string
}

type fakeLocale struct {
	name string
	utf8 bool
}

func (f *fakeCtype) set(name string) (string, bool) {
	f.sets = append(f.sets, name)
	if name == "" {
		name = f.env
	}
	l, ok := f.have[name]
	if !ok {
		return "", false
	}
	f.now = l.name
	return l.name, true
}

func (f *fakeCtype) utf8() bool {
	for _, l := range f.have {
		if l.name == f.now {
			return l.utf8
		}
	}
	return false
}

func TestUTF8Ctype(t *testing.T) {
	debian := map[string]fakeLocale{"C": {"C", false}, "POSIX": {"C", false}, "C.UTF-8": {"C.UTF-8", true}}
	full := map[string]fakeLocale{"C": {"C", false}, "C.UTF-8": {"C.UTF-8", true}, "zh_CN.UTF-8": {"zh_CN.UTF-8", true},
		"zh_CN.GB18030": {"zh_CN.GB18030", false}, "en_US.UTF-8": {"en_US.UTF-8", true}}
	old := map[string]fakeLocale{"C": {"C", false}, "en_US.UTF-8": {"en_US.UTF-8", true}}
	bare := map[string]fakeLocale{"C": {"C", false}}
	for _, tc := range []struct {
		name     string
		env      string
		have     map[string]fakeLocale
		want     string
		fallback bool
		err      error
		now      string
		log      string // the level and start of the log line
	}{
		{"environment's UTF-8 locale kept", "zh_CN.UTF-8", full, "zh_CN.UTF-8", false, nil, "zh_CN.UTF-8", "INFO LC_CTYPE from the environment"},
		{"C becomes C.UTF-8", "C", debian, "C.UTF-8", true, nil, "C.UTF-8", "INFO LC_CTYPE set to a UTF-8 locale"},
		{"POSIX becomes C.UTF-8", "POSIX", debian, "C.UTF-8", true, nil, "C.UTF-8", "INFO LC_CTYPE set to a UTF-8 locale"},
		{"a locale not generated: C.UTF-8", "zh_CN.UTF-8", debian, "C.UTF-8", true, nil, "C.UTF-8", "INFO LC_CTYPE set to a UTF-8 locale"},
		{"not UTF-8: C.UTF-8", "zh_CN.GB18030", full, "C.UTF-8", true, nil, "C.UTF-8", "INFO LC_CTYPE set to a UTF-8 locale"},
		{"no C.UTF-8: the next fallback", "C", old, "en_US.UTF-8", true, nil, "en_US.UTF-8", "INFO LC_CTYPE set to a UTF-8 locale"},
		{"no UTF-8 locale at all: left as it was", "C", bare, "", true, ErrNoUTF8, "C", "WARN no UTF-8 locale: characters typed with an input method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeCtype{env: tc.env, have: tc.have}
			r, err := utf8Ctype(c)
			if !errors.Is(err, tc.err) || r.Set != tc.want || r.Fallback() != tc.fallback || c.now != tc.now {
				t.Errorf("utf8Ctype = %+v (fallback %v), %v; LC_CTYPE %q after setlocale %q; want %q (fallback %v), %v, LC_CTYPE %q",
					r, r.Fallback(), err, c.now, c.sets, tc.want, tc.fallback, tc.err, tc.now)
			}
			var log strings.Builder
			report(slog.New(slog.NewTextHandler(&log, nil)), r, err)
			if _, line, _ := strings.Cut(log.String(), "level="); !strings.HasPrefix(strings.Replace(line, " msg=\"", " ", 1), tc.log) {
				t.Errorf("logged %q, want %q", log.String(), tc.log)
			}
			if c.sets[0] != "" {
				t.Errorf("setlocale calls %q: the environment's comes first", c.sets)
			}
		})
	}
}
