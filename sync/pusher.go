package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"onex/exam/seal"
)

// RetryPolicy is how one HTTP request is retried by go-retryablehttp: only
// transport errors and 408, 429, 502, 503 and 504 are retried, after a
// jittered exponential wait between WaitMin and WaitMax; a server's
// Retry-After is honoured but capped at WaitMax. Longer outages are the
// pusher's durable loop's business, not the request's.
type RetryPolicy struct {
	Retries int           // retries after the first try
	WaitMin time.Duration // first wait
	WaitMax time.Duration // cap of every wait, Retry-After included
	Timeout time.Duration // of one try
}

// DefaultRetry is the policy of NewClient(DefaultRetry, …): five tries over
// about ten seconds.
var DefaultRetry = RetryPolicy{Retries: 4, WaitMin: 500 * time.Millisecond, WaitMax: 8 * time.Second, Timeout: 60 * time.Second}

// NewClient returns an HTTP client that retries by p and logs through log at
// debug level only, with URLs reduced to their path; it never logs a body.
// A nil log is silent. It signs each retry of a request made by
// Signer.NewRequest afresh.
func NewClient(p RetryPolicy, log *slog.Logger) *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient.Timeout = p.Timeout
	c.RetryMax = p.Retries
	c.RetryWaitMin = p.WaitMin
	c.RetryWaitMax = p.WaitMax
	c.CheckRetry = CheckRetry
	c.PrepareRetry = resign
	c.Backoff = Backoff
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.Logger = nil
	if log != nil {
		c.Logger = redactingLogger{log}
	}
	return c
}

// WithRetry returns a copy of c that retries by p instead: each try times
// out after p.Timeout. The copy shares c's transport (its connections and
// its TLS trust); c is not changed.
func WithRetry(c *retryablehttp.Client, p RetryPolicy) *retryablehttp.Client {
	hc := *c.HTTPClient
	hc.Timeout = p.Timeout
	out := clone(c, &hc)
	out.RetryMax, out.RetryWaitMin, out.RetryWaitMax = p.Retries, p.WaitMin, p.WaitMax
	return out
}

// clone copies c's settings onto a new client over hc (a Client holds
// sync.Once fields, so it is not copied whole).
func clone(c *retryablehttp.Client, hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient: hc, Logger: c.Logger, RetryWaitMin: c.RetryWaitMin, RetryWaitMax: c.RetryWaitMax, RetryMax: c.RetryMax,
		RequestLogHook: c.RequestLogHook, ResponseLogHook: c.ResponseLogHook, CheckRetry: c.CheckRetry, Backoff: c.Backoff,
		ErrorHandler: c.ErrorHandler, PrepareRetry: c.PrepareRetry,
	}
}

// CheckRetry is the retry policy of NewClient: transport errors (but not a
// bad URL scheme, a TLS certificate refused or too many redirects), 408, 429,
// 502, 503 and 504; and, for a request made by Signer.NewRequest, a 401 for
// a replay or for the time (see Signer.NewRequest). Every other answer, 500
// included, is final.
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	return Retryable(resp.StatusCode) || retryRefusal(ctx, resp), nil
}

// Retryable reports whether an HTTP status is worth retrying.
func Retryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Backoff is the wait before retry number attempt+1: Retry-After if the
// server sent one (seconds or an HTTP date), else min·2^attempt with full
// jitter over its upper half; either capped at max.
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return clamp(d, 0, max)
		}
	}
	return jitter(min, max, attempt)
}

// jitter is min·2^attempt capped at max, drawn uniformly from its upper half.
// The jitter is not secret: math/rand/v2 is enough.
func jitter(min, max time.Duration, attempt int) time.Duration {
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	d = clamp(d, min, max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func clamp(d, lo, hi time.Duration) time.Duration { return min(max(d, lo), hi) }

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(24*time.Hour/time.Second) {
			s = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// redactingLogger adapts slog to retryablehttp's LeveledLogger: everything at
// debug level, URLs cut down to scheme, host and path.
type redactingLogger struct{ log *slog.Logger }

func (l redactingLogger) redact(kv []any) []any {
	out := make([]any, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		switch x := v.(type) {
		case string:
			if u, err := url.Parse(x); err == nil && u.Host != "" {
				v = u.Scheme + "://" + u.Host + u.Path
			}
		case error:
			v = redactError(x)
		}
		out = append(out, k, v)
	}
	return out
}

// redactError keeps an error's message but drops any URL query it quotes.
func redactError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			return ue.Op + " " + u.Scheme + "://" + u.Host + u.Path + ": " + ue.Err.Error()
		}
	}
	return err.Error()
}

