package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"onex/exam/seal"
	"onex/server/store"
	osync "onex/sync"
)

// Handler returns central's HTTP routes: the API of the sync protocol, the
// office pages, /healthz and /metrics.
func (c *Central) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", c.healthz)
	mux.Handle("GET /metrics", c.metrics.handler())
	mux.HandleFunc("POST "+osync.PathEnrol, c.apiEnrol)
	mux.HandleFunc("GET "+osync.PathPackage, c.apiPackage)
	mux.HandleFunc("GET /api/v1/sessions/{id}/release", c.apiRelease)
	mux.HandleFunc("POST "+osync.PathRecords, c.apiRecords)
	c.officeRoutes(mux)
	return c.observe(mux)
}

func (c *Central) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := c.DB.Catalogue(r.Context()); err != nil {
		c.Log.Error("healthz", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// observe logs and counts each request: method, route, status and duration,
// never a body, a header value or a query.
func (c *Central) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				c.Log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				if !rec.wrote {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			c.metrics.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
			c.Log.Info("http", "method", r.Method, "route", route, "status", rec.status, "dur", time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// fail answers an error: 4xx with its message for what the caller did wrong,
// 500 with no detail (and a log line) for what central did wrong.
func (c *Central) fail(w http.ResponseWriter, r *http.Request, err error) {
	var early *TooEarlyError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &early):
		writeJSON(w, http.StatusTooEarly, early.Body)
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, osync.Problem{Error: fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit)})
	case errors.Is(err, errUnauthorized):
		writeJSON(w, http.StatusUnauthorized, osync.Problem{Error: err.Error()})
	case errors.Is(err, ErrInput):
		writeJSON(w, http.StatusBadRequest, osync.Problem{Error: err.Error()})
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, osync.Problem{Error: err.Error()})
	default:
		c.Log.Error("request failed", "route", r.Pattern, "err", err)
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
		return inputf("request body: %v", err)
	}
	if dec.More() {
		return inputf("request body: data after the JSON value")
	}
	return nil
}

var errUnauthorized = errors.New("unauthorized")

// device authenticates a device's request by the signature headers of package sync.
func (c *Central) device(r *http.Request) (store.Device, error) {
	id := r.Header.Get(osync.HeaderDevice)
	unix, err := strconv.ParseInt(r.Header.Get(osync.HeaderTime), 10, 64)
	if id == "" || err != nil {
		return store.Device{}, fmt.Errorf("%w: %s and %s headers are required", errUnauthorized, osync.HeaderDevice, osync.HeaderTime)
	}
	now := c.Now()
	if d := now.Sub(time.Unix(unix, 0)); d > osync.AuthWindow || d < -osync.AuthWindow {
		return store.Device{}, fmt.Errorf("%w: request time is %s off central's clock (see the Date header)", errUnauthorized, d.Round(time.Second))
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(osync.HeaderSignature))
	if err != nil {
		return store.Device{}, fmt.Errorf("%w: %s is not base64", errUnauthorized, osync.HeaderSignature)
	}
	dev, err := c.DB.Device(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Device{}, fmt.Errorf("%w: device %q is not enrolled", errUnauthorized, id)
	}
	if err != nil {
		return store.Device{}, err
	}
	pub, err := seal.ParseDevicePublicKey(dev.PublicKey)
	if err != nil {
		return store.Device{}, err
	}
	if err := pub.VerifyRequest(osync.AuthMessage(r.Method, r.URL.Path, unix), sig); err != nil {
		return store.Device{}, fmt.Errorf("%w: %v", errUnauthorized, err)
	}
	if err := c.DB.SeenDevice(r.Context(), dev.ID, now, dev.ClockSkewMS); err != nil {
		return store.Device{}, err
	}
	return dev, nil
}

func (c *Central) apiEnrol(w http.ResponseWriter, r *http.Request) {
	var req osync.EnrolRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		c.fail(w, r, err)
		return
	}
	resp, err := c.Enrol(r.Context(), req)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (c *Central) apiPackage(w http.ResponseWriter, r *http.Request) {
	dev, err := c.device(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var cursor int64
	if s := r.URL.Query().Get("cursor"); s != "" {
		if cursor, err = strconv.ParseInt(s, 10, 64); err != nil || cursor < 0 {
			c.fail(w, r, inputf("cursor %q is not a non-negative integer", s))
			return
		}
	}
	resp, err := c.Packages(r.Context(), dev, cursor)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (c *Central) apiRelease(w http.ResponseWriter, r *http.Request) {
	dev, err := c.device(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	resp, err := c.Release(r.Context(), dev, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (c *Central) apiRecords(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(osync.HeaderMaxRecords, strconv.Itoa(c.MaxRecords))
	w.Header().Set(osync.HeaderMaxBytes, strconv.Itoa(c.MaxBatchBytes))
	var b osync.Batch
	if err := decode(w, r, int64(c.MaxBatchBytes), &b); err != nil {
		c.fail(w, r, err)
		return
	}
	if len(b.Envelopes) > c.MaxRecords {
		writeJSON(w, http.StatusRequestEntityTooLarge, osync.Problem{Error: fmt.Sprintf("%d envelopes, at most %d in one batch", len(b.Envelopes), c.MaxRecords)})
		return
	}
	resp, err := c.Ingest(r.Context(), b)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.noteClock(r, b, resp)
	writeJSON(w, http.StatusOK, resp)
}

// noteClock records the skew of the sending device's clock, from the device
// time a batch carries, when the batch holds a genuine record of that device.
func (c *Central) noteClock(r *http.Request, b osync.Batch, resp osync.BatchResponse) {
	id := r.Header.Get(osync.HeaderDevice)
	unix, err := strconv.ParseInt(r.Header.Get(osync.HeaderTime), 10, 64)
	if id == "" || err != nil {
		return
	}
	genuine := false
	for i, env := range b.Envelopes {
		out := resp.Results[i].Outcome
		if h, err := seal.ParseHeader(env); err == nil && h.DeviceID == id && (out == osync.Accepted || out == osync.Duplicate) {
			genuine = true
			break
		}
	}
	if !genuine {
		return
	}
	now := c.Now()
	if err := c.DB.SeenDevice(r.Context(), id, now, clockSkew(time.Unix(unix, 0), now)); err != nil {
		c.Log.Warn("note device clock", "err", err)
	}
}
