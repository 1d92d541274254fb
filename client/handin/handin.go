// Package handin is the candidate's work folder for a practical hand-in
// (exam.HandIn) on the computer they sit at, a terminal or the station:
// where it is, made for one candidate and readable by the computer's user
// alone, and its files collected within a hand-in item's limits and cut
// into the pieces they travel in (client/room/PROTOCOL.md, "Hand-in").
// It reads files and does nothing else: no network, no store.
package handin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"onex/exam"
)

// BaseName is the folder, in the user's home folder, that holds the work
// folders of the candidates who sit at this computer.
const BaseName = "OneX-work"

// DefaultBase is HOME/OneX-work (the user's profile folder on Windows).
func DefaultBase() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("work folders: %w", err)
	}
	return filepath.Join(home, BaseName), nil
}

// Folder is a candidate's work folder under base: one folder per session
// and ticket, named after them (characters other than letters, digits,
// "-", "_" and "." written "_").
func Folder(base, sessionID, ticket string) string {
	return filepath.Join(base, safe(sessionID)+"_"+safe(ticket))
}

func safe(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// Make makes a candidate's work folder, and base, readable by this
// computer's user alone (0700; on Windows, the user's profile's ACLs), and
// returns its path. A folder there already (the candidate signed in again)
// is kept as it is, with its files, its mode set again.
func Make(base, sessionID, ticket string) (string, error) {
	dir := Folder(base, sessionID, ticket)
	for _, d := range []string{base, dir} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("work folder: %w", err)
		}
		fi, err := os.Lstat(d)
		if err != nil {
			return "", fmt.Errorf("work folder: %w", err)
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("work folder: %s is not a folder", d)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return "", fmt.Errorf("work folder: %w", err)
		}
	}
	return dir, nil
}

// Remove removes a candidate's work folder and what it holds, once the
// files are at the station: the next candidate at this computer (the same
// user of the computer) cannot read them. No folder is no error.
func Remove(base, sessionID, ticket string) error {
	if err := os.RemoveAll(Folder(base, sessionID, ticket)); err != nil {
		return fmt.Errorf("work folder: %w", err)
	}
	return nil
}

// File is one collected file: as the answer lists it, and its content.
type File struct {
	exam.HandedFile
	Content []byte
}

// Pieces cuts the content into the pieces it travels in (exam.HandInChunk
// bytes, the last fewer; none for an empty file). They share the content's
// memory.
func (f File) Pieces() [][]byte {
	var out [][]byte
	for c := f.Content; len(c) > 0; {
		n := min(len(c), exam.HandInChunk)
		out = append(out, c[:n:n])
		c = c[n:]
	}
	return out
}

// Files are the list of a hand-in answer.
func Files(files []File) []exam.HandedFile {
	out := make([]exam.HandedFile, len(files))
	for i, f := range files {
		out[i] = f.HandedFile
	}
	return out
}

// ErrEmpty: the work folder holds no file to hand in. An empty folder is
// never handed in: it would replace what the candidate handed in before
// (a candidate moved to another computer starts with an empty folder).
var ErrEmpty = errors.New("the work folder holds no file")

// ErrFile is wrapped by a refusal of one file of the folder: a link out of
// the folder, something not a regular file, a name, type or size the
// item's limits refuse, more files than it takes. FileError names it.
var ErrFile = errors.New("the work folder cannot be handed in")

// FileError is a refusal naming the file at fault (its path in the
// folder, "/"-separated); nothing was collected.
type FileError struct {
	Name   string
	Kind   string // Refused…: what the screens translate
	Reason string // in English, for logs of the file's kind and tests
	Limit  int64  // the files or bytes a task takes, for RefusedCount and RefusedSize
}

// Kinds of FileError.
const (
	RefusedCount   = "count"   // more files than the task takes
	RefusedSize    = "size"    // more bytes than the task takes
	RefusedType    = "type"    // an extension the task does not take
	RefusedName    = "name"    // a name a hand-in cannot carry
	RefusedLink    = "link"    // a link out of the folder, to nothing or to a folder
	RefusedSpecial = "special" // not a regular file
	RefusedRead    = "read"    // cannot be read
)

func (e *FileError) Error() string { return fmt.Sprintf("%q: %s", e.Name, e.Reason) }

