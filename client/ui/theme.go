package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// TextScales are the text sizes a person can choose, as factors of Fyne's.
var TextScales = []float32{1, 1.25, 1.5, 1.75}

// appTheme is Fyne's default theme with the text scaled and, for people who
// need it, a high-contrast palette: white and yellow on black.
type appTheme struct {
	scale    float32
	contrast bool
}

var _ fyne.Theme = appTheme{}

// highContrast are the colours of the high-contrast theme; the rest come from
// Fyne's dark variant.
var highContrast = map[fyne.ThemeColorName]color.Color{
	theme.ColorNameBackground:          color.Black,
	theme.ColorNameForeground:          color.White,
	theme.ColorNameOverlayBackground:   color.Gray{Y: 0x26}, // dialogs stand out from the black
	theme.ColorNameMenuBackground:      color.Gray{Y: 0x26},
	theme.ColorNameInputBackground:     color.Black,
	theme.ColorNameInputBorder:         color.White,
	theme.ColorNameButton:              color.Gray{Y: 0x30},
	theme.ColorNameDisabledButton:      color.Gray{Y: 0x20},
	theme.ColorNameDisabled:            color.Gray{Y: 0xb0},
	theme.ColorNamePlaceHolder:         color.Gray{Y: 0xc8},
	theme.ColorNamePrimary:             color.RGBA{R: 0xff, G: 0xd7, A: 0xff},
	theme.ColorNameForegroundOnPrimary: color.Black,
	theme.ColorNameFocus:               color.RGBA{R: 0xff, G: 0xd7, A: 0xff},
	theme.ColorNameHover:               color.Gray{Y: 0x50},
	theme.ColorNamePressed:             color.Gray{Y: 0x70},
	theme.ColorNameSelection:           color.RGBA{R: 0x00, G: 0x50, B: 0xc0, A: 0xff},
	theme.ColorNameSeparator:           color.White,
	theme.ColorNameError:               color.RGBA{R: 0xff, G: 0x70, B: 0x70, A: 0xff},
	theme.ColorNameForegroundOnError:   color.Black,
	theme.ColorNameSuccess:             color.RGBA{R: 0x50, G: 0xff, B: 0x50, A: 0xff},
	theme.ColorNameForegroundOnSuccess: color.Black,
	theme.ColorNameWarning:             color.RGBA{R: 0xff, G: 0xa5, A: 0xff},
	theme.ColorNameForegroundOnWarning: color.Black,
	theme.ColorNameHyperlink:           color.RGBA{R: 0x80, G: 0xd0, B: 0xff, A: 0xff},
}

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.contrast {
		if c, ok := highContrast[n]; ok {
			return c
		}
		v = theme.VariantDark
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t appTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (t appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t appTheme) Size(n fyne.ThemeSizeName) float32 {
	s := theme.DefaultTheme().Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon:
		return s * t.scale
	case theme.SizeNameInputBorder:
		if t.contrast {
			return s * 2
		}
	}
	return s
}