func (l redactingLogger) Error(msg string, kv ...any) { l.log.Debug(msg, l.redact(kv)...) }
func (l redactingLogger) Warn(msg string, kv ...any)  { l.log.Debug(msg, l.redact(kv)...) }
func (l redactingLogger) Info(msg string, kv ...any)  { l.log.Debug(msg, l.redact(kv)...) }
func (l redactingLogger) Debug(msg string, kv ...any) { l.log.Debug(msg, l.redact(kv)...) }

// Outbox is the durable queue the pusher drains: the site store implements
// it. Records leave it only through Delivered (with a receipt the pusher
// verified) or Refused (central's reason kept for review).
type Outbox interface {
	// Pending returns up to max pending records, oldest first, whose
	// envelopes add up to at most maxBytes (but at least one record).
	Pending(ctx context.Context, max, maxBytes int) ([]Outgoing, error)
	// Delivered stores verified receipts and drops their envelopes, in one
	// transaction.
	Delivered(ctx context.Context, ds []Delivery) error
	// Refused marks records central refused; they stop being pending and
	// stay visible with the reason.
	Refused(ctx context.Context, rs []Refusal) error
}

// Outgoing is one pending record.
type Outgoing struct {
	RecordID string
	Envelope []byte
}

// Delivery is a record central acknowledged with a receipt that verified
// against the envelope sent.
type Delivery struct {
	RecordID     string
	Outcome      Outcome // Accepted or Duplicate
	EnvelopeHash seal.Hash
	Receipt      []byte
	ServerSeq    uint64
	ServerTime   time.Time
}

// Refusal is a record central refused, with its reason.
type Refusal struct {
	RecordID string
	Outcome  Outcome // Conflict or Rejected, or Rejected by the device for a record central cannot take
	Reason   string
}

// Errors of Push.
var (
	// ErrUnreachable: central could not be reached, or answered 408, 429 or
	// 5xx after every retry. The records stay pending.
	ErrUnreachable = errors.New("central unreachable")
	// ErrNoProgress: a batch went through but central's answers cleared no
	// record (receipts that do not verify, answers for other records). The
	// records stay pending.
	ErrNoProgress = errors.New("central's answers cleared no record")
)

// Why a request got no answer. TransportError wraps one of these, besides
// ErrUnreachable, when the cause is one of them, so that the site can tell
// staff in their language what to look at.
var (
	// ErrTimeout: central took longer than the request (or the caller) allows:
	// a hanging central, or a network that carries nothing.
	ErrTimeout = errors.New("central did not answer in time")
	// ErrConnRefused: central's machine answered but nothing listens there:
	// central is not running, or the address names another port.
	ErrConnRefused = errors.New("the connection to central was refused")
	// ErrNoNetwork: no route to central, or its name does not resolve: the
	// site's own network is down.
	ErrNoNetwork = errors.New("no network to central")
)

// transportCause is ErrTimeout, ErrConnRefused or ErrNoNetwork as err (a
// request's transport error) shows, or nil.
func transportCause(err error) error {
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnRefused
	case errors.As(err, &dns), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETDOWN), errors.Is(err, syscall.EHOSTDOWN):
		return ErrNoNetwork
	}
	return nil
}

// StatusError is a final HTTP answer other than success, with central's
// problem text and code.
type StatusError struct {
	Status  int
	Problem string
	Code    string // a Refused* code, or ""
}

