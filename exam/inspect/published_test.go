package inspect

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestFormatClaims pins what FORMAT.md says of the vectors: the key of a
// text source ends its value with "." as RFC 3797's key ends every value,
// and the second draw shows the load cap giving way (an inspector drawn
// for two sites when the cap is 1).
func TestFormatClaims(t *testing.T) {
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var vs vectors
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	d := vs.Draws[1]
	if !strings.HasSuffix(d.Key, "./") || strings.Count(d.Key, "/") != 1 {
		t.Errorf("text key %q does not end in \"./\"", d.Key)
	}
	tr, err := ParseTranscript([]byte(d.Transcript))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := d.Registers.Normalize()
	if cap := d.Plan.Cap(len(tr.Draw), len(n.Inspectors)); cap != 1 {
		t.Fatalf("cap %d, FORMAT.md says 1", cap)
	}
	loads := map[string]int{}
	over := ""
	for _, a := range tr.Draw {
		for _, in := range a.Inspectors {
			if loads[in]++; loads[in] > 1 {
				over = in
			}
		}
	}
	if over != "I0009" {
		t.Errorf("inspector over the cap %q, FORMAT.md says I0009", over)
	}
}

func TestParseRegistersJSON(t *testing.T) {
	r, _, _, _, _ := worked()
	canon, err := r.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseRegistersJSON(canon)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Canonical()
	if string(again) != string(canon) {
		t.Fatalf("round trip differs")
	}
	for name, doc := range map[string]string{
		"trailing newline": string(canon) + "\n",
		"unsorted sites":   strings.Replace(string(canon), `"code":"S01"`, `"code":"S99"`, 1),
		"unknown field":    strings.Replace(string(canon), `{"inspectors":`, `{"x":1,"inspectors":`, 1),
		"space":            strings.Replace(string(canon), `:`, `: `, 1),
		"not JSON":         "registers",
		"bad entry":        strings.Replace(string(canon), `"name":"张伟"`, `"name":" 张伟"`, 1),
	} {
		if _, err := ParseRegistersJSON([]byte(doc)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestParseSources(t *testing.T) {
	for _, tc := range []struct {
		desc string
		want []Source
		err  string
	}{
		{"6: 双色球第2026140期红球; 1: 双色球第2026140期蓝球", []Source{{Kind: KindNumbers, Count: 6, Name: "双色球第2026140期红球"}, {Kind: KindNumbers, Count: 1, Name: "双色球第2026140期蓝球"}}, ""},
		{"text：drand quicknet round 1234567 randomness\n", []Source{{Kind: KindText, Name: "drand quicknet round 1234567 randomness"}}, ""},
		{"文本: 信标；3: 排列三", []Source{{Kind: KindText, Name: "信标"}, {Kind: KindNumbers, Count: 3, Name: "排列三"}}, ""},
		{"", nil, "0 sources"},
		{"6 双色球", nil, `is not "N: name"`},
		{"x: 双色球", nil, "is not a count"},
		{"0: 双色球", nil, "count 0"},
		{"65: 双色球", nil, "count 65"},
		{"6: ", nil, "name empty"},
		{strings.Repeat("1: a;", 17), nil, "17 sources"},
	} {
		got, err := ParseSources(tc.desc)
		if tc.err != "" {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.desc, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.desc, err)
			continue
		}
		if a, b := DescribeSources(got), DescribeSources(tc.want); a != b {
			t.Errorf("%q: %q, want %q", tc.desc, a, b)
		}
		again, err := ParseSources(DescribeSources(got))
		if err != nil || DescribeSources(again) != DescribeSources(got) {
			t.Errorf("%q: described again %v %v", tc.desc, again, err)
		}
	}
}

func TestChecklist(t *testing.T) {
	seen := map[string]bool{}
	for _, it := range Checklist {
		if it.Code == "" || it.Zh == "" || it.En == "" || seen[it.Code] {
			t.Errorf("checklist item %+v", it)
		}
		seen[it.Code] = true
		if got, ok := ChecklistItemOf(it.Code); !ok || got != it {
			t.Errorf("ChecklistItemOf(%s) = %v %v", it.Code, got, ok)
		}
	}
	if len(Checklist) != 4 {
		t.Errorf("%d items, the notice names 4", len(Checklist))
	}
	if _, ok := ChecklistItemOf("premises "); ok {
		t.Error("an unknown code found")
	}
}
