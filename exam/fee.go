package exam

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// FeeKind is why a candidate pays no assessment fee (免费类别). The 1+X
// pilot's notices exempt 建档立卡等家庭经济困难学生; provinces name the
// usual grounds as below. A candidate who pays has no kind.
type FeeKind string

// Kinds of fee exemption.
const (
	FeeRegisteredPoor FeeKind = "registered-poor" // 建档立卡: a household on the poverty register
	FeeSubsistence    FeeKind = "subsistence"     // 低保: minimum subsistence allowance
	FeeDestitute      FeeKind = "destitute"       // 特困供养: support for the destitute
	FeeDisability     FeeKind = "disability"      // 残疾: a disability certificate
	FeeOther          FeeKind = "other"           // 其他: other grounds the organisation accepts
	// FeeUnspecified is the kind of a candidate exempted before rosters
	// named kinds (migration 015); never read from a roster or a form.
	FeeUnspecified FeeKind = "unspecified"
)

// FeeKinds lists the kinds a roster or a change may name, in statement order.
var FeeKinds = []FeeKind{FeeRegisteredPoor, FeeSubsistence, FeeDestitute, FeeDisability, FeeOther}

var feeKindChinese = map[FeeKind]string{
	FeeRegisteredPoor: "建档立卡", FeeSubsistence: "低保", FeeDestitute: "特困供养",
	FeeDisability: "残疾", FeeOther: "其他", FeeUnspecified: "未注明",
}

// Chinese is the kind as rosters and statements write it, e.g. 建档立卡.
func (k FeeKind) Chinese() string {
	if s, ok := feeKindChinese[k]; ok {
		return s
	}
	return string(k)
}

// ParseFeeKind reads a kind by its Chinese name (as rosters write it) or
// its code (as the command line may); FeeUnspecified is not one.
func ParseFeeKind(s string) (FeeKind, bool) {
	s = strings.TrimSpace(s)
	for _, k := range FeeKinds {
		if s == string(k) || s == k.Chinese() {
			return k, true
		}
	}
	return "", false
}

// feeKindNames lists the Chinese names of the kinds, for messages.
func feeKindNames() string {
	var out []string
	for _, k := range FeeKinds {
		out = append(out, k.Chinese())
	}
	return strings.Join(out, ", ")
}

// Exemption is the kind of a candidate's exemption: "" when the candidate
// pays, FeeUnspecified for one exempted without a kind.
func (c Candidate) Exemption() FeeKind {
	switch {
	case !c.FeeExempt:
		return ""
	case c.FeeKind == "":
		return FeeUnspecified
	}
	return c.FeeKind
}

// FeeTally counts a group of candidates for a fee statement.
type FeeTally struct {
	Candidates int
	Exempt     map[FeeKind]int // by kind; FeeUnspecified too
	Payable    int
}

// ExemptTotal is the number of exempt candidates of every kind.
func (t FeeTally) ExemptTotal() int {
	n := 0
	for _, v := range t.Exempt {
		n += v
	}
	return n
}

// Add counts one candidate.
func (t *FeeTally) Add(c Candidate) { t.AddN(c.Exemption(), 1) }

// AddN counts n candidates of the given exemption ("" for those who pay).
func (t *FeeTally) AddN(kind FeeKind, n int) {
	t.Candidates += n
	if kind == "" {
		t.Payable += n
		return
	}
	if t.Exempt == nil {
		t.Exempt = map[FeeKind]int{}
	}
	t.Exempt[kind] += n
}

// Merge adds the counts of u.
func (t *FeeTally) Merge(u FeeTally) {
	t.AddN("", u.Payable)
	for k, n := range u.Exempt {
		t.AddN(k, n)
	}
}

// Fen is an amount of money in fen (分), 1/100 of a yuan. Catalogues and
// statements write it in yuan with two decimals, e.g. "350.00".
type Fen int64

// String writes the amount in yuan with two decimals.
func (f Fen) String() string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}

// ParseYuan reads an amount in yuan with exactly two decimals, e.g.
// "350.00", not negative and at most 100000.00.
func ParseYuan(s string) (Fen, error) {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" || len(whole) > 6 || (len(whole) > 1 && whole[0] == '0') {
		return 0, invalidf("amount %q is not yuan with two decimals, e.g. 350.00", s)
	}
	y, err1 := strconv.ParseUint(whole, 10, 32)
	f, err2 := strconv.ParseUint(frac, 10, 8)
	if err1 != nil || err2 != nil || strings.ContainsAny(whole+frac, "+-") {
		return 0, invalidf("amount %q is not yuan with two decimals, e.g. 350.00", s)
	}
	v := Fen(y*100 + f)
	if v > 100000_00 {
		return 0, invalidf("amount %s is more than 100000.00 yuan", s)
	}
	return v, nil
}

// MarshalJSON writes the amount as a string of yuan, e.g. "350.00".
func (f Fen) MarshalJSON() ([]byte, error) { return json.Marshal(f.String()) }

// UnmarshalJSON reads a string of yuan with two decimals.
func (f *Fen) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return invalidf("fee is not a string of yuan with two decimals, e.g. \"350.00\"")
	}
	v, err := ParseYuan(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}