func (e *StatusError) Error() string {
	if e.Problem != "" {
		return fmt.Sprintf("central answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Problem)
	}
	return fmt.Sprintf("central answered %d %s", e.Status, http.StatusText(e.Status))
}

// Unwrap makes errors.Is(err, ErrUnreachable) true for 5xx answers, and
// for a request refused as replayed: the network delivered it twice, each
// time, and the next try may fare better.
func (e *StatusError) Unwrap() error {
	if e.Status >= 500 || Retryable(e.Status) || e.Code == RefusedReplayed {
		return ErrUnreachable
	}
	return nil
}

// PusherConfig configures NewPusher.
type PusherConfig struct {
	ServerURL  string                 // central's base URL
	Signer     *Signer                // signs each batch request as the device's
	Central    *seal.CentralPublicKey // verifies receipts
	Outbox     Outbox
	Client     *retryablehttp.Client // nil: NewClient(DefaultRetry, Log)
	Log        *slog.Logger          // nil: silent
	MaxRecords int                   // per batch; 0: DefaultMaxRecords
	MaxBytes   int                   // per request body; 0: DefaultMaxBytes
	// ServerTime, if set, learns central's clock from each answer: server
	// is central's time, local the device's (the Signer's Clock) when the
	// answer came.
	ServerTime func(server, local time.Time)
	// Progress, if set, hears how each Push goes: before each batch is sent
	// and after central's answer to it is settled.
	Progress func(PushProgress)
}

// PushProgress is how far a Push is.
type PushProgress struct {
	PushStats     // what the Push did so far
	Sending   int // records of the batch on its way; 0 once central's answer is settled
}

// Default batch limits, used until central tells its own.
const (
	DefaultMaxRecords = 500
	DefaultMaxBytes   = 8 << 20
)

// Pusher sends the outbox to central in batches and clears each record
// only on a receipt it verified. Push drains once; Run is the durable loop.
type Pusher struct {
	cfg    PusherConfig
	client *retryablehttp.Client
	log    *slog.Logger
	url    string
	wake   chan struct{}

	mu         gosync.Mutex
	maxRecords int
	maxBytes   int
}

// NewPusher checks cfg and returns a pusher.
func NewPusher(cfg PusherConfig) (*Pusher, error) {
	u, err := url.Parse(cfg.ServerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pusher: server URL %q is not an http(s) URL", cfg.ServerURL)
	}
	if cfg.Central == nil || cfg.Outbox == nil || cfg.Signer == nil {
		return nil, errors.New("pusher: central key, signer and outbox are required")
	}
	p := &Pusher{cfg: cfg, client: cfg.Client, log: cfg.Log, url: strings.TrimRight(cfg.ServerURL, "/") + PathRecords,
		wake: make(chan struct{}, 1), maxRecords: cfg.MaxRecords, maxBytes: cfg.MaxBytes}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.client == nil {
		p.client = NewClient(DefaultRetry, cfg.Log)
	}
	if p.maxRecords <= 0 {
		p.maxRecords = DefaultMaxRecords
	}
	if p.maxBytes <= 0 {
		p.maxBytes = DefaultMaxBytes
	}
	return p, nil
}

// PushStats counts what one Push did.
type PushStats struct {
	Batches     int
	Sent        int // envelopes sent, retries not counted
	Accepted    int
	Duplicate   int
	Conflict    int
	Rejected    int
	BadReceipts int // acknowledgements whose receipt did not verify: the record stays pending
}

// Delivered is the number of records cleared by a verified receipt.
func (s PushStats) Delivered() int { return s.Accepted + s.Duplicate }

func (s *PushStats) add(o PushStats) {
	s.Batches += o.Batches
	s.Sent += o.Sent
	s.Accepted += o.Accepted
	s.Duplicate += o.Duplicate
	s.Conflict += o.Conflict
	s.Rejected += o.Rejected
	s.BadReceipts += o.BadReceipts
}

func (p *Pusher) limits() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxRecords, p.maxBytes
}

func (p *Pusher) setLimits(records, bytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if records > 0 {
		p.maxRecords = records
	}
	if bytes > 0 {
		p.maxBytes = bytes
	}
}

// envelopeBudget is how many envelope bytes fit a request body of maxBytes:
// base64 makes four bytes of three, and the JSON around them is small.
func envelopeBudget(maxBytes int) int { return max(1, (maxBytes-4096)/4*3) }

