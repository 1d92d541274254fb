package sync_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"onex/exam/seal"
	osync "onex/sync"
)

var update = flag.Bool("update", false, "rewrite testdata/auth_vectors.json")

const authVectorsFile = "testdata/auth_vectors.json"

// signedVector is a request a device signs: the inputs (method, target,
// device, times, nonce, body) and what follows from them.
type signedVector struct {
	Name        string `json:"name"`
	Method      string `json:"method"`
	Target      string `json:"target"`
	DeviceID    string `json:"device_id"`
	Time        int64  `json:"time"`
	Clock       int64  `json:"clock"`
	Nonce       string `json:"nonce"`
	Body        string `json:"body"`
	BodySHA256  string `json:"body_sha256"`
	Message     string `json:"message"`
	Signature   string `json:"signature"`
	RequestHash string `json:"request_hash"`
}

// receivedVector is a request as central receives it, in order: the
// headers and body of a signed request, perhaps changed on the way, and the
// code central refuses it with ("" when it answers it).
type receivedVector struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Target  string            `json:"target"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Want    string            `json:"want"`
}

type authVectors struct {
	Comment       string           `json:"comment"`
	DevicePrivate string           `json:"device_private"` // seal key format, hex
	DevicePublic  string           `json:"device_public"`
	CentralNow    int64            `json:"central_now"` // central's clock, unix seconds, when it receives them
	Signed        []signedVector   `json:"signed"`
	Received      []receivedVector `json:"received"`
}

// TestAuthVectors recomputes testdata/auth_vectors.json: every signed
// request's body hash, message, signature (Ed25519 is deterministic) and
// hash, and central's verdict on every received request in order, with a
// reference check that follows PROTOCOL.md. With -update it writes the file
// afresh:
//
//	go test ./sync -run TestAuthVectors -update
func TestAuthVectors(t *testing.T) {
	in := newAuthVectors(t)
	if !*update {
		in = readAuthVectors(t)
	}
	want, _ := json.MarshalIndent(in, "", "  ")
	have, _ := json.MarshalIndent(computeAuthVectors(t, in), "", "  ")
	switch {
	case *update:
		if err := os.WriteFile(authVectorsFile, append(have, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	case !bytes.Equal(want, have):
		t.Fatalf("vectors differ from %s; recomputed:\n%s", authVectorsFile, have)
	}
}

func readAuthVectors(t *testing.T) authVectors {
	t.Helper()
	var v authVectors
	b, err := os.ReadFile(authVectorsFile)
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newAuthVectors(t *testing.T) authVectors {
	seed := sha256.Sum256([]byte("onex-auth/2 vectors"))
	v := authVectors{
		Comment:       "Test vectors of the device request signature, PROTOCOL.md. Regenerate: go test ./sync -run TestAuthVectors -update",
		DevicePrivate: hex.EncodeToString(append([]byte("OXK\x01\x03"), seed[:]...)),
		CentralNow:    time.Date(2026, 12, 1, 8, 50, 0, 0, time.UTC).Unix(),
	}
	nonce := func(i int) string {
		h := sha256.Sum256([]byte{byte(i)})
		return hex.EncodeToString(h[:16])
	}
	const device = "0197685a-0000-7000-8000-000000000001"
	now := v.CentralNow
	batch := `{"envelopes":["T1hFAQ=="]}`
	v.Signed = []signedVector{
		{Name: "package download", Method: "GET", Target: "/api/v1/package?cursor=3", DeviceID: device, Time: now - 2, Clock: now + 358, Nonce: nonce(1)},
		{Name: "release", Method: "GET", Target: "/api/v1/sessions/SITE-001-A101-202612010900/release", DeviceID: device, Time: now, Clock: now + 360, Nonce: nonce(2)},
		{Name: "batch", Method: "POST", Target: "/api/v1/records", DeviceID: device, Time: now + 1, Clock: now + 361, Nonce: nonce(3), Body: batch},
		{Name: "package download with the nonce of the first", Method: "GET", Target: "/api/v1/package?cursor=4", DeviceID: device, Time: now + 2, Clock: now + 362, Nonce: nonce(1)},
		{Name: "signed 16 minutes ago", Method: "GET", Target: "/api/v1/package?cursor=3", DeviceID: device, Time: now - 16*60, Clock: now - 16*60 + 360, Nonce: nonce(5)},
		{Name: "another batch", Method: "POST", Target: "/api/v1/records", DeviceID: device, Time: now + 3, Clock: now + 363, Nonce: nonce(6), Body: batch},
	}
	return v
}

// computeAuthVectors copies the inputs of in and computes every output.
func computeAuthVectors(t *testing.T, in authVectors) authVectors {
	v := in
	priv, err := hex.DecodeString(v.DevicePrivate)
	if err != nil {
		t.Fatal(err)
	}
	key, err := seal.ParseDeviceKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v.DevicePublic = hex.EncodeToString(key.Public().Marshal())
	v.Signed = append([]signedVector(nil), in.Signed...)
	headers := make([]map[string]string, len(v.Signed))
	for i := range v.Signed {
		s := &v.Signed[i]
		a := osync.Auth{Method: s.Method, Target: s.Target, DeviceID: s.DeviceID, Time: s.Time, Clock: s.Clock, Nonce: s.Nonce, BodyHash: osync.BodyHash([]byte(s.Body))}
		s.BodySHA256 = a.BodyHash
		s.Message = string(a.Message())
		sig := key.SignRequest(a.Message())
		s.Signature = b64(sig)
		h := a.Hash()
		s.RequestHash = hex.EncodeToString(h[:])
		// Signer.Sign, with this key, clock and nonce, sets the same headers.
		req, _ := http.NewRequest(s.Method, "http://central"+s.Target, strings.NewReader(s.Body))
		headers[i] = map[string]string{
			osync.HeaderDevice: s.DeviceID, osync.HeaderTime: itoa(s.Time), osync.HeaderClock: itoa(s.Clock),
			osync.HeaderNonce: s.Nonce, osync.HeaderBodyHash: a.BodyHash, osync.HeaderSignature: s.Signature,
		}
		if got, err := osync.SignedAs(withHeaders(req, headers[i])); err != nil || got != a {
			t.Fatalf("%s: the headers read back as %+v, %v", s.Name, got, err)
		}
	}
	if *update {
		v.Received = receivedFrom(v.Signed, headers)
	}
	v.Received = append([]receivedVector(nil), v.Received...)
	seen := map[string]bool{}
	now := time.Unix(v.CentralNow, 0)
	for i := range v.Received {
		r := &v.Received[i]
		r.Want = check(key.Public(), now, seen, r)
	}
	return v
}

// receivedFrom is what central receives: the signed requests, some twice,
// some changed on the way.
func receivedFrom(signed []signedVector, headers []map[string]string) []receivedVector {
	as := func(name string, i int) receivedVector {
		s := signed[i]
		h := map[string]string{}
		for k, v := range headers[i] {
			h[k] = v
		}
		return receivedVector{Name: name, Method: s.Method, Target: s.Target, Headers: h, Body: s.Body}
	}
	changed := func(r receivedVector, f func(*receivedVector)) receivedVector {
		f(&r)
		return r
	}
	return []receivedVector{
		as("package download", 0),
		as("package download again: a replay", 0),
		changed(as("release with the cursor query added", 1), func(r *receivedVector) { r.Target += "?cursor=0" }),
		as("release", 1),
		changed(as("batch with its body changed", 2), func(r *receivedVector) { r.Body = `{"envelopes":[]}` }),
		as("batch again, as signed: its nonce is spent", 2),
		as("a new request with the nonce of the first", 3),
		as("signed 16 minutes before central's clock", 4),
		changed(as("another batch with the device clock changed", 5), func(r *receivedVector) { r.Headers[osync.HeaderClock] = itoa(signed[5].Clock + 1) }),
		changed(as("another batch without a nonce", 5), func(r *receivedVector) { delete(r.Headers, osync.HeaderNonce) }),
		changed(as("another batch from an unknown device", 5), func(r *receivedVector) { r.Headers[osync.HeaderDevice] = "someone-else" }),
		as("another batch", 5),
	}
}

// check is central's check of a received request, in PROTOCOL.md's order:
// the headers' form, the device, the time and the signature, the nonce
// (remembered only once all of those hold), then the body.
func check(pub *seal.DevicePublicKey, now time.Time, seen map[string]bool, r *receivedVector) string {
	req, _ := http.NewRequest(r.Method, "http://central"+r.Target, nil)
	a, sig, err := osync.ParseAuth(r.Method, r.Target, withHeaders(req, r.Headers).Header)
	if err == nil && a.DeviceID != "0197685a-0000-7000-8000-000000000001" {
		return osync.RefusedDevice
	}
	if err == nil {
		err = a.Verify(pub, sig, now)
	}
	var ae *osync.AuthError
	if errors.As(err, &ae) {
		return ae.Code
	}
	if seen[a.Nonce] {
		return osync.RefusedReplayed
	}
	seen[a.Nonce] = true
	if a.BodyHash != osync.BodyHash([]byte(r.Body)) {
		return osync.RefusedBody
	}
	return ""
}

func withHeaders(req *http.Request, h map[string]string) *http.Request {
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return req
}

// TestSignerMatchesTheVectors: Signer.Sign writes the headers and message
// of the vectors (the nonce aside, which it draws itself).
func TestSignerMatchesTheVectors(t *testing.T) {
	v := readAuthVectors(t)
	priv, _ := hex.DecodeString(v.DevicePrivate)
	key, err := seal.ParseDeviceKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	s := v.Signed[0]
	signer := &osync.Signer{DeviceID: s.DeviceID, Key: key,
		Clock:  func() time.Time { return time.Unix(s.Clock, 0) },
		Offset: func() time.Duration { return time.Duration(s.Time-s.Clock) * time.Second }}
	req, _ := http.NewRequest(s.Method, "http://central"+s.Target, nil)
	a, err := signer.Sign(req, osync.EmptyBodyHash)
	if err != nil {
		t.Fatal(err)
	}
	if a.Time != s.Time || a.Clock != s.Clock || a.Target != s.Target || a.BodyHash != s.BodySHA256 || len(a.Nonce) != 32 {
		t.Fatalf("signed %+v, vector %+v", a, s)
	}
	a.Nonce = s.Nonce
	if string(a.Message()) != s.Message || b64(key.SignRequest(a.Message())) != s.Signature {
		t.Fatalf("message %q, vector %q", a.Message(), s.Message)
	}
}

// FuzzParseAuth: headers are outside input to central. Whatever they hold,
// ParseAuth never panics; what it accepts rebuilds into headers that parse
// to the same, and its message has exactly eight lines.
func FuzzParseAuth(f *testing.F) {
	f.Add("GET", "/api/v1/package?cursor=3", "dev-1", "1796000000", "1796000360", strings.Repeat("a", 32), osync.EmptyBodyHash, strings.Repeat("A", 86)+"==")
	f.Add("POST", "/api/v1/records", "dev\n1", "+1", "01", "", "", "!!!")
	f.Add("GET", "x", "", "-0", "9223372036854775808", strings.Repeat("A", 32), strings.Repeat("0", 64), "")
	f.Fuzz(func(t *testing.T, method, target, device, at, clock, nonce, body, sig string) {
		h := http.Header{}
		for k, v := range map[string]string{osync.HeaderDevice: device, osync.HeaderTime: at, osync.HeaderClock: clock,
			osync.HeaderNonce: nonce, osync.HeaderBodyHash: body, osync.HeaderSignature: sig} {
			h.Set(k, v)
		}
		a, s, err := osync.ParseAuth(method, target, h)
		if err != nil {
			var ae *osync.AuthError
			if !errors.As(err, &ae) || ae.Code != osync.RefusedHeaders {
				t.Fatalf("error %v is not a refusal for the headers", err)
			}
			return
		}
		if n := bytes.Count(a.Message(), []byte("\n")); n != 7 || len(s) != 64 {
			t.Fatalf("message %q has %d line breaks, signature %d bytes", a.Message(), n, len(s))
		}
		back := http.Header{}
		for k, v := range map[string]string{osync.HeaderDevice: a.DeviceID, osync.HeaderTime: itoa(a.Time), osync.HeaderClock: itoa(a.Clock),
			osync.HeaderNonce: a.Nonce, osync.HeaderBodyHash: a.BodyHash, osync.HeaderSignature: b64(s)} {
			back.Set(k, v)
		}
		if again, _, err := osync.ParseAuth(method, target, back); err != nil || again != a {
			t.Fatalf("%+v reads back as %+v, %v", a, again, err)
		}
	})
}

// FuzzAuthRefusal: central's WWW-Authenticate is outside input to the
// device; whatever it holds, the code read is a part of it without quotes.
func FuzzAuthRefusal(f *testing.F) {
	for _, h := range []string{osync.AuthScheme + ` error="replayed"`, osync.AuthScheme + ` a="b", error="time"`, `x error="`, "", " "} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		code := osync.AuthRefusal(&http.Response{StatusCode: 401, Header: http.Header{"Www-Authenticate": {h}}})
		if strings.Contains(code, `"`) || !strings.Contains(h, code) {
			t.Fatalf("%q read as code %q", h, code)
		}
	})
}

// TestAuthRefusal reads the code of a 401's WWW-Authenticate.
func TestAuthRefusal(t *testing.T) {
	for _, tc := range []struct {
		status int
		header string
		want   string
	}{
		{401, osync.AuthScheme + ` error="replayed"`, osync.RefusedReplayed},
		{401, osync.AuthScheme + ` realm="onex", error="time"`, osync.RefusedTime},
		{401, osync.AuthScheme, ""},
		{401, `Basic realm="x"`, ""},
		{401, osync.AuthScheme + ` error="time`, "time"},
		{503, osync.AuthScheme + ` error="replayed"`, ""},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Www-Authenticate": {tc.header}}}
		if got := osync.AuthRefusal(resp); got != tc.want {
			t.Errorf("%d %q: %q, want %q", tc.status, tc.header, got, tc.want)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
