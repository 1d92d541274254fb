package server_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"pgregory.net/rapid"

	"onex/exam/credential"
	"onex/exam/credit"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store"
	"onex/server/store/pgtest"
)

// Schools of the sample catalogue's sites.
const (
	school1 = "示例职业技术学院"
	school2 = "示例中等职业学校"
)

// creditRules is a rule file converting the sample's WEB elementary
// certificate into WEB101 at school1 (4 credits) and W9 at school2 (2),
// and, from version 2 on, a window at school2 that ended in 2020.
func creditRules(version int) string {
	return fmt.Sprintf(`{"format": "onex-credit-rules/1", "version": %d, "name": "测试规则", "rules": [
  {"id": "R1", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "WEB101", "course_name": "网页设计", "credits": 4, "valid_from": "2020-01-01"},
  {"id": "R2", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "W9", "course_name": "网页基础", "credits": 2, "valid_from": "2020-01-01"},
  {"id": "R3", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "W8", "course_name": "旧课程", "credits": 3, "valid_from": "2019-01-01", "valid_to": "2020-12-31"}
]}`, version, school1, school2, school2)
}

func offered(acc server.LearnerAccount, school string) (credit.Conversion, bool) {
	for _, cv := range acc.Preview.Conversions {
		if !cv.Granted && cv.School == school {
			return cv, true
		}
	}
	return credit.Conversion{}, false
}

func auditActions(t *testing.T, c *servertest.Central) []string {
	t.Helper()
	log, err := c.AuditLog(context.Background())
	if err != nil || log.Broken != "" {
		t.Fatalf("audit log: %v %s", err, log.Broken)
	}
	var out []string
	for _, e := range log.Entries {
		out = append(out, e.Actor+": "+e.Action+": "+e.Detail)
	}
	return out
}

func hasAudit(actions []string, parts ...string) bool {
	return slices.ContainsFunc(actions, func(a string) bool {
		for _, p := range parts {
			if !strings.Contains(a, p) {
				return false
			}
		}
		return true
	})
}

