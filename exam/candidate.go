package exam

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Gender as the roster and the resident ID number record it.
type Gender string

// Genders.
const (
	Male   Gender = "male"
	Female Gender = "female"
)

// Category is whether a candidate is a student of a pilot school or a member of the public.
type Category string

// Categories.
const (
	Student Category = "student" // 在校学生
	Public  Category = "public"  // 社会成员
)

// ResidentID is the ID type of a mainland resident identity card.
const ResidentID = "居民身份证"

// idTypes are the ID types a roster may name. Resident ID numbers and
// residence permits for Hong Kong, Macao and Taiwan residents share the
// 18-character format and are checked in full.
var idTypes = map[string]bool{
	ResidentID:    true,
	"港澳台居民居住证":    true,
	"港澳居民来往内地通行证": false,
	"台湾居民来往大陆通行证": false,
	"护照":          false,
	"外国人永久居留身份证":  false,
}

// Candidate is one row of a session's roster (考生名单).
type Candidate struct {
	Ticket    string   `json:"ticket"`  // 准考证号
	Name      string   `json:"name"`    // 姓名
	IDType    string   `json:"id_type"` // 证件类型
	IDNumber  string   `json:"id_number"`
	Gender    Gender   `json:"gender"`
	Category  Category `json:"category"`
	School    string   `json:"school,omitempty"`
	FeeExempt bool     `json:"fee_exempt"` // 免考试费: 建档立卡等家庭经济困难学生
	// FeeKind is why the candidate is exempt (免费类别), one of FeeKinds;
	// empty when the candidate pays. Central keeps it; site packages leave
	// it out (the site has no use for it, and sites refuse unknown fields).
	FeeKind FeeKind `json:"fee_kind,omitempty"`
	Room    string  `json:"room,omitempty"`
	Seat    string  `json:"seat,omitempty"`
}

// Roster column headers, as exported from the office's spreadsheets.
const (
	colTicket    = "准考证号"
	colName      = "姓名"
	colIDType    = "证件类型"
	colIDNumber  = "证件号码"
	colGender    = "性别"
	colCategory  = "考生类别"
	colSchool    = "所在院校"
	colFeeExempt = "免考试费"
	colFeeKind   = "免费类别"
	colRoom      = "考场"
	colSeat      = "座位号"
)

var requiredColumns = []string{colTicket, colName, colIDType, colIDNumber, colGender, colCategory}

var optionalColumns = []string{colSchool, colFeeExempt, colFeeKind, colRoom, colSeat}

// ReadRoster reads a roster CSV in UTF-8 (with or without a byte-order mark;
// callers decode GB18030 first) with the Chinese headers of the sample roster,
// in any column order. Every row is checked; a roster with any bad row is
// refused whole with an *InvalidError naming every bad row by line and field.
func ReadRoster(r io.Reader) ([]Candidate, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, invalidf("roster: not UTF-8 (decode GB18030 first)")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, invalidf("roster: line 1: %v", readErr(err))
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	var pr problems
	for _, h := range requiredColumns {
		if _, ok := col[h]; !ok {
			pr.addf("line 1: column %s is missing", h)
		}
	}
	if err := pr.err(); err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}

	var out []Candidate
	tickets := map[string]int{}
	ids := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("roster: %w", err)
			}
			pr.addf("line %d: %v", pe.Line, pe.Err)
			break // the rest of the file cannot be framed into rows
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		field := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		bad := func(name, format string, args ...any) {
			pr.addf("line %d: %s: "+format, append([]any{line, name}, args...)...)
		}
		c, rowErrs := parseCandidate(field)
		for _, e := range rowErrs {
			bad(e.field, "%s", e.reason)
		}
		if c.Ticket != "" {
			if first, dup := tickets[c.Ticket]; dup {
				bad(colTicket, "%s repeats line %d", c.Ticket, first)
			} else {
				tickets[c.Ticket] = line
			}
		}
		if c.IDNumber != "" {
			key := c.IDType + "/" + c.IDNumber
			if first, dup := ids[key]; dup {
				bad(colIDNumber, "the same ID number as line %d", first)
			} else {
				ids[key] = line
			}
		}
		out = append(out, c)
	}
	if len(out) == 0 && len(pr) == 0 {
		pr.addf("no candidates after the header")
	}
	if err := pr.err(); err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	return out, nil
}

func readErr(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty")
	}
	return err
}

type fieldProblem struct{ field, reason string }

