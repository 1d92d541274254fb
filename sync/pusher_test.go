package sync_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"onex/exam"
	"onex/exam/seal"
	osync "onex/sync"
)

// fastRetry keeps the tests quick: waits of a few milliseconds.
var fastRetry = osync.RetryPolicy{Retries: 3, WaitMin: time.Millisecond, WaitMax: 20 * time.Millisecond, Timeout: 5 * time.Second}

// memOutbox is an in-memory outbox; the site's store is tested in client/store.
type memOutbox struct {
	mu        gosync.Mutex
	recs      []osync.Outgoing
	delivered map[string]osync.Delivery
	refused   map[string]osync.Refusal
}

func (o *memOutbox) Pending(_ context.Context, max, maxBytes int) ([]osync.Outgoing, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []osync.Outgoing
	size := 0
	for _, r := range o.recs {
		if _, ok := o.delivered[r.RecordID]; ok {
			continue
		}
		if _, ok := o.refused[r.RecordID]; ok {
			continue
		}
		if len(out) == max || len(out) > 0 && size+len(r.Envelope) > maxBytes {
			break
		}
		size += len(r.Envelope)
		out = append(out, r)
	}
	return out, nil
}

func (o *memOutbox) Delivered(_ context.Context, ds []osync.Delivery) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range ds {
		o.delivered[d.RecordID] = d
	}
	return nil
}

func (o *memOutbox) Refused(_ context.Context, rs []osync.Refusal) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range rs {
		o.refused[r.RecordID] = r
	}
	return nil
}

func (o *memOutbox) pending() int {
	p, _ := o.Pending(context.Background(), 1<<30, 1<<62)
	return len(p)
}

