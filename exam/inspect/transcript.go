package inspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Version names this package's formats and draw; a later draw rule gets a
// new version and Verify keeps re-doing the ones before it.
const Version = "onex-inspect/1"

// TimeLayout is how the commitment writes its time: UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z"

// maxDocument bounds a transcript or commitment parsed from outside.
const maxDocument = 64 << 20

// Commitment is what is published before the public values exist: the
// registers' hash, the plan, the sources of the future public values that
// will seed the draw, and when it was made.
type Commitment struct {
	CommittedAt     string   `json:"committed_at"`
	Plan            Plan     `json:"plan"`
	RegistersSHA256 string   `json:"registers_sha256"`
	Sources         []Source `json:"sources"`
	Version         string   `json:"version"`
}

// Commit makes the commitment for a draw on the registers with the plan,
// to be seeded by the sources' values. It refuses registers with a bad
// entry, a plan that cannot be drawn on them (*PlanError, *ShortError) and
// sources that are not well formed.
func Commit(r Registers, p Plan, sources []Source, at time.Time) (Commitment, error) {
	n, err := r.Normalize()
	if err != nil {
		return Commitment{}, err
	}
	if err := p.Check(n); err != nil {
		return Commitment{}, err
	}
	c := Commitment{
		CommittedAt:     at.UTC().Truncate(time.Second).Format(TimeLayout),
		Plan:            p,
		RegistersSHA256: hexHash(canonicalJSON(n)),
		Sources:         slices.Clone(sources),
		Version:         Version,
	}
	if err := c.check(); err != nil {
		return Commitment{}, err
	}
	return c, nil
}

// check says whether the commitment is well formed, as a *TranscriptError.
func (c Commitment) check() error {
	bad := func(field, format string, args ...any) error {
		return &TranscriptError{Field: "commitment." + field, Msg: fmt.Sprintf(format, args...)}
	}
	if c.Version != Version {
		return bad("version", "%q is not %q", c.Version, Version)
	}
	t, err := time.Parse(TimeLayout, c.CommittedAt)
	if err != nil || t.Format(TimeLayout) != c.CommittedAt || t.Year() < 2000 || t.Year() > 9999 {
		return bad("committed_at", "%q is not a UTC time like 2026-11-29T19:00:00Z", c.CommittedAt)
	}
	if msg := c.Plan.problem(); msg != "" {
		return bad("plan", "%s", msg)
	}
	if !isHash(c.RegistersSHA256) {
		return bad("registers_sha256", "not 64 lower-case hex digits")
	}
	if len(c.Sources) < 1 || len(c.Sources) > MaxSources {
		return bad("sources", "%d sources, not 1 to %d", len(c.Sources), MaxSources)
	}
	for i, s := range c.Sources {
		if msg := s.problem(); msg != "" {
			return bad(fmt.Sprintf("sources[%d]", i), "%s", msg)
		}
	}
	return nil
}

// Canonical is the commitment's canonical JSON, the bytes published and hashed.
func (c Commitment) Canonical() []byte { return canonicalJSON(c) }

// Hash is SHA-256 of the commitment's canonical JSON.
func (c Commitment) Hash() [32]byte { return sha256.Sum256(c.Canonical()) }

// ParseCommitment reads a published commitment: canonical JSON of a
// well-formed commitment, nothing else.
func ParseCommitment(b []byte) (Commitment, error) {
	var c Commitment
	if err := strictJSON(b, &c); err != nil {
		return Commitment{}, err
	}
	if err := c.check(); err != nil {
		return Commitment{}, err
	}
	if !bytes.Equal(c.Canonical(), b) {
		return Commitment{}, &TranscriptError{Msg: "not in canonical form (FORMAT.md)"}
	}
	return c, nil
}

// Transcript is the published record of a draw.
type Transcript struct {
	Commitment       Commitment   `json:"commitment"`
	CommitmentSHA256 string       `json:"commitment_sha256"`
	Draw             []Assignment `json:"draw"`
	Key              string       `json:"key"`    // RFC 3797's key string of the values
	Seed             string       `json:"seed"`   // SHA-256(commitment hash ‖ key), hex
	Values           []string     `json:"values"` // the public values in normal form, one per source
}

// Canonical is the transcript's canonical JSON, the bytes published.
func (t *Transcript) Canonical() []byte { return canonicalJSON(t) }

