package inspect

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

const vectorsFile = "testdata/vectors.json"

type drawVector struct {
	Name               string    `json:"name"`
	Registers          Registers `json:"registers"`
	Plan               Plan      `json:"plan"`
	Sources            []Source  `json:"sources"`
	CommittedAt        string    `json:"committed_at"`
	Typed              []string  `json:"typed"`
	RegistersCanonical string    `json:"registers_canonical"`
	RegistersSHA256    string    `json:"registers_sha256"`
	Commitment         string    `json:"commitment"`
	CommitmentSHA256   string    `json:"commitment_sha256"`
	Key                string    `json:"key"`
	Seed               string    `json:"seed"`
	Transcript         string    `json:"transcript"`
	Steps              []string  `json:"steps,omitempty"` // the draw step by step (FORMAT.md's worked example)
}

type keyVector struct {
	Sources []Source `json:"sources"`
	Typed   []string `json:"typed"`
	Key     string   `json:"key"`
	Values  []string `json:"values"`
}

type streamVector struct {
	Seed    string   `json:"seed"`
	Words   []string `json:"words"`   // the first 6 words, hex
	Uniform []uint64 `json:"uniform"` // Uniform(n) for the ns below on a fresh stream
	Ns      []uint64 `json:"ns"`
	Read    int      `json:"words_read"` // words Uniform read for them all (rejections included)
	Steps   []string `json:"steps"`      // what each Uniform read and gave
}

// failureVector is an input that must be refused with an error containing
// Error. Kind says which operation: "values" (Key), "commit", "draw",
// "verify" (against the worked registers unless Registers is set), "csv".
type failureVector struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	Registers   *Registers `json:"registers,omitempty"`
	Plan        *Plan      `json:"plan,omitempty"`
	Sources     []Source   `json:"sources,omitempty"`
	Typed       []string   `json:"typed,omitempty"`
	Transcript  string     `json:"transcript,omitempty"`
	SitesCSV    string     `json:"sites_csv,omitempty"`
	InspCSV     string     `json:"inspectors_csv,omitempty"`
	Error       string     `json:"error"`
	CommittedAt string     `json:"committed_at,omitempty"`
}

type vectors struct {
	Draws    []drawVector    `json:"draws"`
	Keys     []keyVector     `json:"keys"`
	Stream   []streamVector  `json:"stream"`
	Failures []failureVector `json:"failures"`
}

// runDraw fills in a draw vector's outputs from its inputs.
func runDraw(v drawVector, steps bool) (drawVector, error) {
	at, err := time.Parse(TimeLayout, v.CommittedAt)
	if err != nil {
		return v, err
	}
	c, err := Commit(v.Registers, v.Plan, v.Sources, at)
	if err != nil {
		return v, err
	}
	tr, err := Draw(v.Registers, c, v.Typed)
	if err != nil {
		return v, err
	}
	canon, _ := v.Registers.Canonical()
	v.RegistersCanonical = string(canon)
	v.RegistersSHA256 = c.RegistersSHA256
	v.Commitment = string(c.Canonical())
	v.CommitmentSHA256 = tr.CommitmentSHA256
	v.Key, v.Seed = tr.Key, tr.Seed
	v.Transcript = string(tr.Canonical())
	v.Steps = nil
	if steps {
		n, _ := v.Registers.Normalize()
		var seed [32]byte
		hex.Decode(seed[:], []byte(tr.Seed))
		drawOn(n, v.Plan, seed, func(s string) { v.Steps = append(v.Steps, s) })
	}
	return v, nil
}

