package site_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"onex/exam/seal"
	"os"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/server/servertest"
	wire "onex/sync"
)

// TestMain: the fast tier (go test -short) wraps store keys cheaply.
func TestMain(m *testing.M) {
	seal.CheapStoreKeysInShortTests()
	os.Exit(m.Run())
}

const pass = "site passphrase for tests"

// clock is the site's clock: the real one (with its monotonic reading)
// moved by a settable amount.
type clock struct {
	mu   gosync.Mutex
	skew time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.skew += d
	c.mu.Unlock()
}

// rig is a site enrolled with a real central, the sample session downloaded.
type rig struct {
	t       testing.TB
	central *servertest.Central
	cfg     site.Config
	clock   *clock
	logs    *servertest.LogBuffer
	s       *site.Site
	session string
}

func fastHTTP() site.Config {
	return site.Config{HTTP: wire.NewClient(wire.RetryPolicy{Retries: 2, WaitMin: 5 * time.Millisecond, WaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second}, nil)}
}

func newRig(t testing.TB) *rig { return newRigVia(t, nil) }

// newRigVia is newRig with the site talking to central through wrap(URL).
func newRigVia(t testing.TB, wrap func(string) string) *rig {
	t.Helper()
	r := enrolRig(t, wrap)
	if _, err := r.s.Download(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return r
}

// enrolRig is a site enrolled with a new central, nothing downloaded.
func enrolRig(t testing.TB, wrap func(string) string) *rig {
	t.Helper()
	return enrolRigWith(t, servertest.New(t), wrap)
}

// enrolRigWith is enrolRig with central c.
func enrolRigWith(t testing.TB, c *servertest.Central, wrap func(string) string) *rig {
	t.Helper()
	clk := &clock{}
	logs := &servertest.LogBuffer{}
	cfg := fastHTTP()
	cfg.Dir, cfg.Passphrase, cfg.Now = t.TempDir(), pass, clk.Now
	cfg.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	url := c.URL
	if wrap != nil {
		url = wrap(url)
	}
	s, err := site.Enrol(context.Background(), cfg, site.EnrolOptions{ServerURL: url, Code: c.EnrolCode(t), DeviceName: "A101 主机"})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, central: c, cfg: cfg, clock: clk, logs: logs, s: s, session: c.Session.ID}
	t.Cleanup(func() { r.s.Close() })
	return r
}