// TestCreditBank: on both engines, a certificate issued is deposited in the
// account of its holder's ID number (the number as typed in any form; no
// account for another number); rules convert it per school (a window that
// ended does not); an application approved is granted, audited with who;
// a rival application is then stale; a refusal needs why; a rule set
// version not above the last is refused; a revoked certificate's
// conversions are no longer offered while the granted one stands.
func TestCreditBank(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, cert := certifiedOne(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ctx := context.Background()
			acc, err := c.LearnerAccount(ctx, " 3101042004101597 79 ")
			if err != nil {
				t.Fatal(err)
			}
			if acc.ID != c.AccountID(id1) || acc.Name != "毛娜" || len(acc.Certificates) != 1 || acc.Certificates[0].Number != cert.Number ||
				acc.Certificates[0].Status != credential.Valid || acc.Certificates[0].Score != 10000 || acc.RuleSet != 0 || len(acc.Preview.Conversions) != 0 {
				t.Fatalf("account %+v", acc)
			}
			if _, err := c.LearnerAccount(ctx, id2); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("account of a failed candidate: %v", err)
			}
			if len(acc.Preview.Unconverted) != 1 || acc.Preview.Unconverted[0].Reason != credit.ReasonNoRule {
				t.Errorf("without rules: %+v", acc.Preview)
			}

			rs, err := c.ImportCreditRules(ctx, "rules.json", strings.NewReader(creditRules(1)), "office ann")
			if err != nil || rs.Rules.Version != 1 || len(rs.Rules.Rules) != 3 {
				t.Fatalf("import rules: %+v %v", rs, err)
			}
			if _, err := c.ImportCreditRules(ctx, "again.json", strings.NewReader(creditRules(1)), "office ann"); !errors.Is(err, server.ErrInput) || !errors.Is(err, store.ErrRuleVersion) {
				t.Errorf("the same version again: %v", err)
			}
			if all, err := c.CreditRules(ctx); err != nil || len(all) != 1 || all[0].ImportedBy != "office ann" {
				t.Errorf("rule sets %+v %v", all, err)
			}
			acc, err = c.LearnerAccount(ctx, id1)
			if err != nil {
				t.Fatal(err)
			}
			cv1, ok1 := offered(acc, school1)
			cv2, ok2 := offered(acc, school2)
			if !ok1 || !ok2 || len(acc.Preview.Conversions) != 2 || cv1.Course != "WEB101" || cv1.Credits != 400 || cv2.Course != "W9" ||
				acc.Preview.NewCredits != 600 || acc.RuleSet != 1 {
				t.Fatalf("conversions %+v", acc.Preview)
			}

			a1, err := c.ApplyCredit(ctx, acc.ID, cv1, "learner")
			if err != nil || a1.State != credit.Applied || a1.Account != acc.ID {
				t.Fatalf("apply: %+v %v", a1, err)
			}
			rival, err := c.ApplyCredit(ctx, acc.ID, cv1, "learner")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.DecideCredit(ctx, a1.ID, false, "  ", "office bob"); !errors.Is(err, server.ErrInput) || !errors.Is(err, credit.ErrReason) {
				t.Errorf("refusal without why: %v", err)
			}
			a1, err = c.DecideCredit(ctx, a1.ID, true, "课程内容一致", "office bob")
			if err != nil || a1.State != credit.Approved {
				t.Fatalf("approve: %+v %v", a1, err)
			}
			if _, err := c.DecideCredit(ctx, rival.ID, true, "", "office bob"); !errors.Is(err, credit.ErrStale) {
				t.Errorf("the rival approved too: %v", err)
			}
			rival, err = c.DecideCredit(ctx, rival.ID, false, "已批准同一转换", "office bob")
			if err != nil || rival.State != credit.Refused {
				t.Errorf("refuse the rival: %+v %v", rival, err)
			}
			if _, err := c.DecideCredit(ctx, rival.ID, true, "", "office bob"); !errors.Is(err, server.ErrInput) {
				t.Errorf("a refused application approved: %v", err)
			}
			acc, err = c.LearnerAccount(ctx, id1)
			if err != nil {
				t.Fatal(err)
			}
			if acc.Preview.GrantedCredits != 400 || acc.Credits() != 400 || len(acc.Applications) != 2 {
				t.Errorf("after approval: %+v", acc)
			}
			audit := auditActions(t, c)
			for _, want := range [][]string{{"office ann: import credit rules", "version 1"}, {"learner: apply credit conversion", a1.ID},
				{"office bob: approve credit conversion", a1.ID, "WEB101", "课程内容一致"}, {"office bob: refuse credit conversion", rival.ID, "已批准同一转换"}} {
				if !hasAudit(audit, want...) {
					t.Errorf("no audit entry %q in %q", want, audit)
				}
			}
			for _, a := range audit {
				if strings.Contains(a, "毛娜") || strings.Contains(a, id1) {
					t.Errorf("the learner's name or ID number in the audit log: %s", a)
				}
			}
			if apps, err := c.CreditApplications(ctx, server.ApplicationFilter{School: school1, State: credit.Approved}); err != nil || len(apps) != 1 || apps[0].ID != a1.ID || apps[0].Name != "毛娜" {
				t.Errorf("approved at school1: %+v %v", apps, err)
			}

			if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "证书作废", "office ann"); err != nil {
				t.Fatal(err)
			}
			acc, err = c.LearnerAccount(ctx, id1)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := offered(acc, school2); ok || acc.Certificates[0].Status != credential.Revoked || acc.Preview.GrantedCredits != 400 {
				t.Errorf("after revocation: %+v", acc)
			}
			if _, err := c.ApplyCredit(ctx, acc.ID, cv2, "learner"); !errors.Is(err, credit.ErrStale) || !errors.Is(err, server.ErrInput) {
				t.Errorf("a revoked certificate's conversion applied for: %v", err)
			}
			if a1, err = c.RevokeCredit(ctx, a1.ID, "证书作废", "office ann"); err != nil || a1.State != credit.Revoked {
				t.Errorf("revoke the approval: %+v %v", a1, err)
			}
			if acc, err = c.LearnerAccount(ctx, id1); err != nil || acc.Credits() != 0 {
				t.Errorf("after the approval's revocation: %+v %v", acc, err)
			}
		})
	}
}

