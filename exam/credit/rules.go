package credit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"onex/exam"
)

// RulesFormat is the format tag of a rule file.
const RulesFormat = "onex-credit-rules/1"

// MaxRulesFile is the largest rule file read (a rule is about 300 bytes).
const MaxRulesFile = 8 << 20

// MaxCredits is the most credits one rule may give.
const MaxCredits Credits = 3000

// RuleSet is one version of the conversion rules, as a rule file holds it
// (FORMAT.md). Central keeps every version it imported; a conversion names
// the version and the rule that gave it.
type RuleSet struct {
	Format  string `json:"format"`
	Version int    `json:"version"`        // 1, 2, …: each import a higher one (the store checks)
	Name    string `json:"name,omitempty"` // what the office calls it, e.g. "2026 年学分转换规则"
	Rules   []Rule `json:"rules"`

	rulesLine int // where the file's "rules" key is, for its errors
}

// Rule converts a certificate of one level, with at least a score, earned
// within a window, into credits for one course at one school.
type Rule struct {
	ID          string     `json:"id"`
	Certificate string     `json:"certificate"` // the certificate's code in the catalogue
	Level       exam.Level `json:"level"`
	MinScore    Score      `json:"min_score"` // the certificate's score must be at least this percentage
	School      string     `json:"school"`    // the school's code
	Course      string     `json:"course"`    // the course's code at that school
	CourseName  string     `json:"course_name"`
	Credits     Credits    `json:"credits"`
	ValidFrom   Date       `json:"valid_from"`
	ValidTo     Date       `json:"valid_to,omitzero"` // NoDate: open-ended
}

// In reports whether day d lies in the rule's window (both ends included).
func (r Rule) In(d Date) bool {
	return d >= r.ValidFrom && (r.ValidTo == NoDate || d <= r.ValidTo)
}

// Admits reports whether the rule converts outcome o: a certificate of the
// rule's code and level, with at least its minimum score, dated within its
// window.
func (r Rule) Admits(o Outcome) bool {
	return o.Kind == KindCertificate && o.Certificate == r.Certificate && o.Level == r.Level &&
		o.Score >= r.MinScore && r.In(o.Date)
}

// ruleJSON is a rule as the file writes it, read field by field so that a
// wrong value is reported with its field.
type ruleJSON struct {
	ID          string          `json:"id"`
	Certificate string          `json:"certificate"`
	Level       string          `json:"level"`
	MinScore    json.RawMessage `json:"min_score"`
	School      string          `json:"school"`
	Course      string          `json:"course"`
	CourseName  string          `json:"course_name"`
	Credits     json.RawMessage `json:"credits"`
	ValidFrom   string          `json:"valid_from"`
	ValidTo     string          `json:"valid_to"`
}

// ReadRules reads and checks a rule file (FORMAT.md). name is the file's
// name for the errors. Any problem refuses the whole file with a *FileError
// naming each problem's line, rule and field.
func ReadRules(name string, r io.Reader) (*RuleSet, error) {
	p := &problems{file: name}
	data, err := io.ReadAll(io.LimitReader(r, MaxRulesFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxRulesFile {
		p.add(0, "", "", "larger than %d bytes", MaxRulesFile)
		return nil, p.err()
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		p.add(0, "", "", "not UTF-8")
		return nil, p.err()
	}
	rs, lines := decodeRules(p, data)
	if rs == nil {
		return nil, p.err()
	}
	rs.check(p, lines) // also when a field did not read: every problem at once, one per field
	if err := p.err(); err != nil {
		return nil, err
	}
	return rs, nil
}

// Check checks a rule set made in code as ReadRules checks a file's.
func (rs *RuleSet) Check() error {
	p := &problems{file: "rules"}
	rs.check(p, nil)
	return p.err()
}

// lineAt is the line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// keyLine is the line of the first "key" in data: where a top-level key
// is (a rule's keys come after the top-level ones in any file we write; in
// another the line may be a rule's, which still points near the fault).
func keyLine(data []byte, key string) int {
	i := bytes.Index(data, []byte(`"`+key+`"`))
	if i < 0 {
		return 1
	}
	return lineAt(data, int64(i))
}

// jsonProblem reports a decoding error at base (the offset its decoder started at).
func jsonProblem(p *problems, data []byte, base int64, record string, err error) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		p.add(lineAt(data, int64(len(data))), record, "", "the JSON ends early")
	case errors.As(err, &syn):
		p.add(lineAt(data, base+syn.Offset), record, "", "JSON syntax: %v", syn)
	case errors.As(err, &typ):
		p.add(lineAt(data, base+typ.Offset), record, typ.Field, "%s is not %s", typ.Value, typeName(typ.Type.Kind().String()))
	default:
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			p.add(lineAt(data, base), record, strings.Trim(f, `"`), "is not a field of this format")
			return
		}
		p.add(lineAt(data, base), record, "", "%s", msg)
	}
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64":
		return "an integer"
	case "slice":
		return "a list"
	}
	return kind
}

