package main

import (
	"context"
	"strings"
	"testing"

	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
)

// TestFeeCommands: on both engines, exemption changes a candidate's
// exemption with a reason (audited as the cli) and refuses what is wrong,
// naming it; fees prints the statement (counts only) or, with --candidates,
// the per-candidate list, as CSV for Excel, chosen by session, organisation,
// site and days.
func TestFeeCommands(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			db := engineURL(t, engine)
			c := servertest.New(t, servertest.WithDB(db))
			c.Central.Close() // the commands open central themselves
			s := c.Session
			command := func(args ...string) (string, error) {
				args = append(args, "--data", c.Dir)
				if db != "" {
					args = append(args, "--db", db)
				}
				return cli(t, args...)
			}
			head := "\ufeff考核批次,考核时间,培训评价组织代码,培训评价组织,考核站点代码,考核站点,证书代码,等级,考生人数,免考人数,免考:建档立卡,免考:低保,免考:特困供养,免考:残疾,免考:其他,应缴人数,收费标准(元),应缴金额(元)\r\n"
			for _, tc := range []struct {
				args     []string
				out, err string // out: what the output starts with, then holds (after "…")
			}{
				{[]string{"fees", "--session", s.ID}, head + s.ID + ",2026-12-01 09:00,ORG-WEB,Web前端开发培训评价组织（示例）,SITE-001,示例职业技术学院 第一考核站点,WEB,初级,40,4,2,1,0,1,0,36,350.00,12600.00\r\n", ""},
				{[]string{"fees", "--org", "ORG-WEB", "--format", "csv"}, head + s.ID + ",", ""},
				{[]string{"fees", "--site", "SITE-001", "--from", "2026-12-01", "--to", "2026-12-01"}, head + s.ID + ",", ""},
				{[]string{"fees", "--site", "SITE-001", "--to", "2026-11-30"}, head + "合计,,,,,,,,0,0,0,0,0,0,0,0,,\r\n", ""},
				{[]string{"fees", "--org", "ORG-BIM"}, head + "合计,", ""},
				{[]string{"fees", "--session", s.ID, "--candidates"}, "\ufeff考核批次,培训评价组织代码,考核站点代码,证书代码,等级,准考证号,姓名,免考试费,免费类别,应缴金额(元)\r\n" + s.ID + ",ORG-WEB,SITE-001,WEB,初级,2026WEB010001,毛娜,否,,350.00\r\n", ""},
				{[]string{"fees"}, "", "--session, --org or --site is required"},
				{[]string{"fees", "--session", s.ID, "--format", "xlsx"}, "", `--format "xlsx" is not csv`},
				{[]string{"fees", "--session", s.ID, "--site", "SITE-001"}, "", "--session takes no --org"},
				{[]string{"fees", "--org", "ORG-WEB", "--from", "1.12.2026"}, "", `--from "1.12.2026" is not a day`},
				{[]string{"fees", "--org", "ORG-WEB", "--from", "2026-12-02", "--to", "2026-12-01"}, "", "is not before its end"},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010001", "--kind", "低保", "--reason", "低保证明"}, "session " + s.ID + " ticket 2026WEB010001: exempt: 低保\n", ""},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010003", "--none", "--reason", "录入错误"}, "session " + s.ID + " ticket 2026WEB010003: no exemption (pays)\n", ""},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010004", "--kind", "disability", "--reason", "残疾人证"}, "session " + s.ID + " ticket 2026WEB010004: exempt: 残疾\n", ""},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010001", "--kind", "低保", "--reason", "again"}, "", "has this exemption already"},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010001", "--kind", "穷"}, "", "--reason is required"},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010001", "--kind", "穷", "--reason", "x"}, "", `"穷" is not a kind of exemption (registered-poor 建档立卡`},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010001", "--reason", "x"}, "", "--kind or --none is required"},
				{[]string{"exemption", "--session", s.ID, "--ticket", "2026WEB010001", "--kind", "低保", "--none", "--reason", "x"}, "", "not both"},
				{[]string{"exemption", "--session", s.ID, "--ticket", "T404", "--none", "--reason", "x"}, "", "has no candidate with ticket T404"},
				{[]string{"exemption", "--session", "nope", "--ticket", "T1", "--none", "--reason", "x"}, "", "session nope has no candidate"},
				// after the changes: 建档立卡 1 (010003 now pays), 低保 2, 残疾 2
				{[]string{"fees", "--session", s.ID}, head + s.ID + ",2026-12-01 09:00,ORG-WEB,Web前端开发培训评价组织（示例）,SITE-001,示例职业技术学院 第一考核站点,WEB,初级,40,5,1,2,0,2,0,35,350.00,12250.00\r\n", ""},
			} {
				out, err := command(tc.args...)
				if tc.err == "" && (err != nil || !strings.HasPrefix(out, tc.out)) || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
					t.Errorf("%v:\n%q, %v\nwant %q, %q", tc.args, out, err, tc.out, tc.err)
				}
			}
			sc, err := server.Open(context.Background(), c.Dir, db, server.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			log, _ := sc.AuditLog(context.Background())
			var changes []string
			for _, e := range log.Entries {
				if e.Actor == "cli" && e.Action == "change fee exemption" {
					changes = append(changes, e.Detail)
				}
			}
			want := "session " + s.ID + " ticket 2026WEB010001: none -> subsistence: 低保证明|session " + s.ID + " ticket 2026WEB010003: registered-poor -> none: 录入错误|session " + s.ID + " ticket 2026WEB010004: none -> disability: 残疾人证"
			if got := strings.Join(changes, "|"); got != want {
				t.Errorf("audited\n%s\nwant\n%s", got, want)
			}
		})
	}
}