// Push sends batches until the outbox has nothing pending, central cannot be
// reached (ErrUnreachable), or central answers in a way that clears nothing.
// Records central accepted stay delivered whatever happens after.
func (p *Pusher) Push(ctx context.Context) (PushStats, error) {
	var total PushStats
	shrink := 0 // halvings of the batch size after 413s
	for {
		maxRecords, maxBytes := p.limits()
		maxRecords = max(1, maxRecords>>shrink)
		recs, err := p.cfg.Outbox.Pending(ctx, maxRecords, envelopeBudget(maxBytes))
		if err != nil {
			return total, fmt.Errorf("outbox: %w", err)
		}
		if len(recs) == 0 {
			return total, nil
		}
		p.progress(total, len(recs))
		stats, err := p.pushBatch(ctx, recs)
		total.add(stats)
		p.progress(total, 0)
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusRequestEntityTooLarge {
			if len(recs) > 1 {
				shrink++
				continue
			}
			// One record alone is too large for central: keep it for review.
			reason := "central refused the record as too large (413)"
			if rerr := p.cfg.Outbox.Refused(ctx, []Refusal{{RecordID: recs[0].RecordID, Outcome: Rejected, Reason: reason}}); rerr != nil {
				return total, fmt.Errorf("outbox: %w", rerr)
			}
			total.Rejected++
			continue
		}
		if err != nil {
			return total, err
		}
		if stats.Delivered()+stats.Conflict+stats.Rejected == 0 {
			return total, fmt.Errorf("%w (%d receipts did not verify)", ErrNoProgress, stats.BadReceipts)
		}
	}
}

// progress tells PusherConfig.Progress how far the Push is.
func (p *Pusher) progress(done PushStats, sending int) {
	if p.cfg.Progress != nil {
		p.cfg.Progress(PushProgress{PushStats: done, Sending: sending})
	}
}

// pushBatch sends one batch and settles each record central answered (see
// settle).
func (p *Pusher) pushBatch(ctx context.Context, recs []Outgoing) (PushStats, error) {
	stats := PushStats{Batches: 1, Sent: len(recs)}
	batch := Batch{Envelopes: make([][]byte, len(recs))}
	for i, r := range recs {
		batch.Envelopes[i] = r.Envelope
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return stats, err
	}
	req, err := p.cfg.Signer.NewRequest(ctx, http.MethodPost, p.url, body)
	if err != nil {
		return stats, fmt.Errorf("pusher: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return stats, ctx.Err()
		}
		return stats, TransportError(err)
	}
	defer resp.Body.Close()
	local := p.cfg.Signer.clock()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return stats, fmt.Errorf("reading central's answer: %w", TransportError(err))
	}
	p.setLimits(atoi(resp.Header.Get(HeaderMaxRecords)), atoi(resp.Header.Get(HeaderMaxBytes)))
	if resp.StatusCode != http.StatusOK {
		return stats, statusError(resp.StatusCode, data)
	}
	var br BatchResponse
	if err := json.Unmarshal(data, &br); err != nil {
		return stats, fmt.Errorf("central's batch answer: %w", err)
	}
	if len(br.Results) != len(recs) {
		return stats, fmt.Errorf("central answered %d results for %d records", len(br.Results), len(recs))
	}
	if p.cfg.ServerTime != nil && !br.ServerTime.IsZero() {
		p.cfg.ServerTime(br.ServerTime, local)
	}
	st := settle(p.cfg.Central, recs, br.Results)
	stats.add(st.stats)
	for _, n := range st.notes {
		p.log.Warn(n.msg, n.args...)
	}
	// Central has answered: its receipts are stored even if the caller's
	// deadline passes now, or the records would go again for nothing.
	keep := context.WithoutCancel(ctx)
	if len(st.delivered) > 0 {
		if err := p.cfg.Outbox.Delivered(keep, st.delivered); err != nil {
			return stats, fmt.Errorf("outbox: %w", err)
		}
	}
	if len(st.refused) > 0 {
		if err := p.cfg.Outbox.Refused(keep, st.refused); err != nil {
			return stats, fmt.Errorf("outbox: %w", err)
		}
	}
	return stats, nil
}

// settlement is what central's answers to a batch do to its records.
type settlement struct {
	delivered []Delivery // verified receipts: the records leave the outbox
	refused   []Refusal  // conflicts and rejections: kept for review
	stats     PushStats  // Accepted, Duplicate, Conflict, Rejected and BadReceipts
	notes     []note     // what to log, at warning level
}

// note is a log line: a message and its attributes.
type note struct {
	msg  string
	args []any
}

