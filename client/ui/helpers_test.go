package ui

import (
	"context"
	"onex/exam/seal"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	"onex/exam"
	"onex/server/servertest"
	wire "onex/sync"
)

// TestMain: the fast tier (go test -short) wraps store keys cheaply.
func TestMain(m *testing.M) {
	seal.CheapStoreKeysInShortTests()
	os.Exit(m.Run())
}

const (
	pass    = "考点口令 for tests"
	proctor = "张监考"
)

// skewClock is the real clock moved by a settable amount.
type skewClock struct {
	mu   gosync.Mutex
	skew time.Duration
}

func (c *skewClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *skewClock) Add(d time.Duration) {
	c.mu.Lock()
	c.skew += d
	c.mu.Unlock()
}

// rig is the app on Fyne's test driver over a real central.
type rig struct {
	t       *testing.T
	fa      fyne.App
	central *servertest.Central
	clock   *skewClock
	opt     Options
	a       *App
}

func newRig(t *testing.T, opts ...servertest.Option) *rig {
	t.Helper()
	return newRigOn(t, servertest.New(t, opts...))
}

// newRigOn is newRig with central c.
func newRigOn(t *testing.T, c *servertest.Central) *rig {
	t.Helper()
	r := &rig{t: t, fa: test.NewTempApp(t), central: c, clock: &skewClock{}}
	r.opt = Options{
		Site: site.Config{Dir: t.TempDir(), Now: r.clock.Now,
			HTTP: wire.NewClient(wire.RetryPolicy{Retries: 1, WaitMin: 5 * time.Millisecond, WaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second}, nil)},
		Server: r.central.URL,
		Tick:   -1,
	}
	t.Cleanup(func() {
		if r.a != nil {
			r.a.Close()
		}
		UseLanguage(Chinese)
	})
	return r
}

// start starts the app and waits for what it does first.
func (r *rig) start() *App {
	r.t.Helper()
	r.a = New(r.fa, r.opt)
	r.a.Start()
	r.wait()
	return r.a
}

// enrol enrols the site with central, as the first-run screen would.
func (r *rig) enrol() {
	r.t.Helper()
	cfg := r.opt.Site
	cfg.Passphrase = pass
	s, err := site.Enrol(context.Background(), cfg, site.EnrolOptions{ServerURL: r.central.URL, Code: r.central.EnrolCode(r.t)})
	if err != nil {
		r.t.Fatal(err)
	}
	s.Close()
}

// enrolled enrols the site and starts the app with the passphrase given,
// on the station, with the proctor on duty known.
func (r *rig) enrolled() *App {
	r.t.Helper()
	r.enrol()
	r.fa.Preferences().SetString(prefProctor, proctor)
	r.opt.Passphrase = pass
	a := r.start()
	if a.station == nil {
		r.t.Fatal("the station is not shown")
	}
	return a
}

// wait waits for the app's background work and the candidates' saves.
func (r *rig) wait() {
	r.a.jobs.Wait()
	for c := range r.a.cands {
		c.saver.wait()
	}
}

// startRoom releases the paper at central's release time and starts the room.
func (r *rig) startRoom() {
	r.t.Helper()
	r.central.Release()
	ctx := context.Background()
	if err := r.a.site.Release(ctx, r.central.Session.ID); err != nil {
		r.t.Fatal(err)
	}
	if err := r.a.site.StartRoom(ctx, r.central.Session.ID, proctor); err != nil {
		r.t.Fatal(err)
	}
	r.a.station.sessionsChanged()
}

// checkIn checks a candidate in present through the site.
func (r *rig) checkIn(ticket string) {
	r.t.Helper()
	_, err := r.a.site.CheckIn(context.Background(), r.central.Session.ID, site.CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true})
	if err != nil {
		r.t.Fatal(err)
	}
}

// objects are the visible objects of a canvas, its overlays (dialogs) included.
func objects(c fyne.Canvas) []fyne.CanvasObject {
	return objectsIn(append([]fyne.CanvasObject{c.Content()}, c.Overlays().List()...)...)
}

// objectsIn are the visible objects under roots.
func objectsIn(roots ...fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, k := range x.Objects {
				walk(k)
			}
		case fyne.Widget:
			for _, k := range test.WidgetRenderer(x).Objects() {
				walk(k)
			}
		}
	}
	for _, o := range roots {
		walk(o)
	}
	return out
}

// button finds the visible button labelled text, or fails.
func button(t *testing.T, c fyne.Canvas, text string) *widget.Button {
	t.Helper()
	for _, o := range objects(c) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q on screen", text)
	return nil
}

// shows tells whether some visible label, text or button of the canvas contains s.
func shows(c fyne.Canvas, s string) bool {
	for _, o := range objects(c) {
		switch x := o.(type) {
		case *widget.Label:
			if strings.Contains(x.Text, s) {
				return true
			}
		case *widget.RichText:
			if strings.Contains(x.String(), s) {
				return true
			}
		case *widget.Button:
			if strings.Contains(x.Text, s) {
				return true
			}
		}
	}
	return false
}

// entries are the visible entries of a canvas, in order.
func entries(c fyne.Canvas) []*widget.Entry {
	var out []*widget.Entry
	for _, o := range objects(c) {
		switch x := o.(type) {
		case *widget.Entry:
			out = append(out, x)
		case *examEntry:
			out = append(out, &x.Entry)
		}
	}
	return out
}

// tap taps a button that must be enabled.
func tap(t *testing.T, b *widget.Button) {
	t.Helper()
	if b.Disabled() {
		t.Fatalf("button %q is disabled", b.Text)
	}
	test.Tap(b)
}

// typeFocused types s as a keyboard would: each character to whatever has
// the focus when it is typed.
func typeFocused(t *testing.T, c fyne.Canvas, s string) {
	t.Helper()
	for _, r := range s {
		f := c.Focused()
		if f == nil {
			t.Fatalf("nothing has the focus to take %q", r)
		}
		f.TypedRune(r)
	}
}
