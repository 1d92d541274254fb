package certpdf

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// vector is one certificate and what becomes of it: the size in points
// each field is set at, or the refusal.
type vector struct {
	Name  string             `json:"name"`
	Cert  vectorCert         `json:"certificate"`
	Sizes map[string]float64 `json:"sizes,omitempty"` // field → points, when it renders
	Error *vectorError       `json:"error,omitempty"` // when it is refused
}

type vectorCert struct {
	Number, Holder, Name, NameEN, Level, LevelEN, Org, Site, Issued, QR, VerifyURL string
}

type vectorError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (v vectorCert) cert(t *testing.T) Certificate {
	var issued time.Time
	if v.Issued != "" {
		var err error
		if issued, err = time.Parse(time.DateOnly, v.Issued); err != nil {
			t.Fatal(err)
		}
	}
	return Certificate{Number: v.Number, Holder: v.Holder, Name: v.Name, NameEN: v.NameEN,
		Level: v.Level, LevelEN: v.LevelEN, Org: v.Org, Site: v.Site, Issued: issued,
		QR: v.QR, VerifyURL: v.VerifyURL}
}

func vectorOf(c Certificate) vectorCert {
	issued := ""
	if !c.Issued.IsZero() {
		issued = c.Issued.Format(time.DateOnly)
	}
	return vectorCert{c.Number, c.Holder, c.Name, c.NameEN, c.Level, c.LevelEN, c.Org, c.Site, issued, c.QR, c.VerifyURL}
}

// vectorInputs are the certificates of testdata/vectors.json.
func vectorInputs() []struct {
	name string
	c    Certificate
} {
	edit := func(f func(*Certificate)) Certificate { c := sample(); f(&c); return c }
	return []struct {
		name string
		c    Certificate
	}{
		{"long Chinese name and organisation", sample()},
		{"short names, no verify URL", edit(func(c *Certificate) { c.Holder, c.Org, c.Site, c.VerifyURL = "王一", "人社局", "一考点", "" })},
		{"holder shrunk to fit", edit(func(c *Certificate) { c.Holder = strings.Repeat("欧阳", 14) })},
		{"organisation shrunk to fit", edit(func(c *Certificate) { c.Org = strings.Repeat("职业技能鉴定指导中心", 5) })},
		{"failure: holder too long", edit(func(c *Certificate) { c.Holder = strings.Repeat("欧阳", 40) })},
		{"failure: organisation too long", edit(func(c *Certificate) { c.Org = strings.Repeat("职业技能鉴定指导中心", 12) })},
		{"failure: empty holder", edit(func(c *Certificate) { c.Holder = "" })},
		{"failure: control character", edit(func(c *Certificate) { c.Site = "一考点\t二楼" })},
		{"failure: no date", edit(func(c *Certificate) { c.Issued = time.Time{} })},
		{"failure: QR text too long for a QR code", edit(func(c *Certificate) { c.QR = strings.Repeat("x", 3000) })},
	}
}

// outcome lays c out and reports it as a vector.
func outcome(t *testing.T, r *Renderer, name string, c Certificate) vector {
	v := vector{Name: name, Cert: vectorOf(c)}
	err := check(c)
	var ps []placed
	if err == nil {
		var png []byte
		png, err = qrImage(c.QR)
		if err == nil {
			ps, err = layout(r.newPDF(c), c, png)
		}
	}
	if err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v is not a FieldError", name, err)
		}
		v.Error = &vectorError{Field: fe.Field, Reason: fe.Reason}
		return v
	}
	v.Sizes = map[string]float64{}
	for _, p := range ps {
		if !strings.HasPrefix(p.field, "label:") {
			v.Sizes[p.field] = p.size
		}
	}
	return v
}

// TestVectors recomputes testdata/vectors.json (-update rewrites it). The
// sizes hold for the fonts DefaultFonts finds on Debian 12 (Droid Sans
// Fallback 6.0.1r16, DejaVu Sans 2.37).
func TestVectors(t *testing.T) {
	r := renderer(t)
	var got []vector
	for _, in := range vectorInputs() {
		got = append(got, outcome(t, r, in.name, in.c))
	}
	path := filepath.Join("testdata", "vectors.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []vector
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("%d vectors on file, %d computed", len(want), len(got))
	}
	for i := range want {
		// Each vector on file is recomputed from its own certificate.
		again := outcome(t, r, want[i].Name, want[i].Cert.cert(t))
		if !reflect.DeepEqual(again, want[i]) {
			t.Errorf("vector %q: on file %+v, computed %+v", want[i].Name, want[i], again)
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("vector %q differs from its input in vectorInputs", want[i].Name)
		}
	}
}