// settle decides, for each record of a batch and central's answer to it in
// the same place, what happens: an acceptance or duplicate with a receipt
// that verifies against the envelope sent is a delivery; a conflict or
// rejection is a refusal with central's reason; anything else (an answer
// for another record, a receipt that does not verify, an unknown outcome)
// leaves the record pending and counts as a bad receipt. It does no I/O.
func settle(central *seal.CentralPublicKey, recs []Outgoing, results []RecordResult) settlement {
	var st settlement
	for i, res := range results {
		rec := recs[i]
		if res.RecordID != "" && res.RecordID != rec.RecordID {
			st.stats.BadReceipts++
			st.notes = append(st.notes, note{"central answered for another record", []any{"record", rec.RecordID, "answered", res.RecordID}})
			continue
		}
		switch res.Outcome {
		case Accepted, Duplicate:
			rc, err := seal.VerifyReceipt(central, res.Receipt, rec.Envelope)
			if err != nil {
				st.stats.BadReceipts++
				st.notes = append(st.notes, note{"receipt does not verify; record kept", []any{"record", rec.RecordID, "err", err}})
				continue
			}
			st.delivered = append(st.delivered, Delivery{RecordID: rec.RecordID, Outcome: res.Outcome, EnvelopeHash: rc.EnvelopeHash,
				Receipt: res.Receipt, ServerSeq: rc.ServerSeq, ServerTime: rc.ServerTime})
			if res.Outcome == Accepted {
				st.stats.Accepted++
			} else {
				st.stats.Duplicate++
			}
		case Conflict, Rejected:
			st.refused = append(st.refused, Refusal{RecordID: rec.RecordID, Outcome: res.Outcome, Reason: res.Reason})
			if res.Outcome == Conflict {
				st.stats.Conflict++
			} else {
				st.stats.Rejected++
			}
			st.notes = append(st.notes, note{"central refused a record", []any{"record", rec.RecordID, "outcome", res.Outcome, "reason", res.Reason}})
		default:
			st.stats.BadReceipts++
			st.notes = append(st.notes, note{"central answered an unknown outcome; record kept", []any{"record", rec.RecordID, "outcome", res.Outcome}})
		}
	}
	return st
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// statusError reads central's problem text from a failed answer.
func statusError(status int, body []byte) error {
	var pr Problem
	if json.Unmarshal(body, &pr) != nil || pr.Error == "" {
		pr.Error = strings.TrimSpace(string(bytes.ToValidUTF8(body[:min(len(body), 200)], nil)))
	}
	return &StatusError{Status: status, Problem: pr.Error, Code: pr.Code}
}

// StatusErrorFrom returns central's answer as a *StatusError; callers of
// other endpoints use it to report a failed answer the same way.
func StatusErrorFrom(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return statusError(resp.StatusCode, body)
}

// Notify wakes Run to push now: call it after queueing records.
func (p *Pusher) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// RunPolicy paces Run.
type RunPolicy struct {
	Idle     time.Duration // between pushes while everything goes through
	RetryMin time.Duration // first wait after a failed push
	RetryMax time.Duration // cap of the wait between failed pushes
}

// DefaultRun pushes every 30 seconds, and after a failure waits 5 seconds,
// doubling to 5 minutes while central stays away.
var DefaultRun = RunPolicy{Idle: 30 * time.Second, RetryMin: 5 * time.Second, RetryMax: 5 * time.Minute}

// Run is the durable retry loop: it pushes at once, then whenever Notify is
// called or the idle time passes, and after a failure waits a jittered,
// doubling, capped time. It returns when ctx is done. The outbox is durable,
// so a Run started after a restart carries on where the last one stopped.
func (p *Pusher) Run(ctx context.Context, pol RunPolicy) {
	var wait time.Duration
	fails := 0
	for {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-p.wake:
			if fails > 0 {
				// central is away: a new record does not shorten the wait.
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-timer.C:
				}
			}
			timer.Stop()
		case <-timer.C:
		}
		stats, err := p.Push(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			fails++
			wait = jitter(pol.RetryMin, pol.RetryMax, fails-1)
			p.log.Warn("push failed; will retry", "err", err, "delivered", stats.Delivered(), "retry_in", wait.Round(time.Second))
		default:
			if fails > 0 || stats.Sent > 0 {
				p.log.Info("outbox pushed", "delivered", stats.Delivered(), "refused", stats.Conflict+stats.Rejected)
			}
			fails = 0
			wait = pol.Idle
		}
	}
}