// parseCandidate builds a candidate from one row's fields and lists what is wrong with it.
func parseCandidate(field func(string) string) (Candidate, []fieldProblem) {
	var bad []fieldProblem
	add := func(f, format string, args ...any) {
		bad = append(bad, fieldProblem{f, fmt.Sprintf(format, args...)})
	}
	c := Candidate{
		Ticket:   field(colTicket),
		Name:     field(colName),
		IDType:   field(colIDType),
		IDNumber: strings.ToUpper(field(colIDNumber)),
		School:   field(colSchool),
		Room:     field(colRoom),
		Seat:     field(colSeat),
	}
	if c.Ticket == "" {
		add(colTicket, "is empty")
	} else if !printable(c.Ticket, 32) {
		add(colTicket, "%q is not a ticket number", c.Ticket)
	}
	if c.Name == "" {
		add(colName, "is empty")
	} else if !printable(c.Name, 64) {
		add(colName, "is longer than 64 characters or has control characters")
	}
	full, known := idTypes[c.IDType]
	switch {
	case !known:
		add(colIDType, "%q is not a known ID type (%s, 护照, …)", c.IDType, ResidentID)
	case c.IDNumber == "":
		add(colIDNumber, "is empty")
	case full:
		if err := CheckResidentID(c.IDNumber); err != nil {
			add(colIDNumber, "%v", err)
		}
	case !printable(c.IDNumber, 32):
		add(colIDNumber, "is not a document number")
	}
	c.Gender = either(add, colGender, field(colGender), "男", Male, "女", Female)
	if full && c.Gender != "" && CheckResidentID(c.IDNumber) == nil && residentIDGender(c.IDNumber) != c.Gender {
		add(colGender, "does not match the ID number")
	}
	c.Category = either(add, colCategory, field(colCategory), "在校学生", Student, "社会成员", Public)
	kind := field(colFeeKind)
	switch f := field(colFeeExempt); f {
	case "是":
		c.FeeExempt = true
		k, ok := ParseFeeKind(kind)
		switch {
		case kind == "":
			add(colFeeKind, "is empty, and 免考试费 is 是: name the kind (%s)", feeKindNames())
		case !ok:
			add(colFeeKind, "%q is not a kind of exemption (%s)", kind, feeKindNames())
		}
		c.FeeKind = k
	case "否", "":
		if kind != "" {
			add(colFeeKind, "is %q, but 免考试费 is not 是: a candidate who pays has no kind", kind)
		}
	default:
		add(colFeeExempt, "%q is not 是 or 否", f)
	}
	for _, name := range optionalColumns {
		if v := field(name); !printable(v, 128) {
			add(name, "is longer than 128 characters or has control characters")
		}
	}
	return c, bad
}

// either reads a cell that must be word a or word b, standing for va or
// vb; anything else is a problem of column col, and the zero value.
func either[T any](add func(col, format string, args ...any), col, cell, a string, va T, b string, vb T) T {
	switch cell {
	case a:
		return va
	case b:
		return vb
	}
	add(col, "%q is not %s or %s", cell, a, b)
	var zero T
	return zero
}

func printable(s string, max int) bool {
	if utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// provinces are the first two digits of a valid resident ID number's region code.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// ResidentIDCheck returns the check character (GB 11643, ISO 7064 MOD 11-2)
// of the first 17 digits of a resident ID number.
func ResidentIDCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11]
}

// CheckResidentID checks an 18-character mainland resident ID number (居民身份证
// 号码): 17 digits and a check character (digit or X), a known province, a real
// birth date, and the ISO 7064 MOD 11-2 check character. The error wraps
// ErrInvalid and says which part is wrong.
func CheckResidentID(id string) error {
	if len(id) != 18 {
		return invalidf("%d characters, a resident ID number has 18", utf8.RuneCountInString(id))
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return invalidf("character %d is not a digit", i+1)
		}
	}
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	if (last < '0' || last > '9') && last != 'X' {
		return invalidf("the last character is not a digit or X")
	}
	if !provinces[id[:2]] {
		return invalidf("region code %s is not a province", id[:6])
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil || birth.Year() < 1900 {
		return invalidf("birth date %s is not a date", id[6:14])
	}
	if want := ResidentIDCheck(id); last != want {
		return invalidf("check character is %c, expected %c", last, want)
	}
	return nil
}

// residentIDGender is the gender a valid resident ID number records in its
// 17th character: odd for male, even for female.
func residentIDGender(id string) Gender {
	if (id[16]-'0')%2 == 1 {
		return Male
	}
	return Female
}