// decodeRules reads the file's JSON: the top object and each rule with the
// line it starts on.
func decodeRules(p *problems, data []byte) (*RuleSet, []int) {
	if len(bytes.TrimSpace(data)) == 0 {
		p.add(0, "", "", "the file is empty")
		return nil, nil
	}
	var top struct {
		Format  string            `json:"format"`
		Version json.RawMessage   `json:"version"`
		Name    string            `json:"name"`
		Rules   []json.RawMessage `json:"rules"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		jsonProblem(p, data, 0, "", err)
		return nil, nil
	}
	if _, err := dec.Token(); err != io.EOF {
		p.add(lineAt(data, dec.InputOffset()), "", "", "data after the JSON object")
		return nil, nil
	}
	rs := &RuleSet{Format: top.Format, Name: top.Name, rulesLine: keyLine(data, "rules")}
	if top.Format != RulesFormat {
		p.add(keyLine(data, "format"), "", "format", "%q is not %q", top.Format, RulesFormat)
	}
	if v, err := strconv.Atoi(string(top.Version)); err != nil || v < 1 {
		p.add(keyLine(data, "version"), "", "version", "%s is not a version number 1, 2, …", cut(string(top.Version), 20))
	} else {
		rs.Version = v
	}
	if !printable(rs.Name, 128) {
		p.add(keyLine(data, "name"), "", "name", "is longer than 128 characters or has control characters")
	}
	whole := true // every rule decoded, so rs.Rules[i] is the file's rule i
	// Find where each rule starts: the raw messages are copies, so find
	// them in order in the file after the "rules" key.
	lines := make([]int, len(top.Rules))
	from := 0
	if i := bytes.Index(data, []byte(`"rules"`)); i >= 0 {
		from = i
	}
	for i, raw := range top.Rules {
		at := bytes.Index(data[from:], raw)
		off := int64(0)
		if at >= 0 {
			off = int64(from + at)
			from += at + len(raw)
		}
		lines[i] = lineAt(data, off)
		record := fmt.Sprintf("rule %d", i+1)
		var rj ruleJSON
		rd := json.NewDecoder(bytes.NewReader(raw))
		rd.DisallowUnknownFields()
		if err := rd.Decode(&rj); err != nil {
			jsonProblem(p, data, off, record, err)
			whole = false
			continue
		}
		if rj.ID != "" && printable(rj.ID, 32) {
			record = fmt.Sprintf("rule %d (%s)", i+1, rj.ID)
		}
		rs.Rules = append(rs.Rules, parseRule(p, lines[i], record, rj))
	}
	if !whole {
		return nil, nil
	}
	return rs, lines
}

// parseRule turns the fields of a rule into their types, reporting what
// does not read.
func parseRule(p *problems, line int, record string, rj ruleJSON) Rule {
	r := Rule{ID: rj.ID, Certificate: rj.Certificate, Level: exam.Level(rj.Level), School: rj.School, Course: rj.Course, CourseName: rj.CourseName}
	num := func(field string, raw json.RawMessage) Hundredths {
		switch {
		case len(raw) == 0 || string(raw) == "null":
			p.add(line, record, field, "is missing")
			return 0
		case raw[0] == '"':
			p.add(line, record, field, "%s is a string, not a number", cut(string(raw), 20))
			return 0
		}
		v, err := ParseHundredths(string(raw))
		if err != nil {
			p.add(line, record, field, "%v", err)
		}
		return v
	}
	r.MinScore = num("min_score", rj.MinScore)
	r.Credits = num("credits", rj.Credits)
	var err error
	if rj.ValidFrom == "" {
		p.add(line, record, "valid_from", "is missing")
	} else if r.ValidFrom, err = ParseDate(rj.ValidFrom); err != nil {
		p.add(line, record, "valid_from", "%v", err)
	}
	if rj.ValidTo != "" {
		if r.ValidTo, err = ParseDate(rj.ValidTo); err != nil {
			p.add(line, record, "valid_to", "%v", err)
		}
	}
	return r
}

// check holds the rule set to FORMAT.md's rules. lines[i] is the line rule
// i starts on (nil for a rule set made in code).
func (rs *RuleSet) check(p *problems, lines []int) {
	line := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return 0
	}
	if rs.Format != RulesFormat && lines == nil {
		p.add(0, "", "format", "%q is not %q", rs.Format, RulesFormat)
	}
	if rs.Version < 1 && lines == nil {
		p.add(0, "", "version", "%d is not a version number 1, 2, …", rs.Version)
	}
	if len(rs.Rules) == 0 {
		p.add(rs.rulesLine, "", "rules", "no rules")
	}
	ids := map[string]int{}
	courseNames := map[[2]string]int{}
	type source struct {
		cert   string
		level  exam.Level
		min    Score
		school string
		course string
	}
	bySource := map[source][]int{}
	for i, r := range rs.Rules {
		record := fmt.Sprintf("rule %d", i+1)
		if r.ID != "" && printable(r.ID, 32) {
			record = fmt.Sprintf("rule %d (%s)", i+1, r.ID)
		}
		bad := func(field, format string, args ...any) { p.add(line(i), record, field, format, args...) }
		code := func(field, v string, max int) bool {
			switch {
			case v == "":
				bad(field, "is empty")
			case !printable(v, max) || strings.TrimSpace(v) != v:
				bad(field, "%q is longer than %d characters, has control characters or spaces at its ends", v, max)
			default:
				return true
			}
			return false
		}
		if code("id", r.ID, 32) {
			if first, dup := ids[r.ID]; dup {
				bad("id", "repeats rule %d (line %d)", first+1, line(first))
			} else {
				ids[r.ID] = i
			}
		}
		code("certificate", r.Certificate, 32)
		if !r.Level.Valid() {
			bad("level", "%q is not elementary, intermediate or advanced", r.Level)
		}
		if r.MinScore < 0 || r.MinScore > 10000 {
			bad("min_score", "%v is not a percentage 0 to 100", r.MinScore)
		}
		code("school", r.School, 32)
		if code("course", r.Course, 32) && code("course_name", r.CourseName, 64) {
			k := [2]string{r.School, r.Course}
			if first, ok := courseNames[k]; ok && rs.Rules[first].CourseName != r.CourseName {
				bad("course_name", "%q differs from %q, the name rule %d (line %d) gives course %s of school %s",
					r.CourseName, rs.Rules[first].CourseName, first+1, line(first), r.Course, r.School)
			} else if !ok {
				courseNames[k] = i
			}
		}
		if r.Credits <= 0 || r.Credits > MaxCredits {
			bad("credits", "%v is not more than 0 and at most %v", r.Credits, MaxCredits)
		}
		if r.ValidFrom != NoDate && !r.ValidFrom.Valid() {
			bad("valid_from", "%d is not a date", r.ValidFrom)
		} else if r.ValidFrom == NoDate && lines == nil {
			bad("valid_from", "is missing")
		}
		if r.ValidTo != NoDate && !r.ValidTo.Valid() {
			bad("valid_to", "%d is not a date", r.ValidTo)
		} else if r.ValidTo != NoDate && r.ValidFrom != NoDate && r.ValidTo < r.ValidFrom {
			bad("valid_to", "%s is before valid_from %s", r.ValidTo, r.ValidFrom)
		}
		s := source{r.Certificate, r.Level, r.MinScore, r.School, r.Course}
		for _, j := range bySource[s] {
			if overlap(rs.Rules[j], r) {
				bad("valid_from", "the window %s overlaps rule %d (%s, line %d), %s, of the same source and target",
					window(r), j+1, rs.Rules[j].ID, line(j), window(rs.Rules[j]))
				break
			}
		}
		bySource[s] = append(bySource[s], i)
	}
}

// overlap reports whether two rules' windows share a day.
func overlap(a, b Rule) bool {
	aEndsBefore := a.ValidTo != NoDate && a.ValidTo < b.ValidFrom
	bEndsBefore := b.ValidTo != NoDate && b.ValidTo < a.ValidFrom
	return !aEndsBefore && !bEndsBefore
}

func window(r Rule) string {
	to := r.ValidTo.String()
	if to == "" {
		to = "open"
	}
	return r.ValidFrom.String() + ".." + to
}

// cut shortens s to at most n characters for a message.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// printable reports whether s has at most max characters and no control characters.
func printable(s string, max int) bool {
	if utf8.RuneCountInString(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// ruleIndex finds the rules of a certificate and level quickly.
type ruleIndex map[[2]string][]*Rule

func indexRules(rs *RuleSet) ruleIndex {
	idx := ruleIndex{}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		k := [2]string{r.Certificate, string(r.Level)}
		idx[k] = append(idx[k], r)
	}
	for _, list := range idx {
		sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	}
	return idx
}
