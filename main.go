// Command onex-site is the OneX site app: with no arguments, the desktop app
// for the station (staff) and exam terminals (candidates).
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintf(os.Stderr, "onex-site: unknown command %q\n", os.Args[1])
		os.Exit(2)
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
