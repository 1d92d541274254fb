package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestEnrolment(t *testing.T) {
	c := servertest.New(t)
	code, _ := c.NewEnrolCode(context.Background(), "SITE-001", "test")
	dk, _ := seal.GenerateDeviceKey()
	req := osync.EnrolRequest{Code: code, DeviceName: "主机", PublicKey: dk.Public().Marshal()}
	var p osync.Problem
	for name, tc := range map[string]struct {
		req  osync.EnrolRequest
		want string
	}{
		"bad code":    {osync.EnrolRequest{Code: "AAAA-BBBB", DeviceName: "x", PublicKey: req.PublicKey}, server.ErrEnrolCode.Error()},
		"bad key":     {osync.EnrolRequest{Code: code, DeviceName: "x", PublicKey: []byte("junk")}, "public_key"},
		"no name":     {osync.EnrolRequest{Code: code, PublicKey: req.PublicKey}, "device_name"},
		"sql in code": {osync.EnrolRequest{Code: "'; DROP TABLE devices; --", DeviceName: "x", PublicKey: req.PublicKey}, server.ErrEnrolCode.Error()},
	} {
		if got := c.PostJSON(t, osync.PathEnrol, tc.req, &p); got != 400 || !strings.Contains(p.Error, tc.want) {
			t.Errorf("%s: %d %q", name, got, p.Error)
		}
	}
	if got := c.PostJSON(t, osync.PathEnrol, req, nil); got != 200 {
		t.Fatalf("enrol: %d", got)
	}
	// Unknown, used and expired codes are answered alike.
	if got := c.PostJSON(t, osync.PathEnrol, req, &p); got != 400 || p.Error != server.ErrEnrolCode.Error() {
		t.Errorf("replayed code: %d %q", got, p.Error)
	}
	expired, _ := c.NewEnrolCode(context.Background(), "SITE-001", "test")
	c.Clock.Add(server.EnrolCodeLifetime + time.Minute)
	req.Code = expired
	if got := c.PostJSON(t, osync.PathEnrol, req, &p); got != 400 || p.Error != server.ErrEnrolCode.Error() {
		t.Errorf("expired code: %d %q", got, p.Error)
	}
	for _, body := range []string{"{", `{"code": 5}`, `{"code":"x","extra":1}`, strings.Repeat("x", 100<<10)} {
		resp, _ := http.Post(c.URL+osync.PathEnrol, "application/json", strings.NewReader(body))
		resp.Body.Close()
		if resp.StatusCode != 400 && resp.StatusCode != 413 {
			t.Errorf("body %.20q: %d", body, resp.StatusCode)
		}
	}
}

