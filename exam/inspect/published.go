package inspect

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseRegistersJSON reads registers as published: the canonical JSON of
// registers in normal form (Registers.Canonical), nothing else. What a
// registers snapshot keeps and publishes is these bytes, so a draw can be
// re-run from them as well as from the two CSV files.
func ParseRegistersJSON(b []byte) (Registers, error) {
	var r Registers
	if err := strictJSON(b, &r); err != nil {
		return Registers{}, err
	}
	n, err := r.Normalize()
	if err != nil {
		return Registers{}, err
	}
	c, err := n.Canonical()
	if err != nil {
		return Registers{}, err
	}
	if !bytes.Equal(c, b) {
		return Registers{}, &TranscriptError{Msg: "registers not in canonical form (normal form, canonical JSON, no trailing newline)"}
	}
	return n, nil
}

// ParseSources reads the description of the public values a commitment
// announces, as the office types it: entries separated by ";", "；" or new
// lines, each "N: name" for N numbers whose order does not matter (lottery
// balls) or "text: name" for a string (a beacon's randomness); the colon may
// be full width. E.g. "6: 中国福利彩票双色球第2026140期红球; 1: 中国福利彩票双色球第2026140期蓝球".
// A name may hold no ";" or "；" here.
func ParseSources(desc string) ([]Source, error) {
	var out []Source
	for _, e := range strings.FieldsFunc(desc, func(r rune) bool { return r == ';' || r == '；' || r == '\n' || r == '\r' }) {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		i := len(out)
		bad := func(format string, args ...any) error {
			return &ValuesError{Source: i, Msg: fmt.Sprintf("source %d %q: ", i+1, e) + fmt.Sprintf(format, args...)}
		}
		at := strings.IndexAny(e, ":：")
		if at < 0 {
			return nil, bad(`is not "N: name" or "text: name"`)
		}
		_, size := utf8.DecodeRuneInString(e[at:])
		head, name := strings.TrimSpace(e[:at]), strings.TrimSpace(e[at+size:])
		s := Source{Name: name}
		if strings.EqualFold(head, "text") || head == "文本" {
			s.Kind = KindText
		} else {
			n, err := strconv.Atoi(head)
			if err != nil {
				return nil, bad("%q is not a count of numbers or \"text\"", head)
			}
			s.Kind, s.Count = KindNumbers, n
		}
		if p := s.problem(); p != "" {
			return nil, bad("%s", p)
		}
		out = append(out, s)
	}
	if len(out) == 0 || len(out) > MaxSources {
		return nil, &ValuesError{Source: -1, Msg: fmt.Sprintf("%d sources described, 1 to %d allowed", len(out), MaxSources)}
	}
	return out, nil
}

// DescribeSources writes sources as ParseSources reads them.
func DescribeSources(ss []Source) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		if s.Kind == KindText {
			parts[i] = "text: " + s.Name
		} else {
			parts[i] = strconv.Itoa(s.Count) + ": " + s.Name
		}
	}
	return strings.Join(parts, "; ")
}

// ChecklistItem is an item of the inspection checklist: Code is kept with a
// finding; the names are what the pages and the public outcome show.
type ChecklistItem struct {
	Code string
	Zh   string
	En   string
}

// Checklist is what an inspector checks at a drawn site, from the 1+X
// notice's list of what inspections look at. Findings name each item by Code,
// in this order.
var Checklist = []ChecklistItem{
	{Code: "premises", Zh: "考场设施设备", En: "Premises and equipment"},
	{Code: "confidentiality", Zh: "考核保密", En: "Exam confidentiality"},
	{Code: "fees", Zh: "收费", En: "Fees"},
	{Code: "certificates", Zh: "证书发放", En: "Certificate issuing"},
}

// ChecklistItemOf returns the checklist item of a code.
func ChecklistItemOf(code string) (ChecklistItem, bool) {
	for _, it := range Checklist {
		if it.Code == code {
			return it, true
		}
	}
	return ChecklistItem{}, false
}
