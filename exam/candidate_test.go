package exam_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"onex/exam"
)

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

func TestCheckResidentID(t *testing.T) {
	tests := []struct {
		id   string
		want string // "" for valid
	}{
		{"310104200410159779", ""},
		{"31010420031018810X", ""},
		{"31010420031018810x", ""}, // lower-case x is read as X
		{"11010519491231002X", ""},
		{"110101200510096705", ""},
		{"310104200410159778", "check character is 8, expected 9"},
		{"310104200310188101", "check character is 1, expected X"},
		{"31010420041015977", "17 characters"},
		{"3101042004101597790", "19 characters"},
		{"31010420041015977A", "last character"},
		{"3101042004A015977X", "character 11 is not a digit"},
		{"990104200410159779", "region code 990104"},
		{"310104200402300000", "birth date 20040230"},
		{"310104180001010000", "birth date 18000101"},
		{"", "0 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			err := exam.CheckResidentID(tc.id)
			if tc.want == "" {
				if err != nil {
					t.Errorf("err = %v, want valid", err)
				}
				return
			}
			if !errors.Is(err, exam.ErrInvalid) || !contains(err, tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestResidentIDCheckCatchesEveryTypo: changing any one of the 17 digits of a
// valid number always breaks the check character.
func TestResidentIDCheckCatchesEveryTypo(t *testing.T) {
	const id = "31010420031018810X"
	for i := 0; i < 17; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == id[i] {
				continue
			}
			typo := id[:i] + string(d) + id[i+1:]
			if exam.ResidentIDCheck(typo) == 'X' {
				t.Errorf("typo %s keeps the check character", typo)
			}
		}
	}
}

func FuzzCheckResidentID(f *testing.F) {
	for _, s := range []string{"310104200410159779", "31010420031018810X", "x", "", "99999999999999999X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := exam.CheckResidentID(id)
		if err != nil {
			if !errors.Is(err, exam.ErrInvalid) {
				t.Fatalf("err %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(id) != 18 || exam.ResidentIDCheck(id) != strings.ToUpper(id[17:])[0] {
			t.Fatalf("accepted %q", id)
		}
	})
}

func TestSampleRoster(t *testing.T) {
	cs, err := exam.ReadRoster(bytes.NewReader(sample(t, "roster-web-elementary.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 40 {
		t.Fatalf("candidates = %d, want 40", len(cs))
	}
	c := cs[1]
	want := exam.Candidate{Ticket: "2026WEB010002", Name: "钟静", IDType: exam.ResidentID, IDNumber: "31010420031018810X",
		Gender: exam.Female, Category: exam.Student, School: "示例职业技术学院", Room: "A101", Seat: "02"}
	if c != want {
		t.Errorf("row 2 = %+v\nwant    %+v", c, want)
	}
	if !cs[2].FeeExempt || cs[2].FeeKind != exam.FeeRegisteredPoor {
		t.Errorf("row 3 is fee-exempt (是, 建档立卡): %v %q", cs[2].FeeExempt, cs[2].FeeKind)
	}
}

func TestRosterWithBOMAndColumnsInAnyOrder(t *testing.T) {
	csv := "\ufeff姓名,准考证号,证件类型,证件号码,性别,考生类别\r\n毛娜,T1,居民身份证,310104200410159779,男,社会成员\r\n"
	cs, err := exam.ReadRoster(strings.NewReader(csv))
	if err != nil || len(cs) != 1 || cs[0].Ticket != "T1" || cs[0].Category != exam.Public {
		t.Fatalf("%+v, %v", cs, err)
	}
}

func TestRosterListsEveryBadRow(t *testing.T) {
	head := "准考证号,姓名,证件类型,证件号码,性别,考生类别,所在院校,免考试费,考场,座位号\n"
	rows := []string{
		"T1,毛娜,居民身份证,310104200410159779,男,在校学生,示例,否,A101,01",  // line 2: good
		"T2,,居民身份证,31010420031018810X,女,在校学生,示例,否,A101,02",    // line 3: no name
		"T1,于晨,居民身份证,110101200510096705,女,在校学生,示例,否,A101,03",  // line 4: ticket repeats line 2
		"T4,陶文,居民身份证,420102200504268646,女,在校学生,示例,否,A101,04",  // line 5: check character
		"T5,董豪梓,居民身份证,440106200409110507,男,在校学生,示例,否,A101,05", // line 6: gender vs ID
		"T6,刘然曦,驾驶证,X1,男,旁听,示例,也许,A101,06",                    // line 7: id type, category, fee
		"T7,欧阳子轩,护照,E12345678,女,社会成员,,,,",                     // line 8: good
		"T8,武红,居民身份证,310104200410159779,男,在校学生,示例,否,A101,08",  // line 9: same ID as line 2
	}
	_, err := exam.ReadRoster(strings.NewReader(head + strings.Join(rows, "\n") + "\n"))
	var inv *exam.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want *InvalidError", err)
	}
	for _, want := range []string{
		"line 3: 姓名: is empty",
		"line 4: 准考证号: T1 repeats line 2",
		"line 5: 证件号码: check character is 6, expected 5",
		"line 6: 性别: does not match the ID number",
		`line 7: 证件类型: "驾驶证" is not a known ID type`,
		`line 7: 考生类别: "旁听" is not 在校学生 or 社会成员`,
		`line 7: 免考试费: "也许" is not 是 or 否`,
		"line 9: 证件号码: the same ID number as line 2",
	} {
		if !contains(err, want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if len(inv.Problems) != 8 {
		t.Errorf("%d problems, want 8: %v", len(inv.Problems), inv.Problems)
	}
}

func TestRosterStructuralErrors(t *testing.T) {
	for name, tc := range map[string]struct{ csv, want string }{
		"empty":          {"", "line 1: the file is empty"},
		"missing column": {"准考证号,姓名\nT1,毛娜\n", "line 1: column 证件类型 is missing"},
		"only header":    {"准考证号,姓名,证件类型,证件号码,性别,考生类别\n", "no candidates"},
		"not UTF-8":      {"\xd7\xbc\xbf\xbc\xd6\xa4\xba\xc5\n", "not UTF-8"},
		"bad quote":      {"准考证号,姓名,证件类型,证件号码,性别,考生类别\nT1,\"毛娜,x\n", "line 2"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := exam.ReadRoster(strings.NewReader(tc.csv))
			if !errors.Is(err, exam.ErrInvalid) && !contains(err, tc.want) || !contains(err, tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzReadRoster(f *testing.F) {
	f.Add(sample(f, "roster-web-elementary.csv"))
	f.Add([]byte("准考证号,姓名,证件类型,证件号码,性别,考生类别\nT1,\"a\"\"b\",护照,E1,女,社会成员\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := exam.ReadRoster(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range cs {
			if c.Ticket == "" || c.Name == "" || seen[c.Ticket] {
				t.Fatalf("accepted a bad row: %+v", c)
			}
			seen[c.Ticket] = true
		}
	})
}
