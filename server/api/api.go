// Package api is central's device API, the HTTP side of the sync protocol
// (package sync): enrolment, packages, release and record batches. Its
// handlers only decode a request, call the service (package server) and
// encode the answer.
package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"onex/server"
	"onex/server/web/conn"
	osync "onex/sync"
)

// api serves the device API of a central.
type api struct {
	central *server.Central
	log     *slog.Logger
	ingest  chan struct{} // a token for each batch being read or ingested
}

// Routes adds the device API to mux.
func Routes(mux *http.ServeMux, c *server.Central, log *slog.Logger) {
	a := &api{central: c, log: log, ingest: make(chan struct{}, c.Limits().MaxIngest)}
	mux.HandleFunc("GET "+osync.PathCentral, a.info)
	mux.HandleFunc("POST "+osync.PathEnrol, a.enrol)
	mux.HandleFunc("GET "+osync.PathPackage, a.packages)
	mux.HandleFunc("GET /api/v1/sessions/{id}/release", a.release)
	mux.HandleFunc("POST "+osync.PathRecords, a.records)
	mux.HandleFunc("GET "+osync.PathCertificateTrust, a.certificateTrust)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// fail answers an error: 4xx with its message for what the caller did wrong,
// 500 with no detail (and a log line) for what central did wrong.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var early *server.TooEarlyError
	var throttled *server.ThrottledError
	var tooBig *http.MaxBytesError
	var refused *osync.AuthError
	switch {
	case errors.As(err, &early):
		writeJSON(w, http.StatusTooEarly, early.Body)
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.FormatInt(int64(throttled.Left/time.Second), 10))
		writeJSON(w, http.StatusTooManyRequests, osync.Problem{Error: err.Error(), Code: osync.RefusedThrottled})
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, osync.Problem{Error: fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit), Code: osync.RefusedTooLarge})
	case errors.As(err, &refused):
		w.Header().Set("WWW-Authenticate", osync.AuthScheme+` error="`+refused.Code+`"`)
		if r.ContentLength != 0 {
			// A body central will not read: hang up rather than drain it.
			w.Header().Set("Connection", "close")
		}
		status, word := http.StatusUnauthorized, "unauthorized: "
		if refused.Code == osync.RefusedRevoked { // authenticated, and refused: the office revoked the device
			status, word = http.StatusForbidden, "forbidden: "
		}
		writeJSON(w, status, osync.Problem{Error: word + refused.Reason, Code: refused.Code})
	case errors.Is(err, server.ErrEnrolCode):
		writeJSON(w, http.StatusBadRequest, osync.Problem{Error: err.Error(), Code: osync.RefusedEnrolCode})
	case errors.Is(err, server.ErrInput):
		writeJSON(w, http.StatusBadRequest, osync.Problem{Error: err.Error(), Code: osync.RefusedInput})
	case errors.Is(err, server.ErrNotFound):
		writeJSON(w, http.StatusNotFound, osync.Problem{Error: err.Error(), Code: osync.RefusedNotFound})
	default:
		a.log.Error("request failed", "route", r.Pattern, "err", err)
		writeJSON(w, http.StatusInternalServerError, osync.Problem{Error: "internal error"})
	}
}

// decode reads one JSON value from body, refusing unknown fields and
// anything after it. Read errors keep their type (*http.MaxBytesError);
// the rest are the caller's input.
func decode(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return server.AsInput(fmt.Errorf("request body: %v", err))
	}
	if dec.More() {
		return server.AsInput(errors.New("request body: data after the JSON value"))
	}
	return nil
}

// device authenticates a device's request from its headers alone: the
// signature of package sync (onex-auth/2) over the method, the target (its
// path and query, in origin form whatever form the request line had), the
// time, the nonce and the hash of the body. A GET carries no body. A
// refusal of a request that names an enrolled device is logged.
func (a *api) device(r *http.Request) (server.Device, osync.Auth, error) {
	auth, sig, err := osync.ParseAuth(r.Method, r.URL.RequestURI(), r.Header)
	if err != nil {
		return server.Device{}, auth, err
	}
	dev, err := a.central.AuthenticateDevice(r.Context(), auth, sig)
	if err == nil && r.Method == http.MethodGet && auth.BodyHash != osync.EmptyBodyHash {
		err = &osync.AuthError{Code: osync.RefusedBody, Reason: "a GET is signed with the hash of no body"}
	}
	var refused *osync.AuthError
	if errors.As(err, &refused) && refused.Code != osync.RefusedDevice {
		a.log.Warn("device request refused", "route", r.Pattern, "device", auth.DeviceID, "code", refused.Code)
	}
	return dev, auth, err
}

// info tells anyone who central is: its public key, and its signed word
// on the TLS key it serves with.
func (a *api) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.central.Info())
}

