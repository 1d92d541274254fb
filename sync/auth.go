package sync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"onex/exam/seal"
)

// AuthVersion starts the message a device signs for each request (PROTOCOL.md).
const AuthVersion = "onex-auth/2"

// Headers of a device request. Every call but enrolment carries all six;
// the signature covers the other five with the method and the target.
const (
	HeaderDevice    = "X-OneX-Device"
	HeaderTime      = "X-OneX-Time"           // unix seconds by central's clock as the device reckons it
	HeaderClock     = "X-OneX-Device-Clock"   // unix seconds by the device's own clock
	HeaderNonce     = "X-OneX-Nonce"          // 16 random bytes, 32 lower-case hex digits
	HeaderBodyHash  = "X-OneX-Content-SHA256" // SHA-256 of the body, 64 lower-case hex digits
	HeaderSignature = "X-OneX-Signature"      // Ed25519 by the device key, standard base64
)

// AuthWindow is how far a request's time may be from central's clock.
// Central remembers every nonce for longer than that, so a request is
// answered once at most.
const AuthWindow = 15 * time.Minute

// Codes of refused device requests: Problem.Code, and the error parameter
// of WWW-Authenticate on a 401.
const (
	RefusedHeaders   = "headers"   // authentication headers missing or malformed
	RefusedDevice    = "device"    // the device is not enrolled
	RefusedTime      = "time"      // the time is outside AuthWindow of central's clock (see Date)
	RefusedSignature = "signature" // the signature does not verify
	RefusedReplayed  = "replayed"  // central has seen the nonce: a replay, or a request the network delivered twice
	RefusedBody      = "body"      // the body is not the one signed
	RefusedBusy      = "busy"      // 503: central takes no more batches now; try after Retry-After
	RefusedRevoked   = "revoked"   // 403: the office revoked the device (its signature holds); enrol the machine again
	// Refusals of enrolment and of any request [added, issue 12]: the site
	// shows each in its staff's language.
	RefusedEnrolCode = "enrol_code" // 400: the enrolment code is unknown, used or expired
	RefusedThrottled = "throttled"  // 429: too many failed attempts from this address; try after Retry-After
	RefusedTooLarge  = "too_large"  // 413: the request body is larger than central takes
	RefusedNotFound  = "not_found"  // 404: no such session for this device's site
	RefusedInput     = "input"      // 400: the request is malformed (the detail says how)
)

// AuthScheme is the scheme of central's WWW-Authenticate header.
const AuthScheme = "OneX-Signature"

// AuthError is a device request refused for its authentication; Code is one
// of the Refused* codes.
type AuthError struct {
	Code   string
	Reason string
}

func (e *AuthError) Error() string { return e.Reason }