// withRules is certifiedOne's central on engine with creditRules(1).
func withRules(t testing.TB, engine string) (*servertest.Central, server.Certificate) {
	t.Helper()
	c, cert := certifiedOne(t, servertest.WithDB(pgtest.DSN(t, engine)))
	if _, err := c.ImportCreditRules(context.Background(), "rules.json", strings.NewReader(creditRules(1)), "office ann"); err != nil {
		t.Fatal(err)
	}
	return c, cert
}

// coursesCSV is a school's CSV: a course of id1 and one of id2 at school.
func coursesCSV(school, credits2 string) string {
	return "姓名,证件号码,学校代码,课程代码,课程名称,学分,成绩,通过日期\n" +
		"毛娜," + id1 + "," + school + ",WEB101,网页设计,4,90,2025/7/1\n" +
		"\n" +
		"钟静," + strings.ToLower(id2) + "," + school + ",DB201,数据库,3.5,75,2025-07-02\n" +
		"钟静," + id2 + "," + school + ",DB202,数据库二," + credits2 + ",75,2025-07-02\n"
}

// TestImportCourses: on both engines, a school's CSV goes into the
// accounts of the rows' ID numbers (made as needed); a passed course is
// not converted again; a bad row, or a row of another school, refuses the
// file whole, naming file, line and column, and changes nothing; a GB18030
// file reads as its UTF-8 twin; the import is audited; an unknown school
// is refused.
func TestImportCourses(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, _ := withRules(t, engine)
			ctx := context.Background()
			for _, tc := range []struct {
				name, school, file, want string
			}{
				{"bad credits", school1, coursesCSV(school1, "两"), `bad.csv: line 5: 学分: "两" is not a number with at most two decimals`},
				{"another school", school1, strings.Replace(coursesCSV(school1, "2"), school1+",DB201", school2+",DB201", 1), "bad.csv: line 4: 学校代码: \"" + school2 + "\" is not the school importing, " + school1},
				{"unknown school", "10001", coursesCSV("10001", "2"), `school "10001": no site of the catalogue names it`},
			} {
				_, err := c.ImportCourses(ctx, tc.school, "bad.csv", strings.NewReader(tc.file), "auto", "office ann")
				if !errors.Is(err, server.ErrInput) || err.Error() != tc.want {
					t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
				}
			}
			if _, err := c.LearnerAccount(ctx, id2); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("a refused file made an account: %v", err)
			}
			if acc, err := c.LearnerAccount(ctx, id1); err != nil || len(acc.Courses) != 0 {
				t.Errorf("a refused file kept a course: %+v %v", acc, err)
			}

			gb, err := simplifiedchinese.GB18030.NewEncoder().String(coursesCSV(school1, "2"))
			if err != nil {
				t.Fatal(err)
			}
			imp, err := c.ImportCourses(ctx, school1, "gb.csv", strings.NewReader(gb), "auto", "office ann")
			if err != nil || imp.Courses != 3 || imp.Learners != 2 || imp.School != school1 {
				t.Fatalf("GB18030 import: %+v %v", imp, err)
			}
			acc, err := c.LearnerAccount(ctx, id2)
			if err != nil || acc.Name != "钟静" || len(acc.Courses) != 2 || acc.Courses[0].CourseName != "数据库" || acc.CourseCredits != 550 || acc.Credits() != 550 {
				t.Fatalf("id2's account: %+v %v", acc, err)
			}
			acc, err = c.LearnerAccount(ctx, id1)
			if err != nil || len(acc.Courses) != 1 || len(acc.Certificates) != 1 {
				t.Fatalf("id1's account: %+v %v", acc, err)
			}
			if _, ok := offered(acc, school1); ok {
				t.Errorf("a course passed converted again: %+v", acc.Preview)
			}
			if _, ok := offered(acc, school2); !ok {
				t.Errorf("the other school's conversion: %+v", acc.Preview)
			}
			// The same file again replaces, not doubles.
			if _, err := c.ImportCourses(ctx, school1, "utf8.csv", strings.NewReader("\ufeff"+coursesCSV(school1, "2")), "utf-8", "office ann"); err != nil {
				t.Fatal(err)
			}
			if acc, err := c.LearnerAccount(ctx, id2); err != nil || len(acc.Courses) != 2 {
				t.Errorf("after the same file again: %+v %v", acc, err)
			}
			if !hasAudit(auditActions(t, c), "office ann: import courses", "school "+school1, "gb.csv", "3 courses of 2 learners") {
				t.Errorf("no audit entry of the import")
			}
			p, err := c.PreviewSchool(ctx, school2)
			if err != nil || p.Learners != 1 || len(p.Courses) != 1 || p.Courses[0].Course != "W9" || p.NewCredits != 200 {
				t.Errorf("school2's preview: %+v %v", p, err)
			}
			if p, err := c.PreviewSchool(ctx, school1); err != nil || p.Learners != 0 || p.NewCredits != 0 {
				t.Errorf("school1's preview (the course passed): %+v %v", p, err)
			}
		})
	}
}