func makeVectors(t *testing.T) vectors {
	var vs vectors
	r, p, src, at, typed := worked()
	big := bigRegisters()
	big.Sites, big.Inspectors = big.Sites[:40], big.Inspectors[:12]
	for i := range big.Inspectors {
		big.Inspectors[i].Sites = nil
	}
	for _, d := range []drawVector{
		{Name: "worked: 双色球 red and blue balls, 2 of 5 sites, 2 inspectors each", Registers: r, Plan: p, Sources: src, CommittedAt: at.Format(TimeLayout), Typed: typed},
		{Name: "drand round as text, 10% of 40 sites, 3 inspectors each", Registers: big, Plan: Plan{InspectorsPerSite: 3, MinSites: 2, SharePercent: 10},
			Sources:     []Source{{Kind: KindText, Name: "drand quicknet round 1234567 randomness"}},
			CommittedAt: "2026-11-30T08:00:00Z", Typed: []string{"82f3e9c695dc6b8d1b11818d5701919e286de8d47f7c3eb3100c485f79e57828"}},
	} {
		out, err := runDraw(d, d.Name[:6] == "worked")
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		vs.Draws = append(vs.Draws, out)
	}
	for _, k := range []keyVector{
		{Sources: lottery[:2], Typed: []string{"33 07 12 19 23 28", "09"}},
		{Sources: lottery[:2], Typed: []string{" ０７，１２、19;23\t28  33 ", "16"}},
		{Sources: []Source{{Kind: KindNumbers, Count: 3, Name: "n"}}, Typed: []string{"100 99 0010"}},
		{Sources: lottery[2:], Typed: []string{"a3F-0c 9b"}},
	} {
		key, values, err := Key(k.Sources, k.Typed)
		if err != nil {
			t.Fatal(err)
		}
		k.Key, k.Values = key, values
		vs.Keys = append(vs.Keys, k)
	}
	for _, seedHex := range []string{strings.Repeat("00", 32), vs.Draws[0].Seed} {
		var seed [32]byte
		hex.Decode(seed[:], []byte(seedHex))
		sv := streamVector{Seed: seedHex, Ns: []uint64{5, 4, 6, 5, 3, 1, 1 << 63, 1<<63 + 1, 1<<63 + 1, 1<<63 + 1, 3}}
		s := NewStream(seed)
		for range 6 {
			sv.Words = append(sv.Words, fmt.Sprintf("%016x", s.Word()))
		}
		s = NewStream(seed)
		s.trace = func(line string) { sv.Steps = append(sv.Steps, line) }
		for _, n := range sv.Ns {
			sv.Uniform = append(sv.Uniform, s.Uniform(n))
		}
		sv.Read = s.Words
		vs.Stream = append(vs.Stream, sv)
	}
	good := vs.Draws[0].Transcript
	other := clone(r)
	other.Inspectors[2].Name = "李娜娜"
	short := Registers{
		Sites: []Site{{Code: "A", Name: "a", Orgs: []string{"O1"}}, {Code: "B", Name: "b", Orgs: []string{"O1"}}},
		Inspectors: []Inspector{
			{ID: "I01", Name: "x", Orgs: []string{"O1"}, Sites: []string{}}, {ID: "I02", Name: "x", Orgs: []string{"O1"}, Sites: []string{}},
			{ID: "I03", Name: "x", Orgs: []string{}, Sites: []string{}}, {ID: "I04", Name: "x", Orgs: []string{}, Sites: []string{}},
		},
	}
	plan5 := Plan{InspectorsPerSite: 5, MinSites: 1, SharePercent: 40}
	planAll3 := Plan{InspectorsPerSite: 2, MinSites: 3, SharePercent: 100}
	vs.Failures = []failureVector{
		{Name: "the seed's first hex digit changed", Kind: "verify", Transcript: strings.Replace(good, `"seed":"`+vs.Draws[0].Seed[:1], `"seed":"`+string(vs.Draws[0].Seed[0]^1), 1), Error: "seed is"},
		{Name: "the blue ball changed (values and key alike)", Kind: "verify", Transcript: strings.Replace(strings.Replace(good, `/9./`, `/8./`, 1), `,"9"]`, `,"8"]`, 1), Error: "seed is"},
		{Name: "a value not in normal form", Kind: "verify", Transcript: strings.Replace(good, `"7 12 19`, `"07 12 19`, 1), Error: "values[0] is"},
		{Name: "the two drawn sites' inspectors exchanged", Kind: "verify", Transcript: swapDraw(good), Error: "draw[0] is"},
		{Name: "another plan in the commitment", Kind: "verify", Transcript: strings.Replace(good, `"share_percent":40`, `"share_percent":41`, 1), Error: "commitment_sha256 is"},
		{Name: "registers with one name changed", Kind: "verify", Registers: &other, Transcript: good, Error: "registers_sha256 is"},
		{Name: "white space added", Kind: "verify", Transcript: strings.Replace(good, `{"commitment":`, `{ "commitment":`, 1), Error: "not in canonical form"},
		{Name: "a key in capitals", Kind: "verify", Transcript: strings.Replace(good, `"seed":`, `"Seed":`, 1), Error: "not in canonical form"},
		{Name: "an unknown field", Kind: "verify", Transcript: strings.Replace(good, `{"commitment":`, `{"comment":"x","commitment":`, 1), Error: "unknown field"},
		{Name: "a newline after the document", Kind: "verify", Transcript: good + "\n", Error: "not in canonical form"},
		{Name: "upper-case hex", Kind: "verify", Transcript: strings.Replace(good, vs.Draws[0].Seed, strings.ToUpper(vs.Draws[0].Seed), 1), Error: "seed: not 64 lower-case hex digits"},
		{Name: "another version", Kind: "verify", Transcript: strings.Replace(good, `onex-inspect/1`, `onex-inspect/2`, 1), Error: `version: "onex-inspect/2" is not`},
		{Name: "five red balls", Kind: "values", Sources: lottery[:2], Typed: []string{"07 12 19 23 28", "09"}, Error: "5 numbers typed, the commitment announced 6"},
		{Name: "a decimal fraction", Kind: "values", Sources: lottery[:2], Typed: []string{"07 12 19 23 28 3.5", "09"}, Error: `"3.5" is not a whole number`},
		{Name: "a text value of punctuation only", Kind: "values", Sources: lottery[2:], Typed: []string{"--"}, Error: "no letters or digits"},
		{Name: "a site short of unconflicted inspectors", Kind: "commit", Registers: &r, Plan: &plan5, Sources: src, Error: "site S04: needs 5 inspectors, only 4 have no tie"},
		{Name: "a plan that needs more sites than the register holds", Kind: "commit", Registers: &short, Plan: &planAll3, Sources: lottery[1:2], Error: "plan: draws 3 sites, the register holds 2"},
		{Name: "a tie to a site not in the register", Kind: "csv", SitesCSV: "code,name\nS01,a\n", InspCSV: "id,name,sites\nI01,b,S01\nI02,c,S02\n", Error: "inspectors.csv: row 3, field sites: tied to site S02"},
		{Name: "a code twice", Kind: "csv", SitesCSV: "code,name\nS01,a\nS01,b\n", InspCSV: "id,name\n", Error: "sites.csv: row 3, field code: S01 appears in row 2 too"},
	}
	for i := range vs.Failures {
		vs.Failures[i].CommittedAt = map[bool]string{true: "2026-11-29T12:00:00Z"}[vs.Failures[i].Kind == "commit" || vs.Failures[i].Kind == "draw"]
	}
	return vs
}