// TestEnrolmentGuessesThrottled: wrong codes from one address slow its next
// attempts and then lock it, a right code included, until the lock ends.
func TestEnrolmentGuessesThrottled(t *testing.T) {
	c := servertest.New(t)
	dk, _ := seal.GenerateDeviceKey()
	good := osync.EnrolRequest{Code: c.EnrolCode(t), DeviceName: "主机", PublicKey: dk.Public().Marshal()}
	guess := good
	var p osync.Problem
	for i := range 20 {
		guess.Code = fmt.Sprintf("GUES-S%03d-AAAA-AAAA", i)
		if got := c.PostJSON(t, osync.PathEnrol, guess, &p); got != 400 {
			t.Fatalf("guess %d: %d %q", i+1, got, p.Error)
		}
		c.Clock.Add(time.Minute) // past every wait but the lock
	}
	resp, err := http.Post(c.URL+osync.PathEnrol, "application/json", strings.NewReader(`{"code":"`+good.Code+`","device_name":"主机","public_key":"`+base64.StdEncoding.EncodeToString(good.PublicKey)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the right code during the lock: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	log, _ := c.AuditLog(context.Background())
	if !strings.Contains(fmt.Sprint(log.Entries), "enrolments from address 127.0.0.1 locked") {
		t.Error("the lock is not in the audit log")
	}
	c.Clock.Add(15 * time.Minute)
	if got := c.PostJSON(t, osync.PathEnrol, good, &p); got != 200 {
		t.Fatalf("the right code after the lock: %d %q", got, p.Error)
	}
}

func TestPackageAndRelease(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	var pkg osync.PackageResponse
	if code := d.Get(osync.PathPackage, &pkg); code != 200 || len(pkg.Sessions) != 1 {
		t.Fatalf("package: %d %+v", code, pkg)
	}
	sp := pkg.Sessions[0]
	opened, err := seal.OpenPackage(d.Central, sp.Manifest, sp.Parts)
	if err != nil {
		t.Fatal(err)
	}
	var meta osync.Session
	part, _ := opened.Part(osync.PartSession)
	if err := json.Unmarshal(part, &meta); err != nil || len(meta.Candidates) != 40 || meta.DurationMinutes != 90 || meta.PassMark != 60 || !meta.ReleaseAt.Equal(servertest.Start.Add(-10*time.Minute)) {
		t.Fatalf("session part: %v %+v", err, meta)
	}
	if bytes.Contains(sp.Parts[osync.PartPaperBody], []byte("typeof null")) {
		t.Fatal("the package holds a question in plaintext")
	}
	// Nothing changed: nothing is sent again.
	var again osync.PackageResponse
	d.Get(osync.PathPackage+"?cursor="+strconv.FormatInt(pkg.Cursor, 10), &again)
	if len(again.Sessions) != 0 || again.Cursor != pkg.Cursor {
		t.Errorf("unchanged package sent again: %+v", again)
	}
	// A device of another site sees nothing of SITE-001.
	other := c.Enrol(t, "SITE-002")
	var none osync.PackageResponse
	other.Get(osync.PathPackage, &none)
	if len(none.Sessions) != 0 {
		t.Error("SITE-002 sees SITE-001's session")
	}

	// Too early: 425 with the seconds remaining.
	var early osync.TooEarly
	c.Clock.Set(servertest.Start.Add(-10*time.Minute - 90*time.Second))
	if code := d.Get(osync.PathRelease(sp.SessionID), &early); code != http.StatusTooEarly || early.SecondsRemaining != 90 {
		t.Fatalf("early release: %d %+v", code, early)
	}
	var p osync.Problem
	if code := other.Get(osync.PathRelease(sp.SessionID), &p); code != 404 {
		t.Errorf("other site's release: %d", code)
	}
	c.Clock.Add(90 * time.Second)
	var rel osync.ReleaseResponse
	if code := d.Get(osync.PathRelease(sp.SessionID), &rel); code != 200 {
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
	code, _ := c.Central.UnlockCode(context.Background(), sp.SessionID, "test")
	uc, err := seal.ParseUnlockCode(code)
	if err != nil {
		t.Fatal(err)
	}
	rk2, _ := seal.DeriveReleaseKey(uc, sp.SessionID)
	if !bytes.Equal(rk2.Bytes(), rel.Key) {
		t.Error("unlock code and online release give different keys")
	}
	log, err := c.AuditLog(context.Background())
	if err != nil || log.Broken != "" || !strings.Contains(fmt.Sprint(log.Entries), "release") || !strings.Contains(fmt.Sprint(log.Entries), "show unlock code") {
		t.Errorf("audit log lacks release or unlock code: %v %s", err, log.Broken)
	}
}

func TestDeviceAuthentication(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	for _, tc := range []struct {
		name   string
		mutate func(*http.Request)
		code   string
	}{
		{"no headers", func(r *http.Request) { r.Header = http.Header{} }, osync.RefusedHeaders},
		{"no nonce", func(r *http.Request) { r.Header.Del(osync.HeaderNonce) }, osync.RefusedHeaders},
		{"time not a number", func(r *http.Request) { r.Header.Set(osync.HeaderTime, "+"+r.Header.Get(osync.HeaderTime)) }, osync.RefusedHeaders},
		{"garbage signature", func(r *http.Request) { r.Header.Set(osync.HeaderSignature, "!!!") }, osync.RefusedHeaders},
		{"unknown device", func(r *http.Request) { r.Header.Set(osync.HeaderDevice, "nobody") }, osync.RefusedDevice},
		{"signed an hour ago", func(r *http.Request) {
			*r = *d.SignedRequestAt("GET", osync.PathPackage, c.Clock.Now().Add(-time.Hour))
		}, osync.RefusedTime},
		{"other path", func(r *http.Request) { r.URL.Path = "/api/v1/sessions/X/release" }, osync.RefusedSignature},
		{"other nonce", func(r *http.Request) { r.Header.Set(osync.HeaderNonce, strings.Repeat("0", 32)) }, osync.RefusedSignature},
		{"other device clock", func(r *http.Request) { r.Header.Set(osync.HeaderClock, "1") }, osync.RefusedSignature},
		{"a body claimed", func(r *http.Request) { d.Signer().Sign(r, osync.BodyHash([]byte("x"))) }, osync.RefusedBody},
		{"a body hash changed", func(r *http.Request) { r.Header.Set(osync.HeaderBodyHash, osync.BodyHash([]byte("x"))) }, osync.RefusedSignature},
		{"another device's key", func(r *http.Request) {
			other := c.Enrol(t, "SITE-001")
			r.Header.Set(osync.HeaderDevice, other.ID)
		}, osync.RefusedSignature},
	} {
		req := d.SignedRequest("GET", osync.PathPackage)
		tc.mutate(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p osync.Problem
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 401 || p.Code != tc.code || resp.Header.Get("WWW-Authenticate") != osync.AuthScheme+` error="`+tc.code+`"` {
			t.Errorf("%s: %d %q %q, want code %s", tc.name, resp.StatusCode, p.Error, resp.Header.Get("WWW-Authenticate"), tc.code)
		}
	}
	// A time refused carries central's in Date, for the device to correct its own.
	resp, err := http.DefaultClient.Do(d.SignedRequestAt("GET", osync.PathPackage, c.Clock.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if date, err := http.ParseTime(resp.Header.Get("Date")); err != nil || date.IsZero() {
		t.Errorf("Date %q: %v", resp.Header.Get("Date"), err)
	}
}

func TestRecordsExactlyOnce(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			testRecordsExactlyOnce(t, servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine))))
		})
	}
}