// TestLearnerAccountByCertificate: the public page shows the account only
// when the certificate number, the holder's name and the ID number all
// match (typed loosely); anything else is ErrNotFound, the same for each;
// an address that keeps failing is throttled.
func TestLearnerAccountByCertificate(t *testing.T) {
	c, cert := certifiedOne(t)
	ctx := context.Background()
	lower := strings.ToLower(cert.Number)
	acc, err := c.LearnerAccountByCertificate(ctx, " "+lower+" ", "毛 娜", "３１０１０４２００４１０１５９７７９", "10.0.0.1")
	if err != nil || acc.ID != c.AccountID(id1) || len(acc.Certificates) != 1 {
		t.Fatalf("lookup: %+v %v", acc, err)
	}
	for _, tc := range []struct{ name, number, holder, id string }{
		{"wrong number", cert.Number + "1", "毛娜", id1},
		{"wrong name", cert.Number, "钟静", id1},
		{"another's ID number", cert.Number, "毛娜", id2},
	} {
		_, err := c.LearnerAccountByCertificate(ctx, tc.number, tc.holder, tc.id, "10.0.0.2")
		if !errors.Is(err, server.ErrNotFound) || err.Error() != "no learner account of that certificate, name and ID number: not found" {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := c.LearnerAccountByCertificate(ctx, cert.Number, "", id1, "10.0.0.2"); !errors.Is(err, server.ErrInput) {
		t.Errorf("no name: %v", err)
	}
	var throttled error
	for i := 0; i < 12 && throttled == nil; i++ {
		if _, err := c.LearnerAccountByCertificate(ctx, cert.Number, "毛娜", id2, "10.0.0.3"); errors.Is(err, server.ErrThrottled) {
			throttled = err
		}
	}
	if throttled == nil {
		t.Fatal("never throttled")
	}
	if _, err := c.LearnerAccountByCertificate(ctx, cert.Number, "毛娜", id1, "10.0.0.3"); !errors.Is(err, server.ErrThrottled) {
		t.Errorf("a throttled address looked up: %v", err)
	}
	if _, err := c.LearnerAccountByCertificate(ctx, cert.Number, "毛娜", id1, "10.0.0.4"); err != nil {
		t.Errorf("another address: %v", err)
	}
}

// TestDecisionsRace: on both engines, two approvals of rival applications
// (the same conversion) at once: exactly one is approved, the other is
// stale, and the learner is credited once.
func TestDecisionsRace(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, _ := withRules(t, engine)
			ctx := context.Background()
			acc := must(c.LearnerAccount(ctx, id1))
			cv, _ := offered(acc, school1)
			for round := 0; round < 3; round++ {
				a := must(c.ApplyCredit(ctx, acc.ID, cv, "learner"))
				b := must(c.ApplyCredit(ctx, acc.ID, cv, "learner"))
				errs := make(chan error, 2)
				for _, id := range []string{a.ID, b.ID} {
					go func() {
						_, err := c.DecideCredit(ctx, id, true, "", fmt.Sprintf("office %d", round))
						errs <- err
					}()
				}
				e1, e2 := <-errs, <-errs
				if (e1 == nil) == (e2 == nil) || !errors.Is(errors.Join(e1, e2), credit.ErrStale) {
					t.Fatalf("round %d: %v, %v", round, e1, e2)
				}
				acc = must(c.LearnerAccount(ctx, id1))
				if acc.Credits() != 400 {
					t.Fatalf("round %d: credits %s", round, acc.Credits())
				}
				// Take the approval back for the next round.
				for _, app := range acc.Applications {
					if app.State == credit.Approved {
						must(c.RevokeCredit(ctx, app.ID, "再试一次", "office ann"))
					}
				}
				acc = must(c.LearnerAccount(ctx, id1))
			}
		})
	}
}

