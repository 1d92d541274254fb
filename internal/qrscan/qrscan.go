// Package qrscan reads QR codes back from images for tests, as a phone
// reads a photograph: gozxing's finder-pattern detector, trying harder, on
// a whole page or a generated symbol alike (not the pure-barcode shortcut,
// which needs the symbol alone). Only tests import it.
package qrscan

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Read returns the text of the QR code in img.
func Read(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("qrscan: %w", err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", fmt.Errorf("qrscan: no QR code read: %w", err)
	}
	return res.GetText(), nil
}

// ReadPNG returns the text of the QR code in a PNG image.
func ReadPNG(b []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("qrscan: %w", err)
	}
	return Read(img)
}
