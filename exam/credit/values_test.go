package credit_test

import (
	"strings"
	"testing"

	"onex/exam"
	"onex/exam/credit"
)

func TestParseHundredths(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want credit.Hundredths
		ok   bool
	}{
		{"3", 300, true}, {"2.5", 250, true}, {"1.25", 125, true}, {"0", 0, true}, {"0.05", 5, true}, {"100.00", 10000, true},
		{"", 0, false}, {".5", 0, false}, {"1.", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"1e2", 0, false},
		{"1.234", 0, false}, {" 1", 0, false}, {"1,5", 0, false}, {"３", 0, false}, {"1234567890", 0, false},
	} {
		got, err := credit.ParseHundredths(tc.in)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("ParseHundredths(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for h, s := range map[credit.Hundredths]string{300: "3", 250: "2.5", 125: "1.25", 5: "0.05", 0: "0", -150: "-1.5"} {
		if h.String() != s {
			t.Errorf("%d is written %q, want %q", h, h.String(), s)
		}
	}
}

// TestSheetDates: the date forms a CSV from Excel may hold.
func TestSheetDates(t *testing.T) {
	const head = "姓名,证件号码,学校代码,课程代码,课程名称,学分,成绩,通过日期\n"
	for _, tc := range []struct {
		cell string
		want credit.Date
	}{
		{"2025-12-20", 20251220}, {"2025/12/20", 20251220}, {"2025/1/2", 20250102}, {"2025-1-2", 20250102},
		{"2025.1.2", 20250102}, {"2025/1/2 0:00", 20250102}, {"2024/2/29", 20240229},
		{"2025/2/29", 0}, {"25/1/2", 0}, {"2025/13/1", 0}, {"1899/1/1", 0}, {"2025-01", 0}, {"2025/+1/2", 0}, {"20251220", 0},
	} {
		outs, err := credit.ReadCourses("d.csv", strings.NewReader(head+"李娜,11010519920815234X,10001,DS101,数据采集,2.5,86,"+tc.cell+"\n"), credit.EncodingAuto)
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("%q read as %s", tc.cell, outs[0].Date)
		case tc.want != 0 && (err != nil || outs[0].Date != tc.want):
			t.Errorf("%q: %v %v, want %s", tc.cell, outs, err, tc.want)
		}
	}
}

// TestReadRules: the vectors' rule file read field by field.
func TestReadRules(t *testing.T) {
	rs, err := credit.ReadRules("rules.json", open(t, "testdata/vectors/rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Version != 3 || len(rs.Rules) != 8 || rs.Name == "" {
		t.Fatalf("rule set %+v", rs)
	}
	want := credit.Rule{ID: "R005", Certificate: "BIGDATA", Level: exam.Elementary, MinScore: 6000, School: "10001",
		Course: "DS101", CourseName: "数据采集", Credits: 250, ValidFrom: 20250901}
	if rs.Rules[4] != want {
		t.Errorf("rule 5 = %+v, want %+v", rs.Rules[4], want)
	}
	if r := rs.Rules[0]; r.ValidTo != 20270831 || !r.In(20270831) || r.In(20270901) || r.In(20250831) || !r.In(20250901) {
		t.Errorf("rule 1's window: %+v", r)
	}
}

// TestReadCourses: the vectors' CSV, a GB18030 file read with the wrong
// encoding, and an ID number's lower-case x.
func TestReadCourses(t *testing.T) {
	outs, err := credit.ReadCourses("courses.csv", open(t, "testdata/vectors/courses.csv"), credit.EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	want := credit.Outcome{Learner: "11010519920815234X", Kind: credit.KindCourse, School: "10001", Course: "DS101", CourseName: "数据采集",
		Credits: 250, Score: 8600, Date: 20251220, Name: "李娜", IDType: exam.ResidentID, Line: 2}
	if len(outs) != 2 || outs[0] != want || outs[1].IDType != exam.ResidentID || outs[1].Score != 7850 || outs[1].Line != 3 {
		t.Errorf("outcomes %+v", outs)
	}
	if _, err := credit.ReadCourses("g.csv", open(t, "testdata/vectors/courses-gb18030.csv"), credit.EncodingUTF8); err == nil ||
		!strings.Contains(err.Error(), "g.csv: not UTF-8") {
		t.Errorf("GB18030 read as UTF-8: %v", err)
	}
	lower := "姓名,证件号码,学校代码,课程代码,课程名称,学分,成绩,通过日期\n李娜,11010519920815234x,10001,DS101,数据采集,2.5,86,2025/12/20\n"
	if outs, err := credit.ReadCourses("x.csv", strings.NewReader(lower), "auto"); err != nil || outs[0].Learner != "11010519920815234X" {
		t.Errorf("lower-case x: %v %v", outs, err)
	}
	if _, err := credit.ReadCourses("e.csv", strings.NewReader(lower), "latin1"); err == nil || !strings.Contains(err.Error(), `encoding "latin1"`) {
		t.Errorf("unknown encoding: %v", err)
	}
	passport := "姓名,证件类型,证件号码,学校代码,课程代码,课程名称,学分,成绩,通过日期\nAnna,护照,E12345678,10001,DS101,数据采集,2.5,86,2025/12/20\n"
	if outs, err := credit.ReadCourses("p.csv", strings.NewReader(passport), "auto"); err != nil || outs[0].IDType != "护照" {
		t.Errorf("passport: %v %v", outs, err)
	}
}
