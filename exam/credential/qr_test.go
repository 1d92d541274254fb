package credential

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/skip2/go-qrcode"
)

// alphanumericCapacity computes a QR code's capacity in alphanumeric mode
// from its data codewords (ISO/IEC 18004 Table 9) for versions 10 to 26
// (11-bit character count): 4 bits of mode, 11 of count, then 11 bits per
// pair of characters and 6 for a last odd one.
func alphanumericCapacity(dataCodewords int) int {
	bits := dataCodewords*8 - 4 - 11
	n := bits / 11 * 2
	if bits%11 >= 6 {
		n++
	}
	return n
}

func TestQRCapacity(t *testing.T) {
	// Version 15, level Q: 5 blocks of 24 data codewords and 7 of 25.
	capacity := alphanumericCapacity(5*24 + 7*25)
	if capacity != MaxText {
		t.Fatalf("version 15-Q holds %d alphanumeric characters, MaxText is %d", capacity, MaxText)
	}
	// The encoder agrees: MaxText characters need version 15, one more 16.
	for _, tc := range []struct{ n, version int }{{MaxText, 15}, {MaxText + 1, 16}} {
		q, err := qrcode.New(strings.Repeat("A", tc.n), qrcode.High)
		if err != nil {
			t.Fatal(err)
		}
		if q.VersionNumber != tc.version {
			t.Errorf("%d characters at level Q: version %d, want %d", tc.n, q.VersionNumber, tc.version)
		}
	}
}

// A realistic Chinese certificate fits version 15-Q, and the QR code read
// back by a QR decoder verifies to the same claims.
func TestQRRoundTrip(t *testing.T) {
	f := newFixture(t)
	c := realistic()
	text, err := f.issuer.IssueText(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("credential text: %d characters of %d", len(text), MaxText)
	if len(text) > MaxText {
		t.Fatalf("text of %d characters exceeds version 15-Q's %d", len(text), MaxText)
	}
	q, err := qrcode.New(text, qrcode.High) // go-qrcode's High is level Q (25%)
	if err != nil {
		t.Fatal(err)
	}
	if q.VersionNumber > 15 {
		t.Errorf("QR version %d, want at most 15", q.VersionNumber)
	}
	img := q.Image(-8) // 8 pixels a module, with the quiet zone
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// gozxing's pure-barcode path (a generated image, not a photograph):
	// its finder-pattern detector (TRY_HARDER) misreads the format
	// information of this version-15 symbol, at 4 and at 8 pixels a module,
	// though it reads other version-15 symbols of skip2/go-qrcode.
	var res *gozxing.Result
	for _, hint := range []gozxing.DecodeHintType{gozxing.DecodeHintType_PURE_BARCODE} {
		res, err = zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{hint: true})
		if err != nil {
			t.Fatalf("decode QR (%v): %v", hint, err)
		}
		if res.GetText() != text {
			t.Fatalf("QR read back (%v) %q, want %q", hint, res.GetText(), text)
		}
	}
	got, err := VerifyText(res.GetText(), f.tl)
	if err != nil {
		t.Fatal(err)
	}
	c.KeyID = f.issuer.KeyID()
	if !reflect.DeepEqual(*got, c) {
		t.Errorf("claims from the QR\n got %+v\nwant %+v", *got, c)
	}
	if !got.CheckID(testIDNumber) {
		t.Error("ID number does not check against the QR's claims")
	}
}

func TestIssueTextRefusesTooLong(t *testing.T) {
	f := newFixture(t)
	c := realistic()
	c.Site = "广东省广州市番禺区番禺职业技术学院信息工程学院考点"
	if _, err := f.issuer.IssueText(c); !errors.Is(err, ErrClaims) {
		t.Errorf("text beyond version 15-Q: %v, want ErrClaims", err)
	}
}
