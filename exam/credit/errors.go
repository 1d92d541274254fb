package credit

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"onex/exam"
)

// Problem is one thing wrong in an imported file, where it is and why.
type Problem struct {
	File   string `json:"file"`             // the file's name as the caller gave it
	Line   int    `json:"line,omitempty"`   // the line (1 is the first; a CSV header is line 1), 0 when the whole file is at fault
	Record string `json:"record,omitempty"` // the record: "rule 3 (R003)" in a rule file; empty in a CSV, whose line is its row
	Field  string `json:"field,omitempty"`  // the field (a JSON key, a CSV column header), empty when the record or file is at fault
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ": line %d", p.Line)
	}
	if p.Record != "" {
		b.WriteString(": " + p.Record)
	}
	if p.Field != "" {
		b.WriteString(": " + p.Field)
	}
	return b.String() + ": " + p.Reason
}

// FileError refuses a whole file (a rule file or a school's course CSV)
// and lists every problem found, each naming file, line, record and field.
// errors.Is(err, exam.ErrInvalid) holds for it.
type FileError struct {
	File     string
	Problems []Problem
}

func (e *FileError) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// Is makes errors.Is(err, exam.ErrInvalid) true.
func (e *FileError) Is(target error) bool { return target == exam.ErrInvalid }

// problems collects the problems of one file.
type problems struct {
	file string
	list []Problem
}

func (p *problems) add(line int, record, field, format string, args ...any) {
	if field != "" && slices.ContainsFunc(p.list, func(q Problem) bool { return q.Line == line && q.Record == record && q.Field == field }) {
		return // one problem a field: the first (a value that did not read is not checked again)
	}
	p.list = append(p.list, Problem{File: p.file, Line: line, Record: record, Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &FileError{File: p.file, Problems: p.list}
}

// Errors of the application's state machine. Each wraps exam.ErrInvalid
// only where the caller's input is at fault.
var (
	// ErrStale: the conversion applied for is no longer what the rules and
	// the account give (the rules, the outcomes or another decision changed
	// since the application); approve nothing, tell the learner.
	ErrStale = errors.New("credit: the conversion is no longer offered")
	// ErrReason: a refusal or revocation without a reason, or a decision
	// without who made it.
	ErrReason = fmt.Errorf("credit: %w: a decision needs who made it and, unless it approves, why", exam.ErrInvalid)
)

// TransitionError refuses an action the application's state does not allow.
type TransitionError struct {
	From   State
	Action Action
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("credit: an application %s cannot be %s", e.From, e.Action)
}
