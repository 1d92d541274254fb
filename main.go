// Command onex-site is the OneX site app: with no arguments, the desktop app
// for the station (staff) and exam terminals (candidates), package
// client/ui on Fyne's GL driver; with a command, the headless command line
// of package client/cli.
//
// The desktop app reads its environment: ONEX_DATA is the site store's
// directory (default $XDG_DATA_HOME/onex-site, else ~/.local/share/onex-site);
// ONEX_SERVER prefills central's address on first run; ONEX_PASSPHRASE, as
// for the command line, opens the store without asking (unattended
// terminals); ONEX_LOG sets the log level on stderr (debug, info, warn,
// error; default warn). `onex-site --version` prints the build's version.
//
// When ONEX_DATA holds a paired terminal (terminal.json, from the first
// start's "this is an exam computer" or `onex-site terminal --pair`) the app
// opens as that exam computer, at its seat screen; ONEX_KIOSK=1 makes it a
// kiosk: full screen, leaving only with the proctor PIN (docs/kiosk.md).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2/app"

	"onex/client/cli"
	"onex/client/locale"
	"onex/client/site"
	"onex/client/station"
	"onex/client/ui"
	"onex/internal/headless"
)

// version is this build's version: make release writes git describe here
// in its build copy (fyne package drops -ldflags -X on its Windows
// rebuild); a plain go build says "dev".
var version = "dev"

func main() {
	start := time.Now()
	// A command ran Fyne's initialisation without the locale variables, so
	// that Fyne printed nothing; the command gets them back.
	headless.Restore()
	if len(os.Args) > 1 {
		headless.Console()
		if a := os.Args[1]; len(os.Args) == 2 && (a == "version" || a == "--version") {
			fmt.Println("onex-site", version)
			return
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
		stop()
		os.Exit(code)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("ONEX_LOG"))); err != nil {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// Input methods' text (Chinese) reaches Fyne's windows only in a UTF-8
	// LC_CTYPE, set before Fyne starts GLFW.
	locale.Setup(log)
	log.Info("onex-site starting", "version", version)
	a := app.NewWithID("cn.onex.site")
	desk := ui.New(a, ui.Options{
		Site:       site.Config{Dir: dataDir(), Log: log},
		Server:     os.Getenv("ONEX_SERVER"),
		Passphrase: os.Getenv(cli.PassphraseEnv),
		Room:       roomAddr(),
		Kiosk:      kiosk(),
		Shown: func(screen string) {
			log.Info("screen shown", "screen", screen, "since_start", time.Since(start))
		},
	})
	desk.Start()
	a.Run()
	desk.Close()
}

// dataDir is the site store's directory.
func dataDir() string {
	if d := os.Getenv("ONEX_DATA"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "onex-site")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "onex-site"
	}
	return filepath.Join(home, ".local", "share", "onex-site")
}

// roomAddr is where the station serves the room's terminals: $ONEX_ROOM
// (an address such as :7443, or "off"), by default station.DefaultAddr.
func roomAddr() string {
	switch a := os.Getenv("ONEX_ROOM"); a {
	case "":
		return station.DefaultAddr
	case "off":
		return ""
	default:
		return a
	}
}

// kiosk reports whether $ONEX_KIOSK asks for a kiosk (1, true, yes, on).
func kiosk() bool {
	switch strings.ToLower(os.Getenv("ONEX_KIOSK")) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
