// Package faultproxy is a loopback proxy for tests that breaks HTTP/1.1
// exchanges between a client and a server the way real networks and
// gateways do: connections reset before the request or after the server has
// answered (the server committed, the client never heard), responses cut
// short, long stalls, 502/503 bursts, 429 with Retry-After, requests
// delivered twice, and whole outages. Each request gets the fault that
// Choose picks for it.
package faultproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what the proxy does to one request.
type Fault int

// Faults.
const (
	Pass               Fault = iota // forward the request and the response
	ResetBeforeRequest              // reset the connection; the server never sees the request
	ResetAfterRequest               // the server answers; the client gets a reset instead
	TruncateResponse                // the client gets the headers and half the body, then EOF
	Stall                           // the response is held for StallFor before it is sent
	BadGateway                      // 502 without asking the server
	Unavailable                     // 503 without asking the server
	TooManyRequests                 // 429 with Retry-After: 1, without asking the server
	Duplicate                       // the server gets the request twice; the client the second answer
	numFaults
)

var names = [...]string{"pass", "reset-before-request", "reset-after-request", "truncate-response", "stall",
	"502", "503", "429", "duplicate"}

func (f Fault) String() string { return names[f] }

// Faults lists every fault but Pass.
func Faults() []Fault {
	var fs []Fault
	for f := Pass + 1; f < numFaults; f++ {
		fs = append(fs, f)
	}
	return fs
}

// Proxy forwards connections from its address to a backend.
type Proxy struct {
	backend  string
	ln       net.Listener
	choose   func(n int64) Fault
	StallFor time.Duration

	n      atomic.Int64
	down   atomic.Bool
	mu     sync.Mutex
	counts map[Fault]int
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

// Start listens on a loopback port and forwards to backend (host:port).
// choose picks the fault of the n-th request (n counts from 1).
func Start(backend string, choose func(n int64) Fault) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{backend: backend, ln: ln, choose: choose, StallFor: 2 * time.Second, counts: map[Fault]int{}, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// URL is the proxy's base URL.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetDown starts or ends an outage: while down, every connection is reset at once.
func (p *Proxy) SetDown(down bool) {
	p.down.Store(down)
	if down {
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	}
}

// Counts returns how many requests got each fault.
func (p *Proxy) Counts() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Fault]int, len(p.counts))
	for f, n := range p.counts {
		out[f] = n
	}
	return out
}

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.SetDown(true)
	p.wg.Wait()
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			reset(c)
			continue
		}
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
			c.Close()
		}()
	}
}

// reset closes c so that the peer sees a connection reset, not a clean EOF.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// handle serves the requests of one client connection, one at a time.
func (p *Proxy) handle(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		f := p.choose(p.n.Add(1))
		p.mu.Lock()
		p.counts[f]++
		p.mu.Unlock()
		if p.down.Load() {
			reset(c)
			return
		}
		switch f {
		case ResetBeforeRequest:
			reset(c)
			return
		case BadGateway, Unavailable, TooManyRequests:
			code := map[Fault]int{BadGateway: 502, Unavailable: 503, TooManyRequests: 429}[f]
			fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n", code, http.StatusText(code))
			continue
		}
		resp, err := p.forward(req, body)
		if err == nil && f == Duplicate {
			resp, err = p.forward(req, body)
		}
		if err != nil {
			fmt.Fprintf(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			continue
		}
		switch f {
		case ResetAfterRequest:
			reset(c)
			return
		case TruncateResponse:
			c.Write(resp[:headerEnd(resp)+(len(resp)-headerEnd(resp))/2])
			return
		case Stall:
			time.Sleep(p.StallFor)
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}

// forward sends one request to the backend on a fresh connection and returns
// the raw response bytes.
func (p *Proxy) forward(req *http.Request, body []byte) ([]byte, error) {
	bc, err := net.DialTimeout("tcp", p.backend, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer bc.Close()
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.Close = true
	if err := out.Write(bc); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(bc), out)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	resp.ContentLength = int64(len(rb))
	resp.TransferEncoding = nil
	resp.Close = false
	resp.Header.Set("Content-Length", strconv.Itoa(len(rb)))
	var buf bytes.Buffer
	if err := resp.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func headerEnd(resp []byte) int {
	if i := bytes.Index(resp, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return len(resp)
}
