// Package conn is what central's web layer learned of the connection a
// request came over: whether it reached central over TLS (central's own, or
// a TLS proxy central was told to trust) and the client's address. Package
// web sets it on every request; the transports read it here and never parse
// proxy headers themselves.
package conn

import (
	"context"
	"net"
	"net/http"
)

// Info is what is known of a request's connection.
type Info struct {
	Secure     bool   // HTTPS all the way to the browser or device
	ClientAddr string // the client's IP address, without the port
}

type key struct{}

// With returns r carrying info.
func With(r *http.Request, info Info) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), key{}, info))
}

// Of returns what package web learned of r's connection; for a request it
// did not see, what r itself shows (its TLS state and remote address).
func Of(r *http.Request) Info {
	if info, ok := r.Context().Value(key{}).(Info); ok {
		return info
	}
	return Direct(r)
}

// Direct is what r shows by itself, trusting no header.
func Direct(r *http.Request) Info {
	addr := r.RemoteAddr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	return Info{Secure: r.TLS != nil, ClientAddr: addr}
}

// Secure reports whether r came over HTTPS all the way.
func Secure(r *http.Request) bool { return Of(r).Secure }

// ClientAddr is the IP address of r's client.
func ClientAddr(r *http.Request) string { return Of(r).ClientAddr }
