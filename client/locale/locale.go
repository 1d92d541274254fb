// Package locale owns the C library's locale of the desktop app's process:
// it makes LC_CTYPE a UTF-8 locale before the first Fyne window, so that the
// text an input method commits (Chinese typed with fcitx5 or ibus) reaches
// the app's entries.
//
// Fyne's GLFW driver on X11 reads committed text with Xutf8LookupString,
// which returns nothing while LC_CTYPE is "C"; GLFW only sets LC_CTYPE from
// the environment when it is "C", so an environment that gives no UTF-8
// locale (LANG unset, LANG=C, LC_ALL=C, LC_CTYPE=C, or a locale such as
// zh_CN.UTF-8 that this machine has not generated) dropped every character
// chosen in the input method. Setup sets LC_CTYPE (only: numbers, messages
// and the rest keep the environment's) to the environment's locale when it
// is UTF-8, else to the first of Fallbacks the machine has. Rewriting the
// environment instead (os.Setenv) holds only if every variable that wins
// over LC_CTYPE is rewritten, and does nothing for a locale not generated.
//
// On other systems (Windows, macOS) and without cgo there is nothing to do,
// and Setup does nothing.
package locale

import (
	"errors"
	"log/slog"
	"os"
	"strings"
)

// Fallbacks are the UTF-8 locales tried, in order, when the environment
// gives none: C.UTF-8 is in every Debian and Ubuntu of the last years
// (libc-bin), the others are those a Chinese site may have generated.
var Fallbacks = []string{"C.UTF-8", "en_US.UTF-8", "zh_CN.UTF-8"}

// ErrNoUTF8 is UTF8's error when neither the environment nor any of
// Fallbacks gives a UTF-8 locale: input methods' text will not arrive.
var ErrNoUTF8 = errors.New("no UTF-8 locale on this machine (install one: C.UTF-8 is in Debian's libc-bin, others come with the locales package)")

// Result says what UTF8 did.
type Result struct {
	// Env is the locale the environment names for LC_CTYPE (LC_ALL, else
	// LC_CTYPE, else LANG), "" when it names none.
	Env string
	// EnvSet is the locale the C library made of Env, "" when the machine
	// does not have it.
	EnvSet string
	// Set is LC_CTYPE now: EnvSet when it is UTF-8, else the fallback set;
	// "" when nothing was done (a system that needs nothing).
	Set string
}

// Fallback reports whether LC_CTYPE is not what the environment gave.
func (r Result) Fallback() bool { return r.Set != r.EnvSet }

// Setup makes LC_CTYPE a UTF-8 locale (UTF8) and logs what it set, or warns
// that input methods' text will be lost when the machine has no UTF-8
// locale. The desktop app calls it first, before Fyne starts.
func Setup(log *slog.Logger) Result {
	r, err := UTF8()
	report(log, r, err)
	return r
}

// report logs what UTF8 did.
func report(log *slog.Logger, r Result, err error) {
	switch {
	case err != nil:
		log.Warn("no UTF-8 locale: characters typed with an input method (Chinese pinyin) will not reach the app; install a UTF-8 locale (C.UTF-8, zh_CN.UTF-8) on this machine",
			"env", r.Env, "LC_CTYPE", r.EnvSet, "tried", strings.Join(Fallbacks, ","), "err", err)
	case r.Set == "":
	case r.Fallback():
		log.Info("LC_CTYPE set to a UTF-8 locale for input methods; the environment gives none", "LC_CTYPE", r.Set, "env", r.Env)
	default:
		log.Info("LC_CTYPE from the environment", "LC_CTYPE", r.Set)
	}
}

// ctype is the C library's LC_CTYPE category.
type ctype interface {
	// set calls setlocale(LC_CTYPE, name), name "" meaning the
	// environment's, and returns the locale in effect, or false when
	// the machine has no such locale (LC_CTYPE is then unchanged).
	set(name string) (string, bool)
	// utf8 reports whether the LC_CTYPE in effect has the UTF-8 codeset.
	utf8() bool
}

// utf8Ctype sets c to the environment's locale, then, unless that is a
// UTF-8 one, to the first of Fallbacks that exists.
func utf8Ctype(c ctype) (Result, error) {
	r := Result{Env: envLocale()}
	if got, ok := c.set(""); ok {
		r.EnvSet = got
		if c.utf8() {
			r.Set = got
			return r, nil
		}
	}
	for _, name := range Fallbacks {
		if got, ok := c.set(name); ok && c.utf8() {
			r.Set = got
			return r, nil
		}
	}
	// Back to what the environment gave, or to what it was if the
	// environment's locale does not exist either.
	if r.EnvSet != "" {
		c.set(r.EnvSet)
	}
	return r, ErrNoUTF8
}

// envLocale is the locale the environment names for LC_CTYPE, in POSIX's
// order: LC_ALL, then LC_CTYPE, then LANG; the first that is set and not
// empty.
func envLocale() string {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return ""
}