// Seed is SHA-256 of the commitment's hash (32 bytes) followed by the key
// string's bytes.
func Seed(commitment [32]byte, key string) [32]byte {
	h := sha256.New()
	h.Write(commitment[:])
	h.Write([]byte(key))
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// Draw makes the draw the commitment announced, on the registers it
// committed to, seeded by the public values as typed (one per source). It
// refuses registers that do not hash to the committed value
// (ErrRegistersMismatch), values that do not fit the sources
// (*ValuesError), and a site that cannot get its inspectors (*ShortError).
func Draw(r Registers, c Commitment, typed []string) (*Transcript, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	n, err := r.Normalize()
	if err != nil {
		return nil, err
	}
	if h := hexHash(canonicalJSON(n)); h != c.RegistersSHA256 {
		return nil, &MismatchError{Field: "registers_sha256", Want: h, Got: c.RegistersSHA256}
	}
	if err := c.Plan.Check(n); err != nil {
		return nil, err
	}
	key, normal, err := Key(c.Sources, typed)
	if err != nil {
		return nil, err
	}
	ch := c.Hash()
	seed := Seed(ch, key)
	draw, err := drawOn(n, c.Plan, seed, nil)
	if err != nil {
		return nil, err
	}
	return &Transcript{
		Commitment:       c,
		CommitmentSHA256: hex.EncodeToString(ch[:]),
		Draw:             draw,
		Key:              key,
		Seed:             hex.EncodeToString(seed[:]),
		Values:           normal,
	}, nil
}

// ParseTranscript reads a published transcript: canonical JSON of the shape
// FORMAT.md gives, with a well-formed commitment; nothing is re-done.
func ParseTranscript(b []byte) (*Transcript, error) {
	var t Transcript
	if err := strictJSON(b, &t); err != nil {
		return nil, err
	}
	if err := t.Commitment.check(); err != nil {
		return nil, err
	}
	if !isHash(t.CommitmentSHA256) {
		return nil, &TranscriptError{Field: "commitment_sha256", Msg: "not 64 lower-case hex digits"}
	}
	if !isHash(t.Seed) {
		return nil, &TranscriptError{Field: "seed", Msg: "not 64 lower-case hex digits"}
	}
	if len(t.Values) != len(t.Commitment.Sources) {
		return nil, &TranscriptError{Field: "values", Msg: fmt.Sprintf("%d values for %d sources", len(t.Values), len(t.Commitment.Sources))}
	}
	if t.Draw == nil {
		return nil, &TranscriptError{Field: "draw", Msg: "missing"}
	}
	for i, a := range t.Draw {
		if a.Inspectors == nil {
			return nil, &TranscriptError{Field: fmt.Sprintf("draw[%d].inspectors", i), Msg: "missing"}
		}
	}
	if !bytes.Equal(t.Canonical(), b) {
		return nil, &TranscriptError{Msg: "not in canonical form (FORMAT.md)"}
	}
	return &t, nil
}

// Verify re-does the draw a transcript records, offline, on the registers
// it names, and confirms the transcript byte for byte: the registers hash
// to the committed value (else the error wraps ErrRegistersMismatch), the
// commitment's hash, the values' normal form, the key, the seed and the
// draw are what re-doing them gives (else ErrMismatch, with the first field
// that differs in a *MismatchError), and the transcript is the canonical
// encoding of them all. A transcript that is not well formed is refused
// with a *TranscriptError.
func Verify(transcript []byte, r Registers) (*Transcript, error) {
	t, err := ParseTranscript(transcript)
	if err != nil {
		return nil, err
	}
	n, err := r.Normalize()
	if err != nil {
		return nil, err
	}
	if h := hexHash(canonicalJSON(n)); h != t.Commitment.RegistersSHA256 {
		return nil, &MismatchError{Field: "registers_sha256", Want: h, Got: t.Commitment.RegistersSHA256}
	}
	ch := t.Commitment.Hash()
	if h := hex.EncodeToString(ch[:]); h != t.CommitmentSHA256 {
		return nil, &MismatchError{Field: "commitment_sha256", Want: h, Got: t.CommitmentSHA256}
	}
	key, normal, err := Key(t.Commitment.Sources, t.Values)
	if err != nil {
		return nil, err
	}
	for i := range normal {
		if normal[i] != t.Values[i] {
			return nil, &MismatchError{Field: fmt.Sprintf("values[%d]", i), Want: normal[i], Got: t.Values[i]}
		}
	}
	if key != t.Key {
		return nil, &MismatchError{Field: "key", Want: key, Got: t.Key}
	}
	seed := Seed(ch, key)
	if s := hex.EncodeToString(seed[:]); s != t.Seed {
		return nil, &MismatchError{Field: "seed", Want: s, Got: t.Seed}
	}
	again, err := Draw(r, t.Commitment, t.Values)
	if err != nil {
		return nil, err
	}
	if len(again.Draw) != len(t.Draw) {
		return nil, &MismatchError{Field: "draw", Want: fmt.Sprintf("%d sites", len(again.Draw)), Got: fmt.Sprintf("%d sites", len(t.Draw))}
	}
	for i := range again.Draw {
		if w, g := again.Draw[i].String(), t.Draw[i].String(); w != g {
			return nil, &MismatchError{Field: fmt.Sprintf("draw[%d]", i), Want: w, Got: g}
		}
	}
	if !bytes.Equal(again.Canonical(), transcript) {
		return nil, &MismatchError{Field: "bytes", Want: "the canonical transcript", Got: "other bytes"}
	}
	return t, nil
}

// strictJSON decodes one JSON value of v's shape, refusing unknown fields,
// trailing data and documents over the limit.
func strictJSON(b []byte, v any) error {
	if len(b) > maxDocument {
		return &TranscriptError{Msg: "larger than 64 MiB"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &TranscriptError{Msg: "not JSON of the expected shape: " + err.Error()}
	}
	if dec.More() {
		return &TranscriptError{Msg: "data after the document"}
	}
	if _, err := dec.Token(); err == nil {
		return &TranscriptError{Msg: "data after the document"}
	}
	return nil
}

func hexHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func isHash(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}
