package office_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"onex/server/servertest"
)

// TestCreditInChromium drives the credit bank's office pages in a real
// headless Chromium: find the sample holder's account by ID number, apply
// for an offered conversion, and approve it on the applications page with
// a reason (first without one: the browser's required field holds the
// form, as the server would).
func TestCreditInChromium(t *testing.T) {
	c, _ := servertest.Certified(t)
	c.ImportSampleRules(t)
	ctx := servertest.Chromium(t)
	do, text := browserSteps(t, ctx)
	do("sign in", signInAt(c, "/office/credit", "credit-find-submit")...)
	do("find the account",
		chromedp.SendKeys(chromedp.ID("credit-find-id"), servertest.HolderID),
		chromedp.Click(chromedp.ID("credit-find-submit")),
		chromedp.WaitVisible(chromedp.ID("account-conversions")))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(loc, servertest.HolderID) || !strings.Contains(loc, "/office/credit/accounts/") {
		t.Errorf("the account's address %q (%v)", loc, err)
	}
	if s := text("#account-name"); s != servertest.HolderName {
		t.Errorf("account of %q", s)
	}
	do("apply for the first conversion offered",
		chromedp.Click(chromedp.CSS("button.apply")),
		chromedp.WaitVisible(chromedp.ID("notice")))
	if s := text("#notice"); !strings.Contains(s, "已提交学分认定申请") {
		t.Errorf("after applying: %q", s)
	}
	do("open the applications",
		chromedp.Navigate(c.URL+"/office/credit/applications"),
		chromedp.WaitVisible(chromedp.CSS("button.approve")),
		chromedp.Click(chromedp.CSS("button.approve")))
	// The reason is required: the browser keeps the form and the page.
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || loc != c.URL+"/office/credit/applications" {
		t.Errorf("approved without a reason: at %q (%v)", loc, err)
	}
	do("approve with a reason",
		chromedp.SendKeys(chromedp.CSS("textarea.decide-reason"), "课程内容一致"),
		chromedp.Click(chromedp.CSS("button.approve")),
		chromedp.WaitVisible(chromedp.ID("notice")))
	if s := text("#notice"); !strings.Contains(s, "申请已批准") {
		t.Errorf("after approving: %q", s)
	}
	do("see it approved",
		chromedp.Navigate(c.URL+"/office/credit/applications?state=approved"),
		chromedp.WaitVisible(chromedp.ID("credit-applications")))
	if s := text("#credit-applications"); !strings.Contains(s, "已批准") || !strings.Contains(s, "课程内容一致") || !strings.Contains(s, servertest.HolderName) {
		t.Errorf("approved applications: %q", s)
	}
}