func testRecordsExactlyOnce(t *testing.T, c *servertest.Central) {
	d := c.Enrol(t, "SITE-001")
	s := c.Session
	good := map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q4": {Choices: []string{"a", "b"}}, "q9": {Text: "４０４"}}
	checkin := d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010001", Status: exam.Present})
	sub := d.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010001", good))
	marks := d.Seal(osync.KindPractical, osync.PracticalScore{SessionID: s.ID, Ticket: "2026WEB010001", ItemID: "q11", Marks: []float64{15, 20, 15, 10}, Examiner: "王老师"})
	stranger := d.Seal(osync.KindSubmission, servertest.Submission(s, "NOBODY", good))
	badMarks := d.Seal(osync.KindPractical, osync.PracticalScore{SessionID: s.ID, Ticket: "2026WEB010002", ItemID: "q11", Marks: []float64{99, 0, 0, 0}})
	tampered := bytes.Clone(d.Seal(osync.KindIncident, osync.Incident{SessionID: s.ID, Note: "停电"}).Bytes)
	tampered[len(tampered)-1] ^= 1

	code, resp := d.Push(checkin.Bytes, sub.Bytes, marks.Bytes, stranger.Bytes, badMarks.Bytes, tampered, []byte("junk"))
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
		rc, err := seal.VerifyReceipt(d.Central, resp.Results[i].Receipt, env.Bytes)
		if err != nil || rc.RecordID != env.Header.RecordID {
			t.Errorf("receipt %d: %v", i, err)
		}
	}
	if !strings.Contains(resp.Results[3].Reason, `ticket "NOBODY"`) || !strings.Contains(resp.Results[4].Reason, "rubric 1 mark 99") {
		t.Errorf("reasons: %q, %q", resp.Results[3].Reason, resp.Results[4].Reason)
	}

	// The same batch again: the original receipts, byte for byte.
	_, again := d.Push(checkin.Bytes, sub.Bytes)
	for i := range again.Results {
		if again.Results[i].Outcome != osync.Duplicate || !bytes.Equal(again.Results[i].Receipt, resp.Results[i].Receipt) {
			t.Errorf("replay %d: %+v", i, again.Results[i])
		}
	}

	// Same id, other content: conflict, the original kept.
	d2 := *d
	d2.Seq, d2.Prev = sub.Header.Seq-1, seal.Hash{}
	other := d2.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010001", map[string]exam.Answer{}))
	_, conflict := d.Push(other.Bytes)
	if conflict.Results[0].Outcome != osync.Conflict {
		t.Errorf("same chain position, other content: %+v", conflict.Results[0])
	}

	results, err := c.SessionResults(context.Background(), s.ID)
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
	if !bytes.HasPrefix(csv.Bytes(), []byte("\ufeff准考证号,姓名")) || !strings.Contains(csv.String(), "2026WEB010001,毛娜,出席,是,68,96,待评分,暂定,q10") {
		t.Errorf("csv:\n%s", csv.String()[:200])
	}
}

