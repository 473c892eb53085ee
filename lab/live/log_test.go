package live

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"qrlab/model/variant"
	"qrlab/sim"
)

// lockedBuffer is a bytes.Buffer safe for the log's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// stuckWriter never returns from Write until released: a reader that
// stopped reading a full pipe.
type stuckWriter struct{ release chan struct{} }

func (w stuckWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

var testEvent = sim.JSONEvent{At: 12, Kind: "recv", Actor: "HS", Name: "rendezvous POST /_matrix/client/v1/rendezvous",
	Status: 201, Bytes: 3, Detail: "from 127.0.0.1:5555; created abc writes=0"}

// TestLogLevels checks what each level writes for one exchange: nothing,
// one short line without the client address, or the JSON trace event.
func TestLogLevels(t *testing.T) {
	for _, tc := range []struct {
		level LogLevel
		want  string
	}{
		{LogOff, ""},
		{LogRequests, "12 HS 201 rendezvous POST /_matrix/client/v1/rendezvous (created abc writes=0)\n"},
		{LogTrace, `{"run":0,"t_ms":12,"kind":"recv","actor":"HS","name":"rendezvous POST /_matrix/client/v1/rendezvous","status":201,"bytes":3,"detail":"from 127.0.0.1:5555; created abc writes=0"}` + "\n"},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var out, errs lockedBuffer
			l := NewLog(&out, tc.level, &errs, "test", 0)
			l.Event(testEvent)
			l.Close(5 * time.Second)
			if out.String() != tc.want {
				t.Errorf("wrote %q, want %q", out.String(), tc.want)
			}
			if errs.String() != "" {
				t.Errorf("messages %q, want none", errs.String())
			}
		})
	}
	for _, s := range []string{"off", "requests", "trace"} {
		if l, err := ParseLogLevel(s); err != nil || l.String() != s {
			t.Errorf("ParseLogLevel(%q) = %v, %v", s, l, err)
		}
	}
	if _, err := ParseLogLevel("verbose"); err == nil || !strings.Contains(err.Error(), "off, requests or trace") {
		t.Errorf("ParseLogLevel(verbose) error %v, want the valid levels", err)
	}
}

// TestLogSlowReaderNeverBlocks logs far more than the buffer holds to a
// writer that never returns: every Event returns, the surplus is counted
// as dropped, said once at the first drop and counted at Close, which
// gives up on the stuck reader.
func TestLogSlowReaderNeverBlocks(t *testing.T) {
	w := stuckWriter{release: make(chan struct{})}
	defer close(w.release)
	var errs lockedBuffer
	l := NewLog(w, LogRequests, &errs, "test", 8)
	for i := 0; i < 1000; i++ {
		l.Event(testEvent) // a blocking log would hang here
	}
	// The writer takes one batch (up to 64 KiB) before it blocks, the queue
	// 8 more lines: the rest is dropped.
	d := l.Dropped()
	if d < 1 || d > 1000-8 {
		t.Errorf("dropped %d of 1000 lines with a buffer of 8 and a stuck reader", d)
	}
	l.Close(10 * time.Millisecond)
	msgs := errs.String()
	if strings.Count(msgs, "dropping log lines") != 1 {
		t.Errorf("want one message at the first drop, got %q", msgs)
	}
	if !strings.Contains(msgs, "took no more lines") || !strings.Contains(msgs, fmt.Sprintf("dropped %d line(s)", d)) {
		t.Errorf("Close did not say the reader was stuck and how many lines were dropped: %q", msgs)
	}
}

// TestLogClosedPipe logs to a pipe whose reader is gone: the failure is
// reported once, logging stops, and later events are ignored.
func TestLogClosedPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	var errs lockedBuffer
	l := NewLog(w, LogTrace, &errs, "test", 0)
	for i := 0; i < 100; i++ {
		l.Event(testEvent)
	}
	l.Close(5 * time.Second)
	if !l.Failed() {
		t.Error("the log did not notice the closed pipe")
	}
	if n := strings.Count(errs.String(), "writing the log failed"); n != 1 {
		t.Errorf("reported the closed pipe %d times, want once: %q", n, errs.String())
	}
}

// TestServeStopWithStuckClient asks Serve to stop while a client has sent
// a header and a tenth of the body, and nothing more: Serve closes that connection after the
// grace and returns nil, since the stop was asked for.
func TestServeStopWithStuckClient(t *testing.T) {
	v, err := variant.Load("msc4388")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _, err := New(Options{Variant: v, SoftCap: -1, HardCap: -1, ShutdownGrace: 50 * time.Millisecond}, "http://"+ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var notes lockedBuffer
	// The hook is in place before Serve reads it: set after, a Serve that
	// started first would never call it, and the wait below would hang.
	active := make(chan struct{}, 1)
	connStateHook = func(_ net.Conn, st http.ConnState) {
		if st == http.StateActive {
			select {
			case active <- struct{}{}:
			default:
			}
		}
	}
	defer func() { connStateHook = nil }()
	exited := make(chan error, 1)
	go func() { exited <- Serve(ctx, ln, srv, func(s string) { notes.Write([]byte(s + "\n")) }) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A slow client: the request's header, then a tenth of its body.
	if _, err := c.Write([]byte("POST /_matrix/client/v1/rendezvous HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")); err != nil {
		t.Fatal(err)
	}
	<-active // the server has read the header and waits for the body
	cancel()
	if err := <-exited; err != nil {
		t.Errorf("Serve after a requested stop: %v, want nil", err)
	}
	if !strings.Contains(notes.String(), "closed the connections still open") {
		t.Errorf("notes %q do not say the stuck connection was closed", notes.String())
	}
}
