// Command onex-site is the OneX site app: with no arguments, the desktop app
// for the station (staff) and exam terminals (candidates); with a command,
// the headless command line of package client/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"onex/client/cli"
)

func main() {
	if len(os.Args) > 1 {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
		stop()
		os.Exit(code)
	}
	a := app.NewWithID("cn.onex.site")
	w := a.NewWindow("OneX 考点")
	w.SetContent(container.NewVBox(
		widget.NewLabelWithStyle("OneX 考点", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabel("1+X 职业技能等级证书考核站点"),
	))
	w.Resize(fyne.NewSize(640, 400))
	w.ShowAndRun()
}
