package drill_test

import (
	"context"
	"os"
	"reflect"
	"testing"
	"time"

	"onex/client/drill"
	"onex/client/site"
	"onex/exam"
	"onex/exam/seal"
	"onex/server/servertest"
	wire "onex/sync"
)

func TestMain(m *testing.M) {
	seal.CheapStoreKeysInShortTests()
	if os.Getenv(stationDirEnv) != "" {
		stationChild()
		return
	}
	os.Exit(m.Run())
}

const pass = "station passphrase for tests"

// released is a station enrolled with a real central, its session
// downloaded and released, the room not started.
func released(t testing.TB, opts ...servertest.Option) (*servertest.Central, *site.Site, string) {
	t.Helper()
	return releasedWith(t, servertest.New(t, opts...))
}

// releasedWith is released with central c.
func releasedWith(t testing.TB, c *servertest.Central) (*servertest.Central, *site.Site, string) {
	t.Helper()
	ctx := context.Background()
	cfg := site.Config{Dir: t.TempDir(), Passphrase: pass,
		HTTP: wire.NewClient(wire.RetryPolicy{Retries: 2, WaitMin: 5 * time.Millisecond, WaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second}, nil)}
	s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(t), DeviceName: "A101 工作站"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c.Release()
	if err := s.Release(ctx, c.Session.ID); err != nil {
		t.Fatal(err)
	}
	return c, s, cfg.Dir
}

// TestFortyTerminalsSitASession: forty terminals sit the sample session
// through the room server over TLS; every change a terminal saw
// acknowledged is in the station's store, and after sync at central.
func TestFortyTerminalsSitASession(t *testing.T) {
	c, s, _ := released(t)
	ctx := context.Background()
	rep, err := drill.Run(ctx, s, drill.Options{DrillOptions: site.DrillOptions{SessionID: c.Session.ID, Seed: 13}, Terminals: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Submissions) != 40 || !rep.Ended || rep.AtStation+rep.Journalled != rep.Saves+rep.Flags {
		t.Fatalf("drill: %d submissions, ended %v, %d+%d acknowledged of %d saves and %d flags", len(rep.Submissions), rep.Ended,
			rep.AtStation, rep.Journalled, rep.Saves, rep.Flags)
	}
	t.Logf("reliability: 40 terminals: %d changes, acknowledged in p50 %v p99 %v, %d journalled first", rep.AtStation+rep.Journalled, rep.AckP50, rep.AckP99, rep.Journalled)
	for _, sub := range rep.Submissions {
		if sub.ReceiptCode == "" {
			t.Errorf("ticket %s: no receipt code", sub.Ticket)
		}
	}
	checkStation(t, s, c.Session.ID, rep.Saved)
}

// checkStation checks that the station's store holds, for each candidate,
// the last answer they saved to each item on their terminal.
func checkStation(t *testing.T, s *site.Site, sessionID string, saved map[string]map[string]exam.Answer) {
	t.Helper()
	for ticket, items := range saved {
		got, err := s.Answers(context.Background(), sessionID, ticket)
		if err != nil {
			t.Fatal(err)
		}
		for item, want := range items {
			if g := got[item]; !reflect.DeepEqual(g, want) && (want.Answered() || g.Answered()) {
				t.Errorf("ticket %s item %s: the station holds %+v, the terminal saved %+v", ticket, item, g, want)
			}
		}
	}
}
