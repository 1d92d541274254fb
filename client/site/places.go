package site

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// Place is a folder an export file can go to: a removable drive (a USB
// stick) or the home folder.
type Place struct {
	Name      string // the drive's label or folder name; "" for the home folder
	Path      string
	Removable bool
}

// ExportPlaces lists where an export file can go on this machine: the
// removable drives mounted (Linux: under /media and /run/media; Windows:
// the drive letters D: to Z: that exist), then the home folder.
func ExportPlaces() []Place {
	home, _ := os.UserHomeDir()
	if runtime.GOOS == "windows" {
		var drives []string
		for l := 'D'; l <= 'Z'; l++ {
			drives = append(drives, string(l)+`:\`)
		}
		return places(drives, nil, home)
	}
	user := filepath.Base(home)
	return places(nil, []string{filepath.Join("/media", user), filepath.Join("/run/media", user), "/media"}, home)
}

// places lists the drives (folders that are drives themselves) and the
// folders under the mount roots that exist, then home.
func places(drives, roots []string, home string) []Place {
	var out []Place
	seen := map[string]bool{}
	add := func(name, path string) {
		if fi, err := os.Stat(path); err != nil || !fi.IsDir() || seen[path] {
			return
		}
		seen[path] = true
		out = append(out, Place{Name: name, Path: path, Removable: true})
	}
	for _, d := range drives {
		add(d, d)
	}
	for _, r := range roots {
		entries, _ := os.ReadDir(r)
		for _, e := range entries {
			if e.IsDir() && !slices.Contains(roots, filepath.Join(r, e.Name())) {
				add(e.Name(), filepath.Join(r, e.Name()))
			}
		}
	}
	if home != "" {
		out = append(out, Place{Path: home})
	}
	return out
}
