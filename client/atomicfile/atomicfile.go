// Package atomicfile replaces a file whole or not at all: the new content is
// written to a temporary file beside it and synced, renamed over the file,
// and the directory synced, so a crash leaves the old file or the new, never
// a mix. (renameio does not sync the directory, and does not build for
// Windows.) The exam terminal keeps its journal state and PIN this way, and
// the site its certificate trust lists.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path by data with mode perm.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	err = tmp.Chmod(perm)
	for _, step := range []func() error{
		func() error { _, err := tmp.Write(data); return err },
		tmp.Sync,
	} {
		if err == nil {
			err = step()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	return syncDir(dir)
}
