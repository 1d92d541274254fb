package inspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Site is an entry of the sites register: a site that may be inspected.
type Site struct {
	Code string   `json:"code"`
	Name string   `json:"name"`
	Orgs []string `json:"orgs"` // the codes of the organisations the site belongs to or works for
}

// Inspector is an entry of the inspectors register.
type Inspector struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Orgs  []string `json:"orgs"`  // the organisations the inspector works for or is tied to
	Sites []string `json:"sites"` // the sites the inspector is tied to (works at, examines at, …)
}

// Registers is the snapshot of both registers a draw is made on.
type Registers struct {
	Inspectors []Inspector `json:"inspectors"`
	Sites      []Site      `json:"sites"`
}

// Limits on register entries (in characters, runes).
const (
	MaxCodeLen = 64
	MaxNameLen = 200
	MaxTies    = 100 // organisations or sites per entry
)

// textProblem says what is wrong with a code (code true) or a name, or "".
func textProblem(s string, code bool) string {
	max := MaxNameLen
	if code {
		max = MaxCodeLen
	}
	switch {
	case s == "":
		return "empty"
	case !utf8.ValidString(s):
		return "not UTF-8"
	case utf8.RuneCountInString(s) > max:
		return "longer than the limit"
	case strings.TrimSpace(s) != s:
		return "space at the start or end"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return "holds a control character"
		}
		if code && (r == ';' || r == '；' || r == '、') {
			return "holds a list separator (; ； 、)"
		}
	}
	return ""
}

// Normalize checks every entry and returns the registers in canonical form:
// sites sorted by code, inspectors by id, each list of ties sorted and without
// repeats, every list non-nil. The registers given are left as they are. The
// first problem found is returned as an *EntryError.
func (r Registers) Normalize() (Registers, error) {
	out := Registers{Sites: make([]Site, len(r.Sites)), Inspectors: make([]Inspector, len(r.Inspectors))}
	sites := map[string]bool{}
	for i, s := range r.Sites {
		bad := func(field, msg string) error {
			return &EntryError{Register: "sites", Key: s.Code, Index: i, Field: field, Msg: msg}
		}
		if p := textProblem(s.Code, true); p != "" {
			return Registers{}, bad("code", p)
		}
		if sites[s.Code] {
			return Registers{}, bad("code", "appears twice")
		}
		sites[s.Code] = true
		if p := textProblem(s.Name, false); p != "" {
			return Registers{}, bad("name", p)
		}
		orgs, p := normList(s.Orgs)
		if p != "" {
			return Registers{}, bad("orgs", p)
		}
		out.Sites[i] = Site{Code: s.Code, Name: s.Name, Orgs: orgs}
	}
	ids := map[string]bool{}
	for i, in := range r.Inspectors {
		bad := func(field, msg string) error {
			return &EntryError{Register: "inspectors", Key: in.ID, Index: i, Field: field, Msg: msg}
		}
		if p := textProblem(in.ID, true); p != "" {
			return Registers{}, bad("id", p)
		}
		if ids[in.ID] {
			return Registers{}, bad("id", "appears twice")
		}
		ids[in.ID] = true
		if p := textProblem(in.Name, false); p != "" {
			return Registers{}, bad("name", p)
		}
		orgs, p := normList(in.Orgs)
		if p != "" {
			return Registers{}, bad("orgs", p)
		}
		ties, p := normList(in.Sites)
		if p != "" {
			return Registers{}, bad("sites", p)
		}
		for _, t := range ties {
			if !sites[t] {
				return Registers{}, bad("sites", "tied to site "+t+", which is not in the sites register")
			}
		}
		out.Inspectors[i] = Inspector{ID: in.ID, Name: in.Name, Orgs: orgs, Sites: ties}
	}
	slices.SortFunc(out.Sites, func(a, b Site) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(out.Inspectors, func(a, b Inspector) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// normList sorts a list of codes and drops repeats, or says what is wrong.
func normList(l []string) ([]string, string) {
	if len(l) > MaxTies {
		return nil, "more than 100 entries"
	}
	out := make([]string, 0, len(l))
	for _, c := range l {
		if p := textProblem(c, true); p != "" {
			return nil, "entry " + p
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), ""
}

// Canonical is the registers' canonical JSON (FORMAT.md): normalised, keys
// sorted, no white space.
func (r Registers) Canonical() ([]byte, error) {
	n, err := r.Normalize()
	if err != nil {
		return nil, err
	}
	return canonicalJSON(n), nil
}

// Hash is SHA-256 of the registers' canonical JSON.
func (r Registers) Hash() ([32]byte, error) {
	b, err := r.Canonical()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// Conflicted reports whether the inspector may never be drawn for the site:
// the inspector is tied to the site, or to an organisation of the site.
func Conflicted(in Inspector, s Site) bool {
	if slices.Contains(in.Sites, s.Code) {
		return true
	}
	for _, o := range in.Orgs {
		if slices.Contains(s.Orgs, o) {
			return true
		}
	}
	return false
}

// canonicalJSON marshals v as this package's canonical JSON: the structs'
// fields are declared in sorted order, strings hold no control characters
// (refused before), HTML characters are not escaped, and no white space is
// written. For these shapes the result is RFC 8785's.
func canonicalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("inspect: canonical JSON: " + err.Error()) // only our own types come here
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
