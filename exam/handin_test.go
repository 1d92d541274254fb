package exam_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
)

// handInPaper is a paper with one hand-in item of the given limits.
func handInPaper(maxFiles int, maxBytes int64, ext ...string) *exam.Paper {
	return &exam.Paper{Format: exam.PaperFormat, ID: "P", Version: 1, Certificate: "WEB", Level: exam.Elementary, Title: "t",
		DurationMinutes: 60, Sections: []exam.Section{{Title: "s", Items: []exam.Item{{
			ID: "h1", Type: exam.HandIn, Points: 10, Stem: "Hand in your site.", MaxFiles: maxFiles, MaxBytes: maxBytes, Extensions: ext,
			Rubric: []exam.Criterion{{Criterion: "正确提交文件", Points: 4}, {Criterion: "works", Points: 6}},
		}}}}}
}

func file(name string, size int64) exam.HandedFile {
	return exam.HandedFile{Name: name, Size: size, SHA256: exam.FileHash([]byte(name))}
}

func TestHandInPaperRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paper func() *exam.Paper
		want  string // "" valid
	}{
		{"defaults", func() *exam.Paper { return handInPaper(0, 0) }, ""},
		{"the caps", func() *exam.Paper { return handInPaper(exam.MaxHandInFiles, exam.MaxHandInBytes, ".py", ".HTML") }, ""},
		{"too many files", func() *exam.Paper { return handInPaper(exam.MaxHandInFiles+1, 0) }, "max_files 101 is outside 0..100"},
		{"negative files", func() *exam.Paper { return handInPaper(-1, 0) }, "max_files -1"},
		{"too many bytes", func() *exam.Paper { return handInPaper(0, exam.MaxHandInBytes+1) }, "max_bytes 67108865 is outside"},
		{"an extension without its dot", func() *exam.Paper { return handInPaper(0, 0, "py") }, `extensions 1 "py" is not an extension`},
		{"a path for an extension", func() *exam.Paper { return handInPaper(0, 0, ".a/b") }, `extensions 1 ".a/b"`},
		{"no rubric", func() *exam.Paper { p := handInPaper(0, 0); p.Sections[0].Items[0].Rubric = nil; return p }, "rubric is missing: a handin item"},
		{"limits on an essay", func() *exam.Paper {
			p := handInPaper(3, 0)
			p.Sections[0].Items[0].Type = exam.Essay
			return p
		}, "max_files, max_bytes and extensions are for handin items, not essay"},
	} {
		err := tc.paper().Validate()
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, exam.ErrInvalid) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestHandInAnswers(t *testing.T) {
	it := handInPaper(3, 1000, ".py", ".txt").Sections[0].Items[0]
	for _, tc := range []struct {
		name string
		ans  exam.Answer
		want string // "" accepts
	}{
		{"none", exam.Answer{}, ""},
		{"two files", exam.Answer{Files: []exam.HandedFile{file("main.py", 10), file("src/util.PY", 990)}}, ""},
		{"an empty file", exam.Answer{Files: []exam.HandedFile{file("empty.txt", 0)}}, ""},
		{"text", exam.Answer{Text: "x"}, "takes files, not choices or text"},
		{"four files", exam.Answer{Files: []exam.HandedFile{file("a.py", 1), file("b.py", 1), file("c.py", 1), file("d.py", 1)}}, "4 files, at most 3"},
		{"too big together", exam.Answer{Files: []exam.HandedFile{file("a.py", 600), file("b.py", 401)}}, `the files up to "b.py" are 1001 bytes together, at most 1000`},
		{"one too big", exam.Answer{Files: []exam.HandedFile{file("big.py", 1001)}}, `the file "big.py" is 1001 bytes, at most 1000`},
		{"a type not taken", exam.Answer{Files: []exam.HandedFile{file("a.exe", 1)}}, `the file "a.exe" is not of a type this task takes (.py .txt)`},
		{"twice, by case", exam.Answer{Files: []exam.HandedFile{file("a.py", 1), file("A.py", 1)}}, `the file "A.py" is handed in twice`},
		{"out of the folder", exam.Answer{Files: []exam.HandedFile{file("../a.py", 1)}}, `"../a.py" is not a plain relative path`},
		{"absolute", exam.Answer{Files: []exam.HandedFile{file("/etc/a.py", 1)}}, "not a plain relative path"},
		{"unclean", exam.Answer{Files: []exam.HandedFile{file("a//b.py", 1)}}, "not a plain relative path"},
		{"backslash", exam.Answer{Files: []exam.HandedFile{file(`a\b.py`, 1)}}, "backslash"},
		{"control", exam.Answer{Files: []exam.HandedFile{file("a\nb.py", 1)}}, "control character"},
		{"negative size", exam.Answer{Files: []exam.HandedFile{file("a.py", -1)}}, "is -1 bytes"},
		{"bad hash", exam.Answer{Files: []exam.HandedFile{{Name: "a.py", Size: 1, SHA256: strings.Repeat("A", 64)}}}, "no SHA-256"},
	} {
		got, err := it.CheckAnswer(tc.ans)
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, exam.ErrInvalid) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "item h1: ") {
			t.Errorf("%s: err = %v does not name the item", tc.name, err)
		}
		if err == nil && len(got.Files) != len(tc.ans.Files) {
			t.Errorf("%s: kept %d files of %d", tc.name, len(got.Files), len(tc.ans.Files))
		}
	}
	ess := exam.Item{ID: "e", Type: exam.Essay}
	if _, err := ess.CheckAnswer(exam.Answer{Files: []exam.HandedFile{file("a.py", 1)}}); err == nil || !strings.Contains(err.Error(), "takes no files") {
		t.Errorf("files for an essay: %v", err)
	}
	if !(exam.Answer{Files: []exam.HandedFile{file("a", 0)}}).Answered() {
		t.Error("an answer with a file is not answered")
	}
}

