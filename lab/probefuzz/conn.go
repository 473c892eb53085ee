package probefuzz

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The HTTP side of the fuzzer: requests are written byte by byte on plain
// TCP connections (so that malformed framing, methods, paths and headers
// reach the server as generated), and answers are read with the standard
// library's response parser.

// Request is one rendered HTTP request.
type Request struct {
	Method string `json:"method"`
	// Target is the request target: path and query, sent as is.
	Target string `json:"target"`
	// Header lines in order; Host and (unless Chunked or NoLength)
	// Content-Length are added when written.
	Header [][2]string `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
	// Chunked sends the body with Transfer-Encoding: chunked.
	Chunked bool `json:"chunked,omitempty"`
	// NoLength sends no Content-Length (an empty body).
	NoLength bool `json:"no_length,omitempty"`
	// Raw, when set, is sent instead of everything else on a fresh
	// connection: a request the server must refuse as HTTP.
	Raw []byte `json:"raw,omitempty"`
}

// Answer is what the server did with one request.
type Answer struct {
	Status int         `json:"status"`
	Header [][2]string `json:"header,omitempty"`
	Body   []byte      `json:"body,omitempty"`
	// Err says why there is no answer: a timeout, a closed connection.
	Err string `json:"err,omitempty"`
	// Hung: no answer within the per-request timeout.
	Hung bool `json:"hung,omitempty"`
}

// Get returns the first value of a header of the answer.
func (a *Answer) Get(name string) string {
	for _, f := range a.Header {
		if strings.EqualFold(f[0], name) {
			return f[1]
		}
	}
	return ""
}

// Values returns every value of a header of the answer.
func (a *Answer) Values(name string) []string {
	var vs []string
	for _, f := range a.Header {
		if strings.EqualFold(f[0], name) {
			vs = append(vs, f[1])
		}
	}
	return vs
}

// wireBytes renders the request as it goes on the wire.
func (r *Request) wireBytes(host string) []byte {
	if r.Raw != nil {
		return r.Raw
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", r.Method, r.Target, host)
	for _, f := range r.Header {
		b.WriteString(f[0])
		b.WriteString(": ")
		b.WriteString(f[1])
		b.WriteString("\r\n")
	}
	switch {
	case r.Chunked:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for rest := r.Body; len(rest) > 0; {
			n := min(len(rest), 1000)
			fmt.Fprintf(&b, "%x\r\n", n)
			b.Write(rest[:n])
			b.WriteString("\r\n")
			rest = rest[n:]
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes()
	case !r.NoLength:
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	if !r.NoLength {
		b.Write(r.Body)
	}
	return b.Bytes()
}

// Client sends requests to one server over keep-alive connections, one per
// simulated client (two for races).
type Client struct {
	addr    string // host:port
	host    string // the Host header
	timeout time.Duration
	mu      sync.Mutex
	conns   [2]*clientConn
	sent    int
}

type clientConn struct {
	c  net.Conn
	br *bufio.Reader
}

// NewClient talks to the server at base (http://host:port); timeout bounds
// each request.
func NewClient(base string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("server URL %q must be http://host:port (plain HTTP, no path)", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += ":80"
	}
	return &Client{addr: addr, host: u.Host, timeout: timeout}, nil
}

// Sent is how many requests the client has sent.
func (c *Client) Sent() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}

// Close closes the client's connections.
func (c *Client) Close() {
	for i, cc := range c.conns {
		if cc != nil {
			cc.c.Close()
			c.conns[i] = nil
		}
	}
}

// Do sends one request as client i (0 or 1) and reads its answer. A raw
// request goes on a fresh connection, closed afterwards.
func (c *Client) Do(i int, r *Request) *Answer {
	c.mu.Lock()
	c.sent++
	c.mu.Unlock()
	if r.Raw != nil {
		cc, err := c.dial()
		if err != nil {
			return &Answer{Err: err.Error()}
		}
		defer cc.c.Close()
		return c.roundTrip(cc, r)
	}
	for attempt := 0; ; attempt++ {
		cc := c.conns[i]
		fresh := cc == nil
		if fresh {
			var err error
			if cc, err = c.dial(); err != nil {
				return &Answer{Err: err.Error()}
			}
			c.conns[i] = cc
		}
		a := c.roundTrip(cc, r)
		if a.Err != "" || a.Hung || closes(a) {
			cc.c.Close()
			c.conns[i] = nil
		}
		// A kept-alive connection the server closed while idle fails
		// before any answer: send again once on a fresh one.
		if a.Err != "" && !fresh && attempt == 0 && a.Status == 0 && !a.Hung {
			continue
		}
		return a
	}
}

func closes(a *Answer) bool {
	for _, v := range a.Values("Connection") {
		if strings.EqualFold(strings.TrimSpace(v), "close") {
			return true
		}
	}
	return false
}

func (c *Client) dial() (*clientConn, error) {
	nc, err := net.DialTimeout("tcp", c.addr, c.timeout)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", c.addr, err)
	}
	return &clientConn{c: nc, br: bufio.NewReaderSize(nc, 16<<10)}, nil
}

func (c *Client) roundTrip(cc *clientConn, r *Request) *Answer {
	cc.c.SetDeadline(time.Now().Add(c.timeout))
	if _, err := cc.c.Write(r.wireBytes(c.host)); err != nil {
		return &Answer{Err: "writing the request: " + err.Error(), Hung: isTimeout(err)}
	}
	method := r.Method
	if r.Raw != nil {
		method = "GET"
	}
	resp, err := http.ReadResponse(cc.br, &http.Request{Method: method})
	if err != nil {
		return &Answer{Err: "reading the answer: " + err.Error(), Hung: isTimeout(err)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return &Answer{Status: resp.StatusCode, Err: "reading the body: " + err.Error(), Hung: isTimeout(err)}
	}
	a := &Answer{Status: resp.StatusCode, Body: body}
	for name, vs := range resp.Header {
		for _, v := range vs {
			a.Header = append(a.Header, [2]string{name, v})
		}
	}
	if resp.Close {
		a.Header = append(a.Header, [2]string{"Connection", "close"})
	}
	sortHeader(a.Header)
	return a
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sortHeader orders header lines by name, keeping the order of a name's
// values.
func sortHeader(h [][2]string) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j-1][0] > h[j][0]; j-- {
			h[j-1], h[j] = h[j], h[j-1]
		}
	}
}
