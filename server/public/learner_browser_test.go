package public_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"onex/server"
	"onex/server/servertest"
)

// TestLearnerInChromium drives /learner in a real headless Chromium, in
// Chinese and (by its language link) in English: the three fields show the
// account with the ID number masked, the address bar never holds the
// number and the form never gives it back; a wrong ID number is not found.
func TestLearnerInChromium(t *testing.T) {
	for _, tc := range []struct {
		lang                              string
		title, granted, offered, notFound string
	}{
		{"zh", "学分银行 · 我的学习账户", "已认定", "可申请", "未找到"},
		{"en", "Credit bank · my learning account", "granted", "offered", "Not found"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			c, number := learnerCentral(t)
			ctx := servertest.Chromium(t)
			steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(c.URL + "/learner"), chromedp.WaitVisible(chromedp.ID("learner-number"))}
			if tc.lang == "en" {
				steps = append(steps, chromedp.Click(chromedp.ID("learner-lang")), chromedp.WaitVisible(chromedp.ID("learner-number")))
			}
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatal(err)
			}
			if h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); err != nil || h1 != tc.title {
				t.Fatalf("title %q, %v", h1, err)
			}
			look := func(id, want string) {
				t.Helper()
				err := chromedp.Do(ctx,
					chromedp.SendKeys(chromedp.ID("learner-number"), number),
					chromedp.SendKeys(chromedp.ID("learner-holder"), servertest.HolderName),
					chromedp.SendKeys(chromedp.ID("learner-idnumber"), id),
					chromedp.Click(chromedp.ID("learner-submit")),
					chromedp.WaitVisible(chromedp.ID(want)))
				if err != nil {
					t.Fatalf("lookup wanting #%s: %v", want, err)
				}
			}
			look(servertest.HolderID, "learner-account")
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("learner-account")))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{servertest.HolderName, server.MaskID(servertest.HolderID), number, "WEB101", tc.granted, tc.offered} {
				if !strings.Contains(text, want) {
					t.Errorf("the account lacks %q: %q", want, text)
				}
			}
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil || loc != c.URL+"/learner" {
				t.Errorf("the address is %q (%v)", loc, err)
			}
			html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
			if err != nil || strings.Contains(html, servertest.HolderID) {
				t.Errorf("the page holds the ID number (%v)", err)
			}
			// The form is there again, number and name filled, the ID number empty: look again with a wrong one.
			if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("learner-idnumber"))); err != nil || v != "" {
				t.Errorf("the ID number field holds %q (%v)", v, err)
			}
			if err := chromedp.Do(ctx, chromedp.Clear(chromedp.ID("learner-number")), chromedp.Clear(chromedp.ID("learner-holder"))); err != nil {
				t.Fatal(err)
			}
			look("31010420031018810X", "learner-notfound")
			if text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("learner-notfound"))); err != nil || !strings.Contains(text, tc.notFound) {
				t.Errorf("a wrong ID number: %q %v", text, err)
			}
			if lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || (tc.lang == "en") != (lang == "en") {
				t.Errorf("the page's language %q, %v", lang, err)
			}
		})
	}
}
