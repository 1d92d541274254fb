package exam

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HandIn is the item type of a practical hand-in: the candidate hands in
// the files of their work folder, marked by people at central against the
// rubric, like an essay (docs/paper-format.md, "Hand-in").
const HandIn ItemType = "handin"

// Limits of a hand-in item. A paper sets max_files and max_bytes up to the
// caps; where it sets none the defaults hold.
const (
	DefaultHandInFiles = 20
	DefaultHandInBytes = 20 << 20
	MaxHandInFiles     = 100
	MaxHandInBytes     = 64 << 20
	// MaxHandInName bounds a file's name: a relative path of slash-separated
	// parts in the work folder, in bytes of UTF-8.
	MaxHandInName = 255
	// HandInChunk is the size of the pieces a handed-in file travels in,
	// from the terminal to the station and from the station to central:
	// piece i of a file holds its bytes from i·HandInChunk, the last one
	// fewer. A file of n bytes has ceil(n/HandInChunk) pieces (none when
	// empty).
	HandInChunk = 256 << 10
)

// HandedFile is one file of a hand-in answer: its name in the work folder
// (a relative path, parts joined by "/"), its size in bytes and the
// SHA-256 of its content (64 lower-case hex digits). The content travels
// apart, in pieces (HandInChunk), and is checked against the hash.
type HandedFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Chunks is the number of pieces the file travels in.
func (f HandedFile) Chunks() int { return Chunks(f.Size) }

// Chunks is the number of HandInChunk pieces of a file of size bytes.
func Chunks(size int64) int {
	if size <= 0 {
		return 0
	}
	return int((size + HandInChunk - 1) / HandInChunk)
}

// FileHash is the SHA-256 of content as HandedFile.SHA256 writes it.
func FileHash(content []byte) string {
	h := sha256.Sum256(content)
	return hex.EncodeToString(h[:])
}

// ValidHash reports whether s is a SHA-256 as HandedFile.SHA256 writes it.
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// HandInLimits are the limits of a hand-in item: at most Files files of
// Bytes bytes together, and, when Extensions is not empty, only names
// ending in one of them (compared without regard to case).
type HandInLimits struct {
	Files      int
	Bytes      int64
	Extensions []string
}

// HandInLimits returns the item's limits, the defaults filled in.
func (it Item) HandInLimits() HandInLimits {
	l := HandInLimits{Files: it.MaxFiles, Bytes: it.MaxBytes, Extensions: it.Extensions}
	if l.Files == 0 {
		l.Files = DefaultHandInFiles
	}
	if l.Bytes == 0 {
		l.Bytes = DefaultHandInBytes
	}
	return l
}

// CheckName says why name is not a file name a hand-in takes, or nil: a
// relative path of parts joined by "/", none empty, "." or "..", valid
// UTF-8 without control characters or "\", at most MaxHandInName bytes.
func CheckName(name string) error {
	switch {
	case name == "":
		return invalidf("the file name is empty")
	case len(name) > MaxHandInName:
		return invalidf("the file name %.40q… is %d bytes long, at most %d", name, len(name), MaxHandInName)
	case !utf8.ValidString(name):
		return invalidf("the file name %q is not valid UTF-8", name)
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '\\' || r == utf8.RuneError }):
		return invalidf("the file name %q has a control character or a backslash", name)
	case path.Clean(name) != name || path.IsAbs(name) || name == "." || name == ".." || strings.HasPrefix(name, "../"):
		return invalidf("the file name %q is not a plain relative path", name)
	}
	return nil
}

// Allows reports whether the limits take a file of this name by its
// extension.
func (l HandInLimits) Allows(name string) bool {
	if len(l.Extensions) == 0 {
		return true
	}
	for _, e := range l.Extensions {
		if strings.HasSuffix(strings.ToLower(name), strings.ToLower(e)) {
			return true
		}
	}
	return false
}

// CheckFiles checks a hand-in's file list against the limits: each name
// (CheckName, Allows), none twice (names that differ only in case count as
// the same, as on Windows), sizes not negative, hashes well formed, at
// most Files files and Bytes bytes together. The error wraps ErrInvalid
// and names the first file at fault.
func (l HandInLimits) CheckFiles(files []HandedFile) error {
	if len(files) > l.Files {
		return invalidf("%d files, at most %d", len(files), l.Files)
	}
	seen := map[string]bool{}
	var total int64
	for _, f := range files {
		if err := CheckName(f.Name); err != nil {
			return err
		}
		if !l.Allows(f.Name) {
			return invalidf("the file %q is not of a type this task takes (%s)", f.Name, strings.Join(l.Extensions, " "))
		}
		folded := strings.ToLower(f.Name)
		if seen[folded] {
			return invalidf("the file %q is handed in twice", f.Name)
		}
		seen[folded] = true
		if f.Size < 0 || f.Size > l.Bytes {
			return invalidf("the file %q is %d bytes, at most %d", f.Name, f.Size, l.Bytes)
		}
		if !ValidHash(f.SHA256) {
			return invalidf("the file %q has no SHA-256 (64 lower-case hex digits)", f.Name)
		}
		if total += f.Size; total > l.Bytes {
			return invalidf("the files up to %q are %d bytes together, at most %d", f.Name, total, l.Bytes)
		}
	}
	return nil
}

// validateHandIn checks a hand-in item's limits (validateItem).
func validateHandIn(at func(string, ...any), it Item) {
	if it.MaxFiles < 0 || it.MaxFiles > MaxHandInFiles {
		at("max_files %d is outside 0..%d (0: %d)", it.MaxFiles, MaxHandInFiles, DefaultHandInFiles)
	}
	if it.MaxBytes < 0 || it.MaxBytes > MaxHandInBytes {
		at("max_bytes %d is outside 0..%d (0: %d)", it.MaxBytes, MaxHandInBytes, DefaultHandInBytes)
	}
	for i, e := range it.Extensions {
		if len(e) < 2 || len(e) > 16 || e[0] != '.' || strings.ContainsAny(e[1:], "./\\ ") || !utf8.ValidString(e) {
			at("extensions %d %q is not an extension such as \".py\"", i+1, e)
		}
	}
}

// limitsOnOther names hand-in fields an item of another type sets.
func limitsOnOther(at func(string, ...any), it Item) {
	if it.Type == HandIn {
		return
	}
	if it.MaxFiles != 0 || it.MaxBytes != 0 || len(it.Extensions) > 0 {
		at("max_files, max_bytes and extensions are for handin items, not %s", it.Type)
	}
}

// checkHandIn is CheckAnswer of a hand-in item.
func (it Item) checkHandIn(a Answer) (Answer, error) {
	if len(a.Choices) > 0 || a.Text != "" {
		return Answer{}, invalidf("item %s: a handin item takes files, not choices or text", it.ID)
	}
	if err := it.HandInLimits().CheckFiles(a.Files); err != nil {
		return Answer{}, fmt.Errorf("item %s: %w", it.ID, err)
	}
	if len(a.Files) == 0 {
		return Answer{}, nil
	}
	return Answer{Files: append([]HandedFile(nil), a.Files...)}, nil
}

// HandInLimits returns the limits of a hand-in item as the candidate's
// view carries them, the defaults filled in.
func (it ViewItem) HandInLimits() HandInLimits {
	return Item{Type: HandIn, MaxFiles: it.MaxFiles, MaxBytes: it.MaxBytes, Extensions: it.Extensions}.HandInLimits()
}
