// Package web is central's HTTP face: it mounts the device API (package
// api), the office pages (package office) and the public pages (package
// public) on one handler, with /healthz, /metrics (Prometheus), the
// security headers of every answer (HSTS when the request came over HTTPS),
// and a log line and a count for every request. It decides, in one place
// (package conn), whether a request came over HTTPS and from where: from
// the connection itself, or, with TrustProxy, from the TLS proxy's headers.
package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"onex/server"
	"onex/server/api"
	"onex/server/office"
	"onex/server/public"
	"onex/server/web/conn"
)

// Option changes how Handler serves.
type Option func(*options)

type options struct{ trustProxy bool }

// TrustProxy says central is behind a TLS proxy that sets
// X-Forwarded-Proto and X-Forwarded-For: a request is then secure when the
// proxy says it came over https, and its client is the address the proxy
// appended last. Without it both headers are ignored, since anyone can send
// them; with it, central must be reachable only through the proxy.
func TrustProxy() Option { return func(o *options) { o.trustProxy = true } }

// HSTS is the Strict-Transport-Security of an answer over HTTPS: browsers
// use only HTTPS for central for a year. Not includeSubDomains: central
// may share a domain with services it knows nothing of.
const HSTS = "max-age=31536000"

// Handler returns every route of central.
func Handler(c *server.Central, log *slog.Logger, opts ...Option) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "onex_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	reg.MustRegister(requests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := c.Health(r.Context()); err != nil {
			log.Error("healthz", "err", err)
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.Gatherers{reg, c.Metrics()}, promhttp.HandlerOpts{}))
	api.Routes(mux, c, log)
	office.Routes(mux, c, log)
	public.Routes(mux, c, log)
	// connection first: its request, with what it learned, is the one
	// observe and the mux share (the mux sets its Pattern there).
	return connection(o, observe(secure(mux), requests, log))
}

// connection learns whether a request came over HTTPS and from where, for
// every handler after it to read from package conn.
func connection(o options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := conn.Direct(r)
		if o.trustProxy {
			if proto, ok := lastValue(r.Header, "X-Forwarded-Proto"); ok {
				info.Secure = info.Secure || strings.EqualFold(proto, "https")
			}
			if addr, ok := lastValue(r.Header, "X-Forwarded-For"); ok {
				if ip, err := netip.ParseAddr(addr); err == nil {
					info.ClientAddr = ip.String()
				}
			}
		}
		next.ServeHTTP(w, conn.With(r, info))
	})
}

// lastValue is the last comma-separated value of a header: what the proxy
// nearest central added.
func lastValue(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	last := vs[len(vs)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	last = strings.TrimSpace(last)
	return last, last != ""
}

// secure keeps every answer out of caches and frames, allows pages no
// script and no resource from elsewhere, and keeps browsers on HTTPS once
// they came over it.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if conn.Secure(r) {
			h.Set("Strict-Transport-Security", HSTS)
		}
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// observe logs and counts each request: method, route, status and duration,
// never a body, a header value or a query.
func observe(next http.Handler, requests *prometheus.CounterVec, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				if !rec.wrote {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
			log.Info("http", "method", r.Method, "route", route, "status", rec.status, "dur", time.Since(start))
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

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}