// openRaw opens a site's database file with plain SQL, as whoever copied it would.
func openRaw(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// reopen closes the site and opens it again, as after a restart.
func (r *rig) reopen() {
	r.t.Helper()
	if err := r.s.Close(); err != nil {
		r.t.Fatal(err)
	}
	s, err := site.Open(context.Background(), r.cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.s = s
}

// released releases the paper online and starts the room.
func (r *rig) started() {
	r.t.Helper()
	ctx := context.Background()
	r.central.Release()
	if err := r.s.Release(ctx, r.session); err != nil {
		r.t.Fatal(err)
	}
	if err := r.s.StartRoom(ctx, r.session, "张监考"); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) checkIn(ticket string) {
	r.t.Helper()
	if _, err := r.s.CheckIn(context.Background(), r.session, site.CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true}); err != nil {
		r.t.Fatal(err)
	}
}

func samplePaper(t testing.TB) *exam.Paper {
	t.Helper()
	p, err := exam.ReadPaper(servertest.Sample(t, "paper-web-elementary.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOneCandidateEndToEnd(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	sessions, err := r.s.Sessions(ctx)
	if err != nil || len(sessions) != 1 || sessions[0].ID != r.session || sessions[0].Released || sessions[0].Candidates != 40 {
		t.Fatalf("sessions %+v, %v", sessions, err)
	}
	var early *site.TooEarlyError
	if err := r.s.Release(ctx, r.session); !errors.As(err, &early) || early.Remaining <= 0 {
		t.Fatalf("release before time: %v", err)
	}
	if err := r.s.StartRoom(ctx, r.session, "张监考"); !errors.Is(err, site.ErrNotReleased) {
		t.Fatalf("start before release: %v", err)
	}
	r.checkIn("2026WEB010001")
	if _, err := r.s.Begin(ctx, r.session, "2026WEB010001"); !errors.Is(err, site.ErrNotReleased) {
		t.Fatalf("begin before release: %v", err)
	}
	r.started()
	e, err := r.s.Begin(ctx, r.session, "2026WEB010001")
	if err != nil {
		t.Fatal(err)
	}
	if e.SessionID() != r.session || e.Ticket() != "2026WEB010001" {
		t.Fatalf("exam of %s %s", e.SessionID(), e.Ticket())
	}
	v, err := e.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	paper := samplePaper(t)
	if v.Title != paper.Title || len(v.Sections) != len(paper.Sections) || v.Remaining <= 89*time.Minute {
		t.Fatalf("view: %q, %d sections, %v left", v.Title, len(v.Sections), v.Remaining)
	}
	// An answer the item does not take is the caller's input error, naming
	// the item; nothing is saved.
	for _, tc := range []struct {
		item string
		ans  exam.Answer
		want string
	}{
		{"q1", exam.Answer{Choices: []string{"z"}}, `invalid input: item q1: "z" is not a choice of this item`},
		{"q8", exam.Answer{Text: strings.Repeat("字", 501)}, "invalid input: item q8: the text has 501 characters, at most 500"},
		{"q10", exam.Answer{Choices: []string{"a"}}, "invalid input: item q10: a essay item takes text, not choices"},
	} {
		if err := e.Save(ctx, tc.item, tc.ans); !errors.Is(err, site.ErrInput) || err.Error() != tc.want {
			t.Errorf("save %s %+v: err = %v, want %q", tc.item, tc.ans, err, tc.want)
		}
	}
	want := map[string]exam.Answer{}
	for _, sec := range v.Sections {
		for _, it := range sec.Items {
			var a exam.Answer
			switch it.Type {
			case exam.Single, exam.TrueFalse:
				if it.Type == exam.TrueFalse {
					a.Choices = []string{"true"}
				} else {
					a.Choices = []string{it.Options[0].ID}
				}
			case exam.Multiple:
				a.Choices = []string{it.Options[0].ID, it.Options[1].ID}
			case exam.Fill:
				a.Text = "ＡＵＴＯ"
			case exam.Essay:
				a.Text = "语义化标签让结构清楚。"
			case exam.Practical:
				if err := e.Save(ctx, it.ID, exam.Answer{Text: "x"}); !errors.Is(err, site.ErrInput) {
					t.Fatalf("answering a practical item: %v", err)
				}
				continue
			}
			if err := e.Save(ctx, it.ID, a); err != nil {
				t.Fatalf("save %s: %v", it.ID, err)
			}
			want[it.ID] = a
		}
	}
	if err := e.Flag(ctx, "q1", true); err != nil {
		t.Fatal(err)
	}
	v, _ = e.View(ctx)
	for _, sec := range v.Sections {
		for _, it := range sec.Items {
			if it.ID == "q1" && (!it.Flagged || !it.Answered) {
				t.Fatalf("q1 after flagging: %+v", it)
			}
		}
	}
	got, err := r.s.Answers(ctx, r.session, "2026WEB010001")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("answers %v, want %v", got, want)
	}
	sub, err := e.Submit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$`).MatchString(sub.ReceiptCode) || sub.Forced {
		t.Fatalf("submission %+v", sub)
	}
	if err := e.Save(ctx, "q1", exam.Answer{Choices: []string{"a"}}); !errors.Is(err, site.ErrSubmitted) {
		t.Fatalf("save after submission: %v", err)
	}
	if again, _ := e.Submit(ctx); again != sub {
		t.Fatalf("second submit %+v, first %+v", again, sub)
	}
	if ok, _ := r.s.Receipted(ctx, r.session, "2026WEB010001"); ok {
		t.Fatal("receipted before any sync")
	}
	stats, err := r.s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Accepted == 0 {
		t.Fatalf("sync %+v", stats)
	}
	if ok, err := r.s.Receipted(ctx, r.session, "2026WEB010001"); !ok || err != nil {
		t.Fatalf("not receipted after sync: %v", err)
	}
	for _, res := range r.central.Results(t) {
		if res.Ticket != "2026WEB010001" {
			if res.Submitted {
				t.Fatalf("%s submitted at central", res.Ticket)
			}
			continue
		}
		score, err := paper.Score(got, nil, 60)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Submitted || res.Total != score.Total || res.Attendance != string(exam.Present) {
			t.Fatalf("central: %+v; site's answers score %v", res, score.Total)
		}
	}
	st, err := r.s.Status(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if st.Outbox.Pending != 0 || st.Outbox.Acked != 15 || !st.ServerReachable || st.Submissions != 1 || st.CheckIns != 1 || st.LastReceipt == nil {
		t.Fatalf("status %+v", st)
	}
}