// TestCertificatesBeforeTheCreditBankDeposited: certificates issued before
// the credit bank (no account, no score) are deposited in their holders'
// accounts, with the result's score, when central opens; audited once.
func TestCertificatesBeforeTheCreditBankDeposited(t *testing.T) {
	c, cert := certifiedOne(t)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec("UPDATE issued_certificates SET account = '', score = -1")
	if err == nil {
		_, err = db.Exec("DELETE FROM credit_accounts")
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.Restart(t)
	acc, err := c.LearnerAccount(ctx, id1)
	if err != nil || len(acc.Certificates) != 1 || acc.Certificates[0].Number != cert.Number || acc.Certificates[0].Score != 10000 || acc.Name != "毛娜" {
		t.Fatalf("after the backfill: %+v %v", acc, err)
	}
	c.Restart(t)
	n := 0
	for _, a := range auditActions(t, c) {
		if strings.Contains(a, "deposit certificates") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d backfill audit entries, want 1", n)
	}
}

// BenchmarkLearnerAccount: one learner's account as the public page asks
// it (one certificate, three rules), on SQLite.
func BenchmarkLearnerAccount(b *testing.B) {
	c, cert := withRules(b, "sqlite")
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.LearnerAccountByCertificate(ctx, cert.Number, "毛娜", id1, "10.0.0.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAccountIDProperty: an ID number typed with spaces, full-width digits
// or a lower-case x keys the same account; two numbers, two accounts; the
// id is 64 hex digits; no number, no account.
func TestAccountIDProperty(t *testing.T) {
	c := servertest.New(t)
	if c.AccountID(" \u3000") != "" {
		t.Error("an empty ID number has an account")
	}
	rapid.Check(t, func(rt *rapid.T) {
		digits := rapid.StringMatching(`[0-9]{17}[0-9X]`).Draw(rt, "id")
		other := rapid.StringMatching(`[0-9]{17}[0-9X]`).Draw(rt, "other")
		var typed strings.Builder
		for _, r := range digits {
			switch rapid.IntRange(0, 3).Draw(rt, "form") {
			case 0:
				typed.WriteRune(r)
			case 1:
				typed.WriteRune(r - 0x20 + 0xFF00) // full width: ０ is U+FF10, Ｘ U+FF38
			case 2:
				typed.WriteString(" " + string(r))
			case 3:
				typed.WriteString(strings.ToLower(string(r)))
			}
		}
		id := c.AccountID(digits)
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			rt.Fatalf("account id %q of %s", id, digits)
		}
		if c.AccountID(typed.String()) != id {
			rt.Fatalf("%s typed as %q: another account", digits, typed.String())
		}
		if (c.AccountID(other) == id) != (other == digits) {
			rt.Fatalf("%s and %s: accounts equal %v", digits, other, c.AccountID(other) == id)
		}
	})
}
