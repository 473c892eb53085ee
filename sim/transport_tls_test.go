package sim

import (
	"strings"
	"testing"
)

// TestTCPTLSHandshakeMillis: tls_handshake_ms holds a new connection's
// first request back by exactly that long on a loss-free link (the
// handshake's round trip is longer), and 0 (the default) adds nothing; a
// negative figure is refused with the knob's name.
func TestTCPTLSHandshakeMillis(t *testing.T) {
	arrival := func(ms int64) Millis {
		k := DefaultTCP()
		k.TLSHandshakeMillis = ms
		return firstArrival(t, k)
	}
	base := arrival(0)
	if base != 50 { // SYN and SYN-ACK, the two TLS flights, the request: 10 ms each
		t.Fatalf("first request arrives at %d, want 50", base)
	}
	if got := arrival(4); got != base+4 {
		t.Fatalf("first request with tls_handshake_ms 4 at %d, want %d", got, base+4)
	}
	bad := DefaultTCP()
	bad.TLSHandshakeMillis = -1
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "tls_handshake_ms") {
		t.Fatalf("tls_handshake_ms -1: error %v", err)
	}
}

// TestTCPTLSClientBytes: a ClientHello larger than one segment is sent
// as two, each a packet exposed to loss: a new connection's first request
// draws the fates of the SYN, the SYN-ACK, the hello's segments, the
// server's flight (300 bytes: one segment) and the request, so 5 packets
// with the default hello (300 bytes) and 6 with Go's measured 1,455 bytes
// at a 1,448-byte MSS. A negative size is refused.
func TestTCPTLSClientBytes(t *testing.T) {
	drawn := func(hello int) int {
		k := DefaultTCP()
		k.MSS, k.TLSClientBytes, k.TLSServerBytes, k.LossRecovery = 1448, hello, 300, RecoveryRTO
		r, w := tcpRig(t, k, Link{})
		r.tp.fates = make([]bool, 20)
		r.rigRequest(w, 100)
		return 20 - len(r.tp.fates)
	}
	if got := drawn(0); got != 5 {
		t.Errorf("default hello: %d packets drawn, want 5", got)
	}
	if got := drawn(1455); got != 6 {
		t.Errorf("1455-byte hello: %d packets drawn, want 6 (the hello in two segments)", got)
	}
	bad := DefaultTCP()
	bad.TLSClientBytes = -1
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "tls_client_bytes") {
		t.Fatalf("tls_client_bytes -1: error %v", err)
	}
}
