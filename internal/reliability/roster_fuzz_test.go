package reliability_test

import (
	"bytes"
	"io/fs"
	"reflect"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"onex/assets"
	"onex/exam"
	"onex/server"
)

var rosterEncodings = []string{server.EncodingAuto, server.EncodingUTF8, server.EncodingGB18030, "gbk", "utf8", "latin1"}

// FuzzDecodeRoster: a roster is uploaded by the office in UTF-8 (with or
// without a byte-order mark) or in GB18030 as Excel saves it, and read the
// way central imports it (server.DecodeRoster, then exam.ReadRoster).
// Whatever the bytes and the encoding named, nothing panics; every accepted
// field is valid UTF-8; and a roster accepted in UTF-8 reads the same once
// saved in GB18030.
func FuzzDecodeRoster(f *testing.F) {
	utf, err := fs.ReadFile(assets.Samples, "samples/roster-web-elementary.csv")
	if err != nil {
		f.Fatal(err)
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(utf)
	if err != nil {
		f.Fatal(err)
	}
	for i := range rosterEncodings {
		f.Add(utf, uint8(i))
		f.Add(gb, uint8(i))
	}
	f.Add(append([]byte("\ufeff"), utf...), uint8(0))
	f.Add(append([]byte("\ufeff"), gb...), uint8(0))
	f.Add([]byte("准考证号,姓名\n\x81\x30\x81\x30,\xff\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, e uint8) {
		enc := rosterEncodings[int(e)%len(rosterEncodings)]
		dec, err := server.DecodeRoster(data, enc)
		if err != nil {
			return
		}
		cands, err := exam.ReadRoster(bytes.NewReader(dec))
		if err != nil {
			return
		}
		for _, c := range cands {
			for _, s := range []string{c.Ticket, c.Name, c.IDType, c.IDNumber, c.School, c.Room, c.Seat} {
				if !utf8.ValidString(s) {
					t.Fatalf("accepted a field that is not UTF-8: %q", s)
				}
			}
		}
		if enc != server.EncodingUTF8 || !utf8.Valid(data) {
			return
		}
		gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(bytes.TrimPrefix(data, []byte("\ufeff")))
		if err != nil {
			return // U+FFFD and the like; GB18030 encodes every other character
		}
		back, err := server.DecodeRoster(gb, server.EncodingGB18030)
		if err != nil {
			t.Fatalf("the roster saved in GB18030 does not decode: %v", err)
		}
		again, err := exam.ReadRoster(bytes.NewReader(back))
		if err != nil || !reflect.DeepEqual(again, cands) {
			t.Fatalf("the roster saved in GB18030 reads differently: %v", err)
		}
	})
}