func (a *api) enrol(w http.ResponseWriter, r *http.Request) {
	var req osync.EnrolRequest
	if err := decode(http.MaxBytesReader(w, r.Body, 64<<10), &req); err != nil {
		a.fail(w, r, err)
		return
	}
	resp, err := a.central.Enrol(r.Context(), req, conn.ClientAddr(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (a *api) packages(w http.ResponseWriter, r *http.Request) {
	dev, auth, err := a.device(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var cursor int64
	if s := r.URL.Query().Get("cursor"); s != "" {
		if cursor, err = strconv.ParseInt(s, 10, 64); err != nil || cursor < 0 {
			a.fail(w, r, server.AsInput(fmt.Errorf("cursor %q is not a non-negative integer", s)))
			return
		}
	}
	resp, err := a.central.Packages(r.Context(), dev, cursor, auth.Hash())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// certificateTrust gives an enrolled device what it needs to verify
// certificates offline: the trust list and the status list, signed now.
// [added: issue 16]
func (a *api) certificateTrust(w http.ResponseWriter, r *http.Request) {
	if _, _, err := a.device(r); err != nil {
		a.fail(w, r, err)
		return
	}
	resp, err := a.central.CertificateTrust(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (a *api) release(w http.ResponseWriter, r *http.Request) {
	dev, _, err := a.device(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	resp, err := a.central.Release(r.Context(), dev, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// records ingests a batch. The device is authenticated from the headers
// before a byte of the body is read; then, if central is not reading as many
// batches as it takes at once (else 503 with Retry-After), the body is read
// while it keeps coming, up to the batch limit, and must be the one signed.
// The device's own clock, signed, tells how far it is off central's: kept
// with each of its records in the batch.
func (a *api) records(w http.ResponseWriter, r *http.Request) {
	limits := a.central.Limits()
	w.Header().Set(osync.HeaderMaxRecords, strconv.Itoa(limits.MaxRecords))
	w.Header().Set(osync.HeaderMaxBytes, strconv.Itoa(limits.MaxBatchBytes))
	dev, auth, err := a.device(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	select {
	case a.ingest <- struct{}{}:
		defer func() { <-a.ingest }()
	default:
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusServiceUnavailable, osync.Problem{Error: fmt.Sprintf("central is taking %d batches already; try again shortly", limits.MaxIngest), Code: osync.RefusedBusy})
		return
	}
	b, err := readBatch(w, r, limits, auth.BodyHash)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if len(b.Envelopes) > limits.MaxRecords {
		writeJSON(w, http.StatusRequestEntityTooLarge, osync.Problem{Error: fmt.Sprintf("%d envelopes, at most %d in one batch", len(b.Envelopes), limits.MaxRecords), Code: osync.RefusedTooLarge})
		return
	}
	resp, err := a.central.IngestFrom(r.Context(), b, server.Sender{DeviceID: dev.ID, Time: time.Unix(auth.Clock, 0)})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// readBatch reads and decodes a batch body of at most limits.MaxBatchBytes
// (else a *http.MaxBytesError), giving up when no byte came for
// limits.BatchIdle or the whole took longer than limits.BatchTimeout. It
// hashes the body as it streams, to the end, and refuses one whose SHA-256
// is not the signed one (a *sync.AuthError) before it reports anything of
// its content.
func readBatch(w http.ResponseWriter, r *http.Request, limits server.Limits, signed string) (osync.Batch, error) {
	var b osync.Batch
	if r.ContentLength > int64(limits.MaxBatchBytes) {
		return b, &http.MaxBytesError{Limit: int64(limits.MaxBatchBytes)}
	}
	h := sha256.New()
	body := io.TeeReader(&pacedReader{r: http.MaxBytesReader(w, r.Body, int64(limits.MaxBatchBytes)), rc: http.NewResponseController(w),
		idle: limits.BatchIdle, end: time.Now().Add(limits.BatchTimeout)}, h)
	decodeErr := decode(body, &b)
	_, readErr := io.Copy(io.Discard, body) // the rest, for the hash
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(decodeErr, &tooBig):
		return b, decodeErr
	case errors.As(readErr, &tooBig):
		return b, readErr
	case readErr != nil:
		return b, server.AsInput(fmt.Errorf("request body: %v", readErr))
	case hex.EncodeToString(h.Sum(nil)) != signed:
		return b, &osync.AuthError{Code: osync.RefusedBody, Reason: "the body is not the one signed (" + osync.HeaderBodyHash + ")"}
	}
	return b, decodeErr
}

// pacedReader moves the connection's read deadline before each read: idle
// from now, but never past end. Without support for deadlines (a test's
// recorder) it just reads.
type pacedReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	end  time.Time
}

func (p *pacedReader) Read(b []byte) (int, error) {
	dl := time.Now().Add(p.idle)
	if dl.After(p.end) {
		dl = p.end
	}
	p.rc.SetReadDeadline(dl)
	return p.r.Read(b)
}
