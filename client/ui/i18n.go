package ui

import (
	"embed"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// Every string the app shows comes from translations/onex.<language>.json
// through Fyne's lang package; tr is the one way to get one.
//
//go:embed translations
var translations embed.FS

// Language is a language of the app.
type Language string

// The app's languages; Chinese is the default.
const (
	Chinese Language = "zh-Hans"
	English Language = "en"
)

// Languages lists the app's languages in the order they are offered.
var Languages = []Language{Chinese, English}

// Name is the language's name in itself (简体中文, English).
func (l Language) Name() string {
	if l == English {
		return tr("language.en")
	}
	return tr("language.zh")
}

// languageNamed returns the language whose Name is name, or Chinese.
func languageNamed(name string) Language {
	for _, l := range Languages {
		if l.Name() == name {
			return l
		}
	}
	return Chinese
}

// current is the language in use.
var current = Chinese

// UseLanguage makes l the language of every string the app shows from now
// on; screens built before keep theirs until rebuilt.
//
// Fyne's lang package picks its language from the environment (through
// go-locale: LC_ALL, LC_MESSAGES or LANG, then LANGUAGE unless the locale is
// C or POSIX), so the choice goes there: LANGUAGE names it, and a locale of C
// or POSIX, which would hide LANGUAGE, becomes C.UTF-8, the same locale for
// the C library. Reloading the translations makes lang read it again.
func UseLanguage(l Language) {
	current = l
	code := "zh_Hans"
	if l == English {
		code = "en"
	}
	os.Setenv("LANGUAGE", code)
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			if s == "C" || s == "POSIX" {
				os.Setenv(v, "C.UTF-8")
			}
			break
		}
	}
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("loading the app's translations", err)
	}
}

// tr returns the translation of key in the current language, with data
// (a map of template fields) filled in.
func tr(key string, data ...any) string {
	return lang.X(key, key, data...)
}

// args is template data for tr.
type args = map[string]any
