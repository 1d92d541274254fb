// Package servertest runs a real central for tests: package server on a
// fresh database (SQLite in a temporary directory, or PostgreSQL), the
// sample catalogue, paper and roster imported, one session scheduled, and
// every route of package web served over HTTP (or HTTPS, WithTLS) behind a
// TCP relay that a test cuts and restores to play a network outage. Beside it: a site device
// that speaks the sync protocol by hand (device.go) and a browser without
// JavaScript for the office pages (office.go). Only tests import it.
package servertest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onex/assets"
	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/store"
	"onex/server/web"
	osync "onex/sync"
)

// Start is the planned start of the sample session, in China Standard Time.
var Start = time.Date(2026, 12, 1, 9, 0, 0, 0, server.CST)

// AdminPassword is the password of the office user admin.
const AdminPassword = "admin password for tests"

// Clock is central's settable clock.
type Clock struct{ ns atomic.Int64 }

// Now is the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Set sets the clock.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// Central is a running central.
type Central struct {
	*server.Central
	Dir     string
	URL     string       // through the relay
	Handler http.Handler // every route, for requests a test makes up
	// TLS is the certificate central serves WithTLS (nil: plain HTTP), and
	// HTTP a client that trusts it.
	TLS     *x509.Certificate
	HTTP    *http.Client
	Clock   *Clock
	Session server.Session
	Relay   *Relay

	opts   options
	routes atomic.Pointer[http.Handler]
	db     *store.DB    // DB's own handle
	read   atomic.Int64 // bytes central's server read from its connections
}

// Option changes how New starts central.
type Option func(*options)

type options struct {
	dsn      string
	now      time.Time
	cfg      server.Config
	tls      bool
	release1 bool
	roster   int // candidates of a made-up roster instead of the sample's
	handIn   bool
	paper    func([]byte) []byte
}

// WithTLS serves central over HTTPS with the self-signed certificate that
// onex-central init --self-signed-tls 127.0.0.1,localhost writes, as serve
// uses it. URL is then https://.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithDB keeps central's database at dsn (a postgres:// URL) instead of SQLite.
func WithDB(dsn string) Option { return func(o *options) { o.dsn = dsn } }

// WithLog gives central a logger (by default it logs nothing).
func WithLog(log *slog.Logger) Option { return func(o *options) { o.cfg.Log = log } }

// WithLimits sets central's batch limits (0: the default).
func WithLimits(records, bytes int) Option {
	return func(o *options) { o.cfg.MaxRecords, o.cfg.MaxBatchBytes = records, bytes }
}

// WithIngest sets how many batches central takes at once.
func WithIngest(n int) Option { return func(o *options) { o.cfg.MaxIngest = n } }

// WithBatchPace sets how long central waits for more of a batch body, and
// for the whole of it.
func WithBatchPace(idle, total time.Duration) Option {
	return func(o *options) { o.cfg.BatchIdle, o.cfg.BatchTimeout = idle, total }
}

// Release1 makes central look to devices as a central of release 1 did:
// its key file of release 1 (key type 1, without the hybrid part) and its
// enrolment and package answers without the signed hybrid key, so that
// sites enrol holding only the key of release 1 and seal version 1
// envelopes. The key file is upgraded at the first open, as release 2
// does. Restart with Release2 to install release 2 over it.
func Release1() Option { return func(o *options) { o.release1 = true } }

// Release2 undoes Release1 at a Restart: central offers its signed hybrid
// key again.
func Release2() Option { return func(o *options) { o.release1 = false } }

// At sets central's clock (by default five minutes before the sample
// session's release time, ten minutes before its start).
func At(t time.Time) Option { return func(o *options) { o.now = t } }

// WithRoster gives the sample session a roster of n made-up candidates
// (Roster) instead of the sample's 40.
func WithRoster(n int) Option { return func(o *options) { o.roster = n } }