func authErrorf(code, format string, args ...any) *AuthError {
	return &AuthError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Auth is what a device signs to authenticate one request.
type Auth struct {
	Method   string
	Target   string // the path and query as sent, such as /api/v1/package?cursor=3
	DeviceID string
	Time     int64  // unix seconds by central's clock as the device reckons it
	Clock    int64  // unix seconds by the device's own clock
	Nonce    string // 32 lower-case hex digits
	BodyHash string // 64 lower-case hex digits
}

// Message is the byte string the device signs (seal.DeviceKey.SignRequest).
func (a Auth) Message() []byte {
	return []byte(strings.Join([]string{AuthVersion, a.Method, a.Target, a.DeviceID,
		strconv.FormatInt(a.Time, 10), strconv.FormatInt(a.Clock, 10), a.Nonce, a.BodyHash}, "\n"))
}

// Hash is the SHA-256 of Message: how central's signed answers name the
// request they answer.
func (a Auth) Hash() seal.Hash { return sha256.Sum256(a.Message()) }

// BodyHash is the hex SHA-256 of a body, as HeaderBodyHash carries it.
func BodyHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// EmptyBodyHash is BodyHash of no body: what a GET signs.
var EmptyBodyHash = BodyHash(nil)

// ParseAuth reads the authentication headers of a request with the given
// method and target, and returns them with the signature. It checks the
// form of each field only; Verify checks the signature and the time.
// Errors are *AuthError with code RefusedHeaders.
func ParseAuth(method, target string, h http.Header) (Auth, []byte, error) {
	a := Auth{Method: method, Target: target, DeviceID: h.Get(HeaderDevice), Nonce: h.Get(HeaderNonce), BodyHash: h.Get(HeaderBodyHash)}
	bad := func(header, want string) (Auth, []byte, error) {
		return Auth{}, nil, authErrorf(RefusedHeaders, "%s header %q is not %s", header, h.Get(header), want)
	}
	if !printable(method, 16) || method == "" {
		return bad("method", "an HTTP method")
	}
	if !printable(target, 4096) || !strings.HasPrefix(target, "/") {
		return bad("target", "a path")
	}
	if !printable(a.DeviceID, 128) || a.DeviceID == "" {
		return bad(HeaderDevice, "a device id")
	}
	var ok bool
	if a.Time, ok = canonicalInt(h.Get(HeaderTime)); !ok {
		return bad(HeaderTime, "unix seconds")
	}
	if a.Clock, ok = canonicalInt(h.Get(HeaderClock)); !ok {
		return bad(HeaderClock, "unix seconds")
	}
	if !lowerHex(a.Nonce, 32) {
		return bad(HeaderNonce, "32 lower-case hex digits")
	}
	if !lowerHex(a.BodyHash, 64) {
		return bad(HeaderBodyHash, "64 lower-case hex digits")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(h.Get(HeaderSignature))
	if err != nil || len(sig) != 64 {
		return bad(HeaderSignature, "64 bytes in base64")
	}
	return a, sig, nil
}

// Verify checks that a request's time is within AuthWindow of now and that
// the device key signed it. Central then checks the nonce is new and the
// body is the one signed.
func (a Auth) Verify(pub *seal.DevicePublicKey, sig []byte, now time.Time) error {
	if d := now.Sub(time.Unix(a.Time, 0)); d > AuthWindow || d < -AuthWindow {
		return authErrorf(RefusedTime, "request time is %s off central's clock (see the Date header)", d.Round(time.Second))
	}
	if err := pub.VerifyRequest(a.Message(), sig); err != nil {
		return authErrorf(RefusedSignature, "%v", err)
	}
	return nil
}

// canonicalInt parses a decimal integer written as strconv writes it.
func canonicalInt(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && strconv.FormatInt(v, 10) == s
}

func lowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// printable: at most max bytes of printable ASCII, so no field can hold the
// message's separator.
func printable(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// Signer signs a device's requests.
type Signer struct {
	DeviceID string
	Key      *seal.DeviceKey
	// Clock is the device's clock; nil is time.Now.
	Clock func() time.Time
	// Offset is central's clock minus the device's, as last learned; nil is
	// none. The signed time is Clock plus Offset, so a device whose clock is
	// off is not locked out.
	Offset func() time.Duration
	// Learn, when set, is told central's time from the Date of an answer
	// that refused the signed time, and the device's clock when it came.
	Learn func(central, local time.Time)
}

func (s *Signer) clock() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

// Sign sets the authentication headers of req, whose body has the given
// hex SHA-256 (BodyHash), with a fresh nonce and the time now. It returns
// what it signed.
func (s *Signer) Sign(req *http.Request, bodyHash string) (Auth, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return Auth{}, err
	}
	local := s.clock()
	at := local
	if s.Offset != nil {
		at = at.Add(s.Offset())
	}
	a := Auth{Method: req.Method, Target: req.URL.RequestURI(), DeviceID: s.DeviceID, Time: at.Unix(), Clock: local.Unix(),
		Nonce: hex.EncodeToString(nonce[:]), BodyHash: bodyHash}
	req.Header.Set(HeaderDevice, a.DeviceID)
	req.Header.Set(HeaderTime, strconv.FormatInt(a.Time, 10))
	req.Header.Set(HeaderClock, strconv.FormatInt(a.Clock, 10))
	req.Header.Set(HeaderNonce, a.Nonce)
	req.Header.Set(HeaderBodyHash, a.BodyHash)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(s.Key.SignRequest(a.Message())))
	return a, nil
}

// signing is a request's signer and body hash, carried in its context so
// that a client made by NewClient signs each retry afresh.
type signing struct {
	*Signer
	bodyHash string
}

type signingKey struct{}

// NewRequest makes a signed request for go-retryablehttp. A client made by
// NewClient signs every retry afresh (a new nonce, the time corrected), and
// retries a request central refused as replayed (the network delivered it
// twice) or for its time (the device's clock was off: Learn is told
// central's). The body is sent as the same bytes on every try.
func (s *Signer) NewRequest(ctx context.Context, method, url string, body []byte) (*retryablehttp.Request, error) {
	sg := &signing{s, BodyHash(body)}
	var rb any
	if body != nil {
		rb = body
	}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, signingKey{}, sg), method, url, rb)
	if err != nil {
		return nil, err
	}
	if _, err := s.Sign(req.Request, sg.bodyHash); err != nil {
		return nil, err
	}
	return req, nil
}

// resign is NewClient's PrepareRetry: a signed request gets new headers.
func resign(req *http.Request) error {
	sg, ok := req.Context().Value(signingKey{}).(*signing)
	if !ok {
		return nil
	}
	req.Header = req.Header.Clone() // the last try's request shares the map
	_, err := sg.Sign(req, sg.bodyHash)
	return err
}

// SignedAs returns the authentication a request carries, as its signer set
// it: how a device finds the request an answer names (resp.Request).
func SignedAs(req *http.Request) (Auth, error) {
	a, _, err := ParseAuth(req.Method, req.URL.RequestURI(), req.Header)
	return a, err
}

// AuthRefusal is the code of a 401 answer's WWW-Authenticate header, or "".
func AuthRefusal(resp *http.Response) string {
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		return ""
	}
	_, params, ok := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
	if !ok {
		return ""
	}
	for p := range strings.SplitSeq(params, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(p), `error="`); ok {
			code, _, _ := strings.Cut(v, `"`)
			return code
		}
	}
	return ""
}

// retryRefusal reports whether a refused signed request is worth signing
// again at once: a replay (a copy of it reached central first), or a time
// central refused, once the signer has learnt central's from Date.
func retryRefusal(ctx context.Context, resp *http.Response) bool {
	sg, ok := ctx.Value(signingKey{}).(*signing)
	if !ok {
		return false
	}
	switch AuthRefusal(resp) {
	case RefusedReplayed:
		return true
	case RefusedTime:
		date, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil || sg.Learn == nil {
			return false
		}
		sg.Learn(date, sg.clock())
		return true
	}
	return false
}
