package ui

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"image/color"
	"onex/client/site"
	"onex/exam"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// translationFiles reads the translations by language.
func translationFiles(t *testing.T) map[Language]map[string]string {
	t.Helper()
	out := map[Language]map[string]string{}
	for _, l := range Languages {
		b, err := translations.ReadFile("translations/onex." + string(l) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out[l] = m
	}
	return out
}

// sourceStrings returns the keys given to tr and the other string literals
// of the package's code (tests left out).
func sourceStrings(t *testing.T) (keys, literals []string) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				// tr, or a window's own (c.tr) in its language.
				sel, isSel := call.Fun.(*ast.SelectorExpr)
				if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "tr" || isSel && sel.Sel.Name == "tr" {
					if isInputKey(call.Args[0]) { // "input." + key: siteInputKeys reads those
						return true
					}
					lit, ok := call.Args[0].(*ast.BasicLit)
					if !ok {
						t.Errorf("%s: tr with a key that is not a literal", fset.Position(call.Pos()))
						return true
					}
					key, _ := strconv.Unquote(lit.Value)
					keys = append(keys, key)
					return false
				}
			}
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				literals = append(literals, s)
			}
			return true
		})
	}
	return keys, literals
}

var templateField = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

func fields(s string) []string {
	var out []string
	for _, m := range templateField.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestEveryKeyInBothLanguages(t *testing.T) {
	files := translationFiles(t)
	zh, en := files[Chinese], files[English]
	keys, literals := sourceStrings(t)
	if len(keys) < 200 {
		t.Fatalf("only %d tr calls found", len(keys))
	}
	used := map[string]bool{}
	for _, code := range refusalCodes { // read by refusal as "refusal." + code
		used["refusal."+code] = true
		keys = append(keys, "refusal."+code)
	}
	for key, verbs := range siteInputKeys(t) { // read by otherMessage as "input." + key
		k := "input." + key
		used[k] = true
		keys = append(keys, k)
		for l, m := range files {
			for _, f := range fields(m[k]) {
				if i, err := strconv.Atoi(strings.TrimPrefix(f, "V")); err != nil || i >= verbs {
					t.Errorf("%s: key %q uses %s, but the site gives %d values", l, k, f, verbs)
				}
			}
		}
	}
	for _, k := range keys {
		used[k] = true
		for l, m := range files {
			if m[k] == "" {
				t.Errorf("key %q has no %s translation", k, l)
			}
		}
	}
	for l, m := range files {
		for k, v := range m {
			if !used[k] {
				t.Errorf("%s: key %q is not used", l, k)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: key %q is empty", l, k)
			}
		}
	}
	// Chinese characters, or the Chinese (full-width) punctuation.
	hasHan := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool {
			return unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef
		}) >= 0
	}
	for k, v := range zh {
		if !slices.Equal(fields(v), fields(en[k])) {
			t.Errorf("key %q: fields %v in Chinese, %v in English", k, fields(v), fields(en[k]))
		}
		// Chinese words, except for names of things (A+, PIN, the site's code).
		if !hasHan(v) && v != en[k] {
			t.Errorf("key %q: %q is not Chinese", k, v)
		}
	}
	// No Chinese in the code: what people read is in the translations.
	for _, s := range literals {
		if hasHan(s) {
			t.Errorf("Chinese text %q in the code, not in the translations", s)
		}
	}
}

func TestLanguageSwitchRebuildsTheScreens(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	if a.station.tabs.Items[tabCheckIn].Text != "签到" || a.win.MainMenu().Items[1].Label != "显示" {
		t.Fatal("the station is not in Chinese")
	}
	var english *fyne.MenuItem
	for _, it := range a.win.MainMenu().Items[1].Items {
		if it.Label == "English" {
			english = it
		}
	}
	english.Action()
	if a.station.tabs.Items[tabCheckIn].Text != "Check-in" || a.win.Title() != "OneX exam site" || !shows(c, "Sync with central") {
		t.Fatal("the station did not switch to English")
	}
	if a.fa.Preferences().String(prefLanguage) != string(English) {
		t.Fatal("the choice is not remembered")
	}
	a.station.tabs.SelectIndex(tabProctor)
	if !shows(c, "Time left") || !shows(c, "Start the room") {
		t.Fatal("the console is not in English")
	}
	a.setLanguage(Chinese)
	if a.station.tabs.Items[tabProctor].Text != "监考" || !shows(c, "剩余时间") {
		t.Fatal("the station did not switch back to Chinese")
	}
}

