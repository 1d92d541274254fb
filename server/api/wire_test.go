package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// captured is a request as a network attacker saw it go by.
type captured struct {
	method, target string
	header         http.Header
	body           []byte
}

func capture(t *testing.T, req *http.Request) captured {
	t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
	}
	return captured{req.Method, req.URL.RequestURI(), req.Header.Clone(), body}
}

// send sends the captured request, byte for byte, to the central at base.
func (c captured) send(t *testing.T, base string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.target, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header.Clone()
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestCapturedRequestsCannotBeReplayed: a device's request seen on the
// wire and sent again, byte for byte, to the central that answered it or to
// another central process on the same database, is refused: the package
// list (names and ID numbers inside), and the release key 8 s later. Before
// requests carried a nonce, each replay within 15 minutes was answered.
// Copies sent to both processes at once are answered once.
func TestCapturedRequestsCannotBeReplayed(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c := servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine)))
			replica := c.Replica(t)
			d := c.Enrol(t, "SITE-001")
			pkg := capture(t, d.SignedRequest("GET", osync.PathPackage))
			if code, body := pkg.send(t, c.URL); code != 200 || !bytes.Contains(body, []byte(`"sessions":[{`)) {
				t.Fatalf("the device's own request: %d %.200s", code, body)
			}
			c.Release()
			rel := capture(t, d.SignedRequest("GET", osync.PathRelease(c.Session.ID)))
			if code, body := rel.send(t, c.URL); code != 200 || !bytes.Contains(body, []byte(`"key"`)) {
				t.Fatalf("the device's own release: %d %s", code, body)
			}
			c.Clock.Add(8 * time.Second)
			for _, to := range []struct{ name, url string }{{"same central", c.URL}, {"replica", replica}} {
				for _, req := range []captured{pkg, rel} {
					code, body := req.send(t, to.url)
					var p osync.Problem
					json.Unmarshal(body, &p)
					if code != http.StatusUnauthorized || !strings.Contains(p.Error, "replayed") || p.Code != osync.RefusedReplayed {
						t.Errorf("%s replayed to the %s: %d %.200s", req.target, to.name, code, body)
					}
				}
			}

			urls := []string{c.URL, replica}
			for round := range 5 {
				req := capture(t, d.SignedRequest("GET", osync.PathPackage+"?cursor="+strconv.Itoa(round)))
				var wg sync.WaitGroup
				codes := make([]int, 8)
				for i := range codes {
					wg.Go(func() { codes[i], _ = req.send(t, urls[i%2]) })
				}
				wg.Wait()
				if countOf(codes, 200) != 1 || countOf(codes, 401) != len(codes)-1 {
					t.Errorf("round %d: 8 copies at once answered %v, want one 200", round, codes)
				}
			}
		})
	}
}

func countOf(codes []int, code int) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

// TestSignatureCoversQueryAndBody: the query and the body are signed. A
// changed cursor, or a batch body changed under the device's signature, is
// refused and stores nothing; before, the signature covered the path only
// and a batch none at all.
func TestSignatureCoversQueryAndBody(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	req := d.SignedRequest("GET", osync.PathPackage+"?cursor=1000000")
	req.URL.RawQuery = "cursor=0"
	if code, body := do(t, req); code != http.StatusUnauthorized {
		t.Errorf("cursor changed under the signature: %d %.200s", code, body)
	}

	a := d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes
	b := d.Seal(osync.KindIncident, osync.Incident{SessionID: c.Session.ID, Note: "停电"}).Bytes
	other := c.Enrol(t, "SITE-001").Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes
	for _, tc := range []struct {
		name string
		body func(sent []byte) []byte
	}{
		{"an envelope taken out", func([]byte) []byte { return batchBody(t, a) }},
		{"another device's envelope put in", func([]byte) []byte { return batchBody(t, a, b, other) }},
		{"a byte changed", func(sent []byte) []byte {
			sent = bytes.Clone(sent)
			sent[len(sent)/2] ^= 1
			return sent
		}},
		{"white space added", func(sent []byte) []byte { return append(bytes.Clone(sent), ' ') }},
	} {
		req := d.BatchRequest(a, b)
		sent, _ := io.ReadAll(req.Body)
		changed := tc.body(sent)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
		code, body := do(t, req)
		var p osync.Problem
		json.Unmarshal(body, &p)
		if code != http.StatusUnauthorized || p.Code != osync.RefusedBody {
			t.Errorf("%s: %d %.200s", tc.name, code, body)
		}
	}
	if chain, _ := c.Chain(t.Context(), d.ID); chain.Records != 0 {
		t.Errorf("central stored %d records of changed batches", chain.Records)
	}
	if code, resp := d.Push(a, b); code != 200 || resp.Results[0].Outcome != osync.Accepted || resp.Results[1].Outcome != osync.Accepted {
		t.Errorf("the batch as the device sent it: %d %+v", code, resp)
	}
}

