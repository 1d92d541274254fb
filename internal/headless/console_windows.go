package headless

import (
	"os"
	"syscall"
)

// attachConsole is kernel32's AttachConsole; attachParentProcess is its
// ATTACH_PARENT_PROCESS, (DWORD)-1.
var attachConsole = syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")

const attachParentProcess = uintptr(^uint32(0))

// Console gives a command the console it was started from. The release
// build of onex-site.exe is a GUI program (-H windowsgui), so that no
// console window opens beside the desktop app, nor one a candidate could
// close to end the exam app; Windows then gives it no standard output,
// and a command typed in cmd.exe or PowerShell would print nothing. Console
// attaches to the parent's console and points standard output and error
// there, unless they were redirected (to a file or a pipe), which Windows
// hands over even to a GUI program. Started from Explorer, there is no
// parent console and nothing changes.
func Console() {
	if r, _, _ := attachConsole.Call(attachParentProcess); r == 0 {
		return
	}
	for _, s := range []struct {
		std int
		f   **os.File
	}{{syscall.STD_OUTPUT_HANDLE, &os.Stdout}, {syscall.STD_ERROR_HANDLE, &os.Stderr}} {
		if h, err := syscall.GetStdHandle(s.std); err == nil && h != 0 && h != syscall.InvalidHandle {
			continue
		}
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			*s.f = f
		}
	}
}
