package servertest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	osync "onex/sync"
)

// Device is a site device speaking to central over HTTP as the site app
// does, by hand: enrolled with its own key, signing its requests, sealing
// its records in a chain of its own.
type Device struct {
	ID      string
	Key     *seal.DeviceKey
	Central *seal.CentralPublicKey
	Epoch   uint64
	Seq     uint64
	Prev    seal.Hash
	Skew    time.Duration // how far the device's clock is ahead of central's

	t testing.TB
	c *Central
}

// Enrol enrols a new device of a site over HTTP, with a code central makes.
func (c *Central) Enrol(t testing.TB, site string) *Device {
	t.Helper()
	code, err := c.NewEnrolCode(t.Context(), site, "test")
	if err != nil {
		t.Fatal(err)
	}
	dk, err := seal.GenerateDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	var resp osync.EnrolResponse
	if code := c.PostJSON(t, osync.PathEnrol, osync.EnrolRequest{Code: strings.ToLower(code), DeviceName: "考场 A101 主机", PublicKey: dk.Public().Marshal()}, &resp); code != 200 {
		t.Fatalf("enrol: %d", code)
	}
	central, err := seal.ParseCentralPublicKey(resp.CentralKey)
	if err != nil || central.Fingerprint() != c.PublicKey().V1().Fingerprint() || resp.SiteCode != site {
		t.Fatalf("enrol response %+v: %v", resp, err)
	}
	if resp.HybridKey != nil {
		if central, err = resp.HybridKey.Open(central); err != nil || central.Fingerprint() != c.PublicKey().Fingerprint() {
			t.Fatalf("enrol response's hybrid key: %v", err)
		}
	}
	return &Device{t: t, c: c, Key: dk, ID: resp.DeviceID, Central: central, Epoch: 42}
}

// PostJSON posts body as JSON to central, decodes the answer into out
// (unless nil) and returns the status code.
func (c *Central) PostJSON(t testing.TB, path string, body, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.HTTP.Post(c.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// Signer signs as the device: its clock is central's plus Skew, and it has
// learnt the skew, so it signs central's time.
func (d *Device) Signer() *osync.Signer {
	return &osync.Signer{DeviceID: d.ID, Key: d.Key,
		Clock:  func() time.Time { return d.c.Clock.Now().Add(d.Skew) },
		Offset: func() time.Duration { return -d.Skew }}
}

// SignedRequest is a request of target (a path and query) with no body,
// signed by the device.
func (d *Device) SignedRequest(method, target string) *http.Request {
	d.t.Helper()
	return d.sign(method, target, d.Signer())
}

// SignedRequestAt is SignedRequest signed at another time.
func (d *Device) SignedRequestAt(method, target string, at time.Time) *http.Request {
	d.t.Helper()
	return d.sign(method, target, &osync.Signer{DeviceID: d.ID, Key: d.Key, Clock: func() time.Time { return at }})
}

func (d *Device) sign(method, target string, s *osync.Signer) *http.Request {
	d.t.Helper()
	req, err := http.NewRequest(method, d.c.URL+target, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := s.Sign(req, osync.EmptyBodyHash); err != nil {
		d.t.Fatal(err)
	}
	return req
}

// Get makes a GET signed by the device, decodes the answer into out and
// returns the status code.
func (d *Device) Get(path string, out any) int {
	d.t.Helper()
	resp, err := d.c.HTTP.Do(d.SignedRequest("GET", path))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

// Seal makes the device's next record, created at central's time.
func (d *Device) Seal(kind string, payload any) *seal.Envelope {
	d.t.Helper()
	return d.SealAt(kind, payload, d.c.Clock.Now())
}

// SealAt makes the device's next record as made at device time at: a
// device whose clock is wrong, or a record dated by whoever sealed it.
func (d *Device) SealAt(kind string, payload any, at time.Time) *seal.Envelope {
	d.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		d.t.Fatal(err)
	}
	d.Seq++
	env, err := seal.SealRecord(d.Key, d.Central, seal.Header{DeviceID: d.ID, Epoch: d.Epoch, Seq: d.Seq, Prev: d.Prev, Kind: kind, Created: at}, b)
	if err != nil {
		d.t.Fatal(err)
	}
	d.Prev = env.Hash
	return env
}

// BatchRequest is a batch of envelopes as the site's pusher sends it,
// signed by the device.
func (d *Device) BatchRequest(envs ...[]byte) *http.Request {
	d.t.Helper()
	b, err := json.Marshal(osync.Batch{Envelopes: envs})
	if err != nil {
		d.t.Fatal(err)
	}
	return d.SignedPost(osync.PathRecords, b)
}

// SignedPost is a POST of a JSON body to target, signed by the device.
func (d *Device) SignedPost(target string, body []byte) *http.Request {
	d.t.Helper()
	req, err := http.NewRequest("POST", d.c.URL+target, bytes.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if _, err := d.Signer().Sign(req, osync.BodyHash(body)); err != nil {
		d.t.Fatal(err)
	}
	return req
}

// Push sends envelopes in one batch, as the site's pusher does, and returns
// the status and the answer.
func (d *Device) Push(envs ...[]byte) (int, osync.BatchResponse) {
	d.t.Helper()
	resp, err := d.c.HTTP.Do(d.BatchRequest(envs...))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out osync.BatchResponse
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// Submission is a submission of a session's paper by a ticket.
func Submission(s server.Session, ticket string, answers map[string]exam.Answer) osync.Submission {
	return osync.Submission{SessionID: s.ID, Ticket: ticket, PaperID: s.PaperID, PaperVersion: s.PaperVersion, Answers: answers}
}
