package public

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"onex/exam"
	"onex/exam/credential"
	"onex/server"
)

// TestTranslations: every key the verification page uses is in the table
// in both languages with the same format verbs, and every key of the table
// is used.
func TestTranslations(t *testing.T) {
	used := map[string]bool{}
	for _, page := range []string{"web/verify.html", "web/inspections.html"} {
		b, err := fs.ReadFile(files, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\.T "([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for _, s := range []string{server.InspectionDrawn, server.InspectionPassed, server.InspectionRectifying, server.InspectionRectified} {
		used["outcome."+s] = true // inspections.html, by an inspected site's status
	}
	used["says.seconds"] = true // verify.go's WaitFor
	for _, l := range exam.Levels {
		used["level."+string(l)] = true
	}
	for _, s := range []credential.Status{credential.Valid, credential.Suspended, credential.Revoked} {
		used["status."+s.String()] = true
		used["says."+s.String()] = true
	}
	for _, why := range []string{"prefix", "base45", "malformed", "key", "signature", "window", "record"} {
		used["why."+why] = true
		if got := server.CertificateTextWhy(nil); why == "record" && got != why {
			t.Errorf("CertificateTextWhy's default %q is not a why.* key", got)
		}
	}
	verb := regexp.MustCompile(`%[a-z]`)
	for k := range used {
		m, ok := messages[k]
		if !ok {
			t.Errorf("key %q is used but not translated", k)
			continue
		}
		if strings.TrimSpace(m[zh]) == "" || strings.TrimSpace(m[en]) == "" {
			t.Errorf("key %q lacks a language", k)
		}
		if strings.Join(verb.FindAllString(m[zh], -1), "") != strings.Join(verb.FindAllString(m[en], -1), "") {
			t.Errorf("key %q: the format verbs differ", k)
		}
	}
	for k := range messages {
		if !used[k] {
			t.Errorf("key %q is never used", k)
		}
	}
}
