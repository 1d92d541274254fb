package site

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestExportPlaces: the drives mounted under the roots, each once and
// never a root itself, then the home folder; what does not exist is left out.
func TestExportPlaces(t *testing.T) {
	dir := t.TempDir()
	media := filepath.Join(dir, "media")
	user := filepath.Join(media, "kaowu")
	for _, d := range []string{filepath.Join(user, "KINGSTON"), filepath.Join(media, "usb0")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(user, "not-a-drive"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	got := places([]string{filepath.Join(dir, "E:"), media}, []string{user, filepath.Join(dir, "run"), media}, home)
	want := []Place{
		{Name: media, Path: media, Removable: true}, // a drive is named by its path (D:\)
		{Name: "KINGSTON", Path: filepath.Join(user, "KINGSTON"), Removable: true},
		{Name: "usb0", Path: filepath.Join(media, "usb0"), Removable: true},
		{Path: home},
	}
	if !slices.Equal(got, want) {
		t.Errorf("places:\n got %+v\nwant %+v", got, want)
	}
}
