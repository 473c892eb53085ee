package sim

import "testing"

// TestTCPServerMillis: server_ms holds each answer back by exactly that
// long on a loss-free link, and 0 (the default) adds nothing.
func TestTCPServerMillis(t *testing.T) {
	answerAt := func(serverMs int64) Millis {
		k := DefaultTCP()
		k.ServerMillis = serverMs
		r, w := tcpRig(t, k, Link{})
		id := r.rigRequest(w, 100)
		w.now = r.queuedOnce(t, id, evReqArrive).at
		r.tcpAnswer(w, id, 0, 100, 0)
		return r.queuedOnce(t, id, evRespArrive).at
	}
	base := answerAt(0)
	if got := answerAt(7); got != base+7 {
		t.Fatalf("answer with server_ms 7 at %d, want %d (%d without)", got, base+7, base)
	}
	bad := DefaultTCP()
	bad.ServerMillis = -1
	if err := bad.Validate(); err == nil {
		t.Fatal("server_ms -1 accepted")
	}
}

// TestTCPClientFinished: with tls_client_finished and no loss the first
// request arrives when it would without (the Finished travels alongside),
// and a connection whose Finished arrives late (lost and resent) releases
// no request before it.
func TestTCPClientFinished(t *testing.T) {
	arrival := func(fin bool) Millis {
		k := DefaultTCP()
		k.TLSClientFinished = fin
		return firstArrival(t, k)
	}
	if a, b := arrival(false), arrival(true); a != b {
		t.Fatalf("loss-free first request arrives at %d with the Finished apart, %d without", b, a)
	}
	k := DefaultTCP()
	k.TLSClientFinished = true
	r, w := tcpRig(t, k, Link{})
	first := r.rigRequest(w, 100)
	c := &r.tp.conns[r.tp.ex[first].conn]
	c.busy, c.finAt = -1, 5000 // as if the Finished had been lost and resent
	w.now = 1000
	second := r.rigRequest(w, 100)
	if r.tp.ex[second].conn != r.tp.ex[first].conn {
		t.Fatal("the second request did not reuse the connection")
	}
	if arr := r.queued(second, evReqArrive); len(arr) != 1 || arr[0].at != 5000 {
		t.Fatalf("request on a connection whose Finished arrives at 5000 queued %+v, want one arrival at 5000", arr)
	}
}