func batchBody(t *testing.T, envs ...[]byte) []byte {
	t.Helper()
	b, err := json.Marshal(osync.Batch{Envelopes: envs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOnlyTheDeviceMovesItsClock: a device's last contact and clock skew
// change only with a request the device signed. Someone who replays one of
// its genuine envelopes with its id and a clock two days ahead, or replays
// its whole signed batch later, changes neither; before, the first did.
func TestOnlyTheDeviceMovesItsClock(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	env := d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes
	genuine := capture(t, d.BatchRequest(env))
	if code, _ := genuine.send(t, c.URL); code != 200 {
		t.Fatalf("the device's batch: %d", code)
	}
	before := deviceStatus(t, c, d.ID)
	c.Clock.Add(time.Minute)

	forged, err := http.NewRequest("POST", c.URL+osync.PathRecords, bytes.NewReader(batchBody(t, env)))
	if err != nil {
		t.Fatal(err)
	}
	forged.Header.Set("Content-Type", "application/json")
	forged.Header.Set(osync.HeaderDevice, d.ID)
	forged.Header.Set(osync.HeaderTime, strconv.FormatInt(c.Clock.Now().Add(48*time.Hour).Unix(), 10))
	if code, body := do(t, forged); code != http.StatusUnauthorized {
		t.Errorf("an unsigned batch: %d %.200s", code, body)
	}
	if code, body := genuine.send(t, c.URL); code != http.StatusUnauthorized {
		t.Errorf("the signed batch replayed: %d %.200s", code, body)
	}
	after := deviceStatus(t, c, d.ID)
	if after.ClockSkewMS != before.ClockSkewMS || !after.LastSeen.Equal(before.LastSeen) {
		t.Errorf("the device's clock moved from %d ms, seen %v, to %d ms, seen %v", before.ClockSkewMS, before.LastSeen, after.ClockSkewMS, after.LastSeen)
	}
	// The device itself, its clock 6 minutes ahead: both move.
	d.Skew = 6 * time.Minute
	if code, _ := d.Push(env); code != 200 {
		t.Fatal(code)
	}
	if now := deviceStatus(t, c, d.ID); now.ClockSkewMS != 6*60*1000 || !now.LastSeen.Equal(c.Clock.Now()) || !now.SkewFlagged {
		t.Errorf("after the device's own batch: %+v", now)
	}
}

// bigBatch is a batch body of about n bytes whose one envelope is junk: a
// server that reads it to the end finds valid JSON.
func bigBatch(n int) []byte {
	return []byte(`{"envelopes":["` + strings.Repeat("A", n-20) + `"]}`)
}

// TestBodyNotReadBeforeAuthentication: central authenticates a batch from
// its headers and reads no more than a few kilobytes of a body it has not
// authenticated. Before, it read (and decoded) every byte of 8 MiB.
func TestBodyNotReadBeforeAuthentication(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	body := bigBatch(8<<20 - 1024)
	for _, tc := range []struct {
		name  string
		spoil func(*http.Request)
	}{
		{"no signature", func(r *http.Request) { r.Header.Del(osync.HeaderSignature) }},
		{"another device's id", func(r *http.Request) { r.Header.Set(osync.HeaderDevice, "nobody") }},
		{"signature changed", func(r *http.Request) {
			sig := []byte(r.Header.Get(osync.HeaderSignature))
			sig[3] ^= 1
			r.Header.Set(osync.HeaderSignature, string(sig))
		}},
		{"signed for another body", func(r *http.Request) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := d.BatchRequest()
			tc.spoil(req)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			before := c.BytesRead()
			resp, err := http.DefaultClient.Do(req)
			read := c.BytesRead() - before
			if err != nil {
				// Central hung up on a body it would not read; the answer may be lost with it.
				t.Logf("client: %v", err)
			} else {
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("status %d", resp.StatusCode)
				}
			}
			t.Logf("central read %d bytes of a %d-byte request", read, len(body))
			if tc.name != "signed for another body" && read > 64<<10 {
				t.Errorf("central read %d bytes of an unauthenticated %d-byte body", read, len(body))
			}
		})
	}
}

// slowBatch sends a device's signed batch whose body comes as the test
// writes it to the returned pipe; the status (0 for no answer) arrives on
// the channel.
func slowBatch(t *testing.T, d *servertest.Device, envs ...[]byte) (body []byte, pw *io.PipeWriter, status chan int) {
	req := d.BatchRequest(envs...)
	body, _ = io.ReadAll(req.Body)
	pr, pw := io.Pipe()
	req.Body, req.ContentLength = pr, int64(len(body))
	status = make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	return body, pw, status
}

// waitRead waits until central has read n bytes more than before.
func waitRead(t *testing.T, c *servertest.Central, before int64, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.BytesRead()-before < int64(n); {
		if time.Now().After(deadline) {
			t.Fatalf("central read %d bytes, want %d", c.BytesRead()-before, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStalledBatchIsCut: a batch body that stops coming is cut after the
// idle time, and one that keeps coming but too slowly after the batch
// timeout, each freeing its slot.
func TestStalledBatchIsCut(t *testing.T) {
	c := servertest.New(t, servertest.WithIngest(1), servertest.WithBatchPace(300*time.Millisecond, 2*time.Second))
	d := c.Enrol(t, "SITE-001")
	env := d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes

	before := c.BytesRead()
	body, pw, status := slowBatch(t, d, env)
	start := time.Now()
	pw.Write(body[:len(body)/2])
	select {
	case code := <-status:
		if code == 200 {
			t.Errorf("a stalled batch: %d", code)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("a stalled batch was cut after %v, the idle limit is 300ms", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled batch was never cut")
	}
	pw.CloseWithError(io.ErrClosedPipe)
	waitRead(t, c, before, len(body)/2)

	// A trickle: a byte each 100 ms, cut at 2 s.
	body, pw, status = slowBatch(t, d, env)
	start = time.Now()
	go func() {
		for _, b := range body {
			if _, err := pw.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	if code := <-status; code == 200 || time.Since(start) > 5*time.Second {
		t.Errorf("a trickling batch: %d after %v, the batch timeout is 2s", code, time.Since(start))
	}
	pw.CloseWithError(io.ErrClosedPipe)

	if code, resp := d.Push(env); code != 200 || resp.Results[0].Outcome != osync.Accepted {
		t.Errorf("a batch after them: %d %+v", code, resp)
	}
}

// TestIngestIsCapped: while as many batches as central takes at once are
// being read, another device's batch is answered 503 with Retry-After,
// which the pusher honours; when one ends, the next goes in.
func TestIngestIsCapped(t *testing.T) {
	c := servertest.New(t, servertest.WithIngest(1))
	slow, quick := c.Enrol(t, "SITE-001"), c.Enrol(t, "SITE-001")
	slowEnv := slow.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes
	quickEnv := quick.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes

	before := c.BytesRead()
	body, pw, done := slowBatch(t, slow, slowEnv)
	pw.Write(body[:len(body)/2])
	waitRead(t, c, before, len(body)/2)
	resp, err := http.DefaultClient.Do(quick.BatchRequest(quickEnv))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a batch while the one slot is taken: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	pw.Write(body[len(body)/2:])
	pw.Close()
	if code := <-done; code != 200 {
		t.Errorf("the slow batch: %d", code)
	}
	if code, resp := quick.Push(quickEnv); code != 200 || resp.Results[0].Outcome != osync.Accepted {
		t.Errorf("the quick batch once the slot is free: %d %+v", code, resp)
	}
}

// TestAbsoluteFormAndRefusalLog: a request that reaches central in absolute
// form (as a forward proxy may pass it on) is checked against its path and
// query, as signed; a refused request of an enrolled device is logged with
// the device and the code, never the signature.
func TestAbsoluteFormAndRefusalLog(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	c := servertest.New(t, servertest.WithLog(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))))
	d := c.Enrol(t, "SITE-001")
	req := d.SignedRequest("GET", osync.PathPackage+"?cursor=0")
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n", req.URL.String(), req.URL.Host)
	req.Header.Write(conn)
	fmt.Fprintf(conn, "Connection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("absolute form: %d", resp.StatusCode)
	}
	if code, _ := capture(t, req).send(t, c.URL); code != http.StatusUnauthorized {
		t.Errorf("replay: %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if line := logs.String(); !strings.Contains(line, `msg="device request refused" route="GET /api/v1/package" device=`+d.ID+" code=replayed") ||
		strings.Contains(line, req.Header.Get(osync.HeaderSignature)) {
		t.Errorf("central's log:\n%s", line)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
