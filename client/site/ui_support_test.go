package site_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"onex/client/site"
	"onex/exam"
)

func TestSeatsInstructionsAndPracticalItems(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	if !site.Exists(r.cfg.Dir) || site.Exists(t.TempDir()) {
		t.Fatal("Exists does not tell a store's directory from an empty one")
	}
	if _, err := r.s.Instructions(ctx, r.session); !errors.Is(err, site.ErrNotReleased) {
		t.Fatalf("instructions before release: %v", err)
	}
	if _, err := r.s.PracticalItems(ctx, r.session); !errors.Is(err, site.ErrNotReleased) {
		t.Fatalf("practical items before release: %v", err)
	}
	seats, err := r.s.Seats(ctx, r.session)
	if err != nil || len(seats) != 40 || seats[0].Items != 0 || seats[0].Remaining != 90*time.Minute {
		t.Fatalf("seats before release: %d, %+v, %v", len(seats), seats[0], err)
	}

	const a, b = "2026WEB010001", "2026WEB010002"
	r.checkIn(a)
	r.checkIn(b)
	r.started()
	paper := samplePaper(t)
	if text, err := r.s.Instructions(ctx, r.session); err != nil || text != paper.Instructions {
		t.Fatalf("instructions %q, %v", text, err)
	}
	items, err := r.s.PracticalItems(ctx, r.session)
	if err != nil || len(items) != 1 || items[0].ID != "q11" || items[0].Number != 11 || len(items[0].Rubric) == 0 || !items[0].Examiner {
		t.Fatalf("practical items %+v, %v", items, err)
	}

	e, err := r.s.Begin(ctx, r.session, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, save := range []struct {
		item string
		ans  exam.Answer
	}{{"q6", exam.Answer{Choices: []string{"true"}}}, {"q8", exam.Answer{Text: "auto"}}, {"q9", exam.Answer{Text: "404"}}, {"q9", exam.Answer{}}} {
		if err := e.Save(ctx, save.item, save.ans); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.s.Pause(ctx, r.session, a, "张监考", "设备故障"); err != nil {
		t.Fatal(err)
	}
	seats, err = r.s.Seats(ctx, r.session)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]site.SeatState{}
	for _, s := range seats {
		got[s.Ticket] = s
	}
	if s := got[a]; !s.Begun || !s.Paused || s.Answered != 2 || s.Items != 10 || s.Remaining <= 89*time.Minute || s.Status != "present" {
		t.Fatalf("seat of the paused candidate: %+v", s)
	}
	if s := got[b]; s.Begun || s.Paused || s.Answered != 0 || s.Remaining <= 89*time.Minute {
		t.Fatalf("seat of the candidate who has not begun: %+v", s)
	}
	if err := r.s.Pause(ctx, r.session, "", "张监考", "停电"); err != nil {
		t.Fatal(err)
	}
	seats, _ = r.s.Seats(ctx, r.session)
	for _, s := range seats {
		if !s.Paused {
			t.Fatalf("room paused, %s is not: %+v", s.Ticket, s)
		}
	}
}

func TestMistypedGroup(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	code := []rune(r.central.UnlockCode(t))
	// Change one character of the third group (characters 12 to 16 with dashes).
	i := 13
	code[i] = map[bool]rune{true: 'Z', false: 'Y'}[code[i] != 'Z']
	err := r.s.UnlockWithCode(ctx, r.session, string(code))
	if g, ok := site.MistypedGroup(err); !ok || g != 3 {
		t.Fatalf("mistyped third group: group %d, %v (%v)", g, ok, err)
	}
	err = r.s.UnlockWithCode(ctx, r.session, "ABCDE-12345")
	if g, ok := site.MistypedGroup(err); !ok || g != 0 {
		t.Fatalf("short code: group %d, %v (%v)", g, ok, err)
	}
	if _, ok := site.MistypedGroup(site.ErrWrongCode); ok {
		t.Fatal("a wrong code counted as mistyped")
	}
	if err := site.CheckPassphrase(strings.Repeat("x", site.MinPassphrase-1)); err == nil {
		t.Fatal("short passphrase accepted")
	}
}
