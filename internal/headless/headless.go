// Package headless keeps Fyne's start-up out of the command line's output,
// and out of the desktop app's.
//
// onex-site is one binary: the desktop app on Fyne and, given a command, the
// headless command line of client/cli. Fyne's lang package is linked in
// for the desktop app, and its init reads the locale from the environment
// (LC_ALL, LC_MESSAGES, LANG, LANGUAGE, through go-locale) before main
// runs; go-locale reads a locale such as C.UTF-8 as the language "C", which
// lang fails to parse and logs ("Fyne error: Error parsing user locale C")
// on stderr, so every command printed it, and so did the desktop app
// started in such a locale (C.UTF-8 is Debian's default). The desktop app
// loses nothing by it: client/ui sets its language itself.
//
// Imported for its init by the main package, this package hides those
// variables from the process while the packages initialise, and Restore,
// called first in main, puts them back exactly as they were.
//
// **[added: issue 14]** On Windows, where the release build is a GUI
// program, Console gives a command the console it was typed in. Its
// init runs before lang's: packages are initialised one at a time, each
// time the first in import-path order whose imports are all initialised
// (Go spec, "Package initialization"); this package imports only os (and
// syscall, which os imports, on Windows), and
// lang cannot start before text/template, which sorts after onex/... and
// imports os through fmt. So Fyne's lang sees no locale and says nothing.
package headless

import "os"

// localeVars are the variables go-locale reads on Linux and other Unix.
var localeVars = []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}

// hidden are the variables hide took away, with their values.
var hidden = map[string]string{}

func init() { hide() }

// hide takes the locale variables out of the environment.
func hide() {
	for _, v := range localeVars {
		if val, ok := os.LookupEnv(v); ok {
			hidden[v] = val
			os.Unsetenv(v)
		}
	}
}

// Restore puts back the locale variables hidden at start-up, so the
// command runs with the environment it was given. Calling it again, or
// when nothing was hidden, does nothing.
func Restore() {
	for v, val := range hidden {
		os.Setenv(v, val)
		delete(hidden, v)
	}
}
