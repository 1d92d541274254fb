package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
)

// TestResultsCSVNeutralisesFormulas: a cell that begins with =, +, -, @, a
// tab or a carriage return is a formula to Excel (OWASP's CSV injection);
// WriteResultsCSV writes every text cell so that none begins with one, and
// writes the scores it computes as numbers.
func TestResultsCSVNeutralisesFormulas(t *testing.T) {
	c := servertest.New(t)
	roster := "准考证号,姓名,证件类型,证件号码,性别,考生类别\n" +
		`-1,"=HYPERLINK(""http://x"",""y"")",护照,E1,男,社会成员` + "\n" +
		"T2,+1+1,护照,E2,女,社会成员\nT3,@SUM(A1),护照,E3,女,社会成员\nT4,毛娜,护照,E4,男,社会成员\n"
	if _, err := c.ImportRoster(context.Background(), c.Session.ID, strings.NewReader(roster), "auto", "test"); err != nil {
		t.Fatal(err)
	}
	results := c.Results(t)
	results = append(results, server.Result{Ticket: "\tT5", Name: "\r=1+1", Total: -1.5, Max: 96, Awaiting: []string{"=q1"}})
	var buf bytes.Buffer
	if err := server.WriteResultsCSV(&buf, results); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{ // by the row's line: its first cells, and its score and maximum
		"'-1":   {"'-1", `'=HYPERLINK("http://x","y")`, "未签到", "否", "0", "96"},
		"T2":    {"T2", "'+1+1"},
		"T3":    {"T3", "'@SUM(A1)"},
		"T4":    {"T4", "毛娜"},
		"'\tT5": {"'\tT5", "'=1+1", "未签到", "否", "-1.5", "96"}, // encoding/csv drops a lone \r with CRLF line ends
	}
	for _, row := range rows[1:] {
		w, ok := want[row[0]]
		if !ok {
			t.Errorf("row %q", row)
			continue
		}
		for i, cell := range w {
			if row[i] != cell {
				t.Errorf("row %q: cell %d is %q, want %q", row[0], i, row[i], cell)
			}
		}
		if row[0] == "'\tT5" && row[len(row)-2] != "'=q1" && row[len(row)-1] != "'=q1" {
			t.Errorf("awaiting items of %q: %q", row[0], row)
		}
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && cell != "-1.5" {
				t.Errorf("row %q: cell %d %q begins a formula", row[0], i, cell)
			}
		}
		delete(want, row[0])
	}
	if len(want) > 0 {
		t.Errorf("rows missing: %v", want)
	}
}

// TestOnePaperVersionIsReleasedOnce: a paper version's questions are out
// once the first of its sessions is released, so every session of it is
// released at the same time; a session with another release time is
// refused, naming the session that fixed it, and so is one scheduled after
// that time has passed.
func TestOnePaperVersionIsReleasedOnce(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c := servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ctx := context.Background()
			first := c.Session // released at 08:50 on 1 December
			for name, spec := range map[string]server.SessionSpec{
				"another day":                           {Site: "SITE-001", Room: "A102", PaperID: first.PaperID, Start: servertest.Start.Add(48 * time.Hour)},
				"half an hour later":                    {Site: "SITE-002", Room: "B201", PaperID: first.PaperID, Start: servertest.Start.Add(30 * time.Minute)},
				"the same start, release 1 min earlier": {Site: "SITE-001", Room: "A102", PaperID: first.PaperID, Start: servertest.Start, ReleaseAt: first.ReleaseAt.Add(-time.Minute)},
			} {
				_, err := c.CreateSession(ctx, spec, "test")
				if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), first.ID) || !strings.Contains(err.Error(), "2026-12-01T08:50:00+08:00") {
					t.Errorf("%s: %v", name, err)
				}
			}
			// The same release time: another site, a start 45 minutes later.
			s, err := c.CreateSession(ctx, server.SessionSpec{Site: "SITE-002", Room: "B201", PaperID: first.PaperID, Start: servertest.Start.Add(45 * time.Minute), ReleaseAt: first.ReleaseAt}, "test")
			if err != nil || !s.ReleaseAt.Equal(first.ReleaseAt) {
				t.Fatalf("the same release time: %v", err)
			}
			if sessions, _ := c.Sessions(ctx); len(sessions) != 2 {
				t.Errorf("%d sessions, want 2", len(sessions))
			}
			// Once released, the paper version takes no new session.
			c.Clock.Set(first.ReleaseAt.Add(time.Second))
			_, err = c.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: "A102", PaperID: first.PaperID, Start: servertest.Start, ReleaseAt: first.ReleaseAt}, "test")
			if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "released") {
				t.Errorf("a session of a released paper: %v", err)
			}
		})
	}
}