// WithHandIn gives the sample paper a hand-in section (HandInPaper)
// **[added: issue 15]**.
func WithHandIn() Option { return func(o *options) { o.handIn = true } }

// HandInItem is the id of the hand-in item HandInPaper adds.
const HandInItem = "h1"

// HandInPaper is the sample paper with a third section of one handin item
// (HandInItem, 10 points, at most 20 files of 20 MiB together, the
// defaults), as a paper file.
func HandInPaper(t testing.TB) []byte {
	t.Helper()
	p, err := exam.ReadPaper(Sample(t, "paper-web-elementary.json"))
	if err != nil {
		t.Fatal(err)
	}
	p.Sections = append(p.Sections, exam.Section{Title: "三、实操提交", Items: []exam.Item{{
		ID: HandInItem, Type: exam.HandIn, Points: 10,
		Stem:   "在工作文件夹中完成网页 index.html 及其样式表，然后提交。",
		Rubric: []exam.Criterion{{Criterion: "正确提交文件", Points: 4}, {Criterion: "页面结构与样式", Points: 6}},
	}}})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WithPaper edits the sample paper's JSON before it is imported.
func WithPaper(edit func([]byte) []byte) Option { return func(o *options) { o.paper = edit } }

// WithClaimTimeout sets how long a marker holds a task (0: the default).
func WithClaimTimeout(d time.Duration) Option { return func(o *options) { o.cfg.ClaimTimeout = d } }

// New starts a central.
func New(t testing.TB, opts ...Option) *Central {
	t.Helper()
	o := options{now: Start.Add(-15 * time.Minute), cfg: server.Config{Log: slog.New(slog.DiscardHandler)}}
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	c := &Central{Dir: t.TempDir(), Clock: &Clock{}, opts: o}
	if _, err := server.Init(ctx, c.Dir, o.dsn, AdminPassword); err != nil {
		t.Fatal(err)
	}
	if o.release1 {
		WriteKeysOfRelease1(t, c.Dir)
	}
	c.Clock.Set(o.now)
	var kp tls.Certificate
	c.HTTP = &http.Client{}
	if o.tls {
		kp = c.initTLS(t)
	}
	c.open(t)
	t.Cleanup(func() { c.Central.Close() })
	if _, err := c.ImportCatalogue(ctx, Sample(t, "catalogue.json"), "test"); err != nil {
		t.Fatal(err)
	}
	paper := Sample(t, "paper-web-elementary.json")
	if o.handIn {
		paper = bytes.NewReader(HandInPaper(t))
	}
	if o.paper != nil {
		b, err := io.ReadAll(paper)
		if err != nil {
			t.Fatal(err)
		}
		paper = bytes.NewReader(o.paper(b))
	}
	if _, err := c.ImportPaper(ctx, paper, "test"); err != nil {
		t.Fatal(err)
	}
	var err error
	c.Session, err = c.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: "A101", PaperID: "WEB-E-2026-A", Start: Start}, "test")
	if err != nil {
		t.Fatal(err)
	}
	roster := Sample(t, "roster-web-elementary.csv")
	if o.roster > 0 {
		roster = bytes.NewReader(Roster(o.roster))
	}
	if _, err := c.ImportRoster(ctx, c.Session.ID, roster, "auto", "test"); err != nil {
		t.Fatal(err)
	}
	c.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*c.routes.Load()).ServeHTTP(w, r) })
	ts := httptest.NewUnstartedServer(c.Handler)
	ts.Listener = countingListener{ts.Listener, &c.read}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests play
	scheme := "http://"
	if o.tls {
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
		ts.StartTLS()
		scheme = "https://"
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	if c.Relay, err = NewRelay(ts.Listener.Addr().String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Relay.Close)
	c.URL = scheme + c.Relay.Addr()
	return c
}

