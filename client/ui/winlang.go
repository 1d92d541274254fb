package ui

import (
	"encoding/json"
	"sync"

	"fyne.io/fyne/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// A candidate's window speaks the candidate's language, whatever the
// station's: Fyne's lang package (tr) has one language for the whole app,
// so a window of its own reads the same translation files through go-i18n,
// the library lang itself uses, with a localizer per language.

// windowBundle holds every translation of the app, parsed once.
var windowBundle = sync.OnceValue(func() *i18n.Bundle {
	b := i18n.NewBundle(language.Chinese)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, l := range Languages {
		name := "translations/onex." + string(l) + ".json"
		data, err := translations.ReadFile(name)
		if err == nil {
			_, err = b.ParseMessageFileBytes(data, name)
		}
		if err != nil {
			fyne.LogError("loading the translations of "+string(l), err)
		}
	}
	return b
})

// translator returns tr for language l alone: the translation of key with
// data (a map of template fields) filled in, or the key itself when it has
// none.
func translator(l Language) func(key string, data ...any) string {
	loc := i18n.NewLocalizer(windowBundle(), string(l))
	return func(key string, data ...any) string {
		var d any
		if len(data) > 0 {
			d = data[0]
		}
		s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: d})
		if err != nil {
			fyne.LogError("translating "+key, err)
			return key
		}
		return s
	}
}
