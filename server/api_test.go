package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onex/assets"
	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/store"
	osync "onex/sync"
)

// clock is a settable clock for central.
type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time      { return time.Unix(0, c.now.Load()) }
func (c *clock) Set(t time.Time)     { c.now.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration) { c.now.Add(int64(d)) }
func newClock(t time.Time) *clock    { c := &clock{}; c.Set(t); return c }
func sampleFile(name string) io.Reader {
	b, _ := fs.ReadFile(assets.Samples, "samples/"+name)
	return bytes.NewReader(b)
}

// env is a central with the samples imported and one session with the sample roster.
type env struct {
	c       *server.Central
	ts      *httptest.Server
	clock   *clock
	session store.Session
}

var start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newEnv(t testing.TB, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := server.Init(ctx, dir, dsn, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	c, err := server.Open(ctx, dir, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	clk := newClock(start.Add(-24 * time.Hour))
	c.Now = clk.Now
	if _, err := c.ImportCatalogue(ctx, sampleFile("catalogue.json"), "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportPaper(ctx, sampleFile("paper-web-elementary.json"), "test"); err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: "A101", PaperID: "WEB-E-2026-A", Start: start}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportRoster(ctx, s.ID, sampleFile("roster-web-elementary.csv"), "auto", "test"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(c.Handler())
	t.Cleanup(ts.Close)
	return &env{c: c, ts: ts, clock: clk, session: s}
}

// device is a site device speaking to central over HTTP, as the site app does.
type device struct {
	t       testing.TB
	env     *env
	key     *seal.DeviceKey
	id      string
	central *seal.CentralPublicKey
	epoch   uint64
	seq     uint64
	prev    seal.Hash
}

func (e *env) enrol(t testing.TB, site string) *device {
	t.Helper()
	code, err := e.c.NewEnrolCode(context.Background(), site, "test")
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := seal.GenerateDeviceKey()
	var resp osync.EnrolResponse
	if code := e.postJSON(t, osync.PathEnrol, osync.EnrolRequest{Code: strings.ToLower(code), DeviceName: "考场 A101 主机", PublicKey: dk.Public().Marshal()}, &resp); code != 200 {
		t.Fatalf("enrol: %d", code)
	}
	central, err := seal.ParseCentralPublicKey(resp.CentralKey)
	if err != nil || central.Fingerprint() != e.c.Keys.Public().Fingerprint() || resp.SiteCode != site {
		t.Fatalf("enrol response %+v: %v", resp, err)
	}
	return &device{t: t, env: e, key: dk, id: resp.DeviceID, central: central, epoch: 42}
}

func (e *env) postJSON(t testing.TB, path string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.ts.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// get makes a request signed by the device.
func (d *device) get(path string, out any) int {
	d.t.Helper()
	req, _ := http.NewRequest("GET", d.env.ts.URL+path, nil)
	unix := d.env.clock.Now().Unix()
	req.Header.Set(osync.HeaderDevice, d.id)
	req.Header.Set(osync.HeaderTime, strconv.FormatInt(unix, 10))
	req.Header.Set(osync.HeaderSignature, base64.StdEncoding.EncodeToString(d.key.SignRequest(osync.AuthMessage("GET", req.URL.Path, unix))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

// seal makes the device's next record.
func (d *device) seal(kind string, payload any) *seal.Envelope {
	d.t.Helper()
	b, _ := json.Marshal(payload)
	d.seq++
	env, err := seal.SealRecord(d.key, d.central, seal.Header{DeviceID: d.id, Epoch: d.epoch, Seq: d.seq, Prev: d.prev, Kind: kind, Created: d.env.clock.Now()}, b)
	if err != nil {
		d.t.Fatal(err)
	}
	d.prev = env.Hash
	return env
}

func (d *device) push(envs ...[]byte) (int, osync.BatchResponse) {
	d.t.Helper()
	var out osync.BatchResponse
	return d.env.postJSON(d.t, osync.PathRecords, osync.Batch{Envelopes: envs}, &out), out
}

func TestHealthzAndMetrics(t *testing.T) {
	e := newEnv(t, "")
	// /healthz first: the request counter has a sample only after a request.
	for _, tc := range []struct{ path, want string }{{"/healthz", "ok"}, {"/metrics", "onex_http_requests_total"}} {
		path, want := tc.path, tc.want
		resp, err := http.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s = %d %q", path, resp.StatusCode, b)
		}
	}
}

func TestEnrolment(t *testing.T) {
	e := newEnv(t, "")
	code, _ := e.c.NewEnrolCode(context.Background(), "SITE-001", "test")
	dk, _ := seal.GenerateDeviceKey()
	req := osync.EnrolRequest{Code: code, DeviceName: "主机", PublicKey: dk.Public().Marshal()}
	var p osync.Problem
	for name, tc := range map[string]struct {
		req  osync.EnrolRequest
		want string
	}{
		"bad code":    {osync.EnrolRequest{Code: "AAAA-BBBB", DeviceName: "x", PublicKey: req.PublicKey}, "not valid"},
		"bad key":     {osync.EnrolRequest{Code: code, DeviceName: "x", PublicKey: []byte("junk")}, "public_key"},
		"no name":     {osync.EnrolRequest{Code: code, PublicKey: req.PublicKey}, "device_name"},
		"sql in code": {osync.EnrolRequest{Code: "'; DROP TABLE devices; --", DeviceName: "x", PublicKey: req.PublicKey}, "not valid"},
	} {
		if got := e.postJSON(t, osync.PathEnrol, tc.req, &p); got != 400 || !strings.Contains(p.Error, tc.want) {
			t.Errorf("%s: %d %q", name, got, p.Error)
		}
	}
	if got := e.postJSON(t, osync.PathEnrol, req, nil); got != 200 {
		t.Fatalf("enrol: %d", got)
	}
	if got := e.postJSON(t, osync.PathEnrol, req, &p); got != 400 || !strings.Contains(p.Error, "already used") {
		t.Errorf("replayed code: %d %q", got, p.Error)
	}
	expired, _ := e.c.NewEnrolCode(context.Background(), "SITE-001", "test")
	e.clock.Add(server.EnrolCodeLifetime + time.Minute)
	req.Code = expired
	if got := e.postJSON(t, osync.PathEnrol, req, &p); got != 400 || !strings.Contains(p.Error, "expired") {
		t.Errorf("expired code: %d %q", got, p.Error)
	}
	for _, body := range []string{"{", `{"code": 5}`, `{"code":"x","extra":1}`, strings.Repeat("x", 100<<10)} {
		resp, _ := http.Post(e.ts.URL+osync.PathEnrol, "application/json", strings.NewReader(body))
		resp.Body.Close()
		if resp.StatusCode != 400 && resp.StatusCode != 413 {
			t.Errorf("body %.20q: %d", body, resp.StatusCode)
		}
	}
}

func TestPackageAndRelease(t *testing.T) {
	e := newEnv(t, "")
	d := e.enrol(t, "SITE-001")
	var pkg osync.PackageResponse
	if code := d.get(osync.PathPackage, &pkg); code != 200 || len(pkg.Sessions) != 1 {
		t.Fatalf("package: %d %+v", code, pkg)
	}
	sp := pkg.Sessions[0]
	opened, err := seal.OpenPackage(d.central, sp.Manifest, sp.Parts)
	if err != nil {
		t.Fatal(err)
	}
	var meta osync.Session
	part, _ := opened.Part(osync.PartSession)
	if err := json.Unmarshal(part, &meta); err != nil || len(meta.Candidates) != 40 || meta.DurationMinutes != 90 || meta.PassMark != 60 || !meta.ReleaseAt.Equal(start.Add(-10*time.Minute)) {
		t.Fatalf("session part: %v %+v", err, meta)
	}
	if bytes.Contains(sp.Parts[osync.PartPaperBody], []byte("typeof null")) {
		t.Fatal("the package holds a question in plaintext")
	}
	// Nothing changed: nothing is sent again.
	var again osync.PackageResponse
	d.get(osync.PathPackage+"?cursor="+strconv.FormatInt(pkg.Cursor, 10), &again)
	if len(again.Sessions) != 0 || again.Cursor != pkg.Cursor {
		t.Errorf("unchanged package sent again: %+v", again)
	}
	// A device of another site sees nothing of SITE-001.
	other := e.enrol(t, "SITE-002")
	var none osync.PackageResponse
	other.get(osync.PathPackage, &none)
	if len(none.Sessions) != 0 {
		t.Error("SITE-002 sees SITE-001's session")
	}

	// Too early: 425 with the seconds remaining.
	var early osync.TooEarly
	e.clock.Set(start.Add(-10*time.Minute - 90*time.Second))
	if code := d.get(osync.PathRelease(sp.SessionID), &early); code != http.StatusTooEarly || early.SecondsRemaining != 90 {
		t.Fatalf("early release: %d %+v", code, early)
	}
	var p osync.Problem
	if code := other.get(osync.PathRelease(sp.SessionID), &p); code != 404 {
		t.Errorf("other site's release: %d", code)
	}
	e.clock.Add(90 * time.Second)
	var rel osync.ReleaseResponse
	if code := d.get(osync.PathRelease(sp.SessionID), &rel); code != 200 {
		t.Fatalf("release: %d", code)
	}
	rk, err := seal.ParseReleaseKey(sp.SessionID, rel.Key)
	if err != nil {
		t.Fatal(err)
	}
	paper, err := opened.OpenPaper(osync.PartPaperBody, osync.PartPaperKey, rk)
	if err != nil || !bytes.Contains(paper.Content, []byte("typeof null")) {
		t.Fatalf("open paper: %v", err)
	}
	// The code read out on the phone opens the same paper.
	code, _ := e.c.UnlockCode(context.Background(), sp.SessionID, "test")
	uc, err := seal.ParseUnlockCode(code)
	if err != nil {
		t.Fatal(err)
	}
	rk2, _ := seal.DeriveReleaseKey(uc, sp.SessionID)
	if !bytes.Equal(rk2.Bytes(), rel.Key) {
		t.Error("unlock code and online release give different keys")
	}
	log, err := e.c.DB.AuditLog(context.Background())
	if err != nil || !strings.Contains(fmt.Sprint(log), "release") || !strings.Contains(fmt.Sprint(log), "show unlock code") {
		t.Errorf("audit log lacks release or unlock code: %v", err)
	}
}

func TestDeviceAuthentication(t *testing.T) {
	e := newEnv(t, "")
	d := e.enrol(t, "SITE-001")
	var p osync.Problem
	for name, mutate := range map[string]func(*http.Request){
		"no headers": func(r *http.Request) { r.Header = http.Header{} },
		"unknown":    func(r *http.Request) { r.Header.Set(osync.HeaderDevice, "nobody") },
		"stale": func(r *http.Request) {
			r.Header.Set(osync.HeaderTime, strconv.FormatInt(e.clock.Now().Add(-time.Hour).Unix(), 10))
		},
		"other path":  func(r *http.Request) { r.URL.Path = "/api/v1/sessions/X/release" },
		"garbage sig": func(r *http.Request) { r.Header.Set(osync.HeaderSignature, "!!!") },
	} {
		req, _ := http.NewRequest("GET", e.ts.URL+osync.PathPackage, nil)
		unix := e.clock.Now().Unix()
		req.Header.Set(osync.HeaderDevice, d.id)
		req.Header.Set(osync.HeaderTime, strconv.FormatInt(unix, 10))
		req.Header.Set(osync.HeaderSignature, base64.StdEncoding.EncodeToString(d.key.SignRequest(osync.AuthMessage("GET", osync.PathPackage, unix))))
		mutate(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s: %d %q", name, resp.StatusCode, p.Error)
		}
	}
}

func submission(s store.Session, ticket string, answers map[string]exam.Answer) osync.Submission {
	return osync.Submission{SessionID: s.ID, Ticket: ticket, PaperID: s.PaperID, PaperVersion: s.PaperVersion, Answers: answers}
}

func TestRecordsExactlyOnce(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { testRecordsExactlyOnce(t, newEnv(t, dsn(t, engine))) })
	}
}

func testRecordsExactlyOnce(t *testing.T, e *env) {
	d := e.enrol(t, "SITE-001")
	s := e.session
	good := map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q4": {Choices: []string{"a", "b"}}, "q9": {Text: "４０４"}}
	checkin := d.seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010001", Status: exam.Present})
	sub := d.seal(osync.KindSubmission, submission(s, "2026WEB010001", good))
	marks := d.seal(osync.KindPractical, osync.PracticalScore{SessionID: s.ID, Ticket: "2026WEB010001", ItemID: "q11", Marks: []float64{15, 20, 15, 10}, Examiner: "王老师"})
	stranger := d.seal(osync.KindSubmission, submission(s, "NOBODY", good))
	badMarks := d.seal(osync.KindPractical, osync.PracticalScore{SessionID: s.ID, Ticket: "2026WEB010002", ItemID: "q11", Marks: []float64{99, 0, 0, 0}})
	tampered := bytes.Clone(d.seal(osync.KindIncident, osync.Incident{SessionID: s.ID, Note: "停电"}).Bytes)
	tampered[len(tampered)-1] ^= 1

	code, resp := d.push(checkin.Bytes, sub.Bytes, marks.Bytes, stranger.Bytes, badMarks.Bytes, tampered, []byte("junk"))
	if code != 200 || len(resp.Results) != 7 {
		t.Fatalf("batch: %d %+v", code, resp)
	}
	want := []osync.Outcome{osync.Accepted, osync.Accepted, osync.Accepted, osync.Rejected, osync.Rejected, osync.Rejected, osync.Rejected}
	for i, w := range want {
		if resp.Results[i].Outcome != w {
			t.Errorf("envelope %d: %s %q, want %s", i, resp.Results[i].Outcome, resp.Results[i].Reason, w)
		}
	}
	for i, env := range []*seal.Envelope{checkin, sub, marks} {
		rc, err := seal.VerifyReceipt(d.central, resp.Results[i].Receipt, env.Bytes)
		if err != nil || rc.RecordID != env.Header.RecordID {
			t.Errorf("receipt %d: %v", i, err)
		}
	}
	if !strings.Contains(resp.Results[3].Reason, `ticket "NOBODY"`) || !strings.Contains(resp.Results[4].Reason, "rubric 1 mark 99") {
		t.Errorf("reasons: %q, %q", resp.Results[3].Reason, resp.Results[4].Reason)
	}

	// The same batch again: the original receipts, byte for byte.
	_, again := d.push(checkin.Bytes, sub.Bytes)
	for i := range again.Results {
		if again.Results[i].Outcome != osync.Duplicate || !bytes.Equal(again.Results[i].Receipt, resp.Results[i].Receipt) {
			t.Errorf("replay %d: %+v", i, again.Results[i])
		}
	}

	// Same id, other content: conflict, the original kept.
	d2 := *d
	d2.seq, d2.prev = sub.Header.Seq-1, seal.Hash{}
	other := d2.seal(osync.KindSubmission, submission(s, "2026WEB010001", map[string]exam.Answer{}))
	_, conflict := d.push(other.Bytes)
	if conflict.Results[0].Outcome != osync.Conflict {
		t.Errorf("same chain position, other content: %+v", conflict.Results[0])
	}

	results, err := e.c.SessionResults(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	// q1 2 + q4 half of 4 + q9 4 + q11 60 = 68 of 96, essay q10 awaits marking.
	if r.Ticket != "2026WEB010001" || r.Attendance != string(exam.Present) || !r.Submitted || r.Total != 68 || r.Complete || r.Status() != "待评分" {
		t.Errorf("result = %+v", r)
	}
	if results[1].Submitted || results[1].Status() != "未交卷" {
		t.Errorf("result 2 = %+v", results[1])
	}
	var csv bytes.Buffer
	server.WriteResultsCSV(&csv, results)
	if !bytes.HasPrefix(csv.Bytes(), []byte("\ufeff准考证号,姓名")) || !strings.Contains(csv.String(), "2026WEB010001,毛娜,出席,是,68,96,待评分,q10") {
		t.Errorf("csv:\n%s", csv.String()[:200])
	}
}

// TestSubmissionAnswersFollowTheRule: central checks a submission's answers
// with the rule the site checks them with (exam's CheckAnswer); a record
// with an answer that breaks it, or for an item the paper lacks, is
// rejected, naming the item.
func TestSubmissionAnswersFollowTheRule(t *testing.T) {
	e := newEnv(t, "")
	d := e.enrol(t, "SITE-001")
	s := e.session
	long := d.seal(osync.KindSubmission, submission(s, "2026WEB010001", map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q8": {Text: strings.Repeat("字", 501)}}))
	notAChoice := d.seal(osync.KindSubmission, submission(s, "2026WEB010002", map[string]exam.Answer{"q6": {Choices: []string{"yes"}}}))
	noSuchItem := d.seal(osync.KindSubmission, submission(s, "2026WEB010003", map[string]exam.Answer{"q99": {Text: "x"}}))
	good := d.seal(osync.KindSubmission, submission(s, "2026WEB010004", map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q8": {Text: "auto"}}))
	code, resp := d.push(long.Bytes, notAChoice.Bytes, noSuchItem.Bytes, good.Bytes)
	if code != 200 || len(resp.Results) != 4 {
		t.Fatalf("batch: %d %+v", code, resp)
	}
	for i, want := range []string{"item q8: the text has 501 characters, at most 500", `item q6: "yes" is not a choice of this item`, "answer for item q99: the paper has no such item"} {
		if r := resp.Results[i]; r.Outcome != osync.Rejected || !strings.Contains(r.Reason, want) || r.Receipt != nil {
			t.Errorf("envelope %d: %s %q, want rejected for %q", i, r.Outcome, r.Reason, want)
		}
	}
	if r := resp.Results[3]; r.Outcome != osync.Accepted {
		t.Errorf("good submission: %s %q", r.Outcome, r.Reason)
	}
	results, err := e.c.SessionResults(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results[:4] {
		if r.Submitted != (r.Ticket == "2026WEB010004") {
			t.Errorf("result of %s: submitted %v", r.Ticket, r.Submitted)
		}
	}
}

func TestBatchLimits(t *testing.T) {
	e := newEnv(t, "")
	e.c.MaxRecords = 3
	e.c.MaxBatchBytes = 4096
	d := e.enrol(t, "SITE-001")
	var envs [][]byte
	for i := 0; i < 4; i++ {
		envs = append(envs, d.seal(osync.KindStart, osync.Start{SessionID: e.session.ID}).Bytes)
	}
	if code, _ := d.push(envs...); code != 413 {
		t.Errorf("4 records, limit 3: %d", code)
	}
	if code, _ := d.push(bytes.Repeat([]byte{1}, 5000)); code != 413 {
		t.Errorf("5000 bytes, limit 4096: %d", code)
	}
	if chain, _ := e.c.DB.Chain(context.Background(), d.id); len(chain) != 0 {
		t.Error("a refused batch stored records")
	}
	resp, _ := http.Post(e.ts.URL+osync.PathRecords, "application/json", strings.NewReader("{"))
	if resp.StatusCode != 400 || resp.Header.Get(osync.HeaderMaxRecords) != "3" {
		t.Errorf("malformed batch: %d, max records %q", resp.StatusCode, resp.Header.Get(osync.HeaderMaxRecords))
	}
	resp.Body.Close()
}

func TestChainGapsAndClockSkew(t *testing.T) {
	e := newEnv(t, "")
	d := e.enrol(t, "SITE-001")
	var envs [][]byte
	for i := 0; i < 5; i++ {
		envs = append(envs, d.seal(osync.KindStart, osync.Start{SessionID: e.session.ID}).Bytes)
	}
	// Record 3 is lost before sync; 4 and 5 arrive.
	b, _ := json.Marshal(osync.Batch{Envelopes: [][]byte{envs[0], envs[1], envs[3], envs[4]}})
	req, _ := http.NewRequest("POST", e.ts.URL+osync.PathRecords, bytes.NewReader(b))
	req.Header.Set(osync.HeaderDevice, d.id)
	req.Header.Set(osync.HeaderTime, strconv.FormatInt(e.clock.Now().Add(48*time.Hour).Unix(), 10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(err, resp.StatusCode)
	}
	resp.Body.Close()
	rep, err := e.c.Chain(context.Background(), d.id)
	if err != nil || rep.Records != 4 || len(rep.Gaps) != 1 || rep.Gaps[0] != "epoch 42: seq 3 missing" {
		t.Errorf("chain = %+v, %v", rep, err)
	}
	dev, _ := e.c.DB.Device(context.Background(), d.id)
	if dev.ClockSkewMS != 48*3600*1000 {
		t.Errorf("skew = %d ms, want 2 days", dev.ClockSkewMS)
	}
	var w strings.Builder
	e.c.WarnChains(context.Background(), e.session.ID, &w)
	if !strings.Contains(w.String(), "seq 3 missing") {
		t.Errorf("results warnings: %q", w.String())
	}
}

func TestImportErrors(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	bad, _ := fs.ReadFile(assets.Samples, "samples/paper-web-elementary.json")
	bad = bytes.Replace(bad, []byte(`"answer": ["b"]`), []byte(`"answer": ["z"]`), 1)
	bad = bytes.Replace(bad, []byte(`"WEB-E-2026-A"`), []byte(`"WEB-E-2026-B"`), 1)
	_, err := e.c.ImportPaper(ctx, bytes.NewReader(bad), "test")
	if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), `item q1: answer "z" is not an option`) {
		t.Errorf("bad paper: %v", err)
	}
	if papers, _ := e.c.DB.Papers(ctx); len(papers) != 1 {
		t.Errorf("a bad paper was stored: %d papers", len(papers))
	}
	roster := "准考证号,姓名,证件类型,证件号码,性别,考生类别\nT1,,居民身份证,310104200410159779,男,在校学生\nT2,王五,居民身份证,310104200410159778,男,在校学生\n"
	_, err = e.c.ImportRoster(ctx, e.session.ID, strings.NewReader(roster), "auto", "test")
	if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "line 2: 姓名: is empty") || !strings.Contains(err.Error(), "line 3: 证件号码") {
		t.Errorf("bad roster: %v", err)
	}
	if cands, _ := e.c.DB.Roster(ctx, e.session.ID); len(cands) != 40 {
		t.Errorf("a bad roster changed the session: %d candidates", len(cands))
	}
	gb, _ := os.ReadFile(filepath.Join("testdata", "roster-gb18030.csv"))
	cands, err := e.c.ImportRoster(ctx, e.session.ID, bytes.NewReader(gb), "auto", "test")
	if err != nil || len(cands) != 40 || cands[6].Name != "欧阳子轩" {
		t.Errorf("GB18030 roster: %v", err)
	}
	e.clock.Set(start)
	if _, err := e.c.ImportRoster(ctx, e.session.ID, sampleFile("roster-web-elementary.csv"), "auto", "test"); !errors.Is(err, server.ErrInput) {
		t.Errorf("roster after release: %v", err)
	}
}