// swapDraw exchanges the inspectors of the first two drawn sites.
func swapDraw(doc string) string {
	var t Transcript
	json.Unmarshal([]byte(doc), &t)
	t.Draw[0].Inspectors, t.Draw[1].Inspectors = t.Draw[1].Inspectors, t.Draw[0].Inspectors
	return string(t.Canonical())
}

func runFailure(f failureVector, worked Registers) error {
	regs := worked
	if f.Registers != nil {
		regs = *f.Registers
	}
	switch f.Kind {
	case "verify":
		_, err := Verify([]byte(f.Transcript), regs)
		return err
	case "values":
		_, _, err := Key(f.Sources, f.Typed)
		return err
	case "commit", "draw":
		at, _ := time.Parse(TimeLayout, f.CommittedAt)
		c, err := Commit(regs, *f.Plan, f.Sources, at)
		if err != nil || f.Kind == "commit" {
			return err
		}
		_, err = Draw(regs, c, f.Typed)
		return err
	case "csv":
		_, err := ParseRegisters("sites.csv", []byte(f.SitesCSV), "inspectors.csv", []byte(f.InspCSV))
		return err
	}
	return fmt.Errorf("unknown kind %q", f.Kind)
}

func TestVectors(t *testing.T) {
	want := makeVectors(t)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(want); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(vectorsFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, buf.Bytes()) {
		t.Errorf("%s differs from what the code computes (go test -run TestVectors -update rewrites it)", vectorsFile)
	}
	// And from the file's own inputs: every draw re-done, every failure refused.
	var got vectors
	if err := json.Unmarshal(file, &got); err != nil {
		t.Fatal(err)
	}
	for _, d := range got.Draws {
		again, err := runDraw(d, len(d.Steps) > 0)
		if err != nil {
			t.Errorf("%s: %v", d.Name, err)
			continue
		}
		a, _ := json.Marshal(again)
		b, _ := json.Marshal(d)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: re-done differently:\n%s\n%s", d.Name, a, b)
		}
		if _, err := Verify([]byte(d.Transcript), d.Registers); err != nil {
			t.Errorf("%s: %v", d.Name, err)
		}
	}
	for _, sv := range got.Stream {
		var seed [32]byte
		hex.Decode(seed[:], []byte(sv.Seed))
		s := NewStream(seed)
		for i, w := range sv.Words {
			if g := fmt.Sprintf("%016x", s.Word()); g != w {
				t.Errorf("stream %s word %d = %s, want %s", sv.Seed, i, g, w)
			}
		}
		s = NewStream(seed)
		for i, n := range sv.Ns {
			if g := s.Uniform(n); g != sv.Uniform[i] {
				t.Errorf("stream %s: Uniform(%d) = %d, want %d", sv.Seed, n, g, sv.Uniform[i])
			}
		}
		if s.Words != sv.Read {
			t.Errorf("stream %s: %d words read, want %d", sv.Seed, s.Words, sv.Read)
		}
	}
	for _, k := range got.Keys {
		key, values, err := Key(k.Sources, k.Typed)
		if err != nil || key != k.Key || strings.Join(values, "|") != strings.Join(k.Values, "|") {
			t.Errorf("key of %q: %q %q %v, want %q %q", k.Typed, key, values, err, k.Key, k.Values)
		}
	}
	wr, _, _, _, _ := worked()
	for _, f := range got.Failures {
		if err := runFailure(f, wr); err == nil || !strings.Contains(err.Error(), f.Error) {
			t.Errorf("failure %q: got %v, want %q", f.Name, err, f.Error)
		}
	}
}

