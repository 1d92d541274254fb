package inspect

import (
	"fmt"
	"testing"
	"time"
)

// bigRegisters is 10,000 sites in 200 organisations and 2,000 inspectors,
// each of one organisation and tied to one site.
func bigRegisters() Registers {
	var r Registers
	for i := range 10_000 {
		r.Sites = append(r.Sites, Site{Code: fmt.Sprintf("S%05d", i), Name: fmt.Sprintf("考点%d", i), Orgs: []string{fmt.Sprintf("O%03d", i%200)}})
	}
	for i := range 2_000 {
		r.Inspectors = append(r.Inspectors, Inspector{ID: fmt.Sprintf("I%04d", i), Name: fmt.Sprintf("督导%d", i),
			Orgs: []string{fmt.Sprintf("O%03d", (i*7)%200)}, Sites: []string{fmt.Sprintf("S%05d", (i*37)%10_000)}})
	}
	return r
}

// BenchmarkDraw draws 10,000 sites (the whole register) with 2 inspectors
// each from 2,000 inspectors, and 5% of them with 3 each; Commit is outside
// the timing, Draw (normalising and hashing the registers, then drawing) inside.
func BenchmarkDraw(b *testing.B) {
	r := bigRegisters()
	for _, p := range []Plan{
		{InspectorsPerSite: 2, MinSites: 1, SharePercent: 100},
		{InspectorsPerSite: 3, MinSites: 1, SharePercent: 5},
	} {
		b.Run(fmt.Sprintf("share=%d%%,k=%d", p.SharePercent, p.InspectorsPerSite), func(b *testing.B) {
			c, err := Commit(r, p, lottery, time.Unix(1_800_000_000, 0))
			if err != nil {
				b.Fatal(err)
			}
			values := []string{"1 2 3 4 5 6", "7", "a3f0"}
			b.ResetTimer()
			for b.Loop() {
				tr, err := Draw(r, c, values)
				if err != nil {
					b.Fatal(err)
				}
				if len(tr.Draw) != p.Sites(10_000) {
					b.Fatal(len(tr.Draw))
				}
			}
		})
	}
}

// BenchmarkVerify verifies the transcript of the whole-register draw.
func BenchmarkVerify(b *testing.B) {
	r := bigRegisters()
	c, err := Commit(r, Plan{InspectorsPerSite: 2, MinSites: 1, SharePercent: 100}, lottery, time.Unix(1_800_000_000, 0))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := Draw(r, c, []string{"1 2 3 4 5 6", "7", "a3f0"})
	if err != nil {
		b.Fatal(err)
	}
	doc := tr.Canonical()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := Verify(doc, r); err != nil {
			b.Fatal(err)
		}
	}
}