func TestCOrPOSIXLocaleStillGetsTheChosenLanguage(t *testing.T) {
	for _, env := range []string{"C", "POSIX", "C.UTF-8", ""} {
		t.Setenv("LC_ALL", "")
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANGUAGE", "")
		t.Setenv("LANG", env)
		UseLanguage(Chinese)
		if got := tr("tab.checkin"); got != "签到" {
			t.Errorf("LANG=%q: Chinese gives %q", env, got)
		}
		UseLanguage(English)
		if got := tr("tab.checkin"); got != "Check-in" {
			t.Errorf("LANG=%q: English gives %q", env, got)
		}
	}
	UseLanguage(Chinese)
	// The first start of the app under LANG=C is in Chinese.
	t.Setenv("LANG", "C")
	r := newRig(t)
	a := r.start()
	if a.first == nil || a.win.Title() != "OneX 考点" || !shows(a.win.Canvas(), "首次使用：登记本机") {
		t.Fatal("LANG=C: the first run is not in Chinese")
	}
}

func TestTextSizeStepsAndHighContrast(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	base := theme.DefaultTheme().Size(theme.SizeNameText)
	var sizes []float32
	for a.textSize(+1) {
		sizes = append(sizes, a.fa.Settings().Theme().Size(theme.SizeNameText))
	}
	if len(sizes) < 3 || sizes[0] <= base || !slices.IsSorted(sizes) {
		t.Fatalf("text sizes %v from %v", sizes, base)
	}
	for a.textSize(-1) {
	}
	if a.fa.Settings().Theme().Size(theme.SizeNameText) != base {
		t.Fatal("the smallest step is not Fyne's size")
	}
	a.setContrast(true)
	th := a.fa.Settings().Theme()
	v := a.fa.Settings().ThemeVariant()
	if th.Color(theme.ColorNameBackground, v) != color.Black || th.Color(theme.ColorNameForeground, v) != color.White {
		t.Fatal("the high-contrast theme is not white on black")
	}
	// Every colour name is defined.
	test.AssertAllColorNamesDefined(t, th, "high contrast")
	a.setContrast(false)
	if a.fa.Settings().Theme().Color(theme.ColorNameBackground, v) == color.Black {
		t.Fatal("the high-contrast theme stays on")
	}
}

// siteInputKeys reads the message keys of the site's input errors
// (inputf("key", "format", …) in client/site) with the number of values
// each format takes.
func siteInputKeys(t *testing.T) map[string]int {
	t.Helper()
	files, err := filepath.Glob("../site/*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`inputf\("([a-z_]+)", "((?:[^"\\]|\\.)*)"`)
	verb := regexp.MustCompile(`%[sdvq]`)
	out := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = len(verb.FindAllString(m[2], -1))
		}
	}
	if len(out) < 25 {
		t.Fatalf("only %d input messages found in client/site", len(out))
	}
	return out
}

// isInputKey tells whether e is "input." + something, the key of a site's
// input message.
func isInputKey(e ast.Expr) bool {
	b, ok := e.(*ast.BinaryExpr)
	if !ok || b.Op != token.ADD {
		return false
	}
	lit, ok := b.X.(*ast.BasicLit)
	return ok && lit.Value == `"input."`
}

// TestSiteInputErrorsInTheUsersLanguage: what the site refuses as input
// reads in the user's language, values in place — it was the site's English
// inside "操作未完成：…".
func TestSiteInputErrorsInTheUsersLanguage(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	ctx := context.Background()
	sid := r.central.Session.ID
	if _, err := a.site.CheckIn(ctx, sid, site.CheckInRequest{Ticket: "2026WEB010001", Status: exam.Present, Confirmed: true, Seat: "07"}); err != nil {
		t.Fatal(err)
	}
	_, taken := a.site.CheckIn(ctx, sid, site.CheckInRequest{Ticket: "2026WEB010002", Status: exam.Present, Confirmed: true, Seat: "07"})
	_, unknown := a.site.CheckIn(ctx, sid, site.CheckInRequest{Ticket: "2026WEB999999", Status: exam.Present, Confirmed: true})
	for _, c := range []struct {
		err  error
		l    Language
		want string
	}{
		{taken, Chinese, "座位 07 已被准考证号 2026WEB010001 占用。"},
		{taken, English, "Seat 07 is taken by ticket 2026WEB010001."},
		{unknown, Chinese, "准考证号 2026WEB999999 不在场次 " + sid + " 的名单上。"},
	} {
		if c.err == nil {
			t.Fatalf("no error for %q", c.want)
		}
		if got := otherMessage(translator(c.l), c.err); got != c.want {
			t.Errorf("%s: %q, want %q (from %v)", c.l, got, c.want, c.err)
		}
	}
	a.setLanguage(Chinese)
	if got := message(taken); got != "座位 07 已被准考证号 2026WEB010001 占用。" {
		t.Errorf("the station says %q", got)
	}
}