// TestIndependentRedo runs testdata/redo.py, a re-run of the draw written
// from FORMAT.md alone in Python's standard library, on the vectors and on
// 60 draws over random registers (conflicts, loads above the cap, repeated
// ties): the format says enough to get every transcript byte for byte
// without our code.
func TestIndependentRedo(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 (installed by make deps) not found: %v", err)
	}
	out, err := exec.Command(py, "testdata/redo.py", vectorsFile).CombinedOutput()
	if err != nil {
		t.Fatalf("redo.py: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "same "); n != len(makeVectors(t).Draws) {
		t.Fatalf("redo.py confirmed %d draws:\n%s", n, out)
	}

	if testing.Short() {
		return // the 60 random draws below take a few seconds of Python
	}
	rnd := rand.New(rand.NewPCG(17, 3797))
	var random vectors
	for len(random.Draws) < 60 {
		var r Registers
		ns, ni, no := 1+rnd.IntN(40), 2+rnd.IntN(30), 1+rnd.IntN(8)
		for i := range ns {
			s := Site{Code: fmt.Sprintf("S%d", i), Name: "考点"}
			for range rnd.IntN(3) {
				s.Orgs = append(s.Orgs, fmt.Sprintf("O%d", rnd.IntN(no)))
			}
			r.Sites = append(r.Sites, s)
		}
		for i := range ni {
			in := Inspector{ID: fmt.Sprintf("I%d", i), Name: "督导"}
			for range rnd.IntN(3) {
				in.Orgs = append(in.Orgs, fmt.Sprintf("O%d", rnd.IntN(no)))
			}
			for range rnd.IntN(3) {
				in.Sites = append(in.Sites, fmt.Sprintf("S%d", rnd.IntN(ns)))
			}
			r.Inspectors = append(r.Inspectors, in)
		}
		v := drawVector{
			Name: fmt.Sprintf("random %d", len(random.Draws)), Registers: r,
			Plan:    Plan{InspectorsPerSite: 2 + rnd.IntN(3), MinSites: 1 + rnd.IntN(4), SharePercent: 1 + rnd.IntN(100)},
			Sources: lottery, CommittedAt: "2026-11-29T12:00:00Z",
			Typed: []string{fmt.Sprintf("%d %d %d %d %d %d", rnd.IntN(34), rnd.IntN(34), rnd.IntN(34), rnd.IntN(34), rnd.IntN(34), rnd.IntN(34)),
				fmt.Sprint(rnd.IntN(17)), fmt.Sprintf("%x", rnd.Uint64())},
		}
		if v, err = runDraw(v, false); err == nil {
			random.Draws = append(random.Draws, v)
		}
	}
	file := t.TempDir() + "/random.json"
	b, _ := json.Marshal(random)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(py, "testdata/redo.py", file).CombinedOutput()
	if err != nil {
		t.Fatalf("redo.py on random draws: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "same "); n != 60 {
		t.Fatalf("redo.py confirmed %d of 60 random draws:\n%s", n, out)
	}
}
