package exam_test

import (
	"errors"
	"strings"
	"testing"

	"onex/exam"
)

func TestCatalogueValidation(t *testing.T) {
	base := `{"format":"onex-catalogue/1",
	 "organisations":[{"code":"O","name":"组织"}],
	 "certificates":[{"code":"C","org":"O","name":"证书","levels":{"elementary":{"pass_mark":60,"credits":4}}}],
	 "sites":[{"code":"S","name":"站点","school":"学校","province":"省","rooms":["A1"]}]}`
	if _, err := exam.ReadCatalogue(strings.NewReader(base)); err != nil {
		t.Fatalf("base catalogue: %v", err)
	}
	tests := []struct{ from, to, want string }{
		{`"org":"O"`, `"org":"X"`, `certificate C: org "X" is not in the catalogue`},
		{`"elementary"`, `"expert"`, `certificate C: level "expert"`},
		{`"pass_mark":60`, `"pass_mark":0`, "certificate C level elementary: pass_mark 0"},
		{`"pass_mark":60`, `"pass_mark":120`, "pass_mark 120"},
		{`"credits":4`, `"credits":-1`, "credits -1 is negative"},
		{`"rooms":["A1"]`, `"rooms":["A1","A1"]`, `site S: room "A1" is empty or repeated`},
		{`"rooms":["A1"]`, `"rooms":[]`, "site S: rooms is empty"},
		{`"onex-catalogue/1"`, `"onex-catalogue/2"`, `format "onex-catalogue/2"`},
		{`{"code":"O","name":"组织"}`, `{"code":"O","name":"组织"},{"code":"O","name":"again"}`, "organisation O: duplicate code"},
		{`"province":"省"`, `"province":"省","city":"市"`, `unknown field "city"`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			_, err := exam.ReadCatalogue(strings.NewReader(strings.Replace(base, tc.from, tc.to, 1)))
			if !errors.Is(err, exam.ErrInvalid) || !contains(err, tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