// TestSubmissionAnswersFollowTheRule: central checks a submission's answers
// with the rule the site checks them with (exam's CheckAnswer); a record
// with an answer that breaks it, or for an item the paper lacks, is
// rejected, naming the item.
func TestSubmissionAnswersFollowTheRule(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	s := c.Session
	long := d.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010001", map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q8": {Text: strings.Repeat("字", 501)}}))
	notAChoice := d.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010002", map[string]exam.Answer{"q6": {Choices: []string{"yes"}}}))
	noSuchItem := d.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010003", map[string]exam.Answer{"q99": {Text: "x"}}))
	good := d.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010004", map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q8": {Text: "auto"}}))
	code, resp := d.Push(long.Bytes, notAChoice.Bytes, noSuchItem.Bytes, good.Bytes)
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
	results, err := c.SessionResults(context.Background(), s.ID)
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
	c := servertest.New(t, servertest.WithLimits(3, 4096))
	d := c.Enrol(t, "SITE-001")
	var envs [][]byte
	for i := 0; i < 4; i++ {
		envs = append(envs, d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes)
	}
	if code, _ := d.Push(envs...); code != 413 {
		t.Errorf("4 records, limit 3: %d", code)
	}
	if code, _ := d.Push(bytes.Repeat([]byte{1}, 5000)); code != 413 {
		t.Errorf("5000 bytes, limit 4096: %d", code)
	}
	if chain, _ := c.Chain(context.Background(), d.ID); chain.Records != 0 {
		t.Error("a refused batch stored records")
	}
	resp, _ := http.DefaultClient.Do(d.SignedPost(osync.PathRecords, []byte("{")))
	if resp.StatusCode != 400 || resp.Header.Get(osync.HeaderMaxRecords) != "3" {
		t.Errorf("malformed batch: %d, max records %q", resp.StatusCode, resp.Header.Get(osync.HeaderMaxRecords))
	}
	resp.Body.Close()
}

func TestChainGapsAndClockSkew(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	var envs [][]byte
	for i := 0; i < 5; i++ {
		envs = append(envs, d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes)
	}
	// Record 3 is lost before sync; 4 and 5 arrive, from a device whose
	// clock is two days ahead.
	d.Skew = 48 * time.Hour
	if code, _ := d.Push(envs[0], envs[1], envs[3], envs[4]); code != 200 {
		t.Fatal(code)
	}
	rep, err := c.Chain(context.Background(), d.ID)
	if err != nil || rep.Records != 4 || len(rep.Gaps) != 1 || rep.Gaps[0] != "epoch 42: seq 3 missing" {
		t.Errorf("chain = %+v, %v", rep, err)
	}
	dev := deviceStatus(t, c, d.ID)
	if dev.ClockSkewMS != 48*3600*1000 {
		t.Errorf("skew = %d ms, want 2 days", dev.ClockSkewMS)
	}
	var w strings.Builder
	c.WarnChains(context.Background(), c.Session.ID, &w)
	if !strings.Contains(w.String(), "seq 3 missing") {
		t.Errorf("results warnings: %q", w.String())
	}
}

// deviceStatus is a device as the office's sites page sees it.
func deviceStatus(t *testing.T, c *servertest.Central, id string) server.DeviceStatus {
	t.Helper()
	sites, err := c.Sites(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		for _, d := range s.Devices {
			if d.ID == id {
				return d
			}
		}
	}
	t.Fatalf("device %s is not on the sites page", id)
	return server.DeviceStatus{}
}
