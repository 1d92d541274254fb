package credit

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"onex/exam"
)

// Kind is what a learning outcome is.
type Kind string

// Kinds of outcome.
const (
	KindCertificate Kind = "certificate" // an issued vocational skill level certificate
	KindCourse      Kind = "course"      // a course passed at a school, from the school's CSV
)

// Outcome is a learning outcome (学习成果) in a learner's account.
type Outcome struct {
	Learner string `json:"learner"` // the account's key as the caller gives it (a course CSV gives the ID number)
	Kind    Kind   `json:"kind"`

	// A certificate: its number, the certificate's code and level.
	Number      string     `json:"number,omitempty"`
	Certificate string     `json:"certificate,omitempty"`
	Level       exam.Level `json:"level,omitempty"`

	// A course: the school's code, the course's code and name, its credits.
	School     string  `json:"school,omitempty"`
	Course     string  `json:"course,omitempty"`
	CourseName string  `json:"course_name,omitempty"`
	Credits    Credits `json:"credits,omitzero"`

	Score Score `json:"score"` // the percentage earned
	Date  Date  `json:"date"`  // the day it was earned: the certificate's issue date, the course's pass date

	// From a course CSV: the learner's name and ID type as the row gave them.
	Name   string `json:"name,omitempty"`
	IDType string `json:"id_type,omitempty"`
	// Line is the course CSV's line the outcome was read from, for the
	// caller's own checks of a row (0 otherwise; not part of the outcome).
	// [added: issue 17]
	Line int `json:"-"`
}

// Key identifies an outcome within its learner's account: a certificate by
// its number, a course by school and course code.
func (o Outcome) Key() string {
	if o.Kind == KindCourse {
		return "course:" + o.School + "/" + o.Course
	}
	return "certificate:" + o.Number
}

// Course CSV column headers (FORMAT.md).
const (
	ColName       = "姓名"
	ColIDType     = "证件类型"
	ColIDNumber   = "证件号码"
	ColSchool     = "学校代码"
	ColCourse     = "课程代码"
	ColCourseName = "课程名称"
	ColCredits    = "学分"
	ColScore      = "成绩"
	ColDate       = "通过日期"
)

var courseColumns = []string{ColName, ColIDNumber, ColSchool, ColCourse, ColCourseName, ColCredits, ColScore, ColDate}

// Encodings of a course CSV.
const (
	EncodingAuto    = "auto"    // UTF-8 when the bytes are valid UTF-8 (or start with its byte-order mark), else GB18030
	EncodingUTF8    = "utf-8"   // with or without a byte-order mark
	EncodingGB18030 = "gb18030" // also reads GBK and GB2312, as Excel saves "CSV" in Chinese Windows
)

// MaxCourseFile is the largest course CSV read.
const MaxCourseFile = 32 << 20

