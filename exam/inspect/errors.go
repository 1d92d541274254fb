package inspect

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error that refuses outside input: a
// register entry, a CSV row, a plan, a public value, a transcript.
var ErrInvalid = errors.New("invalid")

// ErrRegistersMismatch is wrapped by Verify's error when the registers given
// do not hash to the value the transcript's commitment names.
var ErrRegistersMismatch = errors.New("the registers do not match the commitment")

// ErrMismatch is wrapped by Verify's error when the transcript is well formed
// but a value in it is not what re-doing the commitment, the seed or the draw
// gives.
var ErrMismatch = errors.New("the transcript does not match the re-done draw")

// EntryError is a register entry that breaks a rule, outside a file.
type EntryError struct {
	Register string // "sites" or "inspectors"
	Key      string // the site's code or the inspector's id ("" when that is the fault)
	Index    int    // the entry's position in the register given, from 0
	Field    string // "code", "name", "orgs", "id", "sites"
	Msg      string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("%s[%d] %q, %s: %s", e.Register, e.Index, e.Key, e.Field, e.Msg)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *EntryError) Is(target error) bool { return target == ErrInvalid }

// RowError is a row of a register file that breaks a rule: the file's name,
// the row as Excel numbers it (the header is row 1) and the field.
type RowError struct {
	File  string
	Row   int    // 0 when the file as a whole is at fault
	Field string // "" when the row as a whole is at fault
	Msg   string
}

func (e *RowError) Error() string {
	if e.Row == 0 {
		return e.File + ": " + e.Msg
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: row %d: %s", e.File, e.Row, e.Msg)
	}
	return fmt.Sprintf("%s: row %d, field %s: %s", e.File, e.Row, e.Field, e.Msg)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *RowError) Is(target error) bool { return target == ErrInvalid }

// PlanError is a plan that cannot be drawn on the registers given.
type PlanError struct{ Msg string }

func (e *PlanError) Error() string { return "plan: " + e.Msg }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *PlanError) Is(target error) bool { return target == ErrInvalid }

// ShortError says that a site cannot get the inspectors the plan asks for:
// fewer than Need inspectors have no tie to it or to its organisations.
// Commit refuses such registers, so a committed draw always completes.
type ShortError struct {
	Site         string
	Need         int // the plan's inspectors per site
	Unconflicted int // inspectors with no tie to the site or its organisations
}

func (e *ShortError) Error() string {
	return fmt.Sprintf("site %s: needs %d inspectors, only %d have no tie to it or its organisations", e.Site, e.Need, e.Unconflicted)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ShortError) Is(target error) bool { return target == ErrInvalid }

// ValuesError is a public value, as typed, that does not fit the source the
// commitment announced.
type ValuesError struct {
	Source int    // from 0; -1 when the number of values is at fault
	Name   string // the source's name in the commitment
	Msg    string
}

func (e *ValuesError) Error() string {
	if e.Source < 0 {
		return "public values: " + e.Msg
	}
	return fmt.Sprintf("public value %d (%s): %s", e.Source+1, e.Name, e.Msg)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValuesError) Is(target error) bool { return target == ErrInvalid }

// TranscriptError is a transcript (or commitment) that is not well formed:
// not JSON of the shape FORMAT.md gives, or not in canonical form.
type TranscriptError struct {
	Field string // "" when the document as a whole is at fault
	Msg   string
}

func (e *TranscriptError) Error() string {
	if e.Field == "" {
		return "transcript: " + e.Msg
	}
	return "transcript: " + e.Field + ": " + e.Msg
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *TranscriptError) Is(target error) bool { return target == ErrInvalid }

// MismatchError names the first value of a transcript that re-doing the
// draw does not reproduce.
type MismatchError struct {
	Field string // "registers_sha256", "commitment_sha256", "values", "key", "seed", "draw", or "bytes"
	Want  string // what re-doing gives (shortened for the draw)
	Got   string // what the transcript holds
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("transcript: %s is %q, re-doing the draw gives %q", e.Field, e.Got, e.Want)
}

// Is makes errors.Is true for ErrMismatch, and for ErrRegistersMismatch when
// the registers' hash is at fault.
func (e *MismatchError) Is(target error) bool {
	return target == ErrMismatch || (target == ErrRegistersMismatch && e.Field == "registers_sha256")
}