// fixture is a device with n sealed records and a central answering batches.
type fixture struct {
	t       *testing.T
	ck      *seal.CentralKeys
	outbox  *memOutbox
	srv     *httptest.Server
	calls   atomic.Int32
	mu      gosync.Mutex
	bodies  map[[32]byte]int // hash of each request body seen
	handler func(call int, w http.ResponseWriter, b osync.Batch) bool
	signer  *seal.CentralKeys // signs receipts; ck unless a test forges them
	outcome func(i int) osync.Outcome
	device  *osync.Signer
	nonces  map[string]int // of each request seen
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	ck, _ := seal.GenerateCentralKeys()
	dk, _ := seal.GenerateDeviceKey()
	f := &fixture{t: t, ck: ck, signer: ck, outbox: &memOutbox{delivered: map[string]osync.Delivery{}, refused: map[string]osync.Refusal{}},
		bodies: map[[32]byte]int{}, nonces: map[string]int{}, device: &osync.Signer{DeviceID: "dev-1", Key: dk}}
	var prev seal.Hash
	for i := range n {
		pt, _ := json.Marshal(osync.CheckIn{SessionID: "S1", Ticket: fmt.Sprintf("T%03d", i), Status: exam.Present})
		env, err := seal.SealRecord(dk, ck.Public(), seal.Header{DeviceID: "dev-1", Epoch: 1, Seq: uint64(i + 1), Prev: prev, Kind: osync.KindCheckIn, Created: time.Now()}, pt)
		if err != nil {
			t.Fatal(err)
		}
		prev = env.Hash
		f.outbox.recs = append(f.outbox.recs, osync.Outgoing{RecordID: env.Header.RecordID.String(), Envelope: env.Bytes})
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) serve(w http.ResponseWriter, r *http.Request) {
	call := int(f.calls.Add(1))
	var body bytes.Buffer
	body.ReadFrom(r.Body)
	a, sig, err := osync.ParseAuth(r.Method, r.RequestURI, r.Header)
	if err == nil {
		err = a.Verify(f.device.Key.Public(), sig, time.Now())
	}
	if err != nil || a.BodyHash != osync.BodyHash(body.Bytes()) {
		f.t.Errorf("call %d: a batch not signed as the device's: %v", call, err)
	}
	f.mu.Lock()
	f.bodies[sha256.Sum256(body.Bytes())]++
	f.nonces[a.Nonce]++
	f.mu.Unlock()
	var b osync.Batch
	if err := json.Unmarshal(body.Bytes(), &b); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(osync.Problem{Error: "bad batch"})
		return
	}
	if f.handler != nil && f.handler(call, w, b) {
		return
	}
	resp := osync.BatchResponse{ServerTime: time.Now()}
	for i, env := range b.Envelopes {
		h, err := seal.ParseHeader(env)
		if err != nil {
			f.t.Error(err)
			return
		}
		out := osync.Accepted
		if f.outcome != nil {
			out = f.outcome(i)
		}
		res := osync.RecordResult{RecordID: h.RecordID.String(), Outcome: out}
		switch out {
		case osync.Accepted, osync.Duplicate:
			res.Receipt, _ = seal.SignReceipt(f.signer, &seal.Receipt{RecordID: h.RecordID, EnvelopeHash: seal.EnvelopeHash(env), ServerSeq: uint64(call*1000 + i), ServerTime: time.Now()})
		default:
			res.Reason = "refused for the test"
		}
		resp.Results = append(resp.Results, res)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (f *fixture) pusher(url string) *osync.Pusher {
	f.t.Helper()
	p, err := osync.NewPusher(osync.PusherConfig{ServerURL: url, Signer: f.device, Central: f.ck.Public(), Outbox: f.outbox,
		Client: osync.NewClient(fastRetry, nil), MaxRecords: 4})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func TestPushDeliversOnVerifiedReceipts(t *testing.T) {
	f := newFixture(t, 10)
	stats, err := f.pusher(f.srv.URL).Push(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Accepted != 10 || stats.Batches != 3 || f.outbox.pending() != 0 {
		t.Fatalf("stats %+v, %d pending", stats, f.outbox.pending())
	}
	for id, d := range f.outbox.delivered {
		if _, err := seal.OpenReceipt(f.ck.Public(), d.Receipt); err != nil || d.RecordID != id || d.ServerSeq == 0 {
			t.Fatalf("delivery %+v: %v", d, err)
		}
	}
}

func TestRetriesTransientStatusesWithTheSameBytes(t *testing.T) {
	for _, status := range []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFixture(t, 3)
			f.handler = func(call int, w http.ResponseWriter, _ osync.Batch) bool {
				if call <= 2 {
					w.Header().Set("Retry-After", "3600") // capped at WaitMax
					w.WriteHeader(status)
					return true
				}
				return false
			}
			start := time.Now()
			stats, err := f.pusher(f.srv.URL).Push(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if stats.Accepted != 3 || f.calls.Load() != 3 {
				t.Fatalf("stats %+v after %d calls", stats, f.calls.Load())
			}
			if len(f.bodies) != 1 || len(f.nonces) != 3 {
				t.Fatalf("retries sent %d different bodies with %d nonces, want 1 body with 3", len(f.bodies), len(f.nonces))
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("Retry-After was not capped: %v", d)
			}
		})
	}
}

// TestRefusedSignaturesAreRetriedAfresh: a batch central refused as
// replayed (the network delivered it twice) is signed again with a new
// nonce; one refused for its time is signed again with central's time from
// Date, which the device learns. Any other refusal is final.
func TestRefusedSignaturesAreRetriedAfresh(t *testing.T) {
	for _, tc := range []struct {
		code      string
		retried   bool
		deviceOff time.Duration
	}{
		{osync.RefusedReplayed, true, 0},
		{osync.RefusedTime, true, time.Hour},
		{osync.RefusedSignature, false, 0},
		{osync.RefusedBody, false, 0},
	} {
		t.Run(tc.code, func(t *testing.T) {
			f := newFixture(t, 2)
			var learnt time.Duration
			f.device.Clock = func() time.Time { return time.Now().Add(tc.deviceOff) }
			f.device.Offset = func() time.Duration { return learnt }
			f.device.Learn = func(central, local time.Time) { learnt = central.Sub(local) }
			var times []int64
			inner := f.srv.Config.Handler
			f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				at, _ := strconv.ParseInt(r.Header.Get(osync.HeaderTime), 10, 64)
				times = append(times, at)
				if len(times) == 1 {
					w.Header().Set("WWW-Authenticate", osync.AuthScheme+` error="`+tc.code+`"`)
					w.WriteHeader(http.StatusUnauthorized)
					json.NewEncoder(w).Encode(osync.Problem{Error: "refused", Code: tc.code})
					return
				}
				inner.ServeHTTP(w, r)
			})
			stats, err := f.pusher(f.srv.URL).Push(context.Background())
			if !tc.retried {
				var se *osync.StatusError
				if !errors.As(err, &se) || se.Code != tc.code || len(times) != 1 || f.outbox.pending() != 2 {
					t.Fatalf("err %v after %d calls, %d pending", err, len(times), f.outbox.pending())
				}
				return
			}
			if err != nil || stats.Accepted != 2 || len(times) != 2 {
				t.Fatalf("stats %+v, err %v, %d calls", stats, err, len(times))
			}
			if off := time.Unix(times[1], 0).Sub(time.Now()); off.Abs() > 5*time.Second {
				t.Errorf("the retry was signed %v off central's clock", off)
			}
		})
	}
}

func TestFinalAnswersAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status      int
		unreachable bool
	}{
		{http.StatusInternalServerError, true},
		{http.StatusNotImplemented, true},
		{http.StatusBadRequest, false},
		{http.StatusUnauthorized, false},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			f := newFixture(t, 2)
			f.handler = func(_ int, w http.ResponseWriter, _ osync.Batch) bool {
				w.WriteHeader(tc.status)
				json.NewEncoder(w).Encode(osync.Problem{Error: "no"})
				return true
			}
			_, err := f.pusher(f.srv.URL).Push(context.Background())
			var se *osync.StatusError
			if !errors.As(err, &se) || se.Status != tc.status || se.Problem != "no" {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, osync.ErrUnreachable) != tc.unreachable {
				t.Fatalf("errors.Is(ErrUnreachable) = %v", !tc.unreachable)
			}
			if f.calls.Load() != 1 || f.outbox.pending() != 2 {
				t.Fatalf("%d calls, %d pending", f.calls.Load(), f.outbox.pending())
			}
		})
	}
}

func TestTransportErrorIsUnreachable(t *testing.T) {
	f := newFixture(t, 2)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := f.pusher("http://" + addr).Push(context.Background())
	if !errors.Is(err, osync.ErrUnreachable) {
		t.Fatalf("err = %v", err)
	}
	if f.outbox.pending() != 2 {
		t.Fatal("records left the outbox while central was unreachable")
	}
}

func TestReceiptsThatDoNotVerifyKeepTheRecords(t *testing.T) {
	f := newFixture(t, 3)
	f.signer, _ = seal.GenerateCentralKeys()
	stats, err := f.pusher(f.srv.URL).Push(context.Background())
	if !errors.Is(err, osync.ErrNoProgress) || stats.BadReceipts != 3 || f.outbox.pending() != 3 {
		t.Fatalf("stats %+v, err %v, %d pending", stats, err, f.outbox.pending())
	}
}

