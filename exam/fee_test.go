package exam_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
)

func TestRosterFeeKind(t *testing.T) {
	head := "准考证号,姓名,证件类型,证件号码,性别,考生类别,免考试费,免费类别\n"
	row := "T1,毛娜,居民身份证,310104200410159779,男,在校学生,"
	for name, tc := range map[string]struct {
		cells  string // 免考试费,免费类别
		exempt bool
		kind   exam.FeeKind
		err    string
	}{
		"pays":                {cells: "否,", kind: ""},
		"pays, empty cells":   {cells: ",", kind: ""},
		"建档立卡":                {cells: "是,建档立卡", exempt: true, kind: exam.FeeRegisteredPoor},
		"低保":                  {cells: "是,低保", exempt: true, kind: exam.FeeSubsistence},
		"特困供养":                {cells: "是,特困供养", exempt: true, kind: exam.FeeDestitute},
		"残疾":                  {cells: "是,残疾", exempt: true, kind: exam.FeeDisability},
		"其他":                  {cells: "是,其他", exempt: true, kind: exam.FeeOther},
		"code":                {cells: "是,subsistence", exempt: true, kind: exam.FeeSubsistence},
		"spaces":              {cells: "是, 低保 ", exempt: true, kind: exam.FeeSubsistence},
		"exempt without kind": {cells: "是,", err: "line 2: 免费类别: is empty, and 免考试费 is 是"},
		"unknown kind":        {cells: "是,贫困", err: `line 2: 免费类别: "贫困" is not a kind of exemption (建档立卡, 低保, 特困供养, 残疾, 其他)`},
		"unspecified refused": {cells: "是,未注明", err: `line 2: 免费类别: "未注明" is not a kind`},
		"kind but pays":       {cells: "否,低保", err: `line 2: 免费类别: is "低保", but 免考试费 is not 是`},
		"kind but empty":      {cells: ",残疾", err: `line 2: 免费类别: is "残疾", but 免考试费 is not 是`},
		"bad exempt, no kind": {cells: "也许,", err: `line 2: 免考试费: "也许" is not 是 or 否`},
		"kind has a control":  {cells: "是,低\x01保", err: "line 2: 免费类别"},
	} {
		t.Run(name, func(t *testing.T) {
			cs, err := exam.ReadRoster(strings.NewReader(head + row + tc.cells + "\n"))
			if tc.err != "" {
				if !errors.Is(err, exam.ErrInvalid) || !contains(err, tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cs[0].FeeExempt != tc.exempt || cs[0].FeeKind != tc.kind {
				t.Errorf("exempt %v kind %q, want %v %q", cs[0].FeeExempt, cs[0].FeeKind, tc.exempt, tc.kind)
			}
		})
	}
}

func TestRosterWithoutKindColumnRefusesExemption(t *testing.T) {
	csv := "准考证号,姓名,证件类型,证件号码,性别,考生类别,免考试费\nT1,毛娜,居民身份证,310104200410159779,男,在校学生,是\n"
	_, err := exam.ReadRoster(strings.NewReader(csv))
	if !contains(err, "line 2: 免费类别: is empty") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseYuan(t *testing.T) {
	for in, want := range map[string]exam.Fen{"350.00": 35000, "0.00": 0, "0.05": 5, "100000.00": 10000000, "12.34": 1234} {
		got, err := exam.ParseYuan(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("ParseYuan(%q) = %d (%s), %v; want %d", in, got, got, err, want)
		}
	}
	for _, in := range []string{"", "350", "350.0", "350.000", "-1.00", "+1.00", "1e2.00", "01.00", "100000.01", " 1.00", "1.-1", "１.00"} {
		if got, err := exam.ParseYuan(in); !errors.Is(err, exam.ErrInvalid) {
			t.Errorf("ParseYuan(%q) = %d, %v; want ErrInvalid", in, got, err)
		}
	}
}

func TestCatalogueFee(t *testing.T) {
	doc := func(fee string) string {
		return `{"format":"onex-catalogue/1","organisations":[{"code":"O","name":"组织"}],"certificates":[{"code":"C","org":"O","name":"证书","levels":{"elementary":{"pass_mark":60,"credits":2` + fee + `}}}],"sites":[{"code":"S","name":"站","school":"","province":"","rooms":["A"]}]}`
	}
	cat, err := exam.ReadCatalogue(strings.NewReader(doc(`,"fee":"350.00"`)))
	if err != nil {
		t.Fatal(err)
	}
	rule, _ := cat.Rule("C", exam.Elementary)
	if rule.Fee == nil || *rule.Fee != 35000 {
		t.Fatalf("fee = %v", rule.Fee)
	}
	b, _ := json.Marshal(rule)
	if !strings.Contains(string(b), `"fee":"350.00"`) {
		t.Errorf("marshalled %s", b)
	}
	cat, err = exam.ReadCatalogue(strings.NewReader(doc("")))
	if err != nil {
		t.Fatal(err)
	}
	if rule, _ := cat.Rule("C", exam.Elementary); rule.Fee != nil {
		t.Errorf("no fee given, fee = %v", *rule.Fee)
	}
	for _, bad := range []string{`,"fee":350`, `,"fee":"350"`, `,"fee":"-1.00"`} {
		if _, err := exam.ReadCatalogue(strings.NewReader(doc(bad))); !errors.Is(err, exam.ErrInvalid) {
			t.Errorf("fee %s: err = %v", bad, err)
		}
	}
}

// A tally counts every candidate once: candidates = exempt (all kinds) +
// payable, in every group and in their merge.
func TestFeeTallySums(t *testing.T) {
	kinds := append([]exam.FeeKind{""}, exam.FeeKinds...)
	rapid.Check(t, func(t *rapid.T) {
		groups := rapid.SliceOfN(rapid.SliceOf(rapid.SampledFrom(kinds)), 0, 6).Draw(t, "groups")
		var total exam.FeeTally
		want := map[exam.FeeKind]int{}
		n := 0
		for _, g := range groups {
			var tally exam.FeeTally
			for _, k := range g {
				tally.Add(exam.Candidate{FeeExempt: k != "", FeeKind: k})
				want[k]++
				n++
			}
			if tally.Candidates != len(g) || tally.Candidates != tally.ExemptTotal()+tally.Payable {
				t.Fatalf("group %v: %+v", g, tally)
			}
			total.Merge(tally)
		}
		if total.Candidates != n || total.Candidates != total.ExemptTotal()+total.Payable || total.Payable != want[""] {
			t.Fatalf("total %+v of %d", total, n)
		}
		for _, k := range exam.FeeKinds {
			if total.Exempt[k] != want[k] {
				t.Fatalf("kind %s: %d, want %d", k, total.Exempt[k], want[k])
			}
		}
	})
}

func TestExemptionWithoutKindIsUnspecified(t *testing.T) {
	if k := (exam.Candidate{FeeExempt: true}).Exemption(); k != exam.FeeUnspecified {
		t.Errorf("exempt without a kind: %q", k)
	}
	if k := (exam.Candidate{FeeKind: exam.FeeOther}).Exemption(); k != "" {
		t.Errorf("not exempt: %q", k)
	}
}
