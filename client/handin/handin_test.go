package handin_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onex/client/handin"
	"onex/exam"
)

func write(t *testing.T, dir, name string, content []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMakeIsTheUsersAlone: the work folder and its base are 0700, named
// after the session and ticket, kept with their files when made again,
// and gone after Remove.
func TestMakeIsTheUsersAlone(t *testing.T) {
	base := filepath.Join(t.TempDir(), handin.BaseName)
	dir, err := handin.Make(base, "S-2026/1", "2026WEB010001")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "S-2026_1_2026WEB010001" {
		t.Errorf("folder %s", dir)
	}
	write(t, dir, "a.txt", []byte("a"))
	os.Chmod(dir, 0o755)
	if _, err := handin.Make(base, "S-2026/1", "2026WEB010001"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, dir} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", d, fi.Mode(), err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err != nil {
		t.Errorf("made again, the folder lost its file: %v", err)
	}
	if err := handin.Remove(base, "S-2026/1", "2026WEB010001"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
}

func TestCollect(t *testing.T) {
	limits := exam.HandInLimits{Files: 3, Bytes: 1000}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir, outside string)
		l     exam.HandInLimits
		want  []string // names collected, when err is ""
		err   string   // the refusal's text
	}{
		{"files in sub-folders, junk passed over", func(t *testing.T, dir, _ string) {
			write(t, dir, "index.html", []byte("<p>hi</p>"))
			write(t, dir, "css/site.css", []byte("p{}"))
			write(t, dir, ".DS_Store", []byte("junk"))
			write(t, dir, "~$report.docx", []byte("lock"))
			write(t, dir, "empty.txt", nil)
		}, limits, []string{"css/site.css", "empty.txt", "index.html"}, ""},
		{"no folder", func(t *testing.T, dir, _ string) { os.Remove(dir) }, limits, nil, ""},
		{"too many files", func(t *testing.T, dir, _ string) {
			for _, n := range []string{"a", "b", "c", "d"} {
				write(t, dir, n+".txt", []byte(n))
			}
		}, limits, nil, `"d.txt": this task takes at most 3 files; the folder has 4`},
		{"one file too big", func(t *testing.T, dir, _ string) {
			write(t, dir, "big.bin", make([]byte, 1001))
		}, limits, nil, `"big.bin": 1001 B, more than this task takes (1000 B)`},
		{"too big together", func(t *testing.T, dir, _ string) {
			write(t, dir, "a.bin", make([]byte, 600))
			write(t, dir, "b.bin", make([]byte, 401))
		}, limits, nil, `"b.bin": 401 B, with the files before it 1001 B, more than this task takes (1000 B)`},
		{"a type not taken", func(t *testing.T, dir, _ string) {
			write(t, dir, "main.py", []byte("print(1)"))
			write(t, dir, "notes.doc", []byte("x"))
		}, exam.HandInLimits{Files: 3, Bytes: 1000, Extensions: []string{".py"}}, nil, `"notes.doc": this task takes only files of type .py`},
		{"a link out of the folder", func(t *testing.T, dir, outside string) {
			write(t, outside, "secret.txt", []byte("not the candidate's"))
			if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
				t.Fatal(err)
			}
		}, limits, nil, `"link.txt": a link out of the work folder`},
		{"a link up and out", func(t *testing.T, dir, outside string) {
			write(t, outside, "secret.txt", []byte("x"))
			rel, _ := filepath.Rel(dir, filepath.Join(outside, "secret.txt"))
			os.Symlink(rel, filepath.Join(dir, "up.txt"))
		}, limits, nil, `"up.txt": a link out of the work folder`},
		{"a link inside is read as its file", func(t *testing.T, dir, _ string) {
			write(t, dir, "a.txt", []byte("a"))
			os.Symlink("a.txt", filepath.Join(dir, "b.txt"))
		}, limits, []string{"a.txt", "b.txt"}, ""},
		{"a link to a folder", func(t *testing.T, dir, outside string) {
			os.Symlink(outside, filepath.Join(dir, "out"))
		}, limits, nil, `"out": a link out of the work folder`},
		{"a fifo", func(t *testing.T, dir, _ string) {
			if err := mkfifo(filepath.Join(dir, "pipe")); errors.Is(err, errors.ErrUnsupported) {
				t.Skip("no fifos on this system")
			} else if err != nil {
				t.Fatal(err)
			}
		}, limits, nil, `"pipe": not a regular file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, outside := filepath.Join(t.TempDir(), "work"), t.TempDir()
			os.Mkdir(dir, 0o700)
			tc.setup(t, dir, outside)
			files, err := handin.Collect(dir, tc.l)
			if tc.err != "" {
				var fe *handin.FileError
				if !errors.As(err, &fe) || !errors.Is(err, handin.ErrFile) || !errors.Is(err, exam.ErrInvalid) || !strings.Contains(err.Error(), tc.err) || files != nil {
					t.Fatalf("err = %v, want %q and nothing collected (%d files)", err, tc.err, len(files))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
				if f.Size != int64(len(f.Content)) || f.SHA256 != exam.FileHash(f.Content) {
					t.Errorf("%s: size %d hash %s for %d bytes", f.Name, f.Size, f.SHA256, len(f.Content))
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("collected %q, want %q", names, tc.want)
			}
		})
	}
}

func TestPieces(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), exam.HandInChunk/5+3) // 2 pieces and a few bytes
	f := handin.File{HandedFile: exam.HandedFile{Size: int64(len(content))}, Content: content}
	ps := f.Pieces()
	if len(ps) != f.Chunks() || len(ps) != 3 || len(ps[2]) != len(content)-2*exam.HandInChunk || !bytes.Equal(bytes.Join(ps, nil), content) {
		t.Errorf("%d pieces for %d bytes", len(ps), len(content))
	}
	if ps := (handin.File{}).Pieces(); len(ps) != 0 {
		t.Errorf("an empty file in %d pieces", len(ps))
	}
}