// Is makes errors.Is(err, ErrFile) and errors.Is(err, exam.ErrInvalid) true.
func (e *FileError) Is(target error) bool { return target == ErrFile || target == exam.ErrInvalid }

// junk are files systems and editors leave in a folder, never handed in.
func junk(name string) bool {
	base := filepath.Base(name)
	return base == ".DS_Store" || strings.EqualFold(base, "Thumbs.db") || strings.EqualFold(base, "desktop.ini") || strings.HasPrefix(base, "~$")
}

// Collect reads the files of a work folder, in name order, within the
// limits: regular files, in sub-folders too; a link is followed only to a
// regular file inside the folder. It refuses, with a *FileError naming
// the file and nothing collected, a link out of the folder or to a
// folder, anything but a regular file, and a name, type, size or count
// the limits refuse. Junk the system leaves (.DS_Store, Thumbs.db,
// desktop.ini, ~$ lock files) is passed over. A folder that does not exist
// is no files.
func Collect(dir string, l exam.HandInLimits) ([]File, error) {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("work folder: %w", err)
	}
	defer root.Close()
	var names []string
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("work folder: %w", err)
		}
		if d.IsDir() || name == "." || junk(name) {
			return nil
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	if len(names) > l.Files {
		return nil, &FileError{Name: names[l.Files], Kind: RefusedCount, Limit: int64(l.Files), Reason: fmt.Sprintf("this task takes at most %d files; the folder has %d", l.Files, len(names))}
	}
	var out []File
	var total int64
	for _, name := range names {
		if err := exam.CheckName(name); err != nil {
			return nil, &FileError{Name: name, Kind: RefusedName, Reason: err.Error()}
		}
		if !l.Allows(name) {
			return nil, &FileError{Name: name, Kind: RefusedType, Reason: fmt.Sprintf("this task takes only files of type %s", strings.Join(l.Extensions, " "))}
		}
		content, err := read(root, name, total, l.Bytes)
		if err != nil {
			return nil, err
		}
		total += int64(len(content))
		out = append(out, File{HandedFile: exam.HandedFile{Name: name, Size: int64(len(content)), SHA256: exam.FileHash(content)}, Content: content})
	}
	if err := l.CheckFiles(Files(out)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	return out, nil
}

// read reads one file of the folder through root (which refuses a path
// or link leading out of it), when the files before it are total bytes of
// the limit.
func read(root *os.Root, name string, total, limit int64) ([]byte, error) {
	room := limit - total
	fi, err := root.Stat(name) // follows a link, within the folder only
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &FileError{Name: name, Kind: RefusedLink, Reason: "a link to nothing, or to a file outside the work folder"}
		}
		return nil, &FileError{Name: name, Kind: RefusedLink, Reason: "a link out of the work folder, or a file that cannot be read: " + err.Error()}
	}
	switch {
	case fi.IsDir():
		return nil, &FileError{Name: name, Kind: RefusedLink, Reason: "a link to a folder: hand in the files themselves"}
	case !fi.Mode().IsRegular():
		return nil, &FileError{Name: name, Kind: RefusedSpecial, Reason: "not a regular file"}
	case fi.Size() > room:
		return nil, tooBig(name, fi.Size(), total, limit)
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, &FileError{Name: name, Kind: RefusedRead, Reason: "cannot be read: " + err.Error()}
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, &FileError{Name: name, Kind: RefusedSpecial, Reason: "not a regular file"}
	}
	b, err := io.ReadAll(io.LimitReader(f, room+1))
	if err != nil {
		return nil, &FileError{Name: name, Kind: RefusedRead, Reason: "cannot be read: " + err.Error()}
	}
	if int64(len(b)) > room {
		return nil, tooBig(name, int64(len(b)), total, limit)
	}
	return b, nil
}

func tooBig(name string, size, total, limit int64) error {
	if total == 0 {
		return &FileError{Name: name, Kind: RefusedSize, Limit: limit, Reason: fmt.Sprintf("%s, more than this task takes (%s)", Size(size), Size(limit))}
	}
	return &FileError{Name: name, Kind: RefusedSize, Limit: limit, Reason: fmt.Sprintf("%s, with the files before it %s, more than this task takes (%s)", Size(size), Size(total+size), Size(limit))}
}

// Size writes a number of bytes for people: "812 B", "3.4 KiB", "20.0 MiB".
func Size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
