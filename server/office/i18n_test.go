package office

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"onex/exam"
	"onex/exam/credential"
	"onex/exam/credit"
	"onex/server"
)

// TestTranslations checks that every key the office pages use is in the
// table, in both languages, with the same format verbs.
func TestTranslations(t *testing.T) {
	used := map[string]string{} // key -> where
	tmplKey := regexp.MustCompile(`\.T "([^"]+)"`)
	pages, _ := fs.Glob(web, "web/*.html")
	for _, p := range pages {
		b, _ := fs.ReadFile(web, p)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
	}
	goKey := regexp.MustCompile(`"((?:title|done|err|secret|field|flag|log|forced)\.[a-z_]+)"`)
	sources, _ := filepath.Glob("*.go")
	for _, p := range sources {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
	}
	for _, l := range exam.Levels {
		used["level."+string(l)] = "exam.Levels"
	}
	for _, r := range server.Roles {
		used["role."+r] = "roles"
	}
	for _, s := range []string{string(exam.Male), string(exam.Female)} {
		used["gender."+s] = "genders"
	}
	for _, s := range []string{string(exam.Student), string(exam.Public)} {
		used["category."+s] = "categories"
	}
	for _, s := range []string{"", string(exam.Present), string(exam.Late), string(exam.Absent)} {
		used["attendance."+s] = "attendance"
	}
	for _, k := range []string{"submission", "check-in", "practical-score"} { // the record kinds of disputes and flags
		used["kind."+k] = "record kinds"
	}
	for _, f := range server.ResultFilters {
		used["filter.status_"+f] = "server.ResultFilters"
	}
	for _, o := range []string{"conflict", "rejected"} { // outcomes of records an import did not accept
		used["outcome."+o] = "server.RecordProblem"
	}
	for _, r := range []server.Result{{Attendance: string(exam.Absent)}, {}, {Submitted: true}, {Submitted: true, Complete: true, Passed: true}, {Submitted: true, Complete: true}} {
		used["result."+r.Status()] = "Result.Status"
	}
	for _, s := range exam.ResultStates { // issue 15: results' states and why not ready
		used["state."+string(s)] = "exam.ResultStates"
	}
	for _, r := range exam.NotReadyReasons {
		used["notready."+string(r)] = "exam.NotReadyReasons"
	}
	for _, o := range []string{server.AppealUnchanged, server.AppealChanged} {
		used["appeals.outcome_"+o] = "appeal outcomes"
	}
	used["list.sep"] = "NotReadyText"
	for _, s := range []credential.Status{credential.Valid, credential.Suspended, credential.Revoked} { // issue 16: certificates' statuses
		used["cstatus."+s.String()] = "CertStatusText"
	}
	for _, p := range []string{server.PurposeFirst, server.PurposeSecond, server.PurposeThird, server.PurposeArbitrate, server.PurposeProblem,
		server.PurposeRemark, server.PurposeModerate, server.PurposeAppeal} { // purposes of marks and tasks on the lead's pages
		used["purpose."+p] = "server.Purpose*"
	}
	for _, s := range []string{server.InspectionDrawn, server.InspectionPassed, server.InspectionRectifying, server.InspectionRectified} { // issue 17: inspected sites
		used["outcome."+s] = "server.Inspection*"
	}
	for _, k := range []string{"insp.plan_text", "insp.source_numbers", "insp.source_text"} {
		used[k] = "inspections.go"
	}
	for _, k := range append(exam.FeeKinds, exam.FeeUnspecified) { // issue 17: kinds of fee exemption
		used["feekind."+string(k)] = "FeeKindText"
	}
	for _, p := range server.Problems {
		used["problem."+p] = "server.Problems"
	}
	for _, s := range []credit.State{credit.Applied, credit.Approved, credit.Refused, credit.Withdrawn, credit.Revoked} { // issue 17
		used["astate."+string(s)] = "AppState"
	}
	for _, r := range []credit.Reason{credit.ReasonNoRule, credit.ReasonScore, credit.ReasonWindow, credit.ReasonLater, credit.ReasonTaken} {
		used["cwhy."+string(r)] = "NoteText"
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use; is the scan broken?", len(used))
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for key, where := range used {
		m, ok := messages[key]
		switch {
		case !ok:
			t.Errorf("%s uses %q, which is not in the table", where, key)
		case m[zh] == "" || m[en] == "":
			t.Errorf("%q lacks a translation: %q", key, m)
		case strings.Join(verbs.FindAllString(m[zh], -1), " ") != strings.Join(verbs.FindAllString(m[en], -1), " "):
			t.Errorf("%q has other format verbs in Chinese and English: %q", key, m)
		}
	}
	for key := range messages {
		if _, ok := used[key]; !ok {
			t.Errorf("%q is in the table but never used", key)
		}
	}
}
