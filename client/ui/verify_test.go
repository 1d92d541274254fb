package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/exam/credential"
	"onex/server"
	"onex/server/servertest"
)

// certStation is the station of a site whose central issued a certificate,
// its first download (with the certificate lists) done, on the verify tab.
func certStation(t *testing.T) (*rig, server.Certificate, *verifyScreen) {
	t.Helper()
	c, cert := servertest.Certified(t)
	r := newRigOn(t, c)
	a := r.enrolled()
	r.wait() // the station downloads as it opens
	a.station.tabs.SelectIndex(tabVerify)
	return r, cert, a.station.verify
}

// checkText pastes text and the ID number and checks.
func checkText(t *testing.T, r *rig, v *verifyScreen, text, id string) {
	t.Helper()
	v.text.SetText(text)
	test.Type(v.id, id)
	tap(t, button(t, r.a.win.Canvas(), tr("verify.check")))
}

// TestVerifyScreen: the station's 证书核验 tab (Ctrl+6) checks a pasted QR
// text offline: a valid certificate shows 有效 with its icon, its fields,
// "状态截至" and the ID number confirmed; leaving the tab clears the ID
// number and the holder's name; revoked at central, it shows 已撤销 after the
// next download; an altered text shows 不可信 and why, with no field of it;
// text that is no certificate says so.
func TestVerifyScreen(t *testing.T) {
	r, cert, v := certStation(t)
	a := r.a
	c := a.win.Canvas()
	ctrl6 := &desktop.CustomShortcut{KeyName: fyne.Key6, Modifier: fyne.KeyModifierControl}
	if it := a.win.MainMenu().Items[0].Items[tabVerify]; !strings.Contains(it.Label, "证书核验") || !strings.Contains(it.Label, "Ctrl+6") ||
		it.Shortcut.ShortcutName() != ctrl6.ShortcutName() {
		t.Fatalf("menu item %q", it.Label)
	}
	if !shows(c, "本机的证书状态列表截至") || !shows(c, "下载") {
		t.Fatal("the lists kept are not told")
	}
	if c.Focused() != v.text {
		t.Error("the QR text's entry has no focus")
	}
	checkText(t, r, v, cert.QR+"\n", servertest.HolderID)
	for _, s := range []string{"有效", cert.Number, cert.HolderName, "WEB 初级", cert.SiteName, "状态截至", "相符", r.central.PublicKey().Fingerprint()} {
		if !shows(c, s) {
			t.Errorf("valid: %q not shown", s)
		}
	}
	if v.icon.Resource != theme.ConfirmIcon() || v.word.Importance != widget.SuccessImportance {
		t.Error("valid: not its icon and colour")
	}

	a.station.tabs.SelectIndex(tabToday)
	if v.id.Text != "" || v.result.Visible() || v.text.Text == "" {
		t.Errorf("left: ID %q, result shown %v, text %q", v.id.Text, v.result.Visible(), v.text.Text)
	}
	a.station.tabs.SelectIndex(tabVerify)
	if shows(c, cert.HolderName) {
		t.Error("the holder's name is still shown after leaving")
	}

	ctx := context.Background()
	if _, err := r.central.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "证书信息有误", "office ann"); err != nil {
		t.Fatal(err)
	}
	r.central.Clock.Add(time.Minute)
	r.clock.Add(time.Minute)
	checkText(t, r, v, cert.QR, "31010420031018810X")
	if !shows(c, "有效") || !shows(c, "不符") {
		t.Error("revoked at central, before a download: not valid as of the old list, or the other ID number matched")
	}
	a.station.tabs.SelectIndex(tabToday)
	tap(t, button(t, c, tr("today.download")))
	r.wait()
	if !shows(c, "证书状态列表截至") {
		t.Error("the download does not tell of the certificate status list")
	}
	a.station.tabs.SelectIndex(tabVerify)
	checkText(t, r, v, cert.QR, "")
	if !shows(c, "已撤销") || !shows(c, "未输入") || v.icon.Resource != theme.CancelIcon() || v.word.Importance != widget.DangerImportance {
		t.Error("revoked after the download: not shown so")
	}

	cose, _ := credential.Decode(cert.QR)
	cose[len(cose)-2] ^= 0x40
	for _, tc := range []struct{ text, word, why string }{
		{credential.Encode(cose), "不可信", "签名不符"},
		{"https://example.cn/verify?n=1", "不是证书二维码", "不以 OX1: 开头"},
	} {
		checkText(t, r, v, tc.text, servertest.HolderID)
		if !shows(c, tc.word) || !shows(c, tc.why) || shows(c, cert.HolderName) || shows(c, "相符") {
			t.Errorf("%.30q: not %s (%s), or fields shown", tc.text, tc.word, tc.why)
		}
	}
	tap(t, button(t, c, tr("verify.clear")))
	if v.text.Text != "" || v.id.Text != "" || v.result.Visible() {
		t.Error("清空 left something")
	}
}

// TestVerifyScreenFits1366x768: the tab with a valid certificate's result
// fits the smallest screen in both languages at every text size, its check
// button inside the window.
func TestVerifyScreenFits1366x768(t *testing.T) {
	r, cert, _ := certStation(t)
	a := r.a
	fitsEverywhere(t, a, "verify with a result", func() {
		a.station.rebuild()
		a.station.tabs.SelectIndex(tabVerify)
		v := a.station.verify
		checkText(t, r, v, cert.QR, servertest.HolderID)
		if !v.result.Visible() || len(v.fields.Objects) == 0 {
			t.Fatal("no result")
		}
	}, "verify.check")
}

// TestVerifyWithoutThePassphrase: the passphrase screen offers the check to
// a verifier who is not staff: it works from the lists alone, the store
// left closed, and 返回 goes back.
func TestVerifyWithoutThePassphrase(t *testing.T) {
	r, cert, _ := certStation(t)
	r.a.Close()
	r.opt.Passphrase = ""
	a := r.start()
	c := a.win.Canvas()
	tap(t, button(t, c, "核验证书（无需口令）"))
	if !shows(c, "证书核验（离线）") || a.site != nil {
		t.Fatal("the check is not shown, or the store was opened")
	}
	for _, e := range entries(c) {
		if strings.Contains(e.PlaceHolder, "口令") {
			t.Fatal("the check asks for the passphrase")
		}
	}
	v := &verifyScreen{}
	for _, e := range entries(c) {
		if e.MultiLine {
			v.text = e
		} else {
			v.id = e
		}
	}
	checkText(t, r, v, cert.QR, servertest.HolderID)
	if !shows(c, "有效") || !shows(c, cert.HolderName) || !shows(c, "相符") || a.site != nil {
		t.Fatal("the check without the store does not verify")
	}
	tap(t, button(t, c, "返回"))
	if !shows(c, "请输入考点口令") || shows(c, cert.HolderName) {
		t.Fatal("返回 does not go back to the passphrase")
	}
}