// decodeText turns a CSV file's bytes into UTF-8 without a byte-order mark.
func decodeText(p *problems, b []byte, encoding string) []byte {
	switch encoding {
	case EncodingAuto, "":
		if bytes.HasPrefix(b, []byte("\ufeff")) || utf8.Valid(b) {
			return bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		fallthrough
	case EncodingGB18030, "gbk":
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil || !utf8.Valid(out) {
			p.add(0, "", "", "not GB18030 text")
			return nil
		}
		return out
	case EncodingUTF8, "utf8":
		if !utf8.Valid(b) {
			p.add(0, "", "", "not UTF-8 (try the encoding gb18030)")
			return nil
		}
		return bytes.TrimPrefix(b, []byte("\ufeff"))
	}
	p.add(0, "", "", "encoding %q is not auto, utf-8 or gb18030", encoding)
	return nil
}

// ReadCourses reads a school's CSV of courses passed (FORMAT.md), as Excel
// saves it: UTF-8 (with or without a byte-order mark) or GB18030, per
// encoding; the Chinese headers in any order. Every row is checked; a file
// with any bad row is refused whole with a *FileError naming every problem
// by file, line and column. The outcomes' Learner is the row's ID number
// (upper case); the caller maps it to the account's key.
func ReadCourses(name string, r io.Reader, encoding string) ([]Outcome, error) {
	p := &problems{file: name}
	raw, err := io.ReadAll(io.LimitReader(r, MaxCourseFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(raw) > MaxCourseFile {
		p.add(0, "", "", "larger than %d bytes", MaxCourseFile)
		return nil, p.err()
	}
	data := decodeText(p, raw, encoding)
	if data == nil {
		return nil, p.err()
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, "", "", "the file is empty")
		} else {
			p.add(1, "", "", "%v", csvReason(err))
		}
		return nil, p.err()
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := col[h]; dup && h != "" {
			p.add(1, "", h, "the column appears twice")
		}
		col[h] = i
	}
	for _, h := range courseColumns {
		if _, ok := col[h]; !ok {
			p.add(1, "", h, "the column is missing")
		}
	}
	if len(p.list) > 0 {
		return nil, p.err()
	}
	var out []Outcome
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			p.add(line, "", "", "%v", csvReason(err))
			break // the rest cannot be framed into rows
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue // an empty line, or a row Excel cleared (",,,,")
		}
		field := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		bad := func(field, format string, args ...any) { p.add(line, "", field, format, args...) }
		o, ok := parseCourse(field, bad)
		if !ok {
			continue
		}
		k := o.Learner + "\x00" + o.Key()
		if first, dup := seen[k]; dup {
			bad(ColCourse, "course %s of school %s repeats line %d for the same learner", o.Course, o.School, first)
			continue
		}
		seen[k] = line
		o.Line = line
		out = append(out, o)
	}
	if len(out) == 0 && len(p.list) == 0 {
		p.add(0, "", "", "no rows after the header")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func csvReason(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseCourse reads one row; ok is false when any field is wrong (each reported).
func parseCourse(field func(string) string, bad func(field, format string, args ...any)) (Outcome, bool) {
	n := 0
	report := func(f, format string, args ...any) { n++; bad(f, format, args...) }
	o := Outcome{
		Kind:       KindCourse,
		Name:       field(ColName),
		IDType:     field(ColIDType),
		Learner:    strings.ToUpper(field(ColIDNumber)),
		School:     field(ColSchool),
		Course:     field(ColCourse),
		CourseName: field(ColCourseName),
	}
	if o.IDType == "" {
		o.IDType = exam.ResidentID
	}
	switch {
	case o.Name == "":
		report(ColName, "is empty")
	case !printable(o.Name, 64):
		report(ColName, "is longer than 64 characters or has control characters")
	}
	switch {
	case !printable(o.IDType, 32):
		report(ColIDType, "is not an ID type")
	case o.Learner == "":
		report(ColIDNumber, "is empty")
	case o.IDType == exam.ResidentID || o.IDType == "港澳台居民居住证":
		if err := exam.CheckResidentID(o.Learner); err != nil {
			report(ColIDNumber, "%v", err)
		}
	case !printable(o.Learner, 32):
		report(ColIDNumber, "is not a document number")
	}
	for _, c := range []struct {
		col string
		v   string
		max int
	}{{ColSchool, o.School, 32}, {ColCourse, o.Course, 32}, {ColCourseName, o.CourseName, 64}} {
		switch {
		case c.v == "":
			report(c.col, "is empty")
		case !printable(c.v, c.max):
			report(c.col, "is longer than %d characters or has control characters", c.max)
		}
	}
	var err error
	if o.Credits, err = ParseHundredths(field(ColCredits)); err != nil {
		report(ColCredits, "%v", err)
	} else if o.Credits <= 0 || o.Credits > MaxCredits {
		report(ColCredits, "%v is not more than 0 and at most %v", o.Credits, MaxCredits)
	}
	if o.Score, err = ParseHundredths(field(ColScore)); err != nil {
		report(ColScore, "%v", err)
	} else if o.Score > 10000 {
		report(ColScore, "%v is not a percentage 0 to 100", o.Score)
	}
	if o.Date, err = parseSheetDate(field(ColDate)); err != nil {
		report(ColDate, "%v", err)
	}
	return o, n == 0
}

// blank reports whether every field of a row is empty.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
