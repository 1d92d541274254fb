package exam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrInvalid is wrapped by every error that rejects outside input: a paper,
// catalogue, roster row, answer or mark that breaks a rule. Callers test for it
// with errors.Is to answer "your input is wrong" rather than "we failed".
var ErrInvalid = errors.New("invalid")

// InvalidError lists every problem found in one document, each naming the
// item, row or field at fault. A document with any problem is refused whole.
type InvalidError struct {
	Problems []string
}

func (e *InvalidError) Error() string {
	return strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// invalid is an error that wraps ErrInvalid without repeating its text.
type invalid string

func (e invalid) Error() string        { return string(e) }
func (e invalid) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return invalid(fmt.Sprintf(format, args...))
}

// problems collects validation messages.
type problems []string

func (p *problems) addf(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &InvalidError{Problems: p}
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data, and turns syntax errors into messages with the byte offset.
func decodeStrict(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
			return invalidf("empty document")
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return invalidf("JSON truncated at byte %d", len(data))
		case errors.As(err, &syn):
			return invalidf("JSON syntax error at byte %d: %v", syn.Offset, syn)
		case errors.As(err, &typ):
			return invalidf("field %q at byte %d: %v is not %v", typ.Field, typ.Offset, typ.Value, typ.Type)
		default:
			return invalidf("%v", err)
		}
	}
	if dec.More() {
		return invalidf("unexpected data after the JSON document at byte %d", dec.InputOffset())
	}
	return nil
}