func TestRefusedRecordsKeepTheReason(t *testing.T) {
	f := newFixture(t, 4)
	f.outcome = func(i int) osync.Outcome {
		return []osync.Outcome{osync.Accepted, osync.Duplicate, osync.Conflict, osync.Rejected}[i]
	}
	stats, err := f.pusher(f.srv.URL).Push(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Accepted != 1 || stats.Duplicate != 1 || stats.Conflict != 1 || stats.Rejected != 1 {
		t.Fatalf("stats %+v", stats)
	}
	if len(f.outbox.refused) != 2 {
		t.Fatalf("refused %+v", f.outbox.refused)
	}
	for _, r := range f.outbox.refused {
		if r.Reason != "refused for the test" {
			t.Fatalf("reason %q", r.Reason)
		}
	}
}

func TestTooLargeBatchesShrink(t *testing.T) {
	f := newFixture(t, 7)
	f.handler = func(_ int, w http.ResponseWriter, b osync.Batch) bool {
		if len(b.Envelopes) > 1 {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return true
		}
		return false
	}
	stats, err := f.pusher(f.srv.URL).Push(context.Background())
	if err != nil || stats.Accepted != 7 || f.outbox.pending() != 0 {
		t.Fatalf("stats %+v, err %v", stats, err)
	}
}

func TestRunOutlastsAnOutage(t *testing.T) {
	f := newFixture(t, 5)
	var down atomic.Bool
	down.Store(true)
	f.handler = func(_ int, w http.ResponseWriter, _ osync.Batch) bool {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	var logs bytes.Buffer
	p, err := osync.NewPusher(osync.PusherConfig{ServerURL: f.srv.URL, Signer: f.device, Central: f.ck.Public(), Outbox: f.outbox,
		Client: osync.NewClient(osync.RetryPolicy{Retries: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond, Timeout: time.Second}, nil),
		Log:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		p.Run(ctx, osync.RunPolicy{Idle: time.Hour, RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
		close(done)
	}()
	time.Sleep(100 * time.Millisecond)
	if f.outbox.pending() != 5 {
		t.Fatal("records left during the outage")
	}
	down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for f.outbox.pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if f.outbox.pending() != 0 {
		t.Fatalf("%d records still pending after the outage", f.outbox.pending())
	}
	if !strings.Contains(logs.String(), "push failed") {
		t.Fatalf("the outage was not logged:\n%s", logs.String())
	}
}

func TestBackoff(t *testing.T) {
	min, max := 100*time.Millisecond, 2*time.Second
	resp := func(status int, retryAfter string) *http.Response {
		r := &http.Response{StatusCode: status, Header: http.Header{}}
		if retryAfter != "" {
			r.Header.Set("Retry-After", retryAfter)
		}
		return r
	}
	for _, tc := range []struct {
		name     string
		attempt  int
		resp     *http.Response
		lo, hi   time.Duration
		constant bool
	}{
		{"first wait", 0, nil, 50 * time.Millisecond, 100 * time.Millisecond, false},
		{"doubles", 2, nil, 200 * time.Millisecond, 400 * time.Millisecond, false},
		{"capped", 20, nil, time.Second, 2 * time.Second, false},
		{"retry-after seconds", 0, resp(429, "1"), time.Second, time.Second, true},
		{"retry-after capped", 0, resp(503, "86400"), 2 * time.Second, 2 * time.Second, true},
		{"retry-after date", 0, resp(503, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)), 2 * time.Second, 2 * time.Second, true},
		{"retry-after garbage", 0, resp(503, "soon"), 50 * time.Millisecond, 100 * time.Millisecond, false},
		{"retry-after negative", 0, resp(503, "-5"), 50 * time.Millisecond, 100 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 50 {
				d := osync.Backoff(min, max, tc.attempt, tc.resp)
				if d < tc.lo || d > tc.hi {
					t.Fatalf("backoff %v outside %v..%v", d, tc.lo, tc.hi)
				}
				seen[d] = true
			}
			if !tc.constant && len(seen) < 2 {
				t.Fatal("no jitter")
			}
		})
	}
}

func TestCheckRetry(t *testing.T) {
	ctx := context.Background()
	for status, want := range map[int]bool{200: false, 400: false, 408: true, 413: false, 429: true, 500: false, 501: false, 502: true, 503: true, 504: true} {
		if got, _ := osync.CheckRetry(ctx, &http.Response{StatusCode: status}, nil); got != want {
			t.Errorf("CheckRetry(%d) = %v, want %v", status, got, want)
		}
	}
	if got, _ := osync.CheckRetry(ctx, nil, errors.New("connection refused")); !got {
		t.Error("a transport error is not retried")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if got, _ := osync.CheckRetry(cancelled, nil, errors.New("connection refused")); got {
		t.Error("retrying after the context is done")
	}
}

func FuzzBackoffRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", "-1", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", " 5 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {h}}}
		if d := osync.Backoff(time.Millisecond, time.Second, 3, r); d < 0 || d > time.Second {
			t.Fatalf("Retry-After %q gave %v", h, d)
		}
	})
}

// TestTransportErrorSaysWhy: a request that got no answer says why, so that
// the site can tell staff what to look at: nothing listening (refused), no
// answer in the time a try has (timeout), no route or a name that does not
// resolve (no network). It fails on the code before issue 12, whose
// TransportError kept only the text.
func TestTransportErrorSaysWhy(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + closed.Addr().String()
	closed.Close()
	// A central that takes the connection and never answers.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	var mu gosync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	for _, tc := range []struct {
		name, url string
		want      error
	}{
		{"refused", refused, osync.ErrConnRefused},
		{"timeout", "http://" + silent.Addr().String(), osync.ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2)
			p, err := osync.NewPusher(osync.PusherConfig{ServerURL: tc.url, Signer: f.device, Central: f.ck.Public(), Outbox: f.outbox,
				Client: osync.WithRetry(osync.NewClient(fastRetry, nil), osync.RetryPolicy{Retries: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond, Timeout: 300 * time.Millisecond})})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = p.Push(context.Background())
			if !errors.Is(err, osync.ErrUnreachable) || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("two tries of 300 ms took %s", d)
			}
			if f.outbox.pending() != 2 {
				t.Fatal("records left the outbox")
			}
		})
	}
	// The causes a test machine cannot stage reliably, as the net package
	// reports them.
	dial := func(errno syscall.Errno) error {
		return &url.Error{Op: "Post", URL: "https://central.example.cn/api/v1/records?x=secret", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}}
	}
	for _, tc := range []struct {
		err  error
		want error
	}{
		{dial(syscall.ENETUNREACH), osync.ErrNoNetwork},
		{dial(syscall.EHOSTUNREACH), osync.ErrNoNetwork},
		{dial(syscall.ECONNREFUSED), osync.ErrConnRefused},
		{&url.Error{Op: "Post", URL: "https://central.example.cn/", Err: &net.DNSError{Err: "no such host", Name: "central.example.cn", IsNotFound: true}}, osync.ErrNoNetwork},
		{&url.Error{Op: "Post", URL: "https://central.example.cn/", Err: &net.DNSError{Err: "i/o timeout", Name: "central.example.cn", IsTimeout: true}}, osync.ErrTimeout},
		{context.DeadlineExceeded, osync.ErrTimeout},
		{dial(syscall.ECONNRESET), nil},
	} {
		err := osync.TransportError(tc.err)
		for _, cause := range []error{osync.ErrTimeout, osync.ErrConnRefused, osync.ErrNoNetwork} {
			if errors.Is(err, cause) != (cause == tc.want) || !errors.Is(err, osync.ErrUnreachable) {
				t.Errorf("TransportError(%v) = %v, want %v", tc.err, err, tc.want)
			}
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("TransportError names the query: %v", err)
		}
	}
}

// TestPushReportsProgress: Progress hears each batch before it goes and
// after it is settled, with the running totals.
func TestPushReportsProgress(t *testing.T) {
	f := newFixture(t, 10)
	var seen []osync.PushProgress
	p, err := osync.NewPusher(osync.PusherConfig{ServerURL: f.srv.URL, Signer: f.device, Central: f.ck.Public(), Outbox: f.outbox,
		Client: osync.NewClient(fastRetry, nil), MaxRecords: 4, Progress: func(pp osync.PushProgress) { seen = append(seen, pp) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	type step struct{ sending, sent, delivered int }
	want := []step{{4, 0, 0}, {0, 4, 4}, {4, 4, 4}, {0, 8, 8}, {2, 8, 8}, {0, 10, 10}}
	if len(seen) != len(want) {
		t.Fatalf("progress %+v", seen)
	}
	for i, w := range want {
		if g := (step{seen[i].Sending, seen[i].Sent, seen[i].Delivered()}); g != w {
			t.Fatalf("progress %d: %+v, want %+v", i, g, w)
		}
	}
}
