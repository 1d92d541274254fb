//go:build unix

package store

import (
	"fmt"
	"os"
	"syscall"
)

// fileID identifies the database file on its disk: device and inode. A copy
// of the file, or the file restored from a backup, has another.
func fileID(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d", uint64(st.Dev), uint64(st.Ino))
}