func TestChunks(t *testing.T) {
	for _, tc := range []struct {
		size int64
		want int
	}{{0, 0}, {1, 1}, {exam.HandInChunk, 1}, {exam.HandInChunk + 1, 2}, {20 << 20, 80}} {
		if got := exam.Chunks(tc.size); got != tc.want {
			t.Errorf("Chunks(%d) = %d, want %d", tc.size, got, tc.want)
		}
	}
}

// TestHandInLimitsProperty: CheckFiles accepts a list exactly when its
// count, its total and each size are within the limits (names and hashes
// well formed and distinct), and the default limits are those of an item
// that sets none.
func TestHandInLimitsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := exam.HandInLimits{Files: rapid.IntRange(1, 10).Draw(t, "files"), Bytes: rapid.Int64Range(0, 5000).Draw(t, "bytes")}
		n := rapid.IntRange(0, 12).Draw(t, "n")
		var files []exam.HandedFile
		var total int64
		for i := range n {
			f := file(fmt.Sprintf("dir/f%d.txt", i), rapid.Int64Range(0, 3000).Draw(t, "size"))
			files = append(files, f)
			total += f.Size
		}
		err := l.CheckFiles(files)
		ok := n <= l.Files && total <= l.Bytes
		if ok != (err == nil) {
			t.Fatalf("limits %+v, %d files of %d bytes: err = %v", l, n, total, err)
		}
		if err != nil && !errors.Is(err, exam.ErrInvalid) {
			t.Fatalf("err %v does not wrap ErrInvalid", err)
		}
		var chunks int
		for _, f := range files {
			chunks += f.Chunks()
			if f.Size > 0 && int64(f.Chunks()-1)*exam.HandInChunk >= f.Size || int64(f.Chunks())*exam.HandInChunk < f.Size {
				t.Fatalf("%d bytes in %d chunks", f.Size, f.Chunks())
			}
		}
	})
	def := exam.Item{Type: exam.HandIn}.HandInLimits()
	if def.Files != exam.DefaultHandInFiles || def.Bytes != exam.DefaultHandInBytes {
		t.Errorf("default limits = %+v", def)
	}
}

// TestCheckNameProperty: a name CheckName takes never leaves the folder
// (no "..", not absolute, no backslash) and is cleaned already.
func TestCheckNameProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.StringOfN(rapid.SampledFrom([]rune{'a', '.', '/', '\\', '字', '\n', ' '}), 0, 12, -1).Draw(t, "name")
		if exam.CheckName(name) != nil {
			return
		}
		for _, part := range strings.Split(name, "/") {
			if part == "" || part == "." || part == ".." {
				t.Fatalf("%q taken with part %q", name, part)
			}
		}
		if strings.ContainsAny(name, "\\\n") {
			t.Fatalf("%q taken", name)
		}
	})
}