// initTLS writes central's self-signed certificate, tells central of it,
// and makes HTTP trust it.
func (c *Central) initTLS(t testing.TB) tls.Certificate {
	t.Helper()
	cert, err := server.InitTLS(c.Dir, []string{"127.0.0.1", "localhost"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kp, err := tls.LoadX509KeyPair(filepath.Join(c.Dir, server.TLSCertFile), filepath.Join(c.Dir, server.TLSKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	c.TLS = cert
	c.opts.cfg.TLSCertificate = cert.Raw
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	c.HTTP = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	return kp
}

// open opens central on its data directory and serves its routes.
func (c *Central) open(t testing.TB) {
	t.Helper()
	sc, h := c.process(t)
	c.Central = sc
	c.routes.Store(&h)
}

// process opens a central process on the data directory and database, and
// returns it with its routes.
func (c *Central) process(t testing.TB) (*server.Central, http.Handler) {
	t.Helper()
	cfg := c.opts.cfg
	cfg.Now = c.Clock.Now
	sc, err := server.Open(context.Background(), c.Dir, c.opts.dsn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := web.Handler(sc, cfg.Log)
	if c.opts.release1 {
		h = withoutHybridKey(h)
	}
	return sc, h
}

// WriteKeysOfRelease1 replaces the key file in dir by the keys of release 1
// it holds (key type 1), as a central of release 1 kept them.
func WriteKeysOfRelease1(t testing.TB, dir string) {
	t.Helper()
	path := filepath.Join(dir, server.KeysFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.ParseCentralKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, keys.V1().Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// withoutHybridKey answers enrolments and package downloads as central of
// release 1 did: without the signed hybrid key.
func withoutHybridKey(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != osync.PathEnrol && r.URL.Path != osync.PathPackage {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var answer map[string]json.RawMessage
		if json.Unmarshal(body, &answer) == nil && answer["hybrid_key"] != nil {
			delete(answer, "hybrid_key")
			body, _ = json.Marshal(answer)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// Restart stops central and starts it again on the same data, changed by
// opts (WithLimits, WithLog), as an operator restarts it with other flags.
// Its address stays; tests must not use central while it restarts.
func (c *Central) Restart(t testing.TB, opts ...Option) {
	t.Helper()
	for _, opt := range opts {
		opt(&c.opts)
	}
	if err := c.Central.Close(); err != nil {
		t.Fatal(err)
	}
	c.open(t)
}

// Replica starts a second central process on the same data directory and
// database, as a load balancer's second replica, and returns its URL.
func (c *Central) Replica(t testing.TB) string {
	t.Helper()
	sc, h := c.process(t)
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); sc.Close() })
	return ts.URL
}

// DB opens central's database beside central, for a test to look at what
// it stores as an auditor would. It is closed when the test ends.
func (c *Central) DB(t testing.TB) *store.DB {
	t.Helper()
	if c.db == nil {
		db, err := store.Open(context.Background(), c.dsn())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close(); c.db = nil })
		c.db = db
	}
	return c.db
}

// BytesRead is how many bytes central's HTTP server has read from its
// connections so far: request lines, headers and whatever of the bodies it read.
func (c *Central) BytesRead() int64 { return c.read.Load() }

// countingListener counts the bytes read from the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{conn, l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// Roster is a roster CSV of n made-up candidates in room A101, tickets
// 2026BENCH00001 on, with valid resident ID numbers and seats 1 to n.
func Roster(n int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"准考证号", "姓名", "证件类型", "证件号码", "性别", "考生类别", "所在院校", "免考试费", "考场", "座位号"})
	surnames, given := []rune("王李张刘陈杨黄赵吴周"), []rune("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平")
	for i := range n {
		first17 := fmt.Sprintf("110101%s%03d", time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/900).Format("20060102"), i%900+100)
		gender := "女"
		if (first17[16]-'0')%2 == 1 {
			gender = "男"
		}
		name := string([]rune{surnames[i%len(surnames)], given[i%len(given)], given[(i/len(given))%len(given)]})
		w.Write([]string{fmt.Sprintf("2026BENCH%05d", i+1), name, exam.ResidentID, first17 + string(exam.ResidentIDCheck(first17)),
			gender, "在校学生", "示例职业技术学院", "否", "A101", strconv.Itoa(i + 1)})
	}
	w.Flush()
	return b.Bytes()
}

// Sample returns a sample file of package assets.
func Sample(t testing.TB, name string) io.Reader {
	t.Helper()
	b, err := fs.ReadFile(assets.Samples, "samples/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// PaperVersion imports the sample paper again as another version, for
// sessions with a release time of their own (every session of one paper
// version is released at the same time), and returns the version.
func (c *Central) PaperVersion(t testing.TB, version int) int {
	t.Helper()
	b, err := io.ReadAll(Sample(t, "paper-web-elementary.json"))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"format": "onex-paper/1",`), []byte(`"format": "onex-paper/1", "version": `+strconv.Itoa(version)+`,`), 1)
	if _, err := c.ImportPaper(context.Background(), bytes.NewReader(b), "test"); err != nil {
		t.Fatal(err)
	}
	return version
}

// EnrolCode makes a one-time enrolment code for the sample site.
func (c *Central) EnrolCode(t testing.TB) string {
	t.Helper()
	code, err := c.NewEnrolCode(context.Background(), "SITE-001", "test")
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// UnlockCode is the sample session's unlock code.
func (c *Central) UnlockCode(t testing.TB) string {
	t.Helper()
	code, err := c.Central.UnlockCode(context.Background(), c.Session.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// Release moves central's clock past the sample session's release time.
func (c *Central) Release() { c.Clock.Set(c.Session.ReleaseAt.Add(time.Minute)) }

// Results scores the sample session at central.
func (c *Central) Results(t testing.TB) []server.Result {
	t.Helper()
	res, err := c.SessionResults(context.Background(), c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Relay forwards TCP connections to a target; Cut drops the listener and
// every connection, Restore listens again on the same address.
type Relay struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// NewRelay listens on a free loopback port and forwards to target.
func NewRelay(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{target: target, addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	r.serve(ln)
	return r, nil
}

// Addr is the relay's address.
func (r *Relay) Addr() string { return r.addr }

// Target is where the relay forwards to.
func (r *Relay) Target() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.target
}

// SetTarget drops every open connection and forwards new ones to target
// instead, as a network attacker in between would: to another central, or
// an interceptor.
func (r *Relay) SetTarget(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = target
	for c := range r.conns {
		c.Close()
	}
}

func (r *Relay) serve(ln net.Listener) {
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.forward(c)
		}
	}()
}

func (r *Relay) forward(c net.Conn) {
	r.mu.Lock()
	target := r.target
	r.mu.Unlock()
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	r.mu.Lock()
	r.conns[c], r.conns[up] = true, true
	r.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	r.mu.Lock()
	delete(r.conns, c)
	delete(r.conns, up)
	r.mu.Unlock()
}

// Cut closes the listener and every open connection: central is unreachable.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for c := range r.conns {
		c.Close()
	}
}

// Restore listens again on the relay's address.
func (r *Relay) Restore() error {
	r.mu.Lock()
	up := r.ln != nil
	r.mu.Unlock()
	if up {
		return nil
	}
	var err error
	for range 50 { // the port may linger briefly after Cut
		var ln net.Listener
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			r.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// Close stops the relay.
func (r *Relay) Close() { r.Cut() }

// dsn names central's database.
func (c *Central) dsn() string {
	if c.opts.dsn == "" {
		return filepath.Join(c.Dir, "central.db")
	}
	return c.opts.dsn
}

// LogBuffer is a log sink that tests read while central or a site writes
// to it.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes is a copy of what was written.
func (b *LogBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// String is what was written.
func (b *LogBuffer) String() string { return string(b.Bytes()) }
