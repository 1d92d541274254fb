// Package api is central's device API, the HTTP side of the sync protocol
// (package sync): enrolment, packages, release and record batches. Its
// handlers only decode a request, call the service (package server) and
// encode the answer.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
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
}

// Routes adds the device API to mux.
func Routes(mux *http.ServeMux, c *server.Central, log *slog.Logger) {
	a := &api{central: c, log: log}
	mux.HandleFunc("GET "+osync.PathCentral, a.info)
	mux.HandleFunc("POST "+osync.PathEnrol, a.enrol)
	mux.HandleFunc("GET "+osync.PathPackage, a.packages)
	mux.HandleFunc("GET /api/v1/sessions/{id}/release", a.release)
	mux.HandleFunc("POST "+osync.PathRecords, a.records)
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
	switch {
	case errors.As(err, &early):
		writeJSON(w, http.StatusTooEarly, early.Body)
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.FormatInt(int64(throttled.Left/time.Second), 10))
		writeJSON(w, http.StatusTooManyRequests, osync.Problem{Error: err.Error()})
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, osync.Problem{Error: fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit)})
	case errors.Is(err, server.ErrUnauthorized):
		writeJSON(w, http.StatusUnauthorized, osync.Problem{Error: err.Error()})
	case errors.Is(err, server.ErrInput):
		writeJSON(w, http.StatusBadRequest, osync.Problem{Error: err.Error()})
	case errors.Is(err, server.ErrNotFound):
		writeJSON(w, http.StatusNotFound, osync.Problem{Error: err.Error()})
	default:
		a.log.Error("request failed", "route", r.Pattern, "err", err)
		writeJSON(w, http.StatusInternalServerError, osync.Problem{Error: "internal error"})
	}
}

// decode reads a JSON body of at most limit bytes, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
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

// sender reads the device id and device time a request carries.
func sender(r *http.Request) (id string, unix int64, err error) {
	id = r.Header.Get(osync.HeaderDevice)
	unix, err = strconv.ParseInt(r.Header.Get(osync.HeaderTime), 10, 64)
	if id == "" || err != nil {
		return "", 0, fmt.Errorf("%w: %s and %s headers are required", server.ErrUnauthorized, osync.HeaderDevice, osync.HeaderTime)
	}
	return id, unix, nil
}

// device authenticates a device's request by the signature headers of package sync.
func (a *api) device(r *http.Request) (server.Device, error) {
	id, unix, err := sender(r)
	if err != nil {
		return server.Device{}, err
	}
	return a.central.AuthenticateDevice(r.Context(), server.DeviceRequest{DeviceID: id, Time: unix,
		Signature: r.Header.Get(osync.HeaderSignature), Method: r.Method, Path: r.URL.Path})
}

// info tells anyone who central is: its public key, and its signed word
// on the TLS key it serves with.
func (a *api) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.central.Info())
}

func (a *api) enrol(w http.ResponseWriter, r *http.Request) {
	var req osync.EnrolRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
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
	dev, err := a.device(r)
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
	resp, err := a.central.Packages(r.Context(), dev, cursor)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (a *api) release(w http.ResponseWriter, r *http.Request) {
	dev, err := a.device(r)
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

// records ingests a batch. A batch needs no request signature (every
// envelope is signed), but its device time, when given, tells central how
// far the device's clock is off: kept for the device, and with each of its
// records in the batch.
func (a *api) records(w http.ResponseWriter, r *http.Request) {
	limits := a.central.Limits()
	w.Header().Set(osync.HeaderMaxRecords, strconv.Itoa(limits.MaxRecords))
	w.Header().Set(osync.HeaderMaxBytes, strconv.Itoa(limits.MaxBatchBytes))
	var b osync.Batch
	if err := decode(w, r, int64(limits.MaxBatchBytes), &b); err != nil {
		a.fail(w, r, err)
		return
	}
	if len(b.Envelopes) > limits.MaxRecords {
		writeJSON(w, http.StatusRequestEntityTooLarge, osync.Problem{Error: fmt.Sprintf("%d envelopes, at most %d in one batch", len(b.Envelopes), limits.MaxRecords)})
		return
	}
	var from server.Sender
	if id, unix, err := sender(r); err == nil {
		from = server.Sender{DeviceID: id, Time: time.Unix(unix, 0)}
	}
	resp, err := a.central.IngestFrom(r.Context(), b, from)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if from.DeviceID != "" {
		a.central.NoteDeviceClock(r.Context(), from.DeviceID, from.Time, b, resp)
	}
	writeJSON(w, http.StatusOK, resp)
}
