//go:build unix

package pgtest

import (
	"os"
	"strconv"
	"syscall"
)

// closeInheritedFiles marks every descriptor above standard error
// close-on-exec, so that PostgreSQL, which outlives the commands that start
// it, holds none of this process's pipes open. A go test fuzz worker, for
// one, is handed its pipes to the fuzzing coordinator without that flag, and
// the coordinator waits for them to close.
func closeInheritedFiles() {
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, e := range fds {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
