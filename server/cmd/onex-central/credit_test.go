package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
)

const cliRules = `{"format": "onex-credit-rules/1", "version": 1, "name": "测试规则", "rules": [
  {"id": "R1", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": "示例职业技术学院", "course": "WEB101", "course_name": "网页设计", "credits": 4, "valid_from": "2020-01-01"},
  {"id": "R2", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": "示例中等职业学校", "course": "W9", "course_name": "网页基础", "credits": 2.5, "valid_from": "2020-01-01"}
]}`

// TestCreditCommands: on both engines, import rules and courses (a bad
// file refused naming file, line and column), account prints the
// account (text and JSON), credit apply, decide (a refusal needs why),
// applications and preview; each command's mistakes named.
func TestCreditCommands(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			db := engineURL(t, engine)
			c, cert := servertest.Certified(t, servertest.WithDB(db))
			c.Central.Close() // the commands open central themselves
			backdate(t, c.Dir, db)
			dir := t.TempDir()
			write := func(name, text string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			rules := write("rules.json", cliRules)
			courses := write("courses.csv", "姓名,证件号码,学校代码,课程代码,课程名称,学分,成绩,通过日期\n钟静,31010420031018810X,示例中等职业学校,DB201,数据库,3,80,2025/7/2\n")
			bad := write("bad.csv", "姓名,证件号码,学校代码,课程代码,课程名称,学分,成绩,通过日期\n钟静,31010420031018810X,示例中等职业学校,DB201,数据库,0,80,2025/7/2\n")
			for _, tc := range []struct {
				name string
				args []string
				out  []string // each in the output
				err  string   // in the error; "" none
			}{
				{"rules", []string{"import", "rules", rules}, []string{"imported rule set version 1 (测试规则): 2 rules"}, ""},
				{"rules again", []string{"import", "rules", rules}, nil, "rules.json: rule set version 1, the last is 1: the rule set's version is not above the last one"},
				{"courses without school", []string{"import", "courses", courses}, nil, "import courses: --school is required"},
				{"bad courses", []string{"import", "courses", "--school", "示例中等职业学校", bad}, nil, bad + ": line 2: 学分: 0 is not more than 0 and at most 30"},
				{"courses", []string{"import", "courses", "--school", "示例中等职业学校", "--encoding", "utf-8", courses}, []string{"imported 1 courses of 1 learners for school 示例中等职业学校"}, ""},
				{"account without learner", []string{"account"}, nil, "give --id-number or --account, one of them"},
				{"account of nobody", []string{"account", "--id-number", "11010519920815234X"}, nil, "not found"},
				{"account", []string{"account", "--id-number", servertest.HolderID}, []string{"name 毛娜", cert.Number, "-> 示例职业技术学院/WEB101 网页设计", "2.5 credits", "offered", "credits 0 (courses 0, granted 0); offered now 6.5"}, ""},
				{"account with courses", []string{"account", "--id-number", "31010420031018810x"}, []string{"示例中等职业学校/DB201", "credits 3 (courses 3, granted 0)"}, ""},
				{"apply to nothing", []string{"credit", "apply", "--id-number", servertest.HolderID, "--school", "示例职业技术学院", "--course", "W9"}, nil, "offered no conversion to course W9"},
				{"apply", []string{"credit", "apply", "--id-number", servertest.HolderID, "--school", "示例职业技术学院", "--course", "WEB101"}, []string{"application A000001: certificate:" + cert.Number + " -> 示例职业技术学院/WEB101, 4 credits: applied"}, ""},
				{"decide neither", []string{"credit", "decide", "--application", "A000001"}, nil, "give --approve or --refuse"},
				{"refuse without why", []string{"credit", "decide", "--application", "A000001", "--refuse"}, nil, "a decision needs who made it and, unless it approves, why"},
				{"approve", []string{"credit", "decide", "--application", "A000001", "--approve", "--reason", "课程一致"}, []string{"application A000001: approved"}, ""},
				{"applications", []string{"credit", "applications", "--state", "approved"}, []string{"A000001", "approved", "毛娜", "示例职业技术学院/WEB101"}, ""},
				{"preview", []string{"credit", "preview", "--school", "示例中等职业学校"}, []string{"W9", "new 1 (2.5 credits)", "school 示例中等职业学校: 1 learners with a new conversion"}, ""},
				{"credit what", []string{"credit", "grant"}, nil, `"grant" is not "apply"`},
			} {
				args := append(tc.args, "--data", c.Dir)
				if db != "" {
					args = append(args, "--db", db)
				}
				out, err := cli(t, args...)
				if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
					t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
				}
				words := strings.Join(strings.Fields(out), " ") // the columns' spacing aside
				for _, want := range tc.out {
					if !strings.Contains(words, want) {
						t.Errorf("%s: output lacks %q:\n%s", tc.name, want, out)
					}
				}
			}
			args := []string{"account", "--id-number", servertest.HolderID, "--format", "json", "--data", c.Dir}
			if db != "" {
				args = append(args, "--db", db)
			}
			out, err := cli(t, args...)
			var acc server.LearnerAccount
			if err != nil || json.Unmarshal([]byte(out), &acc) != nil || acc.Credits() != 400 || len(acc.Applications) != 1 {
				t.Errorf("account as JSON: %v %+v\n%s", err, acc, out)
			}
		})
	}
}

// backdate moves the certificates' issue a year back: the commands convert
// as of today by the real clock, and servertest's session lies ahead of it.
func backdate(t *testing.T, dir, dbURL string) {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(dir, "central.db")
	if dbURL != "" {
		driver, dsn = "pgx", dbURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE issued_certificates SET issued_at = issued_at - 31622400000000"); err != nil {
		t.Fatal(err)
	}
}
