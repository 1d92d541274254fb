package exam_test

import (
	"bytes"
	"errors"
	"testing"

	"onex/exam"
)

// FuzzReadCatalogue: a catalogue is uploaded by the office; whatever it
// holds, reading it never panics, errors wrap ErrInvalid, and what it
// accepts is usable: every level has a rule with a pass mark between 0 and
// 100, and every site's code finds the site and its rooms.
func FuzzReadCatalogue(f *testing.F) {
	f.Add(sample(f, "catalogue.json"))
	f.Add([]byte(`{"format":"onex-catalogue/1","organisations":[{"code":"O","name":"o"}],"certificates":[{"code":"C","org":"O","name":"c","levels":{"elementary":{"pass_mark":60,"credits":1}}}],"sites":[{"code":"S","name":"s","rooms":["R"]}]}`))
	f.Add([]byte(`{"format":"onex-catalogue/1","certificates":[{"levels":{"expert":{}}}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := exam.ReadCatalogue(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, exam.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		for _, ct := range c.Certificates {
			for level := range ct.Levels {
				rule, err := c.Rule(ct.Code, level)
				if err != nil || !level.Valid() || !(rule.PassMark >= 0 && rule.PassMark <= 100) {
					t.Fatalf("certificate %s level %q: %+v %v", ct.Code, level, rule, err)
				}
			}
		}
		for _, s := range c.Sites {
			got, ok := c.Site(s.Code)
			if !ok || len(got.Rooms) == 0 || !got.HasRoom(s.Rooms[0]) {
				t.Fatalf("site %q does not look up", s.Code)
			}
		}
	})
}
