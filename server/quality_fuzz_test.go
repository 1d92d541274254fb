package server

import (
	"errors"
	"testing"

	"onex/exam"
)

// FuzzReadControls: a controls CSV is uploaded by the lead; whatever it
// holds, reading it never panics, a refusal is the caller's fault
// (ErrInput), and every control it accepts has a response and known marks
// the item's rubric and step accept.
func FuzzReadControls(f *testing.F) {
	it := exam.Item{ID: "q10", Type: exam.Essay, Points: 10, Rubric: []exam.Criterion{{Criterion: "a", Points: 4}, {Criterion: "b", Points: 3}, {Criterion: "c", Points: 3}}}
	f.Add([]byte("作答,一,二,三\n\"对照答案，含逗号\",3,2,2\n"))
	f.Add([]byte("\ufeffresponse,a,b,c\nx,4,3,3\ny,0,0,0.5\n"))
	f.Add([]byte("r,a\nx,9\n\"unterminated\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := readControls(data, it)
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("error is not the input's: %v", err)
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("accepted a file with no control")
		}
		for _, r := range rows {
			if r.text == "" || it.CheckCentralMarks(r.known) != nil {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}
